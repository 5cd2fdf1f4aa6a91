"""Our webhook signatures verify with the Standard Webhooks reference library."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.agency_integration.agencies.service import new_webhook_secret
from services.agency_integration.deliveries import signing
from shared.clock import utc_now


def test_signed_delivery_verifies_with_the_reference_implementation() -> None:
    secret = new_webhook_secret()
    body = '{"type":"hazard.opened","data":{"description":"围墙缺口"}}'.encode()
    headers = signing.headers(secret, "msg_1", int(utc_now().timestamp()), body)
    assert Webhook(secret).verify(body, headers)["type"] == "hazard.opened"


def test_tampered_body_or_other_secret_fails_verification() -> None:
    secret = new_webhook_secret()
    body = b'{"type":"hazard.opened"}'
    headers = signing.headers(secret, "msg_1", int(utc_now().timestamp()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"type":"hazard.closed"}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, headers)
