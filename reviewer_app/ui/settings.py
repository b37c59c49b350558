"""The desktop app's settings: one JSON file in the user's config folder, written atomically.

Not QSettings: a plain file is readable, diffable, testable without Qt, and the folder can be
redirected with ``REVIEWER_APP_CONFIG_DIR`` (tests point it at a temporary folder).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from reviewer_app.errors import UserError

CONFIG_DIR_ENV = "REVIEWER_APP_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
THEMES = ("system", "light", "dark")
MIN_SYNC_MINUTES = 0  # 0 turns periodic sync off


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # only needed when no override is set

    return Path(platformdirs.user_config_dir("reviewer-app", appauthor=False))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


@dataclass
class Settings:
    identity: str = ""  # the reviewer's email: the principal their approvals are signed as
    key_path: str = ""  # private key file; empty means "use ssh-agent"
    use_agent: bool = False
    remote: str = ""  # git remote (name or URL) approvals sync through
    sync_interval_minutes: int = 5
    theme: str = "system"
    workspace: str = ""  # the last reviewed repository
    # Window layout, remembered between runs: splitter name -> sizes, table name -> column widths.
    splitters: dict[str, list[int]] = field(default_factory=dict)
    columns: dict[str, list[int]] = field(default_factory=dict)
    window: list[int] = field(default_factory=list)  # x, y, width, height of the main window; empty: first start

    def validate(self, source: str = SETTINGS_FILE) -> None:
        if self.theme not in THEMES:
            raise UserError(f"{source}: theme: must be one of {', '.join(THEMES)}, not {self.theme!r}")
        if not isinstance(self.sync_interval_minutes, int) or self.sync_interval_minutes < MIN_SYNC_MINUTES:
            raise UserError(f"{source}: sync_interval_minutes: must be a whole number of minutes >= 0")
        if self.identity and "@" not in self.identity:
            raise UserError(f"{source}: identity: {self.identity!r} is not an email address")


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings, defaults when there are none; UserError naming the file when unreadable."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise UserError(f"{path}: cannot read settings: {exc.strerror}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(raw, dict):
        raise UserError(f"{path}: settings must be a JSON object")
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    defaults = Settings()
    for name, value in raw.items():
        if name not in known:
            continue  # a newer version's setting: keep working, ignore it
        expected = type(getattr(defaults, name))
        if expected is int and isinstance(value, bool) or not isinstance(value, expected):
            raise UserError(f"{path}: {name}: expected {expected.__name__}, got {type(value).__name__}")
        values[name] = value
    settings = Settings(**values)
    settings.validate(str(path))
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (temp file in the same folder, then rename): a crash never leaves half a file."""
    settings.validate()
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(settings), handle, indent=2, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(f"{path}: cannot save settings: {exc.strerror}") from exc
    return path
