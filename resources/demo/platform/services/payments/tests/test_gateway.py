from app.gateway import GATEWAY_MAX_RETRIES, GATEWAY_TIMEOUT_SECONDS


def test_gateway_calls_are_bounded():
    assert 0 < GATEWAY_TIMEOUT_SECONDS <= 5
    assert 0 < GATEWAY_MAX_RETRIES <= 3
