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
_KEY = slice(0, 16)
_BODY = slice(16, 28)
_STAMP = struct.Struct("<I")  # seconds since 1970: enough until 2106
_STAMP_AT = 28
_EMPTY_KEY = bytes(16)

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
        key = hashlib.blake2b(report_id.encode(), digest_size=16).digest()
        if key == _EMPTY_KEY:  # that digest marks a free slot; 2^-128, but cheap to rule out
            key = b"\x01" + key[1:]
        body = bytes.fromhex(fingerprint[:24])
        start = HEADER_SIZE + int.from_bytes(key[:8], "little") % self._buckets * BUCKET_SIZE
        stamp = int(now)
        fcntl.lockf(self._fd, fcntl.LOCK_EX, BUCKET_SIZE, start)
        try:
            return self._check_or_record(start, key, body, stamp)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, BUCKET_SIZE, start)

    def _check_or_record(self, start: int, key: bytes, body: bytes, stamp: int) -> bool:
        table = self._map
        expired_before = stamp - self.retention
        chosen, chosen_stamp = start, None
        for at in range(start, start + BUCKET_SIZE, SLOT_SIZE):
            slot = table[at : at + SLOT_SIZE]
            (written,) = _STAMP.unpack_from(slot, _STAMP_AT)
            if slot[_KEY] == key and written > expired_before:
                return slot[_BODY] == body
            if slot[_KEY] == _EMPTY_KEY or written <= expired_before:
                written = -1  # free, or free to reuse: take it before any live key
            if chosen_stamp is None or written < chosen_stamp:
                chosen, chosen_stamp = at, written
        if chosen_stamp is not None and chosen_stamp >= 0:
            EVICTED.inc()  # every slot holds a live key: the oldest goes
        table[chosen : chosen + SLOT_SIZE] = key + body + _STAMP.pack(stamp)
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
