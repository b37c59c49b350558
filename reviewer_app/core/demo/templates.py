"""Reading the demo's data from ``resources/demo/``: the people, the platform files, the changes.

The files are data, not code, so that the platform can be edited without touching the builder.
Every problem in them is reported as a ``UserError`` naming the file and the entry at fault.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from reviewer_app.core.approvals.policy import LEVELS
from reviewer_app.errors import UserError

# Template names that start with a dot are stored as "dot-<name>": packaging globs (``**/*``) skip
# dot-names, and tools run over Reviewer's own tree should not mistake the demo's .github for ours.
_DOT_PREFIX = "dot-"
_HANDLE = re.compile(r"^[a-z][a-z0-9-]*$")
_UTC_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True)
class DemoPerson:
    handle: str  # names the key files
    name: str
    email: str
    level: str
    teams: tuple[str, ...]
    signs: bool = True  # has an SSH key
    revoked: bool = False  # key listed in revoked_keys


@dataclass(frozen=True)
class TreeFile:
    data: bytes
    executable: bool = False


@dataclass(frozen=True)
class Edit:
    """One step of a change: replace text once, write a whole file, or delete a file."""

    path: str
    old: str | None = None  # replace: the text that must occur exactly once
    new: str | None = None  # replace: its replacement; write: the file's text
    executable: bool = False
    delete: bool = False


@dataclass(frozen=True)
class ChangeScript:
    branch: str
    author: str  # a handle from people.toml
    date: str  # RFC 3339 UTC
    subject: str
    body: str
    trailers: tuple[str, ...]
    edits: tuple[Edit, ...]
    author_suffix: str = ""
    label: str = field(default="", compare=False)  # how errors name it: changes.toml: change "x"

    def message(self) -> str:
        """The commit message: subject, body, then the trailers as the last paragraph."""
        parts = [self.subject.strip()]
        if self.body.strip():
            parts.append(self.body.strip())
        if self.trailers:
            parts.append("\n".join(self.trailers))
        return "\n\n".join(parts) + "\n"


def demo_root() -> Traversable:
    return resources.files("reviewer_app.resources") / "demo"


def _load_toml(name: str) -> dict[str, Any]:
    entry = demo_root() / name
    try:
        return tomllib.loads(entry.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"resources/demo/{name}: missing from the installation") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"resources/demo/{name}: not valid TOML: {exc}") from exc


def _field(entry: Any, key: str, kind: type, where: str, default: Any = None) -> Any:
    if not isinstance(entry, dict):
        raise UserError(f"{where}: must be a table")
    value = entry.get(key, default)
    if value is None or not isinstance(value, kind):
        raise UserError(f"{where}: field {key!r} must be a {kind.__name__} (got {value!r})")
    return value


def _date(entry: Any, where: str) -> str:
    """A fixed UTC time like 2026-03-09T08:12:00Z (what git and signed events both accept)."""
    value = _field(entry, "date", str, where)
    if not _UTC_DATE.match(value):
        raise UserError(f"{where}: field 'date' must be UTC like 2026-03-09T08:12:00Z (got {value!r})")
    return value


def load_people() -> list[DemoPerson]:
    return parse_people(_load_toml("people.toml"))


def parse_people(data: dict[str, Any]) -> list[DemoPerson]:
    people: list[DemoPerson] = []
    seen: set[str] = set()
    for number, entry in enumerate(data.get("person", []), start=1):
        where = f"resources/demo/people.toml: person {number}"
        handle = _field(entry, "handle", str, where)
        where = f"resources/demo/people.toml: person {handle!r}"
        if not _HANDLE.match(handle):
            raise UserError(f"{where}: field 'handle' names key files: use lower-case letters, digits and '-'")
        level = _field(entry, "level", str, where)
        if level not in LEVELS:
            raise UserError(f"{where}: field 'level' must be one of {', '.join(LEVELS)} (got {level!r})")
        if handle in seen:
            raise UserError(f"{where}: the handle is used twice")
        seen.add(handle)
        people.append(DemoPerson(
            handle=handle, name=_field(entry, "name", str, where), email=_field(entry, "email", str, where),
            level=level, teams=tuple(_field(entry, "teams", list, where)),
            signs=_field(entry, "signs", bool, where, True), revoked=_field(entry, "revoked", bool, where, False),
        ))
    if not people:
        raise UserError("resources/demo/people.toml: no [[person]] entries")
    return people


def load_platform() -> dict[str, TreeFile]:
    """The files of the platform's first commit, by repository path."""
    files: dict[str, TreeFile] = {}
    _collect(demo_root() / "platform", "", files)
    if not files:
        raise UserError("resources/demo/platform: no files (the installation is incomplete)")
    return files


