"""Red team: who is approving? Principal spelling tricks, one person counted twice, authors in disguise.

Every attack uses real ssh-keygen keys, real SSHSIG signatures, a real git range and a real SQLite
database; each test shows the attack would have passed before the fix and is refused now.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.core.approvals.gate import blocking_findings

from .world import STRICT_POLICY, World, make_world, plain_lines

RISKY = {"deploy/cleanup.sh": "#!/bin/sh\nrm -rf /var/lib/postgres/data\n"}
HARMLESS = {"docs/notes.md": "Some notes.\n"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = make_world(tmp_path_factory.mktemp("identity"))
    made.branch("risky", RISKY, "Add a cleanup job")
    made.branch("harmless", HARMLESS, "Add notes")
    return made


@pytest.fixture
def fresh_db(world: World, tmp_path: Path) -> World:
    """The module's world with an empty database of its own."""
    world.db_path, world._db = tmp_path / "gate.db", None
    return world


# A shared "team" key may sign for anyone at example.com except the two people who have their own keys.
TEAM_KEY_EXCLUDING_SENIORS = '*@example.com,!alice@example.com,!bob@example.com namespaces="reviewer-app" {key}'


@pytest.mark.parametrize("spelling", ["Alice@example.com", "ALICE@EXAMPLE.COM", " alice@example.com",
                                      "alice@example.com\t", "alice@Example.com"])
def test_a_principal_spelled_differently_cannot_dodge_an_exclusion(fresh_db: World, spelling: str) -> None:
    """OpenSSH matches principals case-sensitively, the roster does not: "Alice@" slipped past
    ``!alice@example.com`` and then counted as the senior alice. Non-canonical principals never count."""
    world = fresh_db
    world.configure([*plain_lines(world, "alice", "bob"),
                     TEAM_KEY_EXCLUDING_SENIORS.format(key=world.line("mallory"))])
    analysis = world.analysis("git:main..harmless")
    forged = world.approve_all_findings("mallory", analysis, principal=spelling)
    report = world.gate("git:main..harmless")
    assert not report.approved
    (refused,) = report.verdicts[0].rejected
    assert (refused.event, refused.reason) == (forged.id, "unknown principal")
    if spelling.endswith("@example.com"):  # the wildcard lets the key sign it: only the spelling rule refuses
        assert "lower case" in refused.detail
    # the honest spelling, with alice's own key, still counts
    world.approve_all_findings("alice", analysis, at="2026-11-29T10:01:00Z")
    assert world.gate("git:main..harmless").approved


def test_the_team_key_signing_as_an_excluded_senior_is_refused(fresh_db: World) -> None:
    world = fresh_db
    world.configure([*plain_lines(world, "alice", "bob"),
                     TEAM_KEY_EXCLUDING_SENIORS.format(key=world.line("mallory"))])
    analysis = world.analysis("git:main..harmless")
    world.approve_all_findings("mallory", analysis, principal="alice@example.com")
    (refused,) = world.gate("git:main..harmless").verdicts[0].rejected
    assert refused.reason == "unknown principal"


def test_a_key_listed_for_one_person_cannot_sign_as_another(fresh_db: World) -> None:
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob", "mallory"))
    analysis = world.analysis("git:main..harmless")
    world.approve_all_findings("mallory", analysis, principal="bob@example.com")
    report = world.gate("git:main..harmless")
    assert not report.approved
    assert [r.reason for r in report.verdicts[0].rejected] == ["unknown principal"]


def test_a_wildcard_domain_does_not_reach_a_lookalike_domain(fresh_db: World) -> None:
    """``*@example.com`` never matches ``alice@example.com.evil``; a key listed for the lookalike
    domain signs as itself only, and that principal is nobody in the roster."""
    world = fresh_db
    world.configure([*plain_lines(world, "alice"), f"*@example.com.evil {world.line('mallory')}"])
    analysis = world.analysis("git:main..harmless")
    world.approve_all_findings("mallory", analysis, principal="alice@example.com")
    world.approve_all_findings("mallory", analysis, principal="alice@example.com.evil", at="2026-11-29T10:01:00Z")
    report = world.gate("git:main..harmless")
    assert not report.approved
    reasons = sorted((r.principal, r.reason) for r in report.verdicts[0].rejected)
    assert reasons == [("alice@example.com", "unknown principal"), ("alice@example.com.evil", "level too low")]


