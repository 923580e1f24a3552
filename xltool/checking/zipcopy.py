"""Write a zip whose members are either copied from another zip as stored (their
compressed bytes, never inflated) or given anew. Only what an OOXML package needs:
stored and deflated members, no encryption, no zip64 (the input limits keep a form far
below 4 GiB)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_UTF8 = 0x0800
_KEEP_FLAGS = 0x0806  # UTF-8 names and the deflate level; never a data descriptor


@dataclass(frozen=True)
class Entry:
    """One member, ready to write: its name as bytes, its stored (compressed) data."""

    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    size: int
    data: bytes
    made_by: int = 20
    external: int = 0


def copied(zip_bytes: bytes, info: zipfile.ZipInfo) -> Entry:
    """A member of ``zip_bytes`` as it is stored there, without inflating it."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"zip entry {info.filename} is encrypted or compressed oddly")
    head = zip_bytes[info.header_offset : info.header_offset + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise ValueError(f"zip entry {info.filename} points nowhere")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    data = zip_bytes[start : start + info.compress_size]
    if len(data) != info.compress_size:
        raise ValueError(f"zip entry {info.filename} is truncated")
    name = info.orig_filename.encode("utf-8" if info.flag_bits & _UTF8 else "cp437")
    time, date = _dos(info.date_time)
    return Entry(
        name,
        info.flag_bits & _KEEP_FLAGS,
        info.compress_type,
        time,
        date,
        info.CRC,
        info.file_size,
        data,
        (info.create_system << 8) | min(info.create_version, 63),
        info.external_attr,
    )


def packed(name: str, content: bytes, date_time: tuple[int, ...]) -> Entry:
    """A new member, deflated."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = compressor.compress(content) + compressor.flush()
    time, date = _dos(date_time)
    flags = 0 if name.isascii() else _UTF8
    crc = zlib.crc32(content)
    return Entry(name.encode(), flags, zipfile.ZIP_DEFLATED, time, date, crc, len(content), data)


def write_zip(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    central = []
    for e in entries:
        offset = out.tell()
        common = (e.flags, e.method, e.dos_time, e.dos_date, e.crc, len(e.data), e.size)
        out.write(_LOCAL.pack(b"PK\x03\x04", 20, *common, len(e.name), 0))
        out.write(e.name)
        out.write(e.data)
        tail = (len(e.name), 0, 0, 0, 0, e.external, offset)
        central.append(_CENTRAL.pack(b"PK\x01\x02", e.made_by, 20, *common, *tail) + e.name)
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    if len(entries) > 0xFFFF or out.tell() > 0xFFFFFFFF:
        raise ValueError("the copy would need zip64")
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), size, start, 0))
    return out.getvalue()


def _dos(date_time: tuple[int, ...]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time[:6]
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
