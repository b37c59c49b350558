"""A small JSON client with a deadline and bounded retries on every call."""

from __future__ import annotations

import json
import time
import urllib.request


class ServiceClient:
    def __init__(self, base_url: str, timeout: float, max_retries: int) -> None:
        if timeout <= 0:
            raise ValueError("a call without a deadline can hang a worker forever")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries

    def post(self, path: str, json: dict, headers: dict | None = None) -> dict:
        return self._call("POST", path, json, headers or {})

    def _call(self, method: str, path: str, body: dict, headers: dict) -> dict:
        data = _encode(body)
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _decode(response.read())
            except OSError:
                if attempt == self.max_retries:
                    raise
                time.sleep(0.1 * 2 ** attempt)
        raise AssertionError("unreachable")


def _encode(body: dict) -> bytes:
    return json.dumps(body).encode()


def _decode(data: bytes) -> dict:
    return json.loads(data)
