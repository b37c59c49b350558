"""Sign-in sessions: issue, check and end them."""

from __future__ import annotations

import hashlib
import secrets
import time

SESSION_LIFETIME_SECONDS = 12 * 3600


def issue_session(store, user_id: str) -> str:
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    store.put(digest, {"user": user_id, "expires": time.time() + SESSION_LIFETIME_SECONDS})
    return token


def check_session(store, token: str) -> str | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    record = store.get(digest)
    if record is None:
        return None
    if record["expires"] < time.time():
        store.delete(digest)
        return None
    return record["user"]


def end_session(store, token: str) -> None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    store.delete(digest)