def test_one_person_approving_twice_counts_once(fresh_db: World) -> None:
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob"))
    analysis = world.analysis("git:main..risky")
    world.approve_all_findings("alice", analysis)
    world.approve_all_findings("alice", analysis, at="2026-11-29T10:05:00Z")
    (requirement,) = world.gate("git:main..risky").verdicts[0].requirements
    assert (requirement.needed, requirement.have) == (2, 1)


def test_one_key_under_two_roster_emails_counts_once(fresh_db: World) -> None:
    """alice is in the roster twice (work and corp address) with the same key: still one person."""
    world = fresh_db
    policy = STRICT_POLICY + '[people."alice@corp.example.com"]\nlevel = "senior"\n'
    world.configure([*plain_lines(world, "alice", "bob"), f"alice@corp.example.com {world.line('alice')}"],
                    policy=policy)
    analysis = world.analysis("git:main..risky")
    world.approve_all_findings("alice", analysis)
    second = world.approve_all_findings("alice", analysis, principal="alice@corp.example.com")
    verdict = world.gate("git:main..risky").verdicts[0]
    assert not verdict.approved
    assert verdict.requirements[0].have == 1
    assert [(r.event, r.reason) for r in verdict.rejected] == [(second.id, "same key")]
    # a second, really different senior completes it
    world.approve_all_findings("bob", analysis)
    assert world.gate("git:main..risky").approved


def test_the_author_approving_under_a_second_email_is_the_author(fresh_db: World) -> None:
    """dana wrote the change; the roster also lists her as a senior on-call address signed by the same key."""
    world = fresh_db
    policy = STRICT_POLICY + '[people."dana.oncall@example.com"]\nlevel = "senior"\n'
    world.configure([*plain_lines(world, "alice", "dana"), f"dana.oncall@example.com {world.line('dana')}"],
                    policy=policy)
    analysis = world.analysis("git:main..harmless")
    disguised = world.approve_all_findings("dana", analysis, principal="dana.oncall@example.com")
    verdict = world.gate("git:main..harmless").verdicts[0]
    assert not verdict.approved
    assert [(r.event, r.reason) for r in verdict.rejected] == [(disguised.id, "author or co-author")]
    assert "dana@example.com" in verdict.rejected[0].detail


def test_a_co_author_hidden_behind_an_agent_marker_is_still_a_co_author(fresh_db: World, tmp_path: Path) -> None:
    """A trailer that names an AI tool *and* a person (``Co-authored-by: copilot-swe-agent[bot] Bob <bob@…>``)
    was taken for the tool alone, so bob, who co-wrote the change, could approve it."""
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob"))
    message = "Add notes\n\nCo-authored-by: copilot-swe-agent[bot] Bob <bob@example.com>\n"
    world.branch("coauthored", {"docs/more.md": "More notes.\n"}, message)
    analysis = world.analysis("git:main..coauthored")
    approval = world.approve_all_findings("bob", analysis)
    verdict = world.gate("git:main..coauthored").verdicts[0]
    assert not verdict.approved
    assert [(r.event, r.reason) for r in verdict.rejected] == [(approval.id, "author or co-author")]


def test_a_plain_co_author_and_an_agent_never_count(fresh_db: World) -> None:
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob", "bot"))
    message = "Tidy notes\n\nCo-authored-by: Bob <BOB@example.com>\n"
    world.branch("pair", {"docs/pair.md": "Paired.\n"}, message)
    analysis = world.analysis("git:main..pair")
    world.approve_all_findings("bob", analysis)
    world.approve_all_findings("bot", analysis)
    verdict = world.gate("git:main..pair").verdicts[0]
    assert not verdict.approved
    assert sorted(r.reason for r in verdict.rejected) == ["agent", "author or co-author"]


