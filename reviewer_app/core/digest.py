"""SHA-256 from the interpreter's own implementation, without loading OpenSSL.

``import hashlib`` loads the OpenSSL library, about 5 ms of every start; the change id, the rule pack
hash and the cache keys need nothing but SHA-256, which CPython also builds in (``_sha2`` from 3.12,
``_sha256`` before). Same digests either way; hashlib is the fallback where neither is built in.
"""

from __future__ import annotations

try:
    from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # Python 3.11
    except ImportError:  # an interpreter built without its own hashes
        from hashlib import sha256  # type: ignore[assignment]

__all__ = ["sha256"]
