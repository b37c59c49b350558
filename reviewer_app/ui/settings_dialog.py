"""Settings: identity, key, remote, sync interval, theme — saved to the config folder on OK."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from reviewer_app.errors import UserError
from reviewer_app.ui.settings import THEMES, Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._original = settings
        self.identity = QLineEdit(settings.identity, self)
        self.identity.setPlaceholderText("you@example.com (the principal your approvals are signed as)")
        self.key_path = QLineEdit(settings.key_path, self)
        self.key_path.setPlaceholderText("~/.ssh/id_ed25519")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.use_agent = QCheckBox("Sign with ssh-agent (the key file's .pub names the key)", self)
        self.use_agent.setChecked(settings.use_agent)
        self.remote = QLineEdit(settings.remote, self)
        self.remote.setPlaceholderText("origin, or a URL")
        self.sync_interval = QSpinBox(self)
        self.sync_interval.setRange(0, 24 * 60)
        self.sync_interval.setSuffix(" min")
        self.sync_interval.setSpecialValueText("off")
        self.sync_interval.setValue(settings.sync_interval_minutes)
        self.theme = QComboBox(self)
        self.theme.addItems(list(THEMES))
        self.theme.setCurrentText(settings.theme)
        self.error = QLabel(self)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_path, 1)
        key_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Identity (email):", self.identity)
        form.addRow("Signing key:", key_row)
        form.addRow("", self.use_agent)
        form.addRow("Sync remote:", self.remote)
        form.addRow("Sync every:", self.sync_interval)
        form.addRow("Theme:", self.theme)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Private key", self.key_path.text())
        if path:
            self.key_path.setText(path)

    def result_settings(self) -> Settings:
        return replace(
            self._original, identity=self.identity.text().strip(), key_path=self.key_path.text().strip(),
            use_agent=self.use_agent.isChecked(), remote=self.remote.text().strip(),
            sync_interval_minutes=self.sync_interval.value(), theme=self.theme.currentText(),
        )

    def _check_and_accept(self) -> None:
        try:
            self.result_settings().validate("settings")
        except UserError as exc:
            self.error.setText(exc.message)
            return
        self.accept()
