"""The ``reviewer-app`` command: global options, the command registry, and exit codes.

Exit codes: 0 ok; 1 a negative verdict (the gate, verify-export); 2 usage or input error, always a
single line on stderr that names the file and line where it applies. No traceback reaches the user.
Commands live in one module per group, each with ``register(subparsers)``; handlers take the parsed
arguments and return the exit code. Nothing here imports Qt: ``gui`` imports it when it runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from typing import Any, Sequence

from reviewer_app import __version__
from reviewer_app.errors import UserError

# Modules under reviewer_app.cli, each registering its own subcommands, in --help order.
COMMAND_MODULES = ["init_cmd", "changes", "catalog", "approvals", "team", "demo_cmd", "gui_cmd", "desktop_cmd", "review_cmd"]
# The module that registers each command: a run imports and builds only the one it needs (start-up
# time is part of every command). tests/core/risk/test_lazy_startup.py checks it against the modules.
COMMAND_OF = {
    "init": "init_cmd", "analyze": "changes", "submit": "changes", "queue": "changes", "interdiff": "changes",
    "catalog": "catalog", "approve": "approvals", "reject": "approvals", "revoke": "approvals", "gate": "approvals",
    "sync": "team", "export": "team", "verify-export": "team", "demo": "demo_cmd", "gui": "gui_cmd",
    "install-desktop": "desktop_cmd",
    "comment": "review_cmd", "comments": "review_cmd", "resolve": "review_cmd", "export-review": "review_cmd",
}

EXIT_OK, EXIT_VERDICT, EXIT_USAGE = 0, 1, 2
GLOBAL_OPTIONS = ("--db",)  # options of reviewer-app itself, valid only before the command


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (and the compression modules
    it imports): argparse builds a formatter for every argument added, and each asked shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, the width found as argparse finds it (see _terminal_columns)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) < 4 and kwargs.get("width") is None:
            kwargs["width"] = _terminal_columns() - 2
        super().__init__(*args, **kwargs)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors on one line with exit status 2."""

    commands: tuple[str, ...] = ()  # the subcommand names, to point at a misplaced global option
    argv: tuple[str, ...] = ()  # what is being parsed (main passes it in tests, sys.argv otherwise)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) < 6:  # formatter_class is the sixth parameter
            kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        misplaced = [option for option in GLOBAL_OPTIONS if f" {option}" in f" {message}"]
        if message.startswith("unrecognized arguments") and misplaced:
            # `reviewer-app queue --db X`: argparse only knows global options before the command.
            command = next((word for word in self.argv if word in self.commands), "COMMAND")
            raise UserError(f"{misplaced[0]} is a global option: put it before the command "
                            f"(reviewer-app {misplaced[0]} VALUE {command} ...)")
        raise UserError(f"{self.prog}: {message} (see --help)")


def named_command(argv: Sequence[str] | None) -> str | None:
    """The first word of ``argv`` that is not an option (nor a global option's value): the command
    argparse will run when it is a known one. None before top-level help or --version, or with no word."""
    words = list(argv or ())
    index = 0
    while index < len(words):
        word = words[index]
        if word in GLOBAL_OPTIONS:
            index += 2
            continue
        if word.startswith("-"):
            if word in ("-h", "--help", "--version"):
                return None
            index += 1
            continue
        return word
    return None


def command_modules(argv: Sequence[str] | None) -> list[str]:
    """The modules to register for ``argv``: the command's own when it names a known one, else all
    (top-level help, a typo: argparse then lists every command)."""
    module = COMMAND_OF.get(named_command(argv) or "")
    return [module] if module is not None else list(COMMAND_MODULES)


class _Unbuilt:
    """The parser of a command this run does not execute: whatever its module adds to it is dropped."""

    def __getattr__(self, name: str) -> Any:
        return self._drop

    def _drop(self, *args: Any, **kwargs: Any) -> _Unbuilt:
        return self


class _OnlyCommand:
    """The subparsers as a command module sees them when a known command is named: only that command's
    parser is built (a module registers several, and each argument costs a formatter)."""

    def __init__(self, subparsers: Any, command: str) -> None:
        self._subparsers = subparsers
        self._command = command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self._subparsers.add_parser(name, **kwargs) if name == self._command else _Unbuilt()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the module of the command it names is imported, and only that
    command's parser is built."""
    parser = _Parser(
        prog="reviewer-app",
        description="Risk-ranked review, signed senior approvals and a CI gate for AI-assisted code changes.",
    )
    parser.add_argument("--version", action="version", version=f"reviewer-app {__version__}")
    parser.add_argument(
        "--db", metavar="PATH",
        help="local database (default: $REVIEWER_APP_DB, else the platform data folder)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = command_modules(argv) if argv is not None else COMMAND_MODULES
    command = named_command(argv) if argv is not None else None
    target = _OnlyCommand(subparsers, command) if command in COMMAND_OF else subparsers
    for name in COMMAND_MODULES:
        if name in wanted:
            importlib.import_module(f"reviewer_app.cli.{name}").register(target)
    parser.commands = tuple(COMMAND_OF)  # type: ignore[attr-defined]
    return parser


def _safe_streams() -> None:
    """Text from a patch may hold undecodable bytes (kept as lone surrogates): printing one must not end
    the command with an encoding error. Outputs clean them first; this is the net under them."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "strict") == "strict":
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


# Start-up (imports, the parser, a command's rule pack) makes tens of thousands of objects that live as
# long as the process, and next to no garbage: the cyclic collector walked them again and again, about
# 5% of a one-line analyze. main turns it off; end_startup turns it on again, with what start-up made
# frozen out of later collections: before the handler runs, or, for a handler marked ENDS_STARTUP,
# where the handler says (analyze: after the rule pack, before the analysis of a diff of any size).
ENDS_STARTUP = "ends_startup"
_startup_paused = False


def end_startup() -> None:
    """Start-up is over: collect garbage again from here on (nothing when main did not pause it)."""
    global _startup_paused
    if _startup_paused:
        _startup_paused = False
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    global _startup_paused
    _safe_streams()
    frozen_before = gc.get_freeze_count()
    if gc.isenabled():
        gc.disable()
        _startup_paused = True
    try:
        words = tuple(sys.argv[1:] if argv is None else argv)
        parser = build_parser(words)
        parser.argv = words  # type: ignore[attr-defined]
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return EXIT_USAGE
        if not getattr(args.handler, ENDS_STARTUP, False):
            end_startup()
        return int(args.handler(args))
    except UserError as exc:
        print(f"reviewer-app: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("reviewer-app: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # last resort: one line, never a traceback; details with REVIEWER_APP_DEBUG=1
        import os

        if os.environ.get("REVIEWER_APP_DEBUG"):
            raise
        print(f"reviewer-app: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        end_startup()
        if not frozen_before:  # a caller in the same process (a test) gets its collector as it was
            gc.unfreeze()
