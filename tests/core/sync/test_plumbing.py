"""Ref names and the plumbing helpers, against real git."""

from __future__ import annotations

import subprocess

import pytest

from reviewer_app.core.sync import gitobjects, ledger
from reviewer_app.core.sync.refs import escape_signer, signer_of_ref, signer_ref, tracking_ref, unescape_signer
from tests.gitrepo import GitRepo

NASTY_SIGNERS = [
    "alice@example.com", "bob.smith+ci@example.co.uk", ".hidden@example.com", "dots..twice@example.com",
    "trailing.@example.com", "ends.lock", "a/b@example.com", "space here@example.com", "tilde~caret^colon:@x",
    "star*question?bracket[@x", "back\\slash@x", "@", "at@{brace}@x", "percent%41@x", "zoë@exämple.com", "x.",
    "ctrl\x01char@x",
]


@pytest.mark.parametrize("signer", NASTY_SIGNERS)
def test_signer_refs_are_valid_and_reversible(signer: str) -> None:
    ref = signer_ref(signer)
    assert subprocess.run(["git", "check-ref-format", ref]).returncode == 0, ref
    assert unescape_signer(escape_signer(signer)) == signer
    assert signer_of_ref(ref) == signer
    assert signer_of_ref(tracking_ref("origin", signer)) == signer


def test_ordinary_addresses_stay_readable() -> None:
    assert signer_ref("alice@example.com") == "refs/reviewer-app/events/alice@example.com"
    assert tracking_ref("origin", "alice@example.com") == "refs/reviewer-app-remote/origin/events/alice@example.com"
    assert tracking_ref("/srv/git/team.git", "a@x").startswith("refs/reviewer-app-remote/url-")


def test_blobs_written_either_way_have_gits_ids(git_repo: GitRepo) -> None:
    small = [b"one\n", b"", "zoë\n".encode()]
    many = [b"blob %d\n" % n for n in range(250)]  # above the pack threshold: fast-import
    for contents in (small, many):
        ids = gitobjects.write_blobs(git_repo.path, contents)
        expected = [subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True,
                                   check=True).stdout.decode().strip() for data in contents[:5]]
        assert ids[:5] == expected
        assert gitobjects.read_blobs(git_repo.path, ids) == dict(zip(ids, contents))


def test_incremental_tree_equals_a_full_rebuild(git_repo: GitRepo) -> None:
    contents = [b"event %d\n" % n for n in range(40)]
    ids = gitobjects.write_blobs(git_repo.path, contents)
    files = {ledger.event_path("sha256:%064x" % (n * 7919)): blob for n, blob in enumerate(ids)}
    base = gitobjects.commit_tree(git_repo.path, gitobjects.build_tree(git_repo.path, files), [], "base")
    listed, folders = gitobjects.list_tree_and_folders(git_repo.path, base)
    assert listed == files and "events" in folders
    [extra] = gitobjects.write_blobs(git_repo.path, [b"one more\n"])
    added = {ledger.event_path("sha256:" + "f" * 64): extra, "patches/" + "e" * 64 + ".patch": extra}
    grown = {**files, **added}
    assert gitobjects.build_tree(git_repo.path, grown, folders, set(added)) == gitobjects.build_tree(git_repo.path, grown)


def test_ledger_paths_round_trip() -> None:
    event_id = "sha256:" + "ab" * 32
    assert ledger.event_path(event_id) == f"events/ab/{'ab' * 32}.json"
    assert ledger.classify(ledger.event_path(event_id)) == ledger.LedgerEntry("event", event_id)
    assert ledger.classify("events/zz/" + "ab" * 32 + ".json") is None
    assert ledger.classify("README") is None
    assert ledger.decode_event_file(ledger.encode_event_file("p", "s")) == ("p", "s")
    with pytest.raises(ValueError):
        ledger.decode_event_file(b"[1]")
