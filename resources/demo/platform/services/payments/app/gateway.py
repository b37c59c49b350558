"""The card gateway: every call has a deadline and a bounded number of retries."""

from __future__ import annotations

from http_client.client import ServiceClient

# The gateway's own SLA is 1.5 s; beyond 3 s the customer has already given up.
GATEWAY_TIMEOUT_SECONDS = 3.0
GATEWAY_MAX_RETRIES = 2


class CardGateway:
    def __init__(self, base_url: str) -> None:
        self._client = ServiceClient(
            base_url,
            timeout=GATEWAY_TIMEOUT_SECONDS,
            max_retries=GATEWAY_MAX_RETRIES,
        )

    def authorise(self, card_token: str, amount_cents: int, idempotency_key: str) -> dict:
        return self._client.post(
            "/authorise",
            json={"card": card_token, "amount": amount_cents},
            headers={"Idempotency-Key": idempotency_key},
        )

    def refund(self, authorisation_id: str, idempotency_key: str) -> dict:
        return self._client.post(
            f"/authorisations/{authorisation_id}/refund",
            json={},
            headers={"Idempotency-Key": idempotency_key},
        )
