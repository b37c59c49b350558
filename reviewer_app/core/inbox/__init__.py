"""The inbox: review items that arrive by themselves from the team's remote, revision after revision.

1. ``fetch.fetch_review_refs`` copies the remote's review refs (GitHub ``refs/pull/*/head``, GitLab
   ``refs/merge-requests/*/head``, Gerrit ``refs/changes/*/*/*``, branches) into a private namespace,
   ``refs/reviewer-app/inbox/<remote>/``, in one ``git fetch --prune``; the user's branches, remotes
   and configuration are never touched.
2. ``items.discover`` names each ref as an item with a stable identity ("PR #123", "Gerrit 4711",
   "feature/x"); ``.reviewer/inbox.toml`` (config.py) says which count.
3. ``items.sync_items`` diffs each new head from its merge base with the default branch, analyses it
   like any change and records a revision when the diff (the change id) is new: a pure rebase keeps the
   change id, so approvals keep counting. An item whose ref is gone or merged is closed, never deleted.
4. ``interdiff`` says what the author changed between two revisions, with edits that only come from
   the base moving set apart; ``status`` says what an item needs from me.
"""

from __future__ import annotations

from reviewer_app.core.inbox.config import InboxConfig, load_inbox_config
from reviewer_app.core.inbox.items import InboxReport, sync_inbox

__all__ = ["InboxConfig", "InboxReport", "load_inbox_config", "sync_inbox"]