def _collect(folder: Traversable, prefix: str, into: dict[str, TreeFile]) -> None:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__":
            continue
        name = "." + entry.name[len(_DOT_PREFIX):] if entry.name.startswith(_DOT_PREFIX) else entry.name
        path = f"{prefix}{name}"
        if entry.is_dir():
            _collect(entry, path + "/", into)
        else:
            data = entry.read_bytes()
            # Shell scripts are the only executables; the x bit does not survive every packaging path.
            into[path] = TreeFile(data, executable=data.startswith(b"#!"))


@dataclass(frozen=True)
class PlannedApproval:
    branch: str
    approver: str  # a handle from people.toml
    date: str = ""  # RFC 3339 UTC; empty for the printed example
    comment: str = ""


@dataclass(frozen=True)
class ChangePlan:
    """Everything changes.toml describes: the changes, approvals made at build time, the printed example."""

    scripts: tuple[ChangeScript, ...]
    approvals: tuple[PlannedApproval, ...]
    example_approval: PlannedApproval | None


_CHANGES = "resources/demo/changes.toml"


def load_change_plan(people: list[DemoPerson]) -> ChangePlan:
    return parse_change_plan(_load_toml("changes.toml"), people)


def parse_change_plan(data: dict[str, Any], people: list[DemoPerson]) -> ChangePlan:
    by_handle = {person.handle: person for person in people}
    scripts: list[ChangeScript] = []
    for number, entry in enumerate(data.get("change", []), start=1):
        scripts.append(_script(entry, f"{_CHANGES}: change {number}", by_handle, {s.branch for s in scripts}))
    if not scripts:
        raise UserError(f"{_CHANGES}: no [[change]] entries")
    branches = {script.branch for script in scripts}
    approvals = tuple(
        _approval(entry, f"{_CHANGES}: approval {number}", by_handle, branches, needs_date=True)
        for number, entry in enumerate(data.get("approval", []), start=1)
    )
    example = data.get("example_approval")
    return ChangePlan(
        scripts=tuple(scripts), approvals=approvals,
        example_approval=_approval(example, f"{_CHANGES}: example_approval", by_handle, branches, needs_date=False)
        if example is not None else None,
    )


def _script(entry: Any, where: str, people: dict[str, DemoPerson], taken: set[str]) -> ChangeScript:
    branch = _field(entry, "branch", str, where)
    where = f"{_CHANGES}: change {branch!r}"
    if branch in taken:
        raise UserError(f"{where}: the branch name is used twice")
    author = _field(entry, "author", str, where)
    if author not in people:
        raise UserError(f"{where}: field 'author' names {author!r}, who is not in people.toml")
    edits = tuple(_edit(item, f"{where}: edit {index}")
                  for index, item in enumerate(_field(entry, "edits", list, where), start=1))
    if not edits:
        raise UserError(f"{where}: no edits")
    return ChangeScript(
        branch=branch, author=author, date=_date(entry, where),
        subject=_field(entry, "subject", str, where), body=_field(entry, "body", str, where, ""),
        trailers=tuple(_field(entry, "trailers", list, where, [])), edits=edits,
        author_suffix=_field(entry, "author_suffix", str, where, ""), label=where,
    )


def _approval(entry: Any, where: str, people: dict[str, DemoPerson], branches: set[str],
              needs_date: bool) -> PlannedApproval:
    branch = _field(entry, "branch", str, where)
    if branch not in branches:
        raise UserError(f"{where}: field 'branch' names {branch!r}, which no [[change]] makes")
    approver = _field(entry, "approver", str, where)
    person = people.get(approver)
    if person is None or person.level != "senior" or not person.signs or person.revoked:
        raise UserError(f"{where}: field 'approver' must name a senior with a valid key (got {approver!r})")
    return PlannedApproval(
        branch=branch, approver=approver,
        date=_date(entry, where) if needs_date else "",
        comment=_field(entry, "comment", str, where, ""),
    )


def _edit(item: Any, where: str) -> Edit:
    if not isinstance(item, dict):
        raise UserError(f"{where}: must be a table")
    if "replace" in item:
        triple = item["replace"]
        if not (isinstance(triple, list) and len(triple) == 3 and all(isinstance(part, str) for part in triple)):
            raise UserError(f"{where}: field 'replace' must be [path, old text, new text]")
        return Edit(path=triple[0], old=triple[1], new=triple[2])
    if "write" in item:
        return Edit(path=_field(item, "write", str, where), new=_field(item, "text", str, where),
                    executable=_field(item, "executable", bool, where, False))
    if "delete" in item:
        return Edit(path=_field(item, "delete", str, where), delete=True)
    raise UserError(f"{where}: expected one of 'replace', 'write' or 'delete'")
