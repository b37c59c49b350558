"""``reviewer-app install-desktop``: the entry, icons and MIME package under XDG_DATA_HOME, the validators,
a clean uninstall, and the GUI opening the file the desktop hands it (``gui FILE``)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app import __version__
from reviewer_app.core import desktop

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
needs_desktop_file_utils = pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                                              reason="desktop-file-validate not installed (apt install desktop-file-utils)")
needs_appstream = pytest.mark.skipif(shutil.which("appstreamcli") is None,
                                     reason="appstreamcli not installed (apt install appstream)")


def run(*args: str | Path, data_home: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(XDG_DATA_HOME=str(data_home), QT_QPA_PLATFORM="offscreen")
    if config is not None:
        env["REVIEWER_APP_CONFIG_DIR"] = str(config)
    return subprocess.run([sys.executable, "-m", "reviewer_app", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=180)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def desktop_values(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.fixture
def installed(tmp_path: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    home = tmp_path / "xdg"
    proc = run("install-desktop", data_home=home)
    assert proc.returncode == 0, proc.stderr
    return home, proc


def test_install_writes_the_entry_the_icons_and_the_mime_package(installed) -> None:
    home, _proc = installed
    entry = desktop_values(home / "applications" / "dev.reviewer_app.Reviewer.desktop")
    assert entry["MimeType"] == "text/x-patch;text/x-diff;application/mbox;"
    assert entry["Icon"] == desktop.APP_ID
    # The command this interpreter's scripts provide, absolute, with the file the desktop passes.
    command, placeholder = entry["Exec"].rsplit(" ", 1)
    assert placeholder == "%f"
    assert Path(command.split()[0]).is_absolute() and os.access(command.split()[0], os.X_OK)
    for size in desktop.ICON_SIZES:  # Qt is there in the test environment: every size is rendered
        assert png_size(home / f"icons/hicolor/{size}x{size}/apps/{desktop.APP_ID}.png") == (size, size)
    svg = home / f"icons/hicolor/scalable/apps/{desktop.APP_ID}.svg"
    assert svg.read_bytes() == (ROOT / "resources/icons/app.svg").read_bytes()
    package = (home / f"mime/packages/{desktop.APP_ID}.xml").read_text(encoding="utf-8")
    for mime_type, glob in (("text/x-patch", "*.patch"), ("text/x-diff", "*.diff"), ("application/mbox", "*.mbox")):
        assert f'<mime-type type="{mime_type}">' in package and f'<glob pattern="{glob}"/>' in package


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="update-mime-database not installed")
def test_the_mime_database_maps_the_file_names_to_the_types(installed) -> None:
    home, proc = installed
    assert "Ran update-mime-database" in proc.stdout
    globs = (home / "mime" / "globs2").read_text(encoding="utf-8")
    assert ":text/x-patch:*.patch" in globs and ":text/x-diff:*.diff" in globs and ":application/mbox:*.mbox" in globs


@pytest.mark.skipif(shutil.which("update-desktop-database") is None, reason="update-desktop-database not installed")
def test_the_desktop_database_offers_reviewer_for_patches(installed) -> None:
    home, _proc = installed
    cache = (home / "applications" / "mimeinfo.cache").read_text(encoding="utf-8")
    assert f"text/x-patch={desktop.APP_ID}.desktop;" in cache


@needs_desktop_file_utils
def test_the_installed_and_the_packaged_entries_pass_desktop_file_validate(installed) -> None:
    home, _proc = installed
    for path in (home / "applications" / f"{desktop.APP_ID}.desktop", PACKAGING / f"{desktop.APP_ID}.desktop"):
        proc = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


@needs_desktop_file_utils
def test_an_exec_path_with_spaces_and_quotes_is_quoted_validly(tmp_path: Path) -> None:
    path = tmp_path / f"{desktop.APP_ID}.desktop"
    path.write_text(desktop.desktop_entry(['/opt/My Apps/reviewer "beta"/reviewer-app', "gui"]), encoding="utf-8")
    proc = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout
    assert desktop_values(path)["Exec"] == '"/opt/My Apps/reviewer \\\\"beta\\\\"/reviewer-app" gui %f'


def test_the_packaged_entry_is_what_install_desktop_writes() -> None:
    """packaging/ holds the entry for distribution packages: the same text, with the command on PATH."""
    packaged = (PACKAGING / f"{desktop.APP_ID}.desktop").read_text(encoding="utf-8")
    assert packaged == desktop.desktop_entry(["reviewer-app-gui"])


@needs_appstream
def test_the_metainfo_passes_appstreamcli_validate() -> None:
    proc = subprocess.run(["appstreamcli", "validate", "--no-net", str(PACKAGING / f"{desktop.APP_ID}.metainfo.xml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_metainfo_launches_the_entry_and_names_the_current_release() -> None:
    text = (PACKAGING / f"{desktop.APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    assert f'<launchable type="desktop-id">{desktop.APP_ID}.desktop</launchable>' in text
    assert f'<release version="{__version__}"' in text


def test_uninstall_removes_exactly_what_was_installed(installed) -> None:
    home, _proc = installed
    ours = [path for path in desktop.our_files(home) if path.exists()]
    assert len(ours) == 2 + len(desktop.ICON_SIZES) + 1
    other = home / "applications" / "someone-else.desktop"  # another application's entry stays
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n", encoding="utf-8")
    proc = run("install-desktop", "--uninstall", data_home=home)
    assert proc.returncode == 0, proc.stderr
    assert f"Removed {len(ours)} file(s)" in proc.stdout
    assert not [path for path in ours if path.exists()]
    assert other.exists()
    assert not list(home.rglob(f"{desktop.APP_ID}*"))
    assert not (home / "icons").exists()  # the icon folders held only ours
    if shutil.which("update-mime-database"):
        assert ":text/x-patch:*.patch" not in (home / "mime" / "globs2").read_text(encoding="utf-8")
    again = run("install-desktop", "--uninstall", data_home=home)
    assert again.returncode == 0 and "Removed 0 file(s)" in again.stdout


def test_without_qt_only_the_scalable_icon_is_installed(tmp_path: Path) -> None:
    report = desktop.install(tmp_path, ["reviewer-app-gui"], render_png=None)
    assert not list(tmp_path.rglob("*.png"))
    assert (tmp_path / f"icons/hicolor/scalable/apps/{desktop.APP_ID}.svg").is_file()
    assert any("only the scalable SVG" in note for note in report.notes)


def test_xdg_data_home_defaults_to_local_share(tmp_path: Path) -> None:
    assert desktop.data_home({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path
    assert desktop.data_home({}) == Path.home() / ".local" / "share"
    assert desktop.data_home({"XDG_DATA_HOME": "relative/dir"}) == Path.home() / ".local" / "share"


def test_gui_file_queues_the_patch_and_selects_it(demo_patch: Path, small_repo, tmp_path: Path) -> None:
    db, shot, config = tmp_path / "review.db", tmp_path / "window.png", tmp_path / "config"
    analyzed = run("--db", db, "analyze", "--format", "json", "--repo", small_repo.path, demo_patch,
                   data_home=tmp_path / "xdg", config=config)
    assert analyzed.returncode == 0, analyzed.stderr
    change_id = json.loads(analyzed.stdout)["change_id"]
    # --screenshot fails (exit 2) unless the selected change is the one the file held.
    proc = run("--db", db, "gui", "--workspace", small_repo.path, "--screenshot", shot, demo_patch,
               data_home=tmp_path / "xdg", config=config)
    assert proc.returncode == 0, proc.stderr
    assert png_size(shot) == (1600, 1000)
    queue = run("--db", db, "queue", "--format", "json", data_home=tmp_path / "xdg", config=config)
    assert change_id in queue.stdout


def test_gui_with_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    proc = run("--db", tmp_path / "r.db", "gui", "--screenshot", tmp_path / "x.png", tmp_path / "nope.patch",
               data_home=tmp_path / "xdg", config=tmp_path / "config")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"reviewer-app: error: {tmp_path / 'nope.patch'}: no such file"
    assert not (tmp_path / "x.png").exists()
