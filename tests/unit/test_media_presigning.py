"""Presigned upload policies and viewing URLs: signed for the host phones reach, no lookups."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.storage import ObjectStore, split_endpoint


def store(public_endpoint: str | None) -> ObjectStore:
    # An internal name nothing resolves here: presigning must not touch the network.
    return ObjectStore(
        "minio.internal.invalid:9000",
        "xiaoan",
        "not-a-real-secret",
        secure=False,
        region="us-east-1",
        public_endpoint=public_endpoint,
    )


def test_urls_are_signed_for_the_public_endpoint() -> None:
    public = store("https://photos.example.cn")
    get_url = public.presigned_get_url("media", "photos/a.jpg", timedelta(minutes=5))
    assert get_url.startswith("https://photos.example.cn/media/photos/a.jpg?")
    assert "X-Amz-Expires=300" in get_url
    post = public.presigned_post(
        "media",
        "uploads/a",
        content_type="image/png",
        max_bytes=1000,
        lifetime=timedelta(minutes=1),
    )
    assert post.url == "https://photos.example.cn/media"
    # Without a public endpoint, the internal one (and its TLS setting) is used.
    internal = store(None).presigned_get_url("media", "photos/a.jpg", timedelta(minutes=5))
    assert internal.startswith("http://minio.internal.invalid:9000/media/")


def test_the_post_policy_pins_key_type_and_size_and_expires_in_minutes() -> None:
    before = datetime.now(UTC)
    post = store("s3.example.cn:443").presigned_post(
        "media",
        "uploads/2026/11/m1",
        content_type="image/jpeg",
        max_bytes=10 * 1024 * 1024,
        lifetime=timedelta(minutes=5),
    )
    assert post.fields["key"] == "uploads/2026/11/m1"
    assert post.fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    conditions = policy["conditions"]
    assert ["eq", "$key", "uploads/2026/11/m1"] in conditions
    assert ["eq", "$Content-Type", "image/jpeg"] in conditions
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    assert not any(c[0] == "starts-with" for c in conditions if isinstance(c, list))
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=4) < expires - before <= timedelta(minutes=5, seconds=1)
    assert abs(post.expires_at - expires) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("endpoint", "secure", "expected"),
    [
        ("minio:9000", False, ("minio:9000", False)),
        ("minio:9000", True, ("minio:9000", True)),
        ("https://s3.example.cn", False, ("s3.example.cn", True)),
        ("http://192.168.1.20:9000/", True, ("192.168.1.20:9000", False)),
    ],
)
def test_public_endpoint_is_host_port_or_a_url(
    endpoint: str, secure: bool, expected: tuple[str, bool]
) -> None:
    assert split_endpoint(endpoint, secure=secure) == expected


@pytest.mark.parametrize("endpoint", ["https://s3.example.cn/bucket", "ftp://s3.example.cn"])
def test_a_public_endpoint_with_a_path_or_another_scheme_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        split_endpoint(endpoint, secure=False)
