"""Readers: files on disk -> ArticleIn records, or a BadInput naming file and line."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from annotate.config import DEFAULT_MAX_BYTES
from annotate.ingest.clean import nfc, normalize, split_title
from annotate.jsonl import TooDeep, parse_json

SUFFIXES = (".txt", ".jsonl", ".html", ".htm")


@dataclass
class ArticleIn:
    text: str
    origin: str
    title: str | None = None
    external_id: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BadInput:
    origin: str
    problem: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.problem}"


def expand(paths: list[Path]) -> Iterator[Path | BadInput]:
    """Files as given, and the supported files inside folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            yield path
        else:
            yield BadInput(str(path), "no such file or folder")


_NUL = "NUL character (U+0000) in the text; remove it"

# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bom_codec(head: bytes) -> str | None:
    """The codec a byte-order mark at the start of the file names; None without one."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), None)


def _decode(path: Path, data: bytes) -> str | BadInput:
    """Text by the file's BOM (UTF-8, UTF-16 or UTF-32), else UTF-8; or why it is not text."""
    codec = _bom_codec(data[:4])
    if codec is None and b"\x00" in data[:8192]:
        return BadInput(str(path), "binary file (NUL bytes), not text")
    try:
        text = data.decode(codec or "utf-8")
    except UnicodeDecodeError as exc:
        name = "UTF-8" if codec in (None, "utf-8-sig") else codec.upper()
        return BadInput(str(path), f"invalid {name} at byte {exc.start}; re-save the file as UTF-8")
    if not text.strip():
        return BadInput(str(path), "empty file")
    nul = text.find("\x00")
    if nul >= 0:
        return BadInput(f"{path}:{text.count(chr(10), 0, nul) + 1}", _NUL)
    return text


