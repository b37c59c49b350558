"""Ledger history, not ledger tips: a fast-forward on a signer's ref cannot drop her events.

A remote that forbids deleting and force-pushing ``refs/reviewer-app/*`` still accepts a new commit
on top of a senior's ledger whose tree omits her revoke. A fresh CI clone running ``gate --fetch``
reads the union of every commit of every ledger ref: the dropped decision still counts, and the
commit that dropped it is named as tampering. The server hook the docs give refuses such commits.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.sync import ledger
from reviewer_app.core.sync.refs import signer_ref
from tests.core.sync.conftest import Identity, remote_refs
from tests.core.sync.ledger_team import (APPROVED_AT, LATER_AT, WITHDRAWN_AT, LedgerTeam, build_ledger_team,
                                         make_identities, other_change, reasons)

ALICE = "alice@example.com"


@pytest.fixture(scope="module")
def identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    return make_identities(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def world(tmp_path: Path, identities: dict[str, Identity]) -> LedgerTeam:
    return build_ledger_team(tmp_path, identities)


def _tampering_named(result: dict[str, object], commit: str) -> bool:
    return any(f"by commit {commit[:12]}" in p and "tampering" in p for p in result["ledger_problems"])  # type: ignore[union-attr]


def test_the_honest_ledger_passes_then_the_revoke_withdraws(world: LedgerTeam) -> None:
    """The baseline both ways, so the attacks below are measured against a gate that can say yes."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    code, result, err = world.fresh_ci_gate()
    assert code == 0, (result, err)
    assert result["ledger_problems"] == []
    world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)


