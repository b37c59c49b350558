"""The sync tests' team (a bare remote, clones, real keys) for the comment tests."""

from tests.core.sync.conftest import identities, team  # noqa: F401 -- fixtures, re-exported