def _nul_field(value: Any, where: str = "") -> str | None:
    """The first field (a JSON path) whose key or string value holds U+0000, if any.

    PostgreSQL stores neither text nor JSON containing U+0000, so it must not reach the insert.
    """
    if isinstance(value, str):
        return where if "\x00" in value else None
    items: Any = ()
    if isinstance(value, dict):
        for key in value:
            if "\x00" in key:
                return f"{where}.{key}" if where else key
        items = ((f"{where}.{k}" if where else k, v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    for sub, item in items:
        found = _nul_field(item, sub)
        if found is not None:
            return found
    return None


def _read_text(path: Path, max_bytes: int) -> str | BadInput:
    """A whole text file, or why it cannot be an article."""
    size = path.stat().st_size
    if size > max_bytes:
        return BadInput(str(path), f"{size} bytes is over the {max_bytes}-byte limit (--max-bytes)")
    return _decode(path, path.read_bytes())


def _article(
    origin: str, raw_text: str, title: str | None = None, **fields: Any
) -> ArticleIn | BadInput:
    text = normalize(raw_text)
    detect_title = fields.pop("detect_title", False)
    if title is not None:
        title = nfc(title)
    elif detect_title:
        title, text = split_title(text)
    if not text:
        return BadInput(origin, "no article text left after boilerplate removal")
    return ArticleIn(text=text, origin=origin, title=title, **fields)


def read_txt(path: Path, max_bytes: int) -> Iterator[ArticleIn | BadInput]:
    text = _read_text(path, max_bytes)
    if isinstance(text, BadInput):
        yield text
        return
    yield _article(str(path), text, detect_title=True, source=None, meta={"file": path.name})


def read_html(path: Path, max_bytes: int) -> Iterator[ArticleIn | BadInput]:
    import trafilatura

    html = _read_text(path, max_bytes)
    if isinstance(html, BadInput):
        yield html
        return
    extracted = trafilatura.extract(
        html, output_format="json", with_metadata=True, include_comments=False, include_tables=False
    )
    if not extracted:
        yield BadInput(str(path), "no article text found in the HTML")
        return
    doc = json.loads(extracted)
    title = doc.get("title") or None
    # trafilatura gives one paragraph per line and repeats the <h1> headline as the first one.
    paragraphs = [p for p in (doc.get("text") or "").split("\n") if p.strip()]
    if title and paragraphs and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]
    yield _article(
        str(path),
        "\n\n".join(paragraphs),
        title=title,
        url=doc.get("url") or None,
        source=doc.get("sitename") or doc.get("hostname") or None,
        published=doc.get("date") or None,
        meta={"file": path.name},
    )


def read_jsonl(path: Path, max_bytes: int) -> Iterator[ArticleIn | BadInput]:
    from annotate.schemas import validator

    check = validator("article")
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield BadInput(str(path), f"cannot open: {exc.strerror}")
        return
    with handle:
        seen_any = False
        lineno = 0
        try:
            for lineno, raw in enumerate(_utf8_lines(handle), start=1):
                if raw.strip():
                    seen_any = True
                    yield _jsonl_record(path, lineno, raw, max_bytes, check)
        except UnicodeDecodeError as exc:
            seen_any = True
            name = exc.encoding.upper()
            yield BadInput(str(path), f"invalid {name} near line {lineno + 1}; re-save as UTF-8")
        if not seen_any:
            yield BadInput(str(path), "empty file")


def _utf8_lines(handle: BinaryIO) -> Iterator[bytes]:
    """The lines as UTF-8 bytes: UTF-16/32 (known by the BOM) transcoded, a UTF-8 BOM dropped.

    A UTF-16/32 file that does not decode raises UnicodeDecodeError partway.
    """
    codec = _bom_codec(handle.read(4))
    handle.seek(0)
    if codec in ("utf-16", "utf-32"):
        for line in io.TextIOWrapper(handle, encoding=codec, newline="\n"):
            yield line.encode("utf-8")
        return
    if codec == "utf-8-sig":
        handle.seek(len(codecs.BOM_UTF8))
    yield from handle


def _jsonl_record(
    path: Path, lineno: int, raw: bytes, max_bytes: int, check: Any
) -> ArticleIn | BadInput:
    """The article on one non-blank JSONL line, or a BadInput naming the line."""
    origin = f"{path}:{lineno}"
    if len(raw) > max_bytes:
        return BadInput(origin, f"{len(raw)} bytes is over the {max_bytes}-byte limit")
    try:
        record = parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return BadInput(origin, f"invalid UTF-8 at byte {exc.start} of the line")
    except TooDeep as exc:
        return BadInput(origin, str(exc))
    except json.JSONDecodeError as exc:
        return BadInput(origin, f"malformed JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(record, dict):
        return BadInput(
            origin, f"not a JSON object (got {_JSON_KIND.get(type(record), 'a value')})"
        )
    errors = sorted(check.iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path)
        return BadInput(origin, f"field {where or '`text`'}: {err.message}")
    nul_at = _nul_field(record)
    if nul_at is not None:
        return BadInput(origin, f"field {nul_at}: {_NUL}")
    extra = {k: v for k, v in record.items() if k not in _JSONL_FIELDS}
    return _article(
        origin,
        record["text"],
        title=record.get("title"),
        external_id=str(record["id"]) if record.get("id") is not None else None,
        url=record.get("url"),
        source=record.get("source"),
        published=record.get("published"),
        meta={"file": path.name, "line": lineno, **extra},
    )


_JSON_KIND = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_JSONL_FIELDS = {"id", "text", "title", "url", "source", "published"}


def read(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[ArticleIn | BadInput]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return read_jsonl(path, max_bytes)
    if suffix in (".html", ".htm"):
        return read_html(path, max_bytes)
    if suffix == ".txt":
        return read_txt(path, max_bytes)
    return iter(
        [
            BadInput(
                str(path), f"unsupported file type {suffix or '(none)'}; use .txt, .jsonl or .html"
            )
        ]
    )
