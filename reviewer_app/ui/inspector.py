"""The right pane: Findings, Services, Provenance, and Approvals & policy, as tabs."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.ui.approvals import ApprovalState
from reviewer_app.ui.backend import ChangeDetail
from reviewer_app.ui.icons import icon, severity_icon, severity_label, severity_rank
from reviewer_app.ui.services_panel import ServicesPanel

FINDING_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def finding_location(finding: dict[str, Any]) -> str:
    path = finding.get("path") or "(change)"
    line = finding.get("line") or finding.get("start")
    return f"{path}:{line}" if line else str(path)


class FindingsPanel(QWidget):
    finding_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Severity", "Rule", "Where", "Why"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Findings")
        self.tree.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        self.tree.itemActivated.connect(self._activate)
        self.tree.itemClicked.connect(self._activate)

    def set_findings(self, findings: list[dict[str, Any]], risk: dict[str, Any]) -> None:
        self.tree.clear()
        ordered = sorted(findings, key=lambda f: (severity_rank(f.get("severity")), str(f.get("path")),
                                                  f.get("line") or 0))
        for finding in ordered:
            item = QTreeWidgetItem([
                severity_label(finding.get("severity")), str(finding.get("rule") or ""),
                finding_location(finding), str(finding.get("message") or ""),
            ])
            item.setIcon(0, severity_icon(finding.get("severity")))
            item.setData(0, FINDING_ID_ROLE, str(finding.get("id") or ""))
            item.setToolTip(3, str(finding.get("message") or ""))
            self.tree.addTopLevelItem(item)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        level = risk.get("level")
        reasons = " ".join(str(r).strip() for r in (risk.get("reasons") or [])[:4])
        self.summary.setText(
            f"Risk: {severity_label(level)} (score {risk.get('score', '?')}) — {len(findings)} finding(s)."
            + (f" {reasons}" if reasons else "")
        )

    def select_finding(self, finding_id: str) -> None:
        for number in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(number)
            if item.data(0, FINDING_ID_ROLE) == finding_id:
                self.tree.setCurrentItem(item)
                return

    def finding_ids(self) -> list[str]:
        return [self.tree.topLevelItem(n).data(0, FINDING_ID_ROLE) for n in range(self.tree.topLevelItemCount())]

    def _activate(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        finding_id = item.data(0, FINDING_ID_ROLE)
        if finding_id:
            self.finding_activated.emit(finding_id)


class ProvenancePanel(QTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setAccessibleName("Provenance")

    def set_analysis(self, analysis: dict[str, Any]) -> None:
        e = html.escape
        provenance = analysis.get("provenance") or {}
        author = analysis.get("author") or {}
        tools = ", ".join(provenance.get("tools") or []) or "none named"
        rows = [
            ("AI-assisted", f"yes — {e(tools)}" if provenance.get("ai_assisted") else "no markers found"),
            ("Author", e(f"{author.get('name', '')} <{author.get('email', '')}>")),
            ("Co-authors", e(", ".join(analysis.get("co_authors") or [])) or "—"),
            ("Authored", e(str(analysis.get("author_date") or "?"))),
            ("Source", e(str(analysis.get("source") or "?"))),
            ("Base → head", e(f"{(analysis.get('base') or '?')[:12]} → {(analysis.get('head') or '?')[:12]}")),
            ("Size", f"{len(analysis.get('files') or [])} files, "
                     f"+{analysis.get('added', 0)} −{analysis.get('removed', 0)}"),
            ("Change id", f"<code>{e(str(analysis.get('change_id')))}</code>"),
        ]
        table = "".join(f"<tr><th align='left' valign='top'>{k}</th><td>{v}</td></tr>" for k, v in rows)
        evidence = "".join(f"<li><code>{e(str(item))}</code></li>" for item in provenance.get("evidence") or [])
        commits = "".join(
            f"<li><code>{e(str(c.get('sha') or '')[:10])}</code> {e(str(c.get('subject') or ''))}</li>"
            for c in analysis.get("commits") or []
        )
        self.setHtml(
            f"<table cellspacing='4'>{table}</table>"
            + (f"<h4>Evidence</h4><ul>{evidence}</ul>" if evidence else "")
            + (f"<h4>Commits</h4><ul>{commits}</ul>" if commits else "")
        )


class ApprovalsPanel(QWidget):
    approve_requested = Signal()
    reject_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state_label = QLabel(self)
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.requirements = QTreeWidget(self)
        self.requirements.setHeaderLabels(["Status", "Requirement"])
        self.requirements.setWordWrap(True)
        self.requirements.setRootIsDecorated(False)
        self.signatures = QTreeWidget(self)
        self.signatures.setHeaderLabels(["Decision", "Signer", "Key", "When", "Comment"])
        self.signatures.setRootIsDecorated(False)
        self.approve_button = QPushButton(icon("approve"), "Approve…", self)
        self.reject_button = QPushButton(icon("reject"), "Reject…", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.state_label)
        layout.addWidget(QLabel("Policy requirements", self))
        layout.addWidget(self.requirements, 1)
        layout.addWidget(QLabel("Signatures", self))
        layout.addWidget(self.signatures, 1)
        layout.addLayout(buttons)
        self.approve_button.clicked.connect(self.approve_requested)
        self.reject_button.clicked.connect(self.reject_requested)
        self.set_state(None)

    def set_state(self, state: ApprovalState | None) -> None:
        self.requirements.clear()
        self.signatures.clear()
        self.approve_button.setEnabled(state is not None)
        self.reject_button.setEnabled(state is not None)
        if state is None:
            self.state_label.setText("Select a change.")
            return
        self.state_label.setText(state.headline())
        for requirement in state.requirements:
            item = QTreeWidgetItem(["met" if requirement.met else "missing", requirement.description])
            item.setIcon(0, icon("approve" if requirement.met else "reject"))
            item.setToolTip(1, requirement.description)
            self.requirements.addTopLevelItem(item)
        for signature in state.signatures:
            decision = signature.decision if signature.valid else f"{signature.decision} (not counted)"
            item = QTreeWidgetItem([
                decision, signature.principal, signature.fingerprint, signature.created_at, signature.comment,
            ])
            item.setIcon(0, icon("approve" if signature.decision == "approve" and signature.valid else "reject"))
            if signature.problem:
                for column in range(item.columnCount()):
                    item.setToolTip(column, signature.problem)
            self.signatures.addTopLevelItem(item)
        for tree in (self.requirements, self.signatures):
            for column in range(tree.columnCount() - 1):
                tree.resizeColumnToContents(column)


class ThreadsPanel(QTreeWidget):
    """The change's comment threads (docs/comments-and-evidence.md): where, state, who said what."""

    thread_activated = Signal(str, str, int)  # path, side, line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Line", "State", "Comments"])
        self.setRootIsDecorated(False)
        self.setAccessibleName("Comment threads")
        self.itemActivated.connect(self._activate)
        self.threads: list[Any] = []

    def set_threads(self, threads: list[Any]) -> None:
        self.threads = list(threads)
        self.clear()
        for thread in self.threads:
            where = f"{thread.path}:{thread.line}" + (f"-{thread.end_line}" if thread.end_line != thread.line else "")
            state = ("resolved" if thread.resolved else "open") + (", outdated" if thread.outdated else "")
            said = "\n".join(f"{c.principal}: {c.message}" for c in thread.comments)
            item = QTreeWidgetItem([f"{where} ({thread.side})", state, said])
            item.setData(0, Qt.ItemDataRole.UserRole, thread.id)
            item.setToolTip(2, said)
            self.addTopLevelItem(item)

    def unresolved(self) -> int:
        return sum(1 for thread in self.threads if not thread.resolved)

    def select_thread(self, thread_id: str) -> None:
        for number in range(self.topLevelItemCount()):
            item = self.topLevelItem(number)
            if item.data(0, Qt.ItemDataRole.UserRole) == thread_id:
                self.setCurrentItem(item)

    def _activate(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        thread_id = item.data(0, Qt.ItemDataRole.UserRole)
        thread = next((t for t in self.threads if t.id == thread_id), None)
        if thread is not None and not thread.outdated:
            self.thread_activated.emit(thread.path, thread.side, thread.line)


class Inspector(QTabWidget):
    TAB_FINDINGS, TAB_SERVICES, TAB_PROVENANCE, TAB_APPROVALS, TAB_THREADS = range(5)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.findings = FindingsPanel(self)
        self.services = ServicesPanel(self)
        self.provenance = ProvenancePanel(self)
        self.approvals = ApprovalsPanel(self)
        self.threads = ThreadsPanel(self)
        # Short text-only labels that shrink (elided) rather than scroll: all four stay in sight in a
        # narrow pane; the tooltips carry the full names.
        self.addTab(self.findings, "Findings")
        self.addTab(self.services, "Services")
        self.addTab(self.provenance, "Provenance")
        self.addTab(self.approvals, "Approvals")
        self.addTab(self.threads, "Threads")
        for index, tip in enumerate(("Findings of the risk rules", "Affected services and blast radius",
                                     "AI assistance, authors and commits",
                                     "Approvals and policy: requirements, signatures, approve or reject",
                                     "Line comments: c or r on a line comments, t / T move between threads")):
            self.setTabToolTip(index, tip)
        self.setDocumentMode(True)
        self.setUsesScrollButtons(False)
        self.setElideMode(Qt.TextElideMode.ElideRight)

    def show_detail(self, detail: ChangeDetail) -> None:
        self.findings.set_findings(detail.findings, detail.analysis.get("risk") or {})
        self.services.set_services(detail.services, detail.graph)
        self.services.set_callers(detail.analysis.get("callers") or [], detail.analysis.get("callers_notes"))
        self.provenance.set_analysis(detail.analysis)
        self.approvals.set_state(detail.approval)
        count = len(detail.findings)
        self.setTabText(self.TAB_FINDINGS, f"Findings {count}")
        self.setTabText(self.TAB_APPROVALS, f"Approvals {detail.approval.have}/{detail.approval.need}")

    def set_threads(self, threads: list[Any]) -> None:
        self.threads.set_threads(threads)
        self.setTabText(self.TAB_THREADS, f"Threads {self.threads.unresolved()}")

    def show_thread(self, thread_id: str) -> None:
        self.threads.select_thread(thread_id)

    def clear(self) -> None:
        self.threads.set_threads([])
        self.findings.set_findings([], {})
        self.services.set_services([], {"nodes": [], "edges": []})
        self.services.set_callers([])
        self.provenance.clear()
        self.approvals.set_state(None)