def test_the_risky_fixture_really_needs_two_seniors_and_acknowledgements(fresh_db: World) -> None:
    """Guards the other tests: the risky branch has a finding to acknowledge and needs two seniors."""
    fresh_db.configure(plain_lines(fresh_db, "alice", "bob"))
    analysis = fresh_db.analysis("git:main..risky")
    assert blocking_findings(analysis)
    (requirement,) = fresh_db.gate("git:main..risky").verdicts[0].requirements
    assert (requirement.rule, requirement.needed) == ("High risk", 2)


def test_approve_signs_a_mixed_case_git_email_in_lower_case(fresh_db: World) -> None:
    """git config may say ``Alice@Example.COM``: the approval is signed as alice@example.com, so it counts."""
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob"))
    repo = str(world.repo.path)
    world.repo.git("config", "user.email", "Alice@Example.COM")
    try:
        code, out, err = world.cli("submit", "--repo", repo, "--git", "main..harmless")
        assert code == 0, err
        cid = world.analysis("git:main..harmless")["change_id"]
        code, out, err = world.cli("approve", cid, "--repo", repo, "--key", str(world.keys["alice"].path), "--ack-all")
        assert code == 0, err
        assert "(alice@example.com)" in out
        assert world.cli_gate_json("--git", "main..harmless")[0] == 0
        code, _, err = world.cli("approve", cid, "--repo", repo, "--key", str(world.keys["alice"].path),
                                 "--as", "alice @example.com")
        assert code == 2 and "must be an email address" in err
    finally:
        world.repo.git("config", "--unset", "user.email")


def test_a_committer_who_amended_someone_elses_commit_cannot_approve_it(fresh_db: World) -> None:
    """bob amends dana's commit (git keeps dana as the author, bob becomes the committer) and approves."""
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob"))
    world.repo.git("checkout", "-q", "-b", "amended", "main")
    world.repo.write("docs/amended.md", "dana's text, and bob's quiet edit\n", dedent=False)
    world.repo.git("add", "-A")
    world.repo.git("commit", "-q", "-m", "Notes by dana", "--author", "Dana Dev <dana@example.com>",
                   author=("Bob", "bob@example.com"))
    world.repo.git("checkout", "-q", "main")
    analysis = world.analysis("git:main..amended")
    assert analysis["author"]["email"] == "dana@example.com" and analysis["committer"]["email"] == "bob@example.com"
    approval = world.approve_all_findings("bob", analysis)
    verdict = world.gate("git:main..amended").verdicts[0]
    assert not verdict.approved
    assert [(r.event, r.reason) for r in verdict.rejected] == [(approval.id, "author or co-author")]
    assert "bob@example.com" in verdict.summary["co_authors"]


def test_one_wildcard_team_key_signing_as_two_seniors_counts_once(fresh_db: World) -> None:
    """A shared ``*@example.com`` key may sign as anyone there, but it is one key: one approval.

    (The line excludes the author dana: a key allowed_signers lists for the author is the author's, so
    without the exclusion every approval made with it would not count at all.)"""
    world = fresh_db
    world.configure([f'*@example.com,!dana@example.com namespaces="reviewer-app" {world.line("mallory")}'])
    analysis = world.analysis("git:main..risky")
    world.approve_all_findings("mallory", analysis, principal="alice@example.com")
    second = world.approve_all_findings("mallory", analysis, principal="bob@example.com")
    verdict = world.gate("git:main..risky").verdicts[0]
    assert not verdict.approved and verdict.requirements[0].have == 1
    assert [(r.event, r.reason) for r in verdict.rejected] == [(second.id, "same key")]


def test_an_approval_dated_in_the_future_cannot_outlive_a_revoke(fresh_db: World) -> None:
    """alice pre-signs an approval dated 2099: her real revoke today would sort before it and not withdraw it."""
    world = fresh_db
    world.configure(plain_lines(world, "alice", "bob"))
    analysis = world.analysis("git:main..harmless")
    future = world.approve_all_findings("alice", analysis, at="2099-01-01T00:00:00Z")
    verdict = world.gate("git:main..harmless").verdicts[0]
    assert not verdict.approved
    assert [(r.event, r.reason) for r in verdict.rejected] == [(future.id, "key not valid at signing time")]
    assert "in the future" in verdict.rejected[0].detail
