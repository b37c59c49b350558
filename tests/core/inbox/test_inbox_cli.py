"""queue and interdiff through the CLI, on items the inbox fetched from a real bare remote."""

from __future__ import annotations

import json

from reviewer_app.cli import main as cli_main
from reviewer_app.core import store

from .test_inbox import World, approve, edit, latest, sync_inbox, world  # noqa: F401 (fixture)


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_queue_json_carries_item_revision_previous_and_status_and_interdiff_since_my_review(world: World,
                                                                                          capsys) -> None:
    db = store.open_db()
    first = edit(world, "pr", "services/pricing/rates.py", "RATE_3 = 3", "RATE_3 = 30", "Raise rate 3")
    world.push(f"{first}:refs/pull/12/head")
    sync_inbox(db, world.reviewer, "origin")
    _, first_id = latest(world, "PR #12")
    approve(world, "alice", first_id)
    cart = world.author.path / "services/checkout/cart.py"
    cart.write_text(cart.read_text().replace("ITEM_4 = 4", "ITEM_4 = 44"))
    world.author.commit("And item 4", author=("Bob", "bob@example.com"))
    world.push("pr:refs/pull/12/head")
    sync_inbox(db, world.reviewer, "origin")
    _, second_id = latest(world, "PR #12")
    repo = str(world.reviewer)

    code, out, err = run(capsys, "queue", "--format", "json", "--repo", repo, "--as", "alice@example.com")
    assert code == 0, err
    [entry] = json.loads(out)["changes"]
    assert entry["item"] == {"kind": "github-pull", "remote": "origin", "ref": "refs/pull/12/head", "number": 12,
                             "name": "PR #12"}
    assert (entry["revision"], entry["previous_change_id"], entry["change_id"]) == (2, first_id, second_id)
    assert entry["status"] == "updated since my review" and entry["approvals"] == {"have": 0, "need": 1}

    code, out, _ = run(capsys, "queue", "--repo", repo, "--as", "alice@example.com")
    assert code == 0 and "PR #12" in out and "updated since my review (1 file, +1 -1)" in out
    code, out, _ = run(capsys, "queue", "--repo", repo, "--as", "carol@example.com", "--status", "needs-my-review")
    assert "PR #12" in out
    code, out, _ = run(capsys, "queue", "--repo", repo, "--as", "carol@example.com", "--min-level", "critical")
    assert "No item matches" in out

    code, out, err = run(capsys, "interdiff", first_id, second_id, "--repo", repo, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["old"], result["new"]) == (first_id, second_id)
    assert [(f["path"], f["added"], f["removed"], f["from_rebase"]) for f in result["files"]] == [
        ("services/checkout/cart.py", 1, 1, False)]
    assert result["files"][0]["hunks"][0]["lines"]
    code, out, err = run(capsys, "interdiff", "PR #12", "--since-my-review", "--repo", repo, "--as",
                         "alice@example.com", "--format", "json")
    assert code == 0 and json.loads(out)["old"] == first_id, err
    code, _, err = run(capsys, "interdiff", "PR #12", "--since-my-review", "--repo", repo, "--as", "carol@example.com")
    assert code == 2 and "has not approved or rejected an earlier revision" in err
