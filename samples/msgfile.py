"""Write a minimal Outlook message (.msg) for test data: no Python library writes one.

A .msg is a Compound File (MS-CFB, "OLE2 structured storage") holding MAPI properties as laid out
by MS-OXMSG: a ``__properties_version1.0`` stream of fixed-size properties, one
``__substg1.0_<tag>`` stream per variable-size property (strings as UTF-16LE), a storage per
attachment (``__attach_version1.0_#00000000``) and per recipient, and the named-property mapping
storage ``__nameid_version1.0``. This module writes version 3 compound files (512-byte sectors),
streams under 4096 bytes in the mini stream, and only the properties a reader needs to find the
sender, the date, the subject, the body and each attachment's name and bytes.

    write_msg(path, sender="Avery Sample <avery@example.org>", sent_at=datetime(...),
              subject="...", body="...", attachments=[("form.pdf", b"%PDF-...")])

Written from the two open specifications above; checked by reading the result with extract-msg
(and olefile), see tests/samples/test_renditions.py.
"""

from __future__ import annotations

import struct
from itertools import pairwise
from datetime import UTC, datetime
from email.utils import format_datetime, parseaddr
from pathlib import Path

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF

PT_LONG, PT_BOOLEAN, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x000B, 0x0040, 0x001F, 0x0102


def _filetime(moment: datetime) -> int:
    epoch = datetime(1601, 1, 1, tzinfo=UTC)
    return int((moment.astimezone(UTC) - epoch).total_seconds() * 10_000_000)


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data  # kind: 1 storage, 2 stream, 5 root
        self.children: list[_Entry] = []
        self.left = self.right = self.child = NO_STREAM
        self.start, self.size = END, 0

    def sort_key(self) -> tuple[int, str]:
        return len(self.name), self.name.upper()


def _property_streams(properties: list[tuple[int, int, object]], header: bytes) -> dict[str, bytes]:
    """The fixed-size properties stream and one stream per variable-size property."""
    table = bytearray(header)
    streams: dict[str, bytes] = {}
    for prop_id, prop_type, value in properties:
        tag = (prop_id << 16) | prop_type
        flags = 0x00000006  # readable, writable
        if prop_type in (PT_UNICODE, PT_BINARY):
            # a string's stream holds no terminator; its size in the table counts one
            data = str(value).encode("utf-16-le") if prop_type == PT_UNICODE else bytes(value)  # type: ignore[arg-type]
            streams[f"__substg1.0_{tag:08X}"] = data
            table += struct.pack("<IIII", tag, flags, len(data) + (2 if prop_type == PT_UNICODE else 0), 0)
        elif prop_type == PT_SYSTIME:
            table += struct.pack("<IIQ", tag, flags, _filetime(value))  # type: ignore[arg-type]
        else:
            table += struct.pack("<IIi4x", tag, flags, int(value))  # type: ignore[call-overload]
    streams["__properties_version1.0"] = bytes(table)
    return streams


def _tree(name: str, kind: int, content: dict[str, object]) -> _Entry:
    entry = _Entry(name, kind)
    for child_name, child in content.items():
        if isinstance(child, dict):
            entry.children.append(_tree(child_name, 1, child))
        else:
            entry.children.append(_Entry(child_name, 2, bytes(child)))  # type: ignore[arg-type]
    return entry


def _flatten(root: _Entry) -> list[_Entry]:
    """Directory entries in order; each storage's children as a right-leaning search tree."""
    entries = [root]
    queue = [root]
    while queue:
        storage = queue.pop(0)
        children = sorted(storage.children, key=_Entry.sort_key)
        ids = []
        for child in children:
            ids.append(len(entries))
            entries.append(child)
            if child.kind == 1:
                queue.append(child)
        if ids:
            storage.child = ids[0]
            for this, following in pairwise(ids):
                entries[this].right = following
    return entries


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else END


