"""Request fingerprints: the same request matches, any other does not."""

from __future__ import annotations

import pytest

from shared.errors import ApiError
from shared.idempotency import fingerprint, require_key


def test_same_request_same_fingerprint_regardless_of_key_order() -> None:
    a = fingerprint("POST", "/v1/reports", {"category": "fire", "description": "灭火器过期"})
    b = fingerprint("POST", "/v1/reports", {"description": "灭火器过期", "category": "fire"})
    assert a == b


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/reports", {"category": "fire", "description": "灭火器已过期"}),
        ("POST", "/v1/grids", {"category": "fire", "description": "灭火器过期"}),
        ("PUT", "/v1/reports", {"category": "fire", "description": "灭火器过期"}),
    ],
)
def test_any_difference_changes_the_fingerprint(method: str, path: str, body: dict) -> None:
    base = fingerprint("POST", "/v1/reports", {"category": "fire", "description": "灭火器过期"})
    assert fingerprint(method, path, body) != base


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 256])
def test_missing_or_unusable_keys_are_refused(key: str | None) -> None:
    with pytest.raises(ApiError) as refused:
        require_key(key)
    assert refused.value.status_code in (400, 422)
