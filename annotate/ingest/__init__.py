"""Ingest: files -> cleaned, deduplicated articles in the store, streamed in chunks through
one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from annotate.errors import InputError, StoreError
from annotate.ingest.clean import content_hash
from annotate.ingest.readers import DEFAULT_MAX_BYTES, ArticleIn, BadInput, expand, read

if TYPE_CHECKING:  # the store is imported when a run starts, not with the readers
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = ["IngestFailed", "IngestReport", "ingest_paths", "DEFAULT_MAX_BYTES"]

# Articles hashed, checked against the store and inserted at a time: memory stays flat.
CHUNK = 500


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[BadInput] = field(default_factory=list)


class IngestFailed(InputError):
    """Some input was bad and --skip-bad was not given: nothing was stored."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__(str(report.rejected[0]))
        self.report = report


def records(
    paths: list[Path],
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
) -> Iterator[ArticleIn | BadInput]:
    """Every article and every bad input of `paths`, one at a time (files are read lazily:
    a run never holds more than one chunk of articles)."""
    for item in expand(paths):
        if isinstance(item, BadInput):
            yield item
            continue
        yield from read(item, max_bytes)
        if on_file:
            on_file(item)


def ingest_paths(
    engine: Engine,
    paths: list[Path],
    *,
    skip_bad: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
    chunk_size: int = CHUNK,
) -> IngestReport:
    """Store every new article; raise IngestFailed (storing nothing) on bad input unless skip_bad.

    Streams: articles are hashed, deduplicated and inserted a chunk at a time, inside ONE
    transaction, so a bad file found late still rolls back every chunk before it.
    """
    from sqlalchemy.exc import IntegrityError

    # The store's unique content hash is the net for a concurrent ingest of the same
    # articles: the loser's transaction rolls back, it reads the files again once, and
    # reports what the winner stored as duplicates.
    for attempt in (1, 2):
        try:
            return _ingest_once(
                engine, paths, skip_bad, max_bytes, on_file if attempt == 1 else None, chunk_size
            )
        except IntegrityError:
            if attempt == 2:
                raise StoreError(
                    "another ingest kept storing the same articles at the same time; "
                    "run `annotate ingest` again (nothing of this run was stored)"
                ) from None
    raise AssertionError("unreachable")


class _Rollback(Exception):
    """Leaves the run's transaction so it rolls back (bad input, no --skip-bad)."""


def _ingest_once(
    engine: Engine,
    paths: list[Path],
    skip_bad: bool,
    max_bytes: int,
    on_file: Callable[[Path], None] | None,
    chunk_size: int,
) -> IngestReport:
    from annotate.store.session import session_scope

    report = IngestReport()
    already: list[str] = []
    seen: dict[str, str] = {}  # content hash -> origin of the run's first article with it
    chunk: dict[str, ArticleIn] = {}
    try:
        with session_scope(engine) as session:
            for record in records(paths, max_bytes, on_file):
                if isinstance(record, BadInput):
                    report.rejected.append(record)
                    if not skip_bad:
                        chunk.clear()  # read on, to report every bad input, but store none
                    continue
                digest = content_hash(record.text)
                if digest in seen:
                    report.duplicates.append(f"{record.origin} (same text as {seen[digest]})")
                    continue
                seen[digest] = record.origin
                if report.rejected and not skip_bad:
                    continue
                chunk[digest] = record
                if len(chunk) >= chunk_size:
                    _store_chunk(session, chunk, report.new, already)
            if report.rejected and not skip_bad:
                raise _Rollback
            _store_chunk(session, chunk, report.new, already)
    except _Rollback:
        raise IngestFailed(report) from None
    report.duplicates += [f"{origin} (already in the store)" for origin in already]
    return report


def _store_chunk(
    session: Session, chunk: dict[str, ArticleIn], new: list[str], already: list[str]
) -> None:
    """Insert the chunk's articles whose hash the store lacks (in the run's transaction);
    note which were stored and which were there already, then empty the chunk."""
    from annotate.store import queries
    from annotate.store.models import utcnow

    if not chunk:
        return
    known = queries.known_hashes(session, list(chunk))
    now = utcnow()
    rows = []
    for digest, a in chunk.items():
        if digest in known:
            already.append(a.origin)
            continue
        new.append(a.origin)
        rows.append(
            {
                "content_hash": digest,
                "external_id": a.external_id,
                "title": a.title,
                "text": a.text,
                "url": a.url,
                "source": a.source,
                "published": a.published,
                "ingested_at": now,
                "meta": a.meta,
            }
        )
    queries.insert_articles(session, rows)
    chunk.clear()
