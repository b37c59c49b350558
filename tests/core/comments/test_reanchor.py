"""Threads follow their lines to the next revision of a pull request (by content), or are marked outdated."""

from __future__ import annotations

from reviewer_app.core import comments, store
from reviewer_app.core.signing import keys
from tests.core.inbox.test_inbox import World, edit, latest, sync_inbox, world  # noqa: F401 -- world is a fixture


def test_a_thread_moves_with_its_line_and_one_whose_line_is_gone_is_outdated(world: World) -> None:  # noqa: F811
    db = store.open_db()
    first = edit(world, "pr", "services/pricing/rates.py", "RATE_3 = 3\n", "RATE_3 = 30\n", "Raise rate 3")
    second = edit(world, "pr", "services/pricing/rates.py", "RATE_20 = 20\n", "RATE_20 = 200\n", "Raise rate 20",
                  start="pr")
    world.push(f"{second}:refs/pull/5/head")
    sync_inbox(db, world.reviewer, "origin")
    revision, first_id = latest(world, "PR #5")
    assert revision == 1 and first != second
    alice = keys.file_signer(world.keys["alice"].path, "alice@example.com")
    change = comments.load_change(db, first_id)
    moves = comments.sign_comment(db, alice, first_id, comments.comment_fields(
        change, first_id, "services/pricing/rates.py", "new", 4, None, "why 30?")).id
    goes = comments.sign_comment(db, alice, first_id, comments.comment_fields(
        change, first_id, "services/pricing/rates.py", "new", 21, None, "and 200?")).id
    comments.sign_state(db, alice, goes)

    # Revision 2: two lines on top (every number shifts by two), rate 20 back as it was.
    world.author.git("checkout", "-q", "pr")
    rates = world.author.path / "services/pricing/rates.py"
    rates.write_text("# rates\n# in cents\n" + rates.read_text().replace("RATE_20 = 200\n", "RATE_20 = 20\n"))
    third = world.author.commit("Header; keep rate 20", author=("Bob", "bob@example.com"))
    world.push(f"{third}:refs/pull/5/head")
    sync_inbox(db, world.reviewer, "origin")
    revision, second_id = latest(world, "PR #5")
    assert revision == 2 and second_id != first_id

    on_second = {t.id: t for t in comments.threads(db, second_id)}
    assert (on_second[moves].line, on_second[moves].outdated, on_second[moves].original_line) == (6, False, 4)
    assert (on_second[goes].line, on_second[goes].outdated, on_second[goes].resolved) == (21, True, True)
    on_first = {t.id: t for t in comments.threads(db, first_id)}
    assert (on_first[moves].line, on_first[moves].outdated) == (4, False)
    assert comments.unresolved_counts(db) == {first_id: 1}

    # A reply on revision 2 joins the thread started on revision 1, and both revisions show it.
    bob = keys.file_signer(world.keys["bob"].path, "bob@example.com")
    comments.sign_comment(db, bob, second_id, comments.reply_fields(db, second_id, moves, "30 is the new price"))
    for change_id in (first_id, second_id):
        thread = next(t for t in comments.threads(db, change_id) if t.id == moves)
        assert [c.message for c in thread.comments] == ["why 30?", "30 is the new price"]
