"""A message's shape, bounded before it is parsed: the email package parses recursively,
so a message whose parts nest 1,000 deep exhausts Python's stack, and one of a million
parts its memory. :func:`mime_problem` reads the bytes line by line, following the
multipart boundaries as the parser does, and says why a message is refused, or None."""

from __future__ import annotations

import io
import re

MAX_DEPTH = 30  # parts and messages inside each other; real mail nests fewer than 10
MAX_PARTS = 1000

NESTED = (
    f"邮件嵌套过深（超过 {MAX_DEPTH} 层），未读取",
    f"the message nests deeper than {MAX_DEPTH} levels; not read",
)
_CONTENT_TYPE = re.compile(rb"(?im)^content-type:[ \t]*(multipart|message)/([^\n]*)")
_BOUNDARY = re.compile(rb'(?i)\bboundary\*?=[ \t]*(?:"([^"]+)"|([^;\s]+))')


def mime_problem(raw: bytes) -> tuple[str, str] | None:
    """Why a message is refused before it is parsed (too deep, too many parts), or None."""
    shape = _Shape()
    for line in io.BytesIO(raw):
        shape.feed(line.rstrip(b"\r\n"))
        if shape.depth > MAX_DEPTH:
            return NESTED
        if shape.parts > MAX_PARTS:
            return (
                f"邮件有超过 {MAX_PARTS} 个部分，未读取",
                f"the message has more than {MAX_PARTS} parts; not read",
            )
    return None


class _Shape:
    """A walk over a message's lines that follows its multipart boundaries as the email
    package's parser does: how deep parts nest (a multipart, or a message/rfc822, inside
    another) and how many parts there are."""

    def __init__(self) -> None:
        self.depth = self.parts = self.level = 0
        self.open: list[tuple[bytes, int]] = []  # multiparts open: boundary, level inside
        self.header: list[bytes] | None = []  # the header block being read, or None

    def feed(self, line: bytes) -> None:
        if self.header is not None:
            if line.strip():
                self.header.append(line)
            else:
                self._body(self.header)
        elif line.startswith(b"--") and self.open:
            self._boundary(line)

    def _body(self, header: list[bytes]) -> None:
        """A header block ended: a message in a message, a multipart, or a leaf."""
        text = re.sub(rb"\n[ \t]+", b" ", b"\n".join(header))
        match = _CONTENT_TYPE.search(text)
        kind = match.group(1).lower() if match else None
        boundary = _BOUNDARY.search(match.group(2)) if match else None
        self.header = [] if kind == b"message" else None
        if kind == b"message" or (kind == b"multipart" and boundary):
            self.level += 1
            self.depth = max(self.depth, self.level)
        if kind == b"multipart" and boundary:
            self.open.append((boundary.group(1) or boundary.group(2), self.level))

    def _boundary(self, line: bytes) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            boundary, level = self.open[i]
            if not line[2:].startswith(boundary):
                continue
            rest = line[2 + len(boundary) :].rstrip(b" \t")
            if rest not in (b"", b"--"):
                continue
            del self.open[i + 1 :]
            self.level = level
            if rest == b"--":  # the multipart ends: its epilogue is the body around it
                self.open.pop()
                self.level -= 1
            else:
                self.parts += 1
                self.header = []
            return
