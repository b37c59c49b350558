"""The payments service, as checkout sees it."""

from __future__ import annotations

from http_client.client import ServiceClient


class PaymentsClient:
    def __init__(self, base_url: str) -> None:
        # Payments answers in 300 ms at p99; 2 s leaves room for a slow card network without
        # holding a checkout worker forever.
        self._client = ServiceClient(base_url, timeout=2.0, max_retries=2)

    def authorise(self, customer_id: str, amount_cents: int, idempotency_key: str):
        return self._client.post(
            "/v1/authorisations",
            json={"customer": customer_id, "amount": amount_cents},
            headers={"Idempotency-Key": idempotency_key},
        )