def test_a_fast_forward_dropping_a_revoke_does_not_bring_the_approval_back(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    dropping = world.drop(ALICE, revoke)  # her tip's tree no longer holds the revoke
    code, result, err = world.fresh_ci_gate()
    assert code == 1, (result, err)
    assert result["approved"] is False and (ALICE, "withdrawn") in reasons(result)
    assert _tampering_named(result, dropping)
    assert ledger.event_path(revoke.id) in " ".join(result["ledger_problems"])


def test_a_fast_forward_dropping_a_reject_does_not_bring_the_approval_back(world: LedgerTeam) -> None:
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    reject = world.decide(alice, "reject", WITHDRAWN_AT)
    world.publish(alice)
    dropping = world.drop(ALICE, reject)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert [r["event"] for r in result["rejections"]] == [reject.id]  # the standing reject is shown
    assert _tampering_named(result, dropping)


def test_dropping_the_middle_of_the_chain_restores_the_event_not_just_a_broken_chain(world: LedgerTeam) -> None:
    """approve, revoke, then an approval of something else: dropping only the revoke used to leave a hole
    (broken chain); read as a history, the revoke itself is back and withdraws."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    world.decide(alice, "approve", LATER_AT, change_id=other_change(world, "later"))
    world.publish(alice)
    dropping = world.drop(ALICE, revoke)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1
    assert reasons(result) == [(ALICE, "withdrawn")]  # not "broken chain": nothing is missing any more
    assert _tampering_named(result, dropping)


def test_rewriting_an_event_file_in_a_later_commit_keeps_the_genuine_event(world: LedgerTeam) -> None:
    """The revoke's file is overwritten with an edited payload (turned into an approval): the edited
    copy does not hash to its name and is set aside; the genuine revoke from the earlier commit counts."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    files = world.files(ALICE)
    path = ledger.event_path(revoke.id)
    files[path] = files[path].replace(b'\\"type\\":\\"revoke\\"', b'\\"type\\":\\"approve\\"')
    assert files[path] != world.files(ALICE)[path]
    rewriting = world.fast_forward(ALICE, files)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert _tampering_named(result, rewriting)
    assert any(revoke.id in p and "content does not match its name" in p for p in result["ledger_problems"])


def test_a_drop_buried_under_a_later_honest_looking_commit_is_still_found(world: LedgerTeam) -> None:
    """The dropping commit is not the tip: a further commit adds an unrelated event on top of it."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    dropping = world.drop(ALICE, revoke)
    bob = world.workstation("bob", "bob@example.com")
    unrelated = world.decide(bob, "approve", LATER_AT, change_id=other_change(world, "unrelated"))
    files = world.files(ALICE)
    files[ledger.event_path(unrelated.id)] = ledger.encode_event_file(unrelated.payload, unrelated.signature)
    world.fast_forward(ALICE, files)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert _tampering_named(result, dropping)


def test_a_merge_that_drops_the_revoke_is_found(world: LedgerTeam) -> None:
    """A merge of her tip with a history that never held the revoke, its tree without the revoke."""
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    ref = signer_ref(ALICE)
    tip = remote_refs(world.remote)[ref]
    files = world.files(ALICE)
    del files[ledger.event_path(revoke.id)]
    side = world.commit_files(world.remote, files, [])
    merge = world.commit_files(world.remote, files, [tip, side])
    subprocess.run(["git", "-C", str(world.remote), "update-ref", ref, merge, tip], check=True)
    code, result, _ = world.fresh_ci_gate()
    assert code == 1 and (ALICE, "withdrawn") in reasons(result)
    assert _tampering_named(result, merge)
    assert any("is a merge" in p for p in result["ledger_problems"])


# --- the server hook the docs give ------------------------------------------------------------------

def _hook_from_docs() -> str:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "approvals.md").read_text(encoding="utf-8")
    found = re.search(r"```sh\n(#!/bin/sh\n# pre-receive: .*?)```", docs, re.S)
    assert found, "docs/approvals.md must give the pre-receive hook as a ```sh block starting with #!/bin/sh"
    return found.group(1)


def _push(clone: Path, *refspecs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(clone), "push", "--porcelain", "origin", *refspecs],
                          capture_output=True, text=True)


def test_the_documented_pre_receive_hook_refuses_every_way_of_dropping_an_event(world: LedgerTeam) -> None:
    hook = world.remote / "hooks" / "pre-receive"
    hook.write_text(_hook_from_docs(), encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    world.publish(alice)  # a new ref, through the hook
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)  # an honest fast-forward, through the hook
    ref = signer_ref(ALICE)
    tip = remote_refs(world.remote)[ref]

    attacker = world.ci_clone()
    subprocess.run(["git", "-C", str(attacker), "fetch", "-q", "origin", f"{ref}:{ref}"], check=True)
    files = world.files(ALICE)
    without = {p: d for p, d in files.items() if p != ledger.event_path(revoke.id)}
    edited = {**files, ledger.event_path(revoke.id): files[ledger.event_path(revoke.id)].replace(b"revoke at", b"oops at")}
    dropping = world.commit_files(attacker, without, [tip])
    rewriting = world.commit_files(attacker, edited, [tip])
    dropping_then_more = world.commit_files(attacker, {**without, "events/zz": b"x"}, [dropping])
    rewritten_history = world.commit_files(attacker, without, [])
    merge = world.commit_files(attacker, without, [tip, rewritten_history])

    for commit, why in [(dropping, "deletes or changes"), (rewriting, "deletes or changes"),
                        (dropping_then_more, "deletes or changes"), (merge, "merge"),
                        (rewritten_history, "fast-forward")]:
        refused = _push(attacker, f"{commit}:{ref}") if why != "fast-forward" else _push(attacker, f"+{commit}:{ref}")
        assert refused.returncode != 0, (why, refused.stdout)
        assert why in refused.stderr and "pre-receive hook declined" in refused.stdout + refused.stderr, refused.stderr
        assert remote_refs(world.remote)[ref] == tip
    deleted = _push(attacker, f":{ref}")
    assert deleted.returncode != 0 and "never deleted" in deleted.stderr
    assert remote_refs(world.remote)[ref] == tip

    world.decide(alice, "approve", LATER_AT)
    world.publish(alice)  # the hook lets honest growth through
    assert remote_refs(world.remote)[ref] != tip
    other = _push(attacker, f"{dropping}:refs/heads/scratch")  # other refs are not its business
    assert other.returncode == 0, other.stderr
    assert os.access(hook, os.X_OK)


def test_the_text_output_names_the_dropping_commit(world: LedgerTeam) -> None:
    import contextlib
    import io

    from reviewer_app.cli.main import main as cli_main
    from tests.core.sync.ledger_team import BASE, FEATURE

    alice = world.workstation("alice", ALICE)
    world.decide(alice, "approve", APPROVED_AT)
    revoke = world.decide(alice, "revoke", WITHDRAWN_AT)
    world.publish(alice)
    dropping = world.drop(ALICE, revoke)
    repo = world.ci_clone()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(["--db", str(repo.parent / "text.db"), "gate", "--repo", str(repo), "--fetch",
                         "--git", f"{BASE}..{FEATURE}"])
    lines = out.getvalue().splitlines()
    assert code == 1 and lines[0].startswith("NOT APPROVED")
    assert any(line.startswith("  ledger: ") and f"by commit {dropping[:12]}" in line for line in lines), lines
