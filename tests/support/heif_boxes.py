"""Turning a HEIC the way iPhones do: by an `irot` property on its primary image.

Pillow and pillow-heif write no `irot`, so tests add one to a file they encoded: the property
box goes at the end of `ipco`, the primary item's entry in `ipma` gains an association to it,
the enclosing boxes grow, and `iloc`'s file offsets move past the inserted bytes. Only what
pillow-heif writes is handled (32-bit box sizes, one `meta` box before `mdat`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

FULL_BOX_HEADER = 12  # size, type, version, flags


def with_irot(data: bytes, quarter_turns_anticlockwise: int) -> bytes:
    """Return a HEIC whose primary image is turned by `irot` (1 = 90° anticlockwise)."""
    out = bytearray(data)
    meta, meta_size = _find(out, 0, len(out), b"meta")
    inside_meta = (meta + FULL_BOX_HEADER, meta + meta_size)
    primary = _primary_item(out, *inside_meta)
    iprp, iprp_size = _find(out, *inside_meta, b"iprp")
    ipco, ipco_size = _find(out, iprp + 8, iprp + iprp_size, b"ipco")
    ipma, _ = _find(out, iprp + 8, iprp + iprp_size, b"ipma")
    property_index = sum(1 for _ in _boxes(out, ipco + 8, ipco + ipco_size)) + 1

    # ipma lies after ipco: change it first, so ipco's offsets still hold.
    association = _associate(out, ipma, primary, property_index)
    irot = struct.pack(">I4sB", 9, b"irot", quarter_turns_anticlockwise & 3)
    out[ipco + ipco_size : ipco + ipco_size] = irot
    grown = len(association) + len(irot)
    _grow(out, ipma + len(irot), len(association))
    _grow(out, ipco, len(irot))
    _grow(out, iprp, grown)
    _grow(out, meta, grown)
    _shift_file_offsets(out, meta, meta_size + grown, grown)
    return bytes(out)


def _boxes(data: bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        if size < 8:
            raise ValueError("64-bit or open-ended boxes are not handled")
        yield kind, at, size
        at += size


def _find(data: bytearray, start: int, end: int, kind: bytes) -> tuple[int, int]:
    for found, at, size in _boxes(data, start, end):
        if found == kind:
            return at, size
    raise LookupError(kind.decode())


def _grow(data: bytearray, box: int, by: int) -> None:
    struct.pack_into(">I", data, box, struct.unpack_from(">I", data, box)[0] + by)


def _primary_item(data: bytearray, start: int, end: int) -> int:
    pitm, _ = _find(data, start, end, b"pitm")
    if data[pitm + 8] == 0:
        return int(struct.unpack_from(">H", data, pitm + FULL_BOX_HEADER)[0])
    return int(struct.unpack_from(">I", data, pitm + FULL_BOX_HEADER)[0])


def _associate(data: bytearray, ipma: int, item: int, property_index: int) -> bytes:
    """Add an essential association of `item` to `property_index`; return the bytes added."""
    version, wide = data[ipma + 8], data[ipma + 11] & 1
    id_length, entry_length = (2 if version < 1 else 4), (2 if wide else 1)
    at = ipma + FULL_BOX_HEADER
    (entries,) = struct.unpack_from(">I", data, at)
    at += 4
    for _ in range(entries):
        entry_item = int.from_bytes(data[at : at + id_length], "big")
        at += id_length
        count = data[at]
        if entry_item == item:
            association = (
                struct.pack(">H", 0x8000 | property_index)
                if wide
                else bytes([0x80 | property_index])
            )
            data[at] = count + 1
            end = at + 1 + count * entry_length
            data[end:end] = association
            return association
        at += 1 + count * entry_length
    raise LookupError(f"item {item} has no properties")


def _shift_file_offsets(data: bytearray, meta: int, meta_size: int, delta: int) -> None:
    """Move `iloc`'s file offsets (construction method 0) by `delta` bytes."""
    iloc, _ = _find(data, meta + FULL_BOX_HEADER, meta + meta_size, b"iloc")
    version = data[iloc + 8]
    at = iloc + FULL_BOX_HEADER
    offset_size, length_size = data[at] >> 4, data[at] & 15
    base_size = data[at + 1] >> 4
    index_size = data[at + 1] & 15 if version in (1, 2) else 0
    at += 2
    count_length = 2 if version < 2 else 4
    items = int.from_bytes(data[at : at + count_length], "big")
    at += count_length
    for _ in range(items):
        at += count_length  # item id
        method = 0
        if version in (1, 2):
            method = int.from_bytes(data[at : at + 2], "big") & 15
            at += 2
        at += 2  # data reference index
        base = int.from_bytes(data[at : at + base_size], "big")
        if method == 0 and base:
            data[at : at + base_size] = (base + delta).to_bytes(base_size, "big")
        at += base_size
        extents = int.from_bytes(data[at : at + 2], "big")
        at += 2
        for _ in range(extents):
            at += index_size
            if method == 0 and not base:
                offset = int.from_bytes(data[at : at + offset_size], "big")
                data[at : at + offset_size] = (offset + delta).to_bytes(offset_size, "big")
            at += offset_size + length_size


def with_exif_orientation(data: bytes, orientation: int) -> bytes:
    """Return the file with its EXIF orientation (written as 1) set to `orientation`."""
    entries = {
        b"II": (
            b"\x12\x01\x03\x00\x01\x00\x00\x00",
            b"\x01\x00",
            orientation.to_bytes(2, "little"),
        ),
        b"MM": (b"\x01\x12\x00\x03\x00\x00\x00\x01", b"\x00\x01", orientation.to_bytes(2, "big")),
    }
    for tag, one, wanted in entries.values():
        if data.count(tag + one) == 1:
            return data.replace(tag + one, tag + wanted)
    raise LookupError("no single EXIF orientation entry of 1")
