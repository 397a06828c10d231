"""Shards of articles in, shards of prediction records out: JSONL or Parquet, local or at any
fsspec URL (s3://, gs://, memory://...).

What the cluster runner reads and writes, and what `annotate import --format predictions`
reads back. A JSONL shard holds the lines offline mode writes (the same bytes); a Parquet
shard holds the same records as columns of the public prediction format
(schemas/prediction.schema.json), an absent optional field stored as null and left out
again when read.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from annotate.errors import InputError, UsageError
from annotate.jsonl import json_lines

FORMATS = ("jsonl", "parquet")
SUFFIXES = tuple(f".{fmt}" for fmt in FORMATS)
# Rows per Parquet row group: a shard is written and read a group at a time.
ROW_GROUP = 1000


def shard_format(url: str) -> str:
    """The format a shard's name says, or an InputError naming it."""
    for fmt in FORMATS:
        if url.endswith(f".{fmt}"):
            return fmt
    raise InputError(f"{url}: unsupported shard (expected .jsonl or .parquet)")


def _fs(url: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise InputError(f"{url}: cannot open ({exc})") from None


def _local(fs: Any) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def expand(patterns: Iterable[str]) -> list[str]:
    """The shards the globs name, sorted, each once (as URLs, or plain local paths)."""
    out: set[str] = set()
    for pattern in patterns:
        fs, path = _fs(pattern)
        if fs.isdir(path):  # a folder: its shards
            path = f"{path.rstrip('/')}/*"
        found = [p for p in fs.glob(path) if fs.isfile(p) and p.endswith(SUFFIXES)]
        if not found:
            raise InputError(f"{pattern}: no .jsonl or .parquet shard matches")
        for p in found:
            url = p if _local(fs) else fs.unstrip_protocol(p)
            shard_format(url)
            out.add(url)
    return sorted(out)


def output_name(url: str, out_dir: str, fmt: str) -> str:
    """Where the predictions of shard ``url`` go: its stem in ``out_dir``, as ``fmt``."""
    base = url.rstrip("/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0]
    return f"{out_dir.rstrip('/')}/{stem}.{fmt}"


def read_shard(url: str) -> Iterator[tuple[str, str]]:
    """(id, text) per article of a shard, checked as offline mode checks article JSONL."""
    fs, path = _fs(url)
    if not fs.isfile(path):
        raise InputError(f"{url}: no such file")
    if shard_format(url) == "jsonl":
        with fs.open(path, "rb") as fh:
            for lineno, rec in json_lines(fh, url, InputError):
                yield _article(rec, f"{url}:{lineno}")
        return
    for row, rec in _parquet_rows(fs, path, url, ("id", "text")):
        yield _article(rec, f"{url}: row {row}")


def _article(rec: Any, where: str) -> tuple[str, str]:
    """The check `preannotate.batch` makes of an article line, with its messages."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        raise InputError(f"{where}: expected an object with a string `text`")
    if rec.get("id") is None:
        raise InputError(f"{where}: missing `id`")
    return str(rec["id"]), rec["text"]


def _parquet_rows(
    fs: Any, path: str, url: str, columns: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 1, row) of the given columns, a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with fs.open(path, "rb") as fh:
        try:
            pf = pq.ParquetFile(fh)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{url}: not a Parquet file ({exc})") from None
        missing = [c for c in columns if c not in pf.schema_arrow.names]
        if missing:
            raise InputError(f"{url}: no `{missing[0]}` column")
        row = 0
        for batch in pf.iter_batches(batch_size=ROW_GROUP, columns=list(columns)):
            for rec in batch.to_pylist():
                row += 1
                yield row, rec


def _schema() -> Any:
    """The public prediction format (schemas/prediction.schema.json) as Arrow types."""
    import pyarrow as pa

    offsets = pa.struct([("start", pa.int64()), ("end", pa.int64())])
    holder = pa.struct(
        [("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string())]
    )
    entity = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("label", pa.string()),
            ("text", pa.string()),
            ("score", pa.float64()),
            ("source", pa.string()),
        ]
    )
    stance = pa.struct(
        [
            ("holder", holder),
            ("target", pa.string()),
            ("target_span", offsets),
            ("label", pa.string()),
            ("evidence", offsets),
            ("score", pa.float64()),
            ("source", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("model_version", pa.string()),
            ("entities", pa.list_(entity)),
            ("stances", pa.list_(stance)),
        ]
    )


def _fields(struct: Any) -> dict[str, Any]:
    """Field name -> nested fields (None for a leaf) of an Arrow struct or schema."""
    import pyarrow as pa

    out: dict[str, Any] = {}
    for f in struct:
        t = f.type.value_type if pa.types.is_list(f.type) else f.type
        out[f.name] = _fields(t) if pa.types.is_struct(t) else None
    return out


def _check_fields(value: Any, fields: dict[str, Any], where: str) -> None:
    """An Arrow schema drops unknown keys silently: refuse a record with one instead."""
    for key, item in value.items():
        if key not in fields:
            raise InputError(f"{where}: field `{key}` has no Parquet column (write JSONL)")
        if fields[key] is not None and item is not None:
            for sub in item if isinstance(item, list) else [item]:
                _check_fields(sub, fields[key], f"{where}.{key}")


def write_shard(records: Iterable[dict[str, Any]], url: str, fmt: str) -> int:
    """Write the records to ``url`` through a temporary name moved into place at the end,
    so a failed shard leaves nothing (or the earlier run's whole shard). Returns how many."""
    fs, path = _fs(url)
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    n = 0
    try:
        with fs.open(tmp, "wb") as fh:
            if fmt == "jsonl":
                for rec in records:
                    fh.write(json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n")
                    n += 1
            else:
                n = _write_parquet(records, fh, url)
        fs.mv(tmp, path)
    except OSError as exc:
        raise UsageError(f"cannot write {url}: {exc.strerror or exc}") from None
    finally:
        if fs.exists(tmp):
            fs.rm(tmp)
    return n


def _write_parquet(records: Iterable[dict[str, Any]], fh: Any, url: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from more_itertools import chunked

    schema = _schema()
    fields = _fields(schema)
    n = 0
    with pq.ParquetWriter(fh, schema) as writer:
        for chunk in chunked(records, ROW_GROUP):
            for rec in chunk:
                _check_fields(rec, fields, f"{url}: record {rec.get('id')!r}")
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    return n


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def read_predictions(url: str) -> Iterator[tuple[str, Any]]:
    """(where, record) of a prediction shard, as offline mode wrote them; ``where`` names the
    file and line (JSONL) or row (Parquet) for errors."""
    fs, path = _fs(url)
    if not fs.isfile(path):
        raise InputError(f"{url}: no such file")
    if shard_format(url) == "jsonl":
        with fs.open(path, "rb") as fh:
            for lineno, rec in json_lines(fh, url, InputError):
                yield f"{url}:{lineno}", rec
        return
    names = tuple(_schema().names)
    for row, rec in _parquet_rows(fs, path, url, names):
        yield f"{url}: row {row}", _without_nulls(rec)
