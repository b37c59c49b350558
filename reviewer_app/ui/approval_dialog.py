"""Approve or reject one change: requirements, acknowledgements, comment, key, signing in a worker.

Every high and critical finding has a checkbox that must be ticked before the Approve button
enables; until then the button says what is missing ("Acknowledge 2 more findings"). A rejection
needs a comment. Signing runs in a worker; a passphrase is asked here, on the UI thread, before
the worker starts, and the result shows the key fingerprint that signed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.errors import UserError
from reviewer_app.ui.approvals import (
    KeyChoice,
    SignResult,
    findings_to_acknowledge,
    key_needs_passphrase,
    sign_decision,
)
from reviewer_app.ui.backend import ChangeDetail
from reviewer_app.ui.icons import severity_icon, severity_label
from reviewer_app.ui.inspector import finding_location
from reviewer_app.ui.settings import Settings
from reviewer_app.ui.tasks import TaskContext, TaskRunner

FINDING_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ApprovalDialog(QDialog):
    decided = Signal(str)  # change id, after an event was signed and stored
    signed = Signal(object)  # SignResult

    def __init__(self, detail: ChangeDetail, decision: str, settings: Settings, runner: TaskRunner,
                 db_path: Path | None, workspace_root: Path | None, parent: QWidget | None = None,
                 evidence: Any = None) -> None:
        super().__init__(parent)
        self.evidence = evidence  # ui/evidence.ReviewEvidence of this change: signed with the decision
        if decision not in ("approve", "reject"):
            raise ValueError(decision)
        self.detail = detail
        self.decision = decision
        self.settings = settings
        self.runner = runner
        self.db_path = db_path
        self.workspace_root = workspace_root
        self.result_info: SignResult | None = None
        self._signing = False
        title = detail.analysis.get("title") or detail.change_id
        self.setWindowTitle(f"{'Approve' if decision == 'approve' else 'Reject'}: {title}")
        self.setMinimumWidth(620)

        state = detail.approval
        signing = detail.revision_note or "a change opened as a patch"
        self.revision_label = QLabel(f"Signing {signing}: change {detail.change_id[:19]}…; a later revision needs a "
                                     "new decision", self)
        self.revision_label.setWordWrap(True)
        self.state_label = QLabel(state.headline(), self)
        self.state_label.setWordWrap(True)
        listed = "\n".join(f"{'✔ met' if r.met else '✘ missing'}: {r.description}" for r in state.requirements)
        self.requirements = QLabel(listed or "No policy requirements found.", self)
        self.requirements.setWordWrap(True)
        signed_by = [f"{s.decision}: {s.principal} ({s.fingerprint})" for s in state.signatures]
        self.signed_label = QLabel("Signed so far: " + ("; ".join(signed_by) if signed_by else "nobody"), self)
        self.signed_label.setWordWrap(True)
        # The reviewer sees their own evidence before it is signed (docs/comments-and-evidence.md).
        review = evidence.summary(detail.findings) if evidence is not None else "no review measured in this window"
        self.evidence_label = QLabel(f"Signed with your decision: {review}.", self)
        self.evidence_label.setWordWrap(True)
        self.evidence_label.setAccessibleName("Evidence of review")

        self.findings = QListWidget(self)
        self.findings.setAccessibleName("Findings to acknowledge")
        to_ack = findings_to_acknowledge(detail.findings) if decision == "approve" else []
        for finding in to_ack:
            item = QListWidgetItem(severity_icon(finding.get("severity")),
                                   f"{severity_label(finding.get('severity'))} · {finding.get('rule')} · "
                                   f"{finding_location(finding)} — {finding.get('message', '')}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(FINDING_ID_ROLE, str(finding.get("id")))
            self.findings.addItem(item)
        self.findings.setVisible(bool(to_ack))

        self.comment = QPlainTextEdit(self)
        self.comment.setPlaceholderText("Comment (required to reject)")
        self.comment.setAccessibleName("Comment")
        self.comment.setMaximumHeight(90)

        self.key_file_radio = QRadioButton("Key file", self)
        self.agent_radio = QRadioButton("ssh-agent", self)
        group = QButtonGroup(self)
        group.addButton(self.key_file_radio)
        group.addButton(self.agent_radio)
        (self.agent_radio if settings.use_agent else self.key_file_radio).setChecked(True)
        self.key_path = QLineEdit(settings.key_path, self)
        self.key_path.setAccessibleName("Key file")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_file_radio)
        key_row.addWidget(self.agent_radio)
        key_row.addWidget(self.key_path, 1)
        key_row.addWidget(browse)

        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sign_button = QPushButton(self)
        self.sign_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_button)

        form = QFormLayout()
        form.addRow("Signing as:", QLabel(settings.identity or "(no identity: set it in Settings)", self))
        form.addRow("Key:", key_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.revision_label)
        layout.addWidget(self.state_label)
        layout.addWidget(self.requirements)
        layout.addWidget(self.signed_label)
        layout.addWidget(self.evidence_label)
        if to_ack:
            layout.addWidget(QLabel(f"Acknowledge each high and critical finding ({len(to_ack)}):", self))
            layout.addWidget(self.findings, 1)
        layout.addWidget(self.comment)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)

        self.findings.itemChanged.connect(self._update_button)
        self.comment.textChanged.connect(self._update_button)
        self.sign_button.clicked.connect(self._on_sign_clicked)
        self.cancel_button.clicked.connect(self.reject)
        self._update_button()

    # --- state ---------------------------------------------------------------------------------
    def acknowledged(self) -> list[str]:
        return [self.findings.item(n).data(FINDING_ID_ROLE) for n in range(self.findings.count())
                if self.findings.item(n).checkState() == Qt.CheckState.Checked]

    def unacknowledged_count(self) -> int:
        return self.findings.count() - len(self.acknowledged())

    def missing(self) -> str | None:
        """Why signing is not possible yet, in the words the button shows; None when it is."""
        if self.decision == "approve":
            left = self.unacknowledged_count()
            if left:
                return f"Acknowledge {left} more finding{'s' if left != 1 else ''}"
        elif not self.comment.toPlainText().strip():
            return "Write a comment to reject"
        return None

    def set_all_acknowledged(self, checked: bool = True) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for number in range(self.findings.count()):
            self.findings.item(number).setCheckState(state)

    def _update_button(self, *_args: Any) -> None:
        if self.result_info is not None:
            self.sign_button.setText("Close")
            self.sign_button.setEnabled(True)
            return
        missing = self.missing()
        verb = "Approve and sign" if self.decision == "approve" else "Reject and sign"
        self.sign_button.setText("Signing…" if self._signing else (missing or verb))
        self.sign_button.setEnabled(missing is None and not self._signing)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Private key", self.key_path.text())
        if path:
            self.key_path.setText(path)
            self.key_file_radio.setChecked(True)

    def key_choice(self) -> KeyChoice:
        return KeyChoice(key_path=self.key_path.text().strip(), use_agent=self.agent_radio.isChecked())

    # --- signing -------------------------------------------------------------------------------
    def _on_sign_clicked(self) -> None:
        if self.result_info is not None:
            self.accept()
            return
        self.sign()

    def sign(self, passphrase: str | None = None) -> bool:
        """Start signing in a worker; False (with the reason shown) when it cannot start."""
        missing = self.missing()
        if missing:
            self.result_label.setText(f"Not yet: {missing}.")
            return False
        choice = self.key_choice()
        if passphrase is None and not choice.use_agent and choice.key_path:
            try:
                if key_needs_passphrase(Path(choice.key_path).expanduser()):
                    passphrase = self.ask_passphrase(choice.key_path)
                    if passphrase is None:
                        return False
            except UserError as exc:
                self.result_label.setText(exc.message)
                return False
        args = dict(db_path=self.db_path, change_id=self.detail.change_id, decision=self.decision,
                    acks=self.acknowledged(), comment=self.comment.toPlainText().strip(), choice=choice,
                    principal=self.settings.identity, passphrase=passphrase, analysis=self.detail.analysis,
                    workspace_root=self.workspace_root,
                    evidence=self.evidence.evidence() if self.evidence is not None else None)

        def work(_context: TaskContext) -> SignResult:
            return sign_decision(**args)

        self._signing = True
        self._update_button()
        self.result_label.setText("Signing…")
        self.runner.submit(f"sign:{self.detail.change_id}", work, self._signed, self._failed, supersede=False)
        return True

    def ask_passphrase(self, key_path: str) -> str | None:
        from reviewer_app.ui.dialogs import PassphraseDialog

        dialog = PassphraseDialog(f"The key {key_path} is protected by a passphrase.", self)
        return dialog.passphrase() if dialog.exec() else None

    def _signed(self, result: SignResult) -> None:
        self._signing = False
        self.result_info = result
        word = "Approved" if result.decision == "approve" else "Rejected"
        self.result_label.setText(f"{word} as {result.principal}, signed with key {result.fingerprint}\n"
                                  f"event {result.event_id}")
        self.findings.setEnabled(False)
        self.comment.setReadOnly(True)
        self._update_button()
        self.signed.emit(result)
        self.decided.emit(self.detail.change_id)

    def _failed(self, message: str) -> None:
        self._signing = False
        self.result_label.setText(f"Not signed: {message}")
        self._update_button()
