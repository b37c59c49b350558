"""Only reviewer_app/ui/ may import PySide6: the CLI and the CI gate start fast with no display."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reviewer_app

PACKAGE = Path(reviewer_app.__file__).parent


def _module_level_imports(tree: ast.Module) -> list[str]:
    """Imports executed when the module is imported (top level, or inside top-level if/try)."""
    found: list[str] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []) or []:
                    pending.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return found


def test_no_module_outside_ui_imports_pyside6_at_module_level() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("ui", "resources"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(name == "PySide6" or name.startswith("PySide6.") for name in _module_level_imports(tree)):
            offenders.append(str(rel))
    assert offenders == [], f"PySide6 imported at module level outside reviewer_app/ui/: {offenders}"


def test_the_boundary_check_itself_catches_an_import() -> None:
    tree = ast.parse("import os\ntry:\n    from PySide6 import QtCore\nexcept ImportError:\n    pass\n")
    assert "PySide6" in _module_level_imports(tree)


def _imported_modules(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> str:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "reviewer_app", *args],
                          capture_output=True, input=stdin, cwd=cwd)
    return proc.stderr.decode("utf-8", "replace")


def test_help_and_analyze_never_import_qt(tmp_path: Path) -> None:
    assert "PySide6" not in _imported_modules("--help")
    patch = b"--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
    log = _imported_modules("analyze", "-", "--format", "json", cwd=tmp_path, stdin=patch)
    assert "reviewer_app.core.diffparse" in log  # the command really ran
    assert "PySide6" not in log
