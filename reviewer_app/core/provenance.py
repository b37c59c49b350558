"""AI provenance: which coding agents, by their own markers, took part in a change.

Evidence comes from commit trailers, message footers and author/committer identities. Markers
are anchored on what the tools themselves write (e.g. Claude Code's ``noreply@anthropic.com``
co-author), so a human co-author who happens to be called Claude is not mistaken for an agent.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reviewer_app.core.lazyregex import lazy_compile  # module patterns: compiled on first use
from reviewer_app.core.model import Change, Person
from reviewer_app.core.records import FrozenRecord, Record


class _Marker(FrozenRecord):
    """One sign of an AI tool in a commit message or identity."""

    FIELDS = ("tool", "where", "source", "needle")

    def __init__(self, tool: str, where: str, source: str, needle: str) -> None:
        self.tool = tool
        self.where = where  # "message" (trailers, footers, subject) or "identity" (author/committer)
        self.source = source
        # Lower-case text every match holds (tests/core/foundation/test_provenance.py proves it from the
        # pattern): a text without it, case-folded, cannot match and is not searched, so most markers'
        # patterns are never compiled (compiling all of them cost a one-line analyze about 2%).
        self.needle = needle

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.source)


@lru_cache(maxsize=None)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


# Every character that re's IGNORECASE matches to an ASCII letter either case-folds to it or is one
# of these two (a test checks all of Unicode), so a folded text holds a needle wherever a match can.
_TO_ASCII_I = {0x130: "i", 0x131: "i"}


def _folded(text: str) -> str:
    return text.translate(_TO_ASCII_I).casefold()


def _m(tool: str, where: str, regex: str, needle: str) -> _Marker:
    return _Marker(tool, where, regex, needle)


# Patterns follow the strings the tools emit by default or by documented convention; docs/provenance.md
# lists each with an example, and tests/core/foundation/test_provenance.py checks every one.
# Leading decoration (an emoji, a bullet) is matched with ``[^\w\n]*``, never ``\W*``: ``\W`` also
# matches line breaks, so under (?m) the match would begin on the blank line above and the evidence
# recorded for the reviewer would be that empty line.
_DECORATION = r"[^\w\n]*"
MARKERS: tuple[_Marker, ...] = (
    _m("Claude Code", "message", r"(?im)^Co-Authored-By:\s*Claude[^<\n]*<noreply@anthropic\.com>\s*$", "claude"),
    _m("Claude Code", "message",
       rf"(?im)^{_DECORATION}Generated with \[?Claude Code\]?(\(https://(claude\.ai/code|claude\.com/claude-code)\))?", "claude"),
    _m("Claude Code", "message", r"(?im)^Claude-Session:\s*https://claude\.ai/code/session_\S+", "claude"),
    _m("Claude Code", "identity", r"(?i)(^|[\s<+])claude\[bot\]", "claude"),
    _m("Claude Code", "message", r"(?im)^Co-authored-by:[^\n]*\bclaude\[bot\]", "claude"),
    _m("GitHub Copilot", "identity", r"(?i)(copilot-swe-agent\[bot\]|\b\d+\+Copilot@users\.noreply\.github\.com)", "copilot"),
    _m("GitHub Copilot", "message", r"(?im)^Co-authored-by:[^\n]*(copilot-swe-agent\[bot\]|\b\d+\+Copilot@users\.noreply\.github\.com)", "copilot"),
    _m("GitHub Copilot", "message", r"(?im)^Co-authored-by:\s*(GitHub\s+)?Copilot\s*<[^>\n]+>", "copilot"),
    _m("GitHub Copilot", "message", r"(?im)^Agent-Logs-Url:\s*https://github\.com/[^/\s]+/[^/\s]+/sessions/\S+", "agent-logs-url:"),
    _m("GitHub Copilot", "message", rf"(?im)^{_DECORATION}(Generated|Made|Written) (with|by) (GitHub )?Copilot\b", "copilot"),
    _m("Cursor", "message", r"(?im)^Co-authored-by:\s*Cursor\s*<cursoragent@cursor\.com>", "cursor"),
    _m("Cursor", "message", r"(?im)^Made-with:\s*Cursor\b", "cursor"),
    _m("Cursor", "identity", r"(?i)<?cursoragent@cursor\.com>?", "cursor"),
    _m("Cursor", "identity", r"(?i)(^|[\s<+])cursor\[bot\]", "cursor"),
    _m("Aider", "identity-name", r"\(aider\)\s*$", "aider"),
    _m("Aider", "message", r"(?im)^Co-authored-by:\s*aider \([^)]*\)\s*<noreply@aider\.(chat|dev)>", "aider"),
    _m("Aider", "subject", r"^aider: ", "aider"),
    _m("OpenAI Codex", "identity", r"(?i)chatgpt-codex-connector\[bot\]", "codex"),
    _m("OpenAI Codex", "message", r"(?i)(chatgpt-codex-connector\[bot\]|https://chatgpt\.com/codex/tasks/task_[a-z]_[0-9a-f]+)", "codex"),
    _m("OpenAI Codex", "message", r"(?im)^Co-authored-by:\s*Codex[^<\n]*<(noreply|codex)@openai\.com>", "codex"),
    _m("ChatGPT", "message", rf"(?im)^{_DECORATION}(Generated|Made|Written|Created) (with|by|using) ChatGPT\b", "chatgpt"),
    _m("ChatGPT", "message", r"(?im)^Co-authored-by:\s*ChatGPT\b[^<\n]*<[^>\n]*>", "chatgpt"),
    _m("Devin", "identity", r"(?i)devin-ai-integration\[bot\]", "devin-ai-integration"),
    _m("Devin", "message", r"(?im)^Co-authored-by:[^\n]*devin-ai-integration\[bot\]", "devin-ai-integration"),
    _m("Jules", "identity", r"(?i)google-labs-jules\[bot\]", "google-labs-jules"),
    _m("Jules", "message", r"(?im)^Co-authored-by:[^\n]*google-labs-jules\[bot\]", "google-labs-jules"),
    _m("Gemini", "identity", r"(?i)gemini-code-assist\[bot\]", "gemini"),
    _m("Gemini", "message", r"(?im)^Co-authored-by:[^\n]*gemini-code-assist\[bot\]", "gemini"),
    _m("Gemini", "message", r"(?im)^Co-authored-by:\s*Gemini[^<\n]*<[^>]*google\.com>", "gemini"),
    _m("Amazon Q", "identity", r"(?i)amazon-q-developer\[bot\]", "amazon-q-developer"),
    _m("Amazon Q", "message", r"(?im)^Co-authored-by:[^\n]*amazon-q-developer\[bot\]", "amazon-q-developer"),
    _m("OpenHands", "identity", r"(?i)(<|^)openhands@all-hands\.dev>?|openhands-agent", "openhands"),
    _m("OpenHands", "message", r"(?im)^Co-authored-by:[^\n]*<openhands@all-hands\.dev>", "openhands"),
    _m("Sweep", "identity", r"(?i)sweep-ai\[bot\]", "sweep-ai"),
    _m("Sweep", "message", r"(?im)^Co-authored-by:[^\n]*sweep-ai\[bot\]", "sweep-ai"),
)

# Generic conventions: the tool is whatever the trailer names.
_GENERIC = lazy_compile(r"(?im)^(Assisted-by|Generated-by|Co-authored-by-AI):[ \t]*(\S[^\n]*?)\s*$")
_CO_AUTHOR = lazy_compile(r"(?im)^Co-authored-by:\s*([^<\n]*?)\s*<([^>\n]+)>\s*$")


class Provenance(Record):
    """Whether a change is AI-assisted, by which tools, and the evidence for it."""

    FIELDS = ("ai_assisted", "tools", "evidence", "overridden")

    def __init__(self, ai_assisted: bool, tools: list[str] | None = None, evidence: list[str] | None = None,
                 overridden: bool = False) -> None:
        self.ai_assisted = ai_assisted
        self.tools = [] if tools is None else tools
        self.evidence = [] if evidence is None else evidence
        self.overridden = overridden  # set by --ai-assisted / --not-ai-assisted

    def to_dict(self) -> dict[str, object]:
        return {
            "ai_assisted": self.ai_assisted,
            "tools": list(self.tools),
            "evidence": list(self.evidence),
            "overridden": self.overridden,
        }


def _identities(change: Change) -> list[tuple[str, Person]]:
    people: list[tuple[str, Person]] = [("author", change.author)]
    if change.committer:
        people.append(("committer", change.committer))
    for commit in change.commits:
        people.append(("author", commit.author))
        if commit.committer:
            people.append(("committer", commit.committer))
    return people


def _messages(change: Change) -> list[str]:
    messages = [commit.message for commit in change.commits]
    if change.message and change.message not in messages:
        messages.append(change.message)
    return messages


def detect(change: Change, override: bool | None = None) -> Provenance:
    """Find AI markers; ``override`` (from --ai-assisted/--not-ai-assisted) decides when given."""
    tools: list[str] = []
    evidence: list[str] = []

    def found(tool: str, line: str) -> None:
        if tool not in tools:
            tools.append(tool)
        line = line.strip()
        if line not in evidence:
            evidence.append(line)

    messages = [(message, _folded(message)) for message in _messages(change)]
    identities = _identities(change)
    for marker in MARKERS:
        if marker.where == "message":
            for message, folded in messages:
                if marker.needle in folded:
                    for match in marker.pattern.finditer(message):
                        found(marker.tool, _line_at(message, _first_visible(match)))
        elif marker.where == "subject":
            for commit in change.commits or []:
                if marker.needle in _folded(commit.subject) and marker.pattern.search(commit.subject):
                    found(marker.tool, f"subject: {commit.subject}")
        else:
            for role, person in identities:
                subject = person.name if marker.where == "identity-name" else f"{person.name} <{person.email}>"
                if marker.needle in _folded(subject) and marker.pattern.search(subject):
                    found(marker.tool, f"{role}: {person.name} <{person.email}>")
    for message, _ in messages:
        for match in _GENERIC.finditer(message):
            tool = re.sub(r"\s*<[^>]*>\s*$", "", match.group(2)).strip() or match.group(2)
            found(tool, match.group(0))
    detected = bool(tools)
    if override is None:
        return Provenance(detected, tools, evidence)
    if not override:
        evidence.append("overridden: marked not AI-assisted by the submitter")
    else:
        evidence.append("overridden: marked AI-assisted by the submitter")
    return Provenance(override, tools if override else [], evidence, overridden=True)


def _first_visible(match: re.Match[str]) -> int:
    """Where the matched text itself begins, past any line breaks and blanks a pattern took in."""
    text = match.group(0)
    return match.start() + (len(text) - len(text.lstrip()) if text.strip() else 0)


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start: end if end >= 0 else len(text)]


# Addresses that coding agents sign their co-author trailers with; nobody else writes from them.
# Compiled (and kept in re's cache) at the first co-author trailer: most commits have none.
_AGENT_ADDRESS = (
    r"(?i)^(noreply@anthropic\.com|cursoragent@cursor\.com|noreply@aider\.(chat|dev)|(noreply|codex)@openai\.com"
    r"|[^@\s]*\[bot\]@users\.noreply\.github\.com|\d+\+copilot@users\.noreply\.github\.com"
    r"|copilot@github\.com|openhands@all-hands\.dev)$"
)


def is_agent_address(name: str, address: str) -> bool:
    """True for a co-author identity that is a coding agent's own, not a person's."""
    if re.match(_AGENT_ADDRESS, address.strip()):
        return True
    # Gemini's convention uses a google.com address, which people at Google also have: the name decides.
    return bool(re.match(r"(?i)gemini\b", name.strip())) and address.lower().endswith("google.com")


def co_authors(change: Change, provenance: Provenance) -> list[str]:
    """E-mail addresses of human co-authors: every Co-authored-by trailer whose address is not an agent's.

    Decided by the address, not by whether the line also mentions an agent: a trailer such as
    "Co-authored-by: copilot-swe-agent[bot] Pat <pat@example.com>" still names Pat, who must not
    approve the change.
    """
    emails: list[str] = []
    for message in _messages(change):
        for match in _CO_AUTHOR.finditer(message):
            name, address = match.group(1), match.group(2).strip().lower()
            if is_agent_address(name, address):
                continue
            if address not in emails:
                emails.append(address)
    return emails
