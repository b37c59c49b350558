"""The wheel, installed into a fresh environment, gives the CLI and the GUI (what `pip install` and
`pipx install` do).

The wheel is built from this checkout (`pip wheel --no-deps`, whose build backend pip fetches into an
isolated environment: without a network or a cache that holds it, the test is skipped and says so).
It is installed alone (--no-deps) into a new virtual environment that sees the project environment's
installed dependencies through a path entry — not its .pth files, so the checkout's editable install
stays out — which proves the packaged files, while the dependency list is checked in the metadata.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from reviewer_app import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
# pip's words for "the build backend could not be downloaded": no network and no cache.
OFFLINE = re.compile(r"No matching distribution|Could not find a version|NewConnectionError|"
                     r"Temporary failure in name resolution|Network is unreachable|ConnectionError", re.I)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and OFFLINE.search(proc.stdout + proc.stderr):
        pytest.skip("cannot build the wheel: pip found no network and no cache holding the build backend "
                    "(setuptools>=77)")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [built] = out.glob("reviewer_app-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding only the wheel; bin/ of that venv."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies come from the project environment, after the venv's own packages on sys.path.
    (purelib / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return venv / "bin"


def run(program: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", REVIEWER_APP_CONFIG_DIR=str(cwd / "config"))
    return subprocess.run([str(program), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=180)


def test_the_wheel_declares_both_commands_and_only_pyside6_essentials(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        info = f"reviewer_app-{__version__}.dist-info"
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
        names = set(archive.namelist())
    assert "reviewer-app = reviewer_app.cli.main:main" in entry_points.split("[gui_scripts]")[0]
    assert "reviewer-app-gui = reviewer_app.ui.app:main" in entry_points.split("[gui_scripts]")[1]
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    qt = [req for req in requires if req.lower().startswith("pyside6")]
    assert qt and all(req.startswith("PySide6-Essentials") for req in qt), qt
    assert f"Version: {__version__}" in metadata.splitlines()
    assert {"reviewer_app/resources/icons/app.svg", "reviewer_app/resources/rules/secrets.toml",
            "reviewer_app/cli/desktop_cmd.py"} <= names


def test_the_installed_package_is_the_wheel_not_the_checkout(fresh_env: Path, tmp_path: Path) -> None:
    proc = run(fresh_env / "python", "-c", "import reviewer_app; print(reviewer_app.__file__)", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(fresh_env.parent)


def test_version_analyze_and_gate_from_the_wheel(fresh_env: Path, demo_patch: Path, small_repo,
                                                 tmp_path: Path) -> None:
    version = run(fresh_env / "reviewer-app", "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout.strip()) == (0, f"reviewer-app {__version__}")
    analyzed = run(fresh_env / "reviewer-app", "--db", tmp_path / "r.db", "analyze", "--format", "json", demo_patch,
                   cwd=small_repo.path)
    assert analyzed.returncode == 0, analyzed.stderr
    assert [f["rule"] for f in json.loads(analyzed.stdout)["risk"]["findings"]] == ["SCANNER-SUPPRESSION"]
    gate = run(fresh_env / "reviewer-app", "--db", tmp_path / "r.db", "gate", "--repo", small_repo.path,
               "--git", "main~1..main", cwd=tmp_path)
    assert gate.returncode == 1, gate.stderr  # not approved yet: a verdict, not an error


def test_gui_and_the_gui_script_render_from_the_wheel(fresh_env: Path, demo_patch: Path, tmp_path: Path) -> None:
    for program, args in ((fresh_env / "reviewer-app", ["--db", tmp_path / "a.db", "gui"]),
                          (fresh_env / "reviewer-app-gui", ["--db", tmp_path / "b.db"])):
        shot = tmp_path / f"{program.name}.png"
        proc = run(program, *args, "--screenshot", shot, demo_patch, cwd=tmp_path)
        assert proc.returncode == 0, (program.name, proc.stderr)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
