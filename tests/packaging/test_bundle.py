"""Smoke test of the PyInstaller one-folder bundle (``make bundle`` then ``make test-bundle``).

It runs the bundle's own executable, never this interpreter: ``--version``, every command's ``--help``,
``analyze`` of a patch, ``gate`` on a small real repository, ``install-desktop`` (the icons are drawn by
the bundled QtSvg) and ``gui FILE --screenshot`` offscreen. It runs only when asked for
(REVIEWER_APP_TEST_BUNDLE=1, which ``make test-bundle`` sets), so ``make test`` never judges a bundle
built from an older tree; asked for without a bundle, it fails and says how to build one.
REVIEWER_APP_BUNDLE names another bundle folder (default: dist/reviewer-app).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from reviewer_app import __version__
from reviewer_app.cli.main import COMMAND_OF
from reviewer_app.core import desktop

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = Path(os.environ.get("REVIEWER_APP_BUNDLE") or ROOT / "dist" / "reviewer-app")
EXECUTABLE = BUNDLE / "reviewer-app"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (os.environ.get("REVIEWER_APP_TEST_BUNDLE") or os.environ.get("REVIEWER_APP_BUNDLE")),
                       reason="the bundle smoke test runs with `make bundle && make test-bundle` "
                              "(REVIEWER_APP_TEST_BUNDLE=1)"),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    if not os.access(EXECUTABLE, os.X_OK):
        pytest.fail(f"{EXECUTABLE}: no bundle; build it with `make bundle`")
    return EXECUTABLE


def run(bundle: Path, *args: str | Path, cwd: Path | None = None, **extra_env: str) -> subprocess.CompletedProcess[str]:
    # No Python of ours reaches the bundle: no PYTHONPATH/PYTHONHOME, no venv, no display.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", **extra_env)
    return subprocess.run([str(bundle), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=180)


def test_version(bundle: Path) -> None:
    proc = run(bundle, "--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, f"reviewer-app {__version__}")


def test_every_command_is_in_the_bundle(bundle: Path) -> None:
    for command in COMMAND_OF:
        proc = run(bundle, command, "--help")
        assert proc.returncode == 0 and f"usage: reviewer-app {command}" in proc.stdout, (command, proc.stderr)


def test_analyze_a_patch_with_the_bundled_rule_packs(bundle: Path, demo_patch: Path, small_repo, tmp_path) -> None:
    proc = run(bundle, "--db", tmp_path / "r.db", "analyze", "--format", "json", demo_patch, cwd=small_repo.path)
    assert proc.returncode == 0, proc.stderr
    analysis = json.loads(proc.stdout)
    assert analysis["title"] == "Greet through the shell"
    assert [finding["rule"] for finding in analysis["risk"]["findings"]] == ["SCANNER-SUPPRESSION"]
    assert analysis["risk"]["rule_pack"].startswith("sha256:")


def test_gate_on_a_real_repository_gives_a_verdict(bundle: Path, small_repo, tmp_path) -> None:
    proc = run(bundle, "--db", tmp_path / "r.db", "gate", "--repo", small_repo.path, "--git", "main~1..main",
               "--format", "json")
    assert proc.returncode == 1, proc.stderr  # a real negative verdict: no approval yet (2 would be an error)
    report = json.loads(proc.stdout)
    assert report["approved"] is False and "error" not in report
    assert report["requirements"][0]["needed"] == 1 and report["requirements"][0]["have"] == 0


def test_install_desktop_from_the_bundle_points_at_it(bundle: Path, tmp_path) -> None:
    home = tmp_path / "xdg"
    proc = run(bundle, "install-desktop", XDG_DATA_HOME=str(home))
    assert proc.returncode == 0, proc.stderr
    entry = (home / "applications" / f"{desktop.APP_ID}.desktop").read_text(encoding="utf-8")
    assert f"Exec={desktop.exec_argument(str(bundle))} gui %f\n" in entry
    assert (home / f"icons/hicolor/256x256/apps/{desktop.APP_ID}.png").read_bytes()[:4] == b"\x89PNG"


def test_gui_opens_a_patch_and_renders_offscreen(bundle: Path, demo_patch: Path, small_repo, tmp_path) -> None:
    from PySide6.QtGui import QImage

    shot = tmp_path / "window.png"
    proc = run(bundle, "--db", tmp_path / "r.db", "gui", "--workspace", small_repo.path, "--screenshot", shot,
               demo_patch, REVIEWER_APP_CONFIG_DIR=str(tmp_path / "config"))
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1600, 1000)
    # Text, icons and the selection: a window really drawn, not a blank canvas.
    assert len({image.pixel(x, y) for x in range(0, 1600, 7) for y in range(0, 1000, 7)}) > 20


def test_demo_and_a_pdf_export_from_the_bundle(bundle: Path, tmp_path) -> None:
    """The demo templates are bundled data; the PDF report is drawn by the bundled Qt."""
    db = tmp_path / "demo.db"
    demo = run(bundle, "--db", db, "demo", "--path", tmp_path / "ws", "--no-gui")
    assert demo.returncode == 0, demo.stderr
    queue = run(bundle, "--db", db, "queue", "--format", "json")
    assert queue.returncode == 0 and queue.stdout.count('"change_id"') >= 10, queue.stderr
    pdf = tmp_path / "audit.pdf"
    export = run(bundle, "--db", db, "export", "--format", "pdf", "--output", pdf, "--repo", tmp_path / "ws")
    assert export.returncode == 0, export.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
