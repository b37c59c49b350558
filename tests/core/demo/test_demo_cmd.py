"""``reviewer-app demo``: the command's output, its refusals, and its behaviour without a display."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.cli import demo_cmd
from reviewer_app.cli.main import _Parser
from reviewer_app.errors import UserError


def run_demo(argv: list[str]) -> int:
    """Parse like ``reviewer-app`` does (global --db, then the command) and run the handler."""
    parser = _Parser(prog="reviewer-app")
    parser.add_argument("--db")
    demo_cmd.register(parser.add_subparsers(dest="command", parser_class=_Parser))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_no_gui_prints_where_everything_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    assert run_demo(["--db", str(db), "demo", "--path", str(tmp_path / "shop"), "--no-gui"]) == 0
    out = capsys.readouterr().out
    assert f"workspace  {tmp_path / 'shop'}" in out
    assert f"remote     {tmp_path / 'shop-remote.git'}" in out
    assert f"keys       {tmp_path / 'shop-keys'}" in out
    assert "16 in the review queue (16 new)" in out
    assert f"reviewer-app --db {db} gui --workspace {tmp_path / 'shop'}" in out
    assert f"reviewer-app --db {db} queue" in out
    approve = next(line for line in out.splitlines() if " approve sha256:" in line)
    assert f"--key {tmp_path / 'shop-keys' / 'maya'} --as maya.chen@larkspur.test --ack-all --repo" in approve


def test_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    target = tmp_path / "notes"
    target.mkdir()
    (target / "todo.txt").write_text("keep me\n")
    with pytest.raises(UserError, match="not empty and not a previous reviewer-app demo"):
        run_demo(["--db", str(tmp_path / "demo.db"), "demo", "--path", str(target), "--no-gui"])
    assert (target / "todo.txt").read_text() == "keep me\n"


def test_default_path_is_in_the_platform_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert run_demo(["--db", str(tmp_path / "demo.db"), "demo", "--no-gui"]) == 0
    expected = tmp_path / "data" / "reviewer-app" / "reviewer-demo"
    assert (expected / ".reviewer" / "policy.toml").is_file()
    assert f"workspace  {expected}" in capsys.readouterr().out


def test_without_a_display_prints_the_queue_and_never_loads_qt(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    script = (
        "import sys\n"
        "from tests.core.demo.test_demo_cmd import run_demo\n"
        f"code = run_demo(['--db', {str(tmp_path / 'demo.db')!r}, 'demo', '--path', {str(tmp_path / 'shop')!r}])\n"
        "assert 'PySide6' not in sys.modules, 'Qt was loaded without a display'\n"
        "sys.exit(code)\n"
    )
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=root,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "No display found" in proc.stdout
    assert "Recreate the staging environment to fix state drift" in proc.stdout  # the queue, as text
    assert f"gui --workspace {tmp_path / 'shop'} --screenshot" in proc.stdout


def test_display_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not demo_cmd._has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert demo_cmd._has_display()


def test_help_describes_the_options() -> None:
    parser = argparse.ArgumentParser(prog="reviewer-app")
    demo_cmd.register(parser.add_subparsers())
    text = parser._subparsers._group_actions[0].choices["demo"].format_help()  # type: ignore[union-attr]
    assert "--path DIR" in text and "--no-gui" in text


def test_registered_command_refuses_with_one_line_and_exit_2(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer_app.cli.main import main

    target = tmp_path / "notes"
    target.mkdir()
    (target / "todo.txt").write_text("keep me\n")
    assert main(["--db", str(tmp_path / "demo.db"), "demo", "--path", str(target), "--no-gui"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{target}: not empty and not a previous reviewer-app demo" in err


def test_the_printed_approve_example_really_approves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The next steps are real commands: run the printed approve line, then the gate passes."""
    from reviewer_app.cli.main import main

    db = tmp_path / "demo.db"
    repo = tmp_path / "shop"
    assert main(["--db", str(db), "demo", "--path", str(repo), "--no-gui"]) == 0
    approve = next(line for line in capsys.readouterr().out.splitlines() if " approve sha256:" in line)
    gate = ["--db", str(db), "gate", "--git", "main..leo/checkout-order-docstring", "--repo", str(repo)]
    assert main(gate) == 1  # not approved yet
    assert main(shlex.split(approve)[1:]) == 0  # without the leading "reviewer-app"
    capsys.readouterr()
    assert main(gate) == 0
    assert "APPROVED" in capsys.readouterr().out


def test_the_printed_sync_pushes_the_recorded_approvals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer_app.cli.main import main

    db = tmp_path / "demo.db"
    assert main(["--db", str(db), "demo", "--path", str(tmp_path / "shop"), "--no-gui"]) == 0
    sync = next(line for line in capsys.readouterr().out.splitlines() if " sync --repo " in line)
    assert main(shlex.split(sync.split("    (")[0])[1:]) == 0
    refs = subprocess.run(["git", "-C", str(tmp_path / "shop-remote.git"), "for-each-ref", "--format=%(refname)"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert "refs/reviewer-app/events/ines.duarte@larkspur.test" in refs
