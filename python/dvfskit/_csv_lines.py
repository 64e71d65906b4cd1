"""Editor line numbers of the data rows :func:`pandas.read_csv` returns.

pandas reports no line numbers. To name the line of a bad cell as a text editor shows it (after
quoted fields that span lines, ``skiprows=``, comment and blank lines), the file's records are
found again here with pandas' own tokenizing rules (C engine: a quote opens a quoted field only
at the start of a field, doubled quotes inside, a comment character ends the line outside quotes;
``skiprows`` counts records, blank and comment ones included), then skipped as pandas skips them.
The result is trusted only when it yields exactly the number of rows pandas returned; otherwise
(options this does not model, such as a regular-expression separator or ``on_bad_lines="skip"``)
it is ``None`` and errors fall back to data row positions.
"""
from __future__ import annotations

import codecs
import csv
import re
from typing import Any, List, Mapping, Optional, Tuple

import numpy as np

#: read_csv options that change which records are rows in ways not modelled here.
_UNMODELLED = ("delim_whitespace", "lineterminator", "dialect", "escapechar", "on_bad_lines")


def data_line_numbers(data: bytes, options: Mapping[str, Any], n_rows: int) -> Optional[np.ndarray]:
    """1-based editor line of each of the ``n_rows`` data rows that ``pandas.read_csv(**options)``
    returned for the file content ``data``, or ``None`` when this cannot be told for sure."""
    text = _utf8(data, options.get("encoding"))
    sep = options.get("sep", options.get("delimiter", ","))
    quotechar = options.get("quotechar", '"')
    comment = options.get("comment")
    if (text is None or any(options.get(k) not in (None, False, "error") for k in _UNMODELLED)
            or not _single_ascii(sep) or not _single_ascii(quotechar)
            or comment is not None and not _single_ascii(comment)
            or not isinstance(options.get("header", "infer"), (int, str, type(None)))):
        return None
    quoting = options.get("quoting", csv.QUOTE_MINIMAL)
    records = _records(text, sep, None if quoting == csv.QUOTE_NONE else quotechar,
                       bool(options.get("doublequote", True)), comment, bool(options.get("skipinitialspace", False)))
    if records is None:
        return None
    starts, kinds = records
    keep = np.ones(len(starts), dtype=bool)
    skiprows = options.get("skiprows")
    index = np.arange(len(starts))
    if callable(skiprows):
        keep &= ~np.array([bool(skiprows(int(i))) for i in index], dtype=bool)
    elif isinstance(skiprows, (int, np.integer)):
        keep &= index >= int(skiprows)
    elif skiprows is not None:
        keep &= ~np.isin(index, np.asarray(list(skiprows), dtype=np.int64))
    keep &= kinds != _COMMENT
    if options.get("skip_blank_lines", True):
        keep &= kinds != _BLANK
    lines = _line_of(text, starts[keep])
    header = options.get("header", "infer")
    if header == "infer":
        header = None if options.get("names") is not None else 0
    if header is not None:
        lines = lines[int(header) + 1:]
    nrows = options.get("nrows")
    if nrows is not None:
        lines = lines[: int(nrows)]
    footer = int(options.get("skipfooter", 0) or 0)
    if footer:
        lines = lines[:-footer]
    return lines if len(lines) == n_rows else None


_DATA, _BLANK, _COMMENT = 0, 1, 2


def _single_ascii(c: Any) -> bool:
    return isinstance(c, str) and len(c) == 1 and ord(c) < 128 and c != "\n" and c != "\r"


def _utf8(data: bytes, encoding: Optional[str]) -> Optional[bytes]:
    """The content with the line and field structure of its text in ASCII bytes (``None`` when
    it cannot be decoded)."""
    enc = encoding or "utf-8"
    try:
        probe = "\n\r,;\t\"'#|".encode(enc)
    except (LookupError, UnicodeError):
        return None
    if codecs.lookup(enc).name not in ("utf-8", "ascii") and probe != b"\n\r,;\t\"'#|":
        try:  # UTF-16 and the like: the structure in UTF-8 is the same
            data = data.decode(enc).encode("utf-8")
        except (UnicodeError, LookupError):
            return None
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _records(text: bytes, sep: str, quote: Optional[str], doublequote: bool, comment: Optional[str],
             skipinitialspace: bool) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Start offsets and kinds of the records of ``text`` (line breaks already ``\\n``)."""
    if not text.endswith(b"\n"):
        text += b"\n"
    s = re.escape(sep.encode())
    c = re.escape(comment.encode()) if comment else b""
    stop = b"[^" + s + b"\\n" + c + b"]"  # a character that does not end an unquoted field
    if quote:
        q = re.escape(quote.encode())
        inside = b"(?:[^" + q + b"]|" + q + q + b")*" if doublequote else b"[^" + q + b"]*"
        quoted = (b" *" if skipinitialspace else b"") + q + inside + q + stop + b"*"
        plain = b"[^" + q + s + b"\\n" + c + b"]" + stop + b"*"
        field = b"(?:" + quoted + b"|" + plain + b")?"
    else:
        field = stop + b"*"
    tail = b"(?:" + c + b"[^\\n]*)?" if comment else b""
    pattern = re.compile(field + b"(?:" + s + field + b")*" + tail + b"\\n")
    starts: List[int] = []
    kinds: List[int] = []
    spaces = "".join(ch for ch in " \t" if ch != sep).encode()  # a separator makes (empty) fields
    blank = re.compile(b"[" + re.escape(spaces) + b"]*\\n" if spaces else b"\\n")
    end = 0
    comment_byte = comment.encode() if comment else None
    for m in pattern.finditer(text):
        if m.start() != end:  # not pandas' structure after all
            return None
        end = m.end()
        starts.append(m.start())
        if comment_byte is not None and text.startswith(comment_byte, m.start()):
            kinds.append(_COMMENT)
        elif blank.fullmatch(text, m.start(), m.end()):
            kinds.append(_BLANK)
        else:
            kinds.append(_DATA)
    if end != len(text):
        return None
    return np.asarray(starts, dtype=np.int64), np.asarray(kinds, dtype=np.int8)


def _line_of(text: bytes, offsets: np.ndarray) -> np.ndarray:
    newlines = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\n"))
    return np.searchsorted(newlines, offsets, side="left") + 1
