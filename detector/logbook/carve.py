"""Rows read straight from the pages of a damaged SQLite file, without SQLite.

When the schema page or a table's root page is lost, SQL cannot reach the leaf pages
below it although they are intact. This reads every page of the database file and every
frame of its write-ahead log, takes each table-leaf page's cells (following overflow
chains), and decodes their records, by the SQLite file format
(https://www.sqlite.org/fileformat2.html: b-tree pages, cells, varints, serial types).
Which table a row came from is not known here: callers match rows by their shape, and the
logbook keeps only rows that verify with a device key, so a misread row cannot pass.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HEADER_MAGIC = b"SQLite format 3\x00"
TABLE_LEAF = 0x0D
WAL_HEADER = 32
WAL_FRAME_HEADER = 24
Value = int | float | str | bytes | None


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """(value, next offset) of the big-endian varint at `at` (1-9 bytes)."""
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | data[at + 8], at + 9


def page_size(db: bytes) -> int:
    """From the header where it reads; 4096 (SQLite's default, and the logbook's) else."""
    if db.startswith(HEADER_MAGIC):
        size = struct.unpack(">H", db[16:18])[0]
        size = 65536 if size == 1 else size
        if size >= 512 and size & (size - 1) == 0:
            return size
    return 4096


def _pages(db: bytes, wal: bytes, size: int) -> dict[int, list[bytes]]:
    """Page number -> every copy of it: the database file's, then the log's frames."""
    pages: dict[int, list[bytes]] = {}
    for number in range(len(db) // size):
        pages.setdefault(number + 1, []).append(db[number * size:(number + 1) * size])
    at = WAL_HEADER
    while at + WAL_FRAME_HEADER + size <= len(wal):
        number = struct.unpack(">I", wal[at:at + 4])[0]
        pages.setdefault(number, []).append(wal[at + WAL_FRAME_HEADER:
                                                at + WAL_FRAME_HEADER + size])
        at += WAL_FRAME_HEADER + size
    return pages


def _payload(page: bytes, at: int, pages: dict[int, list[bytes]], size: int) -> bytes | None:
    """A leaf cell's whole payload, overflow pages included (their first copy)."""
    length, at = _varint(page, at)
    _rowid, at = _varint(page, at)
    usable = size  # no reserved bytes at the end of the logbook's pages
    most = usable - 35
    if length <= most:
        return page[at:at + length]
    least = (usable - 12) * 32 // 255 - 23
    local = least + (length - least) % (usable - 4)
    if local > most:
        local = least
    out = bytearray(page[at:at + local])
    following = struct.unpack(">I", page[at + local:at + local + 4])[0]
    seen = set()
    while len(out) < length:
        if following in seen or following not in pages:
            return None
        seen.add(following)
        overflow = pages[following][0]
        following = struct.unpack(">I", overflow[:4])[0]
        out += overflow[4:usable]
    return bytes(out[:length])


def _record(payload: bytes) -> list[Value] | None:
    """The values of an SQLite record, or None where it does not parse."""
    header_size, at = _varint(payload, 0)
    types = []
    while at < header_size:
        serial, at = _varint(payload, at)
        types.append(serial)
    values: list[Value] = []
    at = header_size
    widths = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in widths:
            n = widths[serial]
            values.append(int.from_bytes(payload[at:at + n], "big", signed=True))
            at += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[at:at + 8])[0])
            at += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = payload[at:at + n]
            values.append(raw if serial % 2 == 0 else raw.decode("utf-8", "replace"))
            at += n
        else:
            return None
    return values if at <= len(payload) else None


def carve_rows(db: bytes, wal: bytes = b"") -> Iterator[list[Value]]:
    """Every row of every table-leaf page that can be decoded."""
    size = page_size(db)
    pages = _pages(db, wal, size)
    for number, copies in pages.items():
        for page in copies:
            start = 100 if number == 1 else 0
            if len(page) < start + 8 or page[start] != TABLE_LEAF:
                continue
            cells = struct.unpack(">H", page[start + 3:start + 5])[0]
            for i in range(cells):
                try:
                    pointer = struct.unpack(">H", page[start + 8 + 2 * i:start + 10 + 2 * i])[0]
                    payload = _payload(page, pointer, pages, size)
                    values = _record(payload) if payload is not None else None
                except (IndexError, struct.error, ValueError):
                    continue
                if values is not None:
                    yield values