def compound_file(content: dict[str, object]) -> bytes:
    """A version 3 compound file of the storages (dicts) and streams (bytes) in ``content``."""
    root = _tree("Root Entry", 5, content)
    entries = _flatten(root)
    mini = bytearray()
    mini_fat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != 2:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            entry.start = END
        elif entry.size < MINI_CUTOFF:
            first = len(mini) // MINI_SECTOR
            count = -(-entry.size // MINI_SECTOR)
            mini += entry.data + b"\x00" * (count * MINI_SECTOR - entry.size)
            mini_fat.extend([0] * count)
            _chain(mini_fat, first, count)
            entry.start = first
        else:
            big.append(entry)

    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        count = max(1, -(-len(data) // SECTOR))
        first = len(sectors)
        padded = data + b"\x00" * (count * SECTOR - len(data))
        sectors.extend(padded[i * SECTOR : (i + 1) * SECTOR] for i in range(count))
        fat.extend([0] * count)
        _chain(fat, first, count)
        return first

    for entry in big:
        entry.start = place(entry.data)
    if mini:
        root.start, root.size = place(bytes(mini)), len(mini)
    mini_fat_start, mini_fat_count = END, 0
    if mini_fat:
        mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
        mini_fat_bytes += struct.pack("<I", FREE) * ((-len(mini_fat)) % (SECTOR // 4))
        mini_fat_start = place(mini_fat_bytes)
        mini_fat_count = len(mini_fat_bytes) // SECTOR

    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-16-le")[:62] + b"\x00\x00"
        directory += name + b"\x00" * (64 - len(name))
        directory += struct.pack("<HBB", len(name), entry.kind, 1)
        directory += struct.pack("<III", entry.left, entry.right, entry.child)
        directory += b"\x00" * 16 + struct.pack("<I", 0) + struct.pack("<QQ", 0, 0)
        directory += struct.pack("<IQ", entry.start if entry.kind != 1 else 0, entry.size if entry.kind != 1 else 0)
    unused = b"\x00" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NO_STREAM, NO_STREAM, NO_STREAM)
    unused += b"\x00" * (128 - len(unused))
    while len(directory) % SECTOR:
        directory += unused
    directory_start = place(bytes(directory))

    # The FAT describes every sector, its own included.
    fat_count = 1
    while (len(sectors) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    if fat_count > 109:
        raise ValueError("the message is too large for this small writer (over ~7 MB)")
    fat_start = len(sectors)
    fat.extend([FAT_SECTOR] * fat_count)
    fat += [FREE] * (fat_count * (SECTOR // 4) - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    sectors.extend(fat_bytes[i * SECTOR : (i + 1) * SECTOR] for i in range(fat_count))

    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16)
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, fat_count, directory_start, 0, MINI_CUTOFF, mini_fat_start, mini_fat_count, END, 0)
    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header += struct.pack("<109I", *difat)
    return bytes(header) + b"".join(sectors)


def write_msg(
    path: Path,
    *,
    sender: str,
    sent_at: datetime,
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes]],
    to: str = "PSP Coordinator <psp-coordinator@example.org>",
) -> None:
    """An Outlook message from ``sender`` with ``attachments`` (name, bytes), sent at ``sent_at``."""
    name, address = parseaddr(sender)
    headers = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {format_datetime(sent_at)}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
    )
    message_props: list[tuple[int, int, object]] = [
        (0x001A, PT_UNICODE, "IPM.Note"),  # PR_MESSAGE_CLASS
        (0x0037, PT_UNICODE, subject),  # PR_SUBJECT
        (0x0C1A, PT_UNICODE, name or address),  # PR_SENDER_NAME
        (0x0C1F, PT_UNICODE, address),  # PR_SENDER_EMAIL_ADDRESS
        (0x0C1E, PT_UNICODE, "SMTP"),  # PR_SENDER_ADDRTYPE
        (0x0042, PT_UNICODE, name or address),  # PR_SENT_REPRESENTING_NAME
        (0x0065, PT_UNICODE, address),  # PR_SENT_REPRESENTING_EMAIL_ADDRESS
        (0x0039, PT_SYSTIME, sent_at),  # PR_CLIENT_SUBMIT_TIME
        (0x0E06, PT_SYSTIME, sent_at),  # PR_MESSAGE_DELIVERY_TIME
        (0x1000, PT_UNICODE, body),  # PR_BODY
        (0x007D, PT_UNICODE, headers),  # PR_TRANSPORT_MESSAGE_HEADERS
        (0x0E07, PT_LONG, 0x01 | 0x10),  # PR_MESSAGE_FLAGS: read, has attachments
    ]
    count = len(attachments)
    top_header = struct.pack("<8xIIII8x", 1, count, 1, count)  # next recipient, next attachment, counts
    content: dict[str, object] = dict(_property_streams(message_props, top_header))
    content["__nameid_version1.0"] = {
        "__substg1.0_00020102": b"",
        "__substg1.0_00030102": b"",
        "__substg1.0_00040102": b"",
    }
    recipient = [
        (0x0C15, PT_LONG, 1),  # PR_RECIPIENT_TYPE: To
        (0x3001, PT_UNICODE, parseaddr(to)[0]),  # PR_DISPLAY_NAME
        (0x3003, PT_UNICODE, parseaddr(to)[1]),  # PR_EMAIL_ADDRESS
        (0x3002, PT_UNICODE, "SMTP"),  # PR_ADDRTYPE
    ]
    content["__recip_version1.0_#00000000"] = _property_streams(recipient, b"\x00" * 8)
    for number, (file_name, data) in enumerate(attachments):
        properties = [
            (0x3705, PT_LONG, 1),  # PR_ATTACH_METHOD: by value
            (0x3707, PT_UNICODE, file_name),  # PR_ATTACH_LONG_FILENAME
            (0x3704, PT_UNICODE, file_name[:12]),  # PR_ATTACH_FILENAME
            (0x3001, PT_UNICODE, file_name),  # PR_DISPLAY_NAME
            (0x3703, PT_UNICODE, "." + file_name.rsplit(".", 1)[-1]),  # PR_ATTACH_EXTENSION
            (0x370E, PT_UNICODE, _mime(file_name)),  # PR_ATTACH_MIME_TAG
            (0x0E21, PT_LONG, number),  # PR_ATTACH_NUM
            (0x3701, PT_BINARY, data),  # PR_ATTACH_DATA_BIN
        ]
        content[f"__attach_version1.0_#{number:08X}"] = _property_streams(properties, b"\x00" * 8)
    path.write_bytes(compound_file(content))


def _mime(file_name: str) -> str:
    suffix = file_name.rsplit(".", 1)[-1].lower()
    return {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }.get(suffix, "application/octet-stream")
