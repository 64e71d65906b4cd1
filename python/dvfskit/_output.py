"""Crash-safe sweep output: a folder of finished chunks plus a manifest, resumable.

``sweep(..., out="x.parquet")`` (or ``"x.csv"``) writes a *folder* named ``x.parquet``::

    x.parquet/
        _manifest.json          what the sweep was (fingerprint, rows, chunk size), whether it completed
        part-000000.parquet     chunk 0: rows [0, chunk_size)
        part-000001.parquet     chunk 1: rows [chunk_size, 2 chunk_size)
        ...

Each chunk is written to a hidden temporary file (``.part-000001.parquet.tmp``), flushed to disk
(fsync) and only then renamed to its final name (an atomic rename). So at any moment, even after
``kill -9`` or a power cut, the visible part files are exactly the finished chunks, in order, and
each is a complete file. The CSV layout is the same (``x.csv/part-000000.csv``, one header per
part): CSV text appended to one file could end in a torn row, a renamed part cannot.

Reading back: :func:`read_sweep` (both formats, rows in sweep order, ``attrs`` from the
manifest); ``pandas.read_parquet("x.parquet")`` reads the Parquet folder too (pyarrow skips the
``_`` and ``.`` files). ``sweep(..., resume=True)`` continues an interrupted sweep from its last
finished chunk after checking that the sweep's definition (problem, grid or table, objective,
baselines: the manifest's fingerprint) is the same.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import pandas as pd

from ._data import require

#: Output formats by (case-insensitive) suffix.
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
MANIFEST = "_manifest.json"
_LAYOUT = "dvfskit-sweep-1"
_PART = re.compile(r"part-(\d+)\.(parquet|csv)\Z")
_TEMP = re.compile(r"\.(part-\d+\.(parquet|csv)|_manifest\.json)\.tmp\Z")

PathLike = Union[str, "os.PathLike[str]"]


def output_format(out: Any, option: str = "out") -> str:
    """``"parquet"`` or ``"csv"`` for an output path by its suffix (any case), else ValueError;
    Parquet checks up front that pyarrow is importable."""
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"{option} must be a path (str or os.PathLike), got {type(out).__name__}")
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{option} must end in .parquet or .csv, got {str(out)!r}")
    kind = FORMATS[suffix]
    if kind == "parquet":
        require("pyarrow.parquet", f"{option}={str(out)!r} (Parquet output)", "pyarrow")
    return kind


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_atomic(final: Path, write: Any) -> None:
    """``write(binary file)`` into a hidden temporary beside ``final``, fsync, rename over it."""
    tmp = final.with_name(f".{final.name}.tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def _read_manifest(path: Path) -> Dict[str, Any]:
    try:
        doc = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable sweep manifest {MANIFEST} ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("layout") != _LAYOUT:
        raise ValueError(f"{path}: {MANIFEST} is not a dvfskit sweep manifest")
    return doc


def _parts(path: Path, kind: Optional[str] = None) -> List[Path]:
    """The part files, in order; ValueError if they are not chunks 0..k-1."""
    found: Dict[int, Path] = {}
    for entry in path.iterdir():
        m = _PART.match(entry.name)
        if m and (kind is None or m.group(2) == kind):
            found[int(m.group(1))] = entry
    order = sorted(found)
    if order != list(range(len(order))):
        missing = next(i for i in range(len(order) + 1) if i not in found)
        raise ValueError(f"{path}: chunk {missing} is missing (the folder holds parts {order[:5]}...)")
    return [found[i] for i in order]


def _rows_in(part: Path, kind: str) -> int:
    if kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(part).metadata.num_rows)
    with open(part, newline="") as fh:
        return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


class MemorySink:
    """Keeps the chunks in memory (``sweep`` without ``out``)."""

    path: Optional[Path] = None
    rows_done = 0

    def __init__(self) -> None:
        self.frames: List[pd.DataFrame] = []

    def write(self, df: pd.DataFrame) -> None:
        self.frames.append(df)

    def close(self, complete: bool) -> None:
        pass


class FolderSink:
    """Writes each chunk as its own part file (see the module docstring)."""

    def __init__(self, out: PathLike, *, fingerprint: str, rows_total: int, chunk_size: int,
                 resume: bool = False) -> None:
        self.kind = output_format(out)
        self.path = Path(out)
        self.fingerprint, self.rows_total, self.chunk_size = fingerprint, int(rows_total), int(chunk_size)
        self._schema: Any = None
        parent = self.path.parent
        if not parent.is_dir():
            raise FileNotFoundError(f"out={str(out)!r}: folder {str(parent)!r} does not exist")
        previous = self._previous()
        if resume and previous is not None:
            self._resume(previous)
        else:
            self._start(previous is not None)

    # -- opening ----------------------------------------------------------------------------
    def _previous(self) -> Optional[Dict[str, Any]]:
        """The manifest of an earlier sweep in ``path``, None when there is nothing to keep."""
        p = self.path
        if not p.exists():
            return None
        if not p.is_dir():
            raise ValueError(f"out={str(p)!r} exists and is not a sweep output folder; remove it or choose another name")
        if (p / MANIFEST).exists():
            return _read_manifest(p)
        foreign = [e.name for e in p.iterdir() if not _TEMP.match(e.name)]
        if foreign:
            raise ValueError(f"out={str(p)!r} is a folder that is not a dvfskit sweep output "
                             f"(it holds {foreign[0]!r}, no {MANIFEST}); remove it or choose another name")
        return None

    def _manifest(self, complete: bool, rows_done: Optional[int] = None) -> None:
        doc = {"layout": _LAYOUT, "format": self.kind, "fingerprint": self.fingerprint,
               "rows_total": self.rows_total, "chunk_size": self.chunk_size, "complete": complete,
               "rows_done": rows_done}
        _write_atomic(self.path / MANIFEST, lambda fh: fh.write(json.dumps(doc, indent=1).encode()))

    def _clean_temps(self) -> None:
        for entry in self.path.iterdir():
            if _TEMP.match(entry.name):
                entry.unlink()

    def _start(self, overwrite: bool) -> None:
        self.path.mkdir(exist_ok=True)
        self._clean_temps()
        if overwrite:  # newest part first: what is left is always a prefix of the old sweep
            for part in reversed(_parts(self.path)):
                part.unlink()
        self._manifest(complete=False)
        self.rows_done = 0
        self.index = 0

    def _resume(self, doc: Dict[str, Any]) -> None:
        if doc.get("format") != self.kind:
            raise ValueError(f"resume: {self.path} holds {doc.get('format')} parts, not {self.kind}")
        if doc.get("fingerprint") != self.fingerprint or doc.get("rows_total") != self.rows_total:
            raise ValueError(f"resume: {self.path} was written by a different sweep (problem, grid or table, "
                             "objective or baselines differ); remove it, choose another out, or resume=False")
        self.chunk_size = int(doc["chunk_size"])
        self._clean_temps()
        parts = _parts(self.path, self.kind)
        done = 0
        for i, part in enumerate(parts):
            expected = min(self.chunk_size, self.rows_total - i * self.chunk_size) if self.rows_total else 0
            got = _rows_in(part, self.kind)
            if got != expected:
                raise ValueError(f"resume: {part} holds {got} rows, expected {expected}; the folder was modified")
            done += got
        if done > self.rows_total:
            raise ValueError(f"resume: {self.path} holds more rows than the sweep has")
        if self.kind == "parquet" and parts:
            import pyarrow.parquet as pq

            self._schema = pq.read_schema(parts[0])
        self.rows_done, self.index = done, len(parts)

    # -- writing ----------------------------------------------------------------------------
    def _name(self, i: int) -> str:
        chunks = max(1, math.ceil(self.rows_total / self.chunk_size))
        return f"part-{i:0{max(6, len(str(chunks - 1)))}d}.{self.kind}"

    def write(self, df: pd.DataFrame) -> None:
        """One finished chunk, as the next part file (atomic)."""
        final = self.path / self._name(self.index)
        if self.kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, schema=self._schema, preserve_index=False)
            if self._schema is None:
                self._schema = table.schema
            _write_atomic(final, lambda fh: pq.write_table(table, fh))
        else:
            _write_atomic(final, lambda fh: fh.write(df.to_csv(index=False).encode()))
        self.index += 1
        self.rows_done += len(df)

    def close(self, complete: bool) -> None:
        self._manifest(complete=complete, rows_done=self.rows_done)


def read_sweep(path: PathLike, columns: Optional[List[str]] = None) -> pd.DataFrame:
    """A sweep written with ``out=`` as one DataFrame, rows in sweep order.

    Parameters
    ----------
    path: the output folder (``x.parquet`` or ``x.csv``); a single Parquet or CSV file (e.g. an
        older sweep output or a table of your own) is read as it is.
    columns: read only these columns (default all).

    Returns
    -------
    DataFrame with index 0..n-1 holding the finished chunks. For a folder, ``attrs`` has
    ``complete`` (False after an interruption: continue with ``sweep(..., resume=True)``),
    ``rows_done`` and ``rows_total``.
    """
    p = Path(path)
    kind = FORMATS.get(p.suffix.lower())
    if kind is None:
        raise ValueError(f"{str(path)!r}: a sweep output ends in .parquet or .csv")
    if kind == "parquet":
        require("pyarrow.parquet", "reading Parquet", "pyarrow")
    if not p.is_dir():
        if not p.exists():
            raise FileNotFoundError(f"{str(path)!r}: no such sweep output")
        if kind == "parquet":
            return pd.read_parquet(p, columns=columns)
        return pd.read_csv(p, usecols=columns)
    doc = _read_manifest(p)
    parts = _parts(p, kind)
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = [pq.read_table(part, columns=columns) for part in parts]
        df = pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame(columns=columns or [])
    else:
        frames = [pd.read_csv(part, usecols=columns) for part in parts]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns or [])
    df = df.reset_index(drop=True)
    df.attrs.update(complete=bool(doc.get("complete")), rows_done=len(df), rows_total=doc.get("rows_total"))
    return df
