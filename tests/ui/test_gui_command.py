"""``reviewer-app gui``: headless screenshots and a clear refusal without a display.

Run as child processes: the command decides the Qt platform before Qt loads, which the test
session (already offscreen) cannot show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage


def run(args: list[str], config: Path, display: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["REVIEWER_APP_CONFIG_DIR"] = str(config)
    return subprocess.run([sys.executable, "-m", "reviewer_app", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_screenshot_without_a_display_renders_the_selected_change(queued_db, review_workspace, tmp_path,
                                                                   config_dir) -> None:
    db_path, (risky_id, docs_id) = queued_db
    shot = tmp_path / "shots" / "window.png"
    proc = run(["--db", str(db_path), "gui", "--workspace", str(review_workspace.repo), "--select", docs_id[:16],
                "--tab", "services", "--screenshot", str(shot)], config_dir)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1600, 1000)
    # Not a blank canvas: a real window has many distinct colours (text, icons, selection).
    colours = {image.pixel(x, y) for x in range(0, 1600, 7) for y in range(0, 1000, 7)}
    assert len(colours) > 20


def test_without_display_and_without_screenshot_it_exits_2(queued_db, config_dir) -> None:
    proc = run(["--db", str(queued_db[0]), "gui"], config_dir)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "reviewer-app: error: gui: no display (DISPLAY/WAYLAND_DISPLAY unset); use --screenshot FILE to render "
        "the window to an image, or set QT_QPA_PLATFORM"]


@pytest.mark.parametrize("args, message", [
    (["--select", "ffff"], "ffff: no such change in the queue"),
    (["--workspace", "/nonexistent/folder"], "/nonexistent/folder: no such directory (given with --workspace)"),
])
def test_bad_arguments_are_one_line_errors(queued_db, tmp_path, config_dir, args, message) -> None:
    proc = run(["--db", str(queued_db[0]), "gui", *args, "--screenshot", str(tmp_path / "x.png")], config_dir)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_gui_entry_point_renders_too(queued_db, review_workspace, tmp_path, config_dir) -> None:
    shot = tmp_path / "entry.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", REVIEWER_APP_CONFIG_DIR=str(config_dir))
    code = ("import sys; from reviewer_app.ui.app import main; "
            f"sys.exit(main(['--db', {str(queued_db[0])!r}, '--workspace', {str(review_workspace.repo)!r}, "
            f"'--screenshot', {str(shot)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert QImage(str(shot)).width() == 1600


def test_the_platform_choice_happens_before_qt(monkeypatch) -> None:
    from reviewer_app.errors import UserError
    from reviewer_app.ui.display import NO_DISPLAY, choose_platform

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError) as error:
        choose_platform(screenshot=False)
    assert str(error.value) == NO_DISPLAY
    choose_platform(screenshot=True)
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    choose_platform(screenshot=True)  # a display exists: its platform is left alone
    assert os.environ["QT_QPA_PLATFORM"] == "xcb"


def test_gui_on_an_x_display_names_the_missing_xcb_packages_instead_of_aborting(tmp_path) -> None:
    """Qt's own abort ("could not load the Qt platform plugin xcb") cannot be caught: check first."""
    import os
    import subprocess
    import sys

    from reviewer_app.ui.display import XCB_PACKAGES, missing_xcb_libraries

    missing = missing_xcb_libraries()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":97", REVIEWER_APP_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-m", "reviewer_app", "--db", str(tmp_path / "r.db"), "gui"],
                          capture_output=True, text=True, env=env, timeout=60)
    if missing:
        assert proc.returncode == 2, proc.stderr
        line = proc.stderr.strip()
        assert "\n" not in line and "Traceback" not in line
        for name in missing:
            assert XCB_PACKAGES.get(name, name) in line
    else:  # every library is there: Qt gets as far as the (absent) X server and fails on its own terms
        assert "not found" not in proc.stderr


def test_the_message_maps_libraries_to_debian_packages() -> None:
    from reviewer_app.ui.display import xcb_problem

    assert xcb_problem([]) is None
    text = xcb_problem(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert text is not None and "apt-get install libxcb-icccm4 libxcb-keysyms1" in text
