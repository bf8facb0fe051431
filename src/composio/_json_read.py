"""A response body read as JSON: ``json.loads(content)``, exactly, for less (issue 21).

Every API answer is read here (``Response.json``, a page's own parse). ``json.loads`` of
bytes first guesses the encoding (UTF-8, -16 or -32, by where the NUL bytes are), then runs
the scanner between two whitespace regex matches: about 1 µs a call, whatever the size.
A body that starts with ``{`` or ``[`` followed by a non-NUL byte is UTF-8 by the same
guess (RFC 8259 8.1: what the API sends), so it is decoded as such and handed to the same
C scanner ``json.loads`` uses. Anything else -- leading whitespace, a BOM, another
encoding, anything the scanner refuses, data after the value -- goes to ``json.loads``
itself, so the value and every error are its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.scanner import make_scanner
from typing import Any

__all__ = ["read_json"]

#: the scanner of a decoder made as json.loads' own default one (the C scanner)
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_OPENERS = (0x7B, 0x5B)  # "{", "["
_JSON_SPACE = " \t\n\r"  # json's own whitespace (json.decoder.WHITESPACE)


def read_json(content: bytes) -> Any:
    """``json.loads(content)``: the same value, or the same error."""
    if type(content) is bytes and len(content) > 1 and content[0] in _OPENERS and content[1]:
        text = content.decode("utf-8", "surrogatepass")  # json.loads' own error handler
        try:
            value, end = _scan(text, 0)
        except StopIteration:
            return json.loads(content)  # its error
        if end == len(text) or not text[end:].strip(_JSON_SPACE):
            return value
    return json.loads(content)
