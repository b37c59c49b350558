"""Settings: a JSON file in the config folder, written atomically, validated when read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer_app.errors import UserError
from reviewer_app.ui.settings import Settings, load_settings, save_settings, settings_path
from reviewer_app.ui.settings_dialog import SettingsDialog


def test_round_trip_through_the_config_folder(config_dir: Path) -> None:
    settings = Settings(identity="sam@example.com", key_path="~/.ssh/id_ed25519", remote="origin",
                        sync_interval_minutes=15, theme="dark", splitters={"main": [300, 700, 300]},
                        columns={"queue": [100, 200]})
    path = save_settings(settings)
    assert path == config_dir / "settings.json" == settings_path()
    assert load_settings() == settings
    assert [p.name for p in config_dir.iterdir()] == ["settings.json"]  # no temp file left behind


def test_missing_file_gives_defaults_and_unknown_keys_are_ignored(config_dir: Path) -> None:
    assert load_settings() == Settings()
    config_dir.mkdir()
    (config_dir / "settings.json").write_text(json.dumps({"theme": "light", "from_the_future": 1}))
    assert load_settings().theme == "light"


@pytest.mark.parametrize("content, expected", [
    ("{not json", "settings.json:1: not valid JSON"),
    ('{"theme": "purple"}', "theme: must be one of system, light, dark"),
    ('{"sync_interval_minutes": "often"}', "sync_interval_minutes: expected int, got str"),
    ('{"sync_interval_minutes": true}', "sync_interval_minutes: expected int, got bool"),
    ('{"identity": "not-an-email"}', "identity: 'not-an-email' is not an email address"),
    ("[1, 2]", "settings must be a JSON object"),
])
def test_bad_files_are_named_with_the_field(config_dir: Path, content: str, expected: str) -> None:
    config_dir.mkdir()
    (config_dir / "settings.json").write_text(content)
    with pytest.raises(UserError) as error:
        load_settings()
    assert str(config_dir / "settings.json") in str(error.value)
    assert expected in str(error.value)


def test_a_failed_write_keeps_the_previous_file(config_dir: Path) -> None:
    save_settings(Settings(identity="a@example.com"))
    with pytest.raises(UserError):
        save_settings(Settings(theme="neon"))
    assert load_settings().identity == "a@example.com"


def test_settings_dialog_edits_and_validates(qtbot, config_dir: Path) -> None:
    dialog = SettingsDialog(Settings(identity="old@example.com", sync_interval_minutes=5))
    qtbot.addWidget(dialog)
    dialog.identity.setText("new@example.com")
    dialog.key_path.setText("/keys/id_ed25519")
    dialog.remote.setText("origin")
    dialog.sync_interval.setValue(0)
    dialog.theme.setCurrentText("dark")
    result = dialog.result_settings()
    assert (result.identity, result.key_path, result.remote, result.sync_interval_minutes, result.theme) == (
        "new@example.com", "/keys/id_ed25519", "origin", 0, "dark")
    save_settings(result)
    assert load_settings() == result
    dialog.identity.setText("nobody")
    dialog._check_and_accept()
    assert "not an email address" in dialog.error.text()
    assert dialog.result() == 0  # not accepted
