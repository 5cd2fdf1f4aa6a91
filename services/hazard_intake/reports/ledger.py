"""Which body each Idempotency-Key was first used with, in a table the workers of one host share.

The front door must not wait for a database: a key record per report, even written in groups,
cost intake a quarter of its throughput (the insert, the wait for it and FerretDB's CPU). The
report id is derived from reporter and key, so a retry can never make a second report: the case
service keeps the first report of each id. What the ledger adds is the draft's 422 for a key
reused with another body, answered at once instead of found later.

The table is a file mapped into memory by every worker of the host (`mmap`): fixed-size slots
in buckets of eight, each slot holding a digest of the report id, a digest of the body's
fingerprint and the second it was written. A bucket is locked with an `fcntl` record lock while
it is read and changed, so two workers racing one key agree on its first body; the kernel drops
the lock of a worker that dies. A full bucket gives up its oldest key (counted in
`hazard_intake_key_ledger_evicted_total`): such a key, or one reused on another replica or
after the file was lost, is no longer answered 422 but still never makes a second report, and
the case service reports the reuse to the reporter (`ReportKeyReused`).
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
from pathlib import Path

from prometheus_client import Counter

MAGIC = b"xiaoan-keys-v1\0\0"
_HEADER = struct.Struct("<16sQQ")  # magic, slots, retention seconds
HEADER_SIZE = 256  # keeps buckets aligned to their size
SLOT_SIZE = 32
BUCKET_SLOTS = 8
BUCKET_SIZE = SLOT_SIZE * BUCKET_SLOTS
KEY_SIZE = 16
BODY_SIZE = 12
_STAMP = struct.Struct("<I")  # seconds since 1970 (enough until 2106); 0 in a slot never used
_BUCKET_STAMPS = struct.Struct("<" + "28xI" * BUCKET_SLOTS)  # every slot's stamp at once
_EMPTY_KEY = bytes(KEY_SIZE)

EVICTED = Counter(
    "hazard_intake_key_ledger_evicted_total",
    "Idempotency-Keys forgotten before their retention ended because their bucket was full",
)


class KeyLedger:
    """Remember the first body of each report key, shared by every worker of this host."""

    def __init__(self, path: Path, *, slots: int, retention_seconds: int) -> None:
        if slots < BUCKET_SLOTS:
            raise ValueError(f"a key ledger needs at least {BUCKET_SLOTS} slots")
        self.path = path
        self.retention = retention_seconds
        self._buckets = slots // BUCKET_SLOTS
        size = HEADER_SIZE + self._buckets * BUCKET_SIZE
        header = _HEADER.pack(MAGIC, self._buckets * BUCKET_SLOTS, retention_seconds)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _prepare(self._fd, size, header)
            self._map = mmap.mmap(self._fd, size)
        except BaseException:
            os.close(self._fd)
            raise

    def close(self) -> None:
        """Unmap the table (the file stays for the other workers and the next start)."""
        self._map.close()
        os.close(self._fd)

    def first_use_matches(self, report_id: str, fingerprint: str, now: float) -> bool:
        """Record a key's body unless the key is known; return whether its first body is this one.

        `fingerprint` is a hex digest (shared.idempotency.fingerprint); `now` is in seconds.
        """
        key = hashlib.blake2b(report_id.encode(), digest_size=KEY_SIZE).digest()
        if key == _EMPTY_KEY:  # a never-used slot holds it: 2^-128, but cheap to rule out
            key = b"\x01" + key[1:]
        body = bytes.fromhex(fingerprint[: BODY_SIZE * 2])
        start = HEADER_SIZE + int.from_bytes(key[:8], "little") % self._buckets * BUCKET_SIZE
        stamp = int(now)
        fcntl.lockf(self._fd, fcntl.LOCK_EX, BUCKET_SIZE, start)
        try:
            return self._check_or_record(start, key, body, stamp)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, BUCKET_SIZE, start)

    def _check_or_record(self, start: int, key: bytes, body: bytes, stamp: int) -> bool:
        # One copy of the bucket and one unpack of its stamps: this runs for every report.
        bucket = self._map[start : start + BUCKET_SIZE]
        stamps = _BUCKET_STAMPS.unpack(bucket)
        live_after = stamp - self.retention  # a slot stamped at or before this is free
        at = bucket.find(key)
        while at > 0 and at % SLOT_SIZE:  # the digest's bytes seen across two slots: look on
            at = bucket.find(key, at + 1)
        if at >= 0:
            slot = at // SLOT_SIZE
            if stamps[slot] > live_after:
                return bucket[at + KEY_SIZE : at + KEY_SIZE + BODY_SIZE] == body
            # Expired: the key starts afresh in its own slot (a key is never in two).
        else:
            slot = min(range(BUCKET_SLOTS), key=stamps.__getitem__)  # unused, expired or oldest
            if stamps[slot] > live_after:
                EVICTED.inc()  # every slot holds a live key: the oldest goes
        at = start + slot * SLOT_SIZE
        self._map[at : at + SLOT_SIZE] = key + body + _STAMP.pack(stamp)
        return True


def _prepare(fd: int, size: int, header: bytes) -> None:
    """Create the table, or start it afresh if it was laid out for other settings."""
    fcntl.flock(fd, fcntl.LOCK_EX)  # the first worker to start lays it out, the others wait
    try:
        if os.fstat(fd).st_size == size and os.pread(fd, len(header), 0) == header:
            return
        os.ftruncate(fd, 0)
        os.ftruncate(fd, size)  # sparse: pages are only backed once keys land in them
        os.pwrite(fd, header, 0)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
