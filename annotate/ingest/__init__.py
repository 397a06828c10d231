"""Ingest: files -> cleaned, deduplicated articles in the store, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from annotate.errors import InputError, StoreError
from annotate.ingest.clean import content_hash
from annotate.ingest.readers import DEFAULT_MAX_BYTES, ArticleIn, BadInput, expand, read
from annotate.store import queries
from annotate.store.models import utcnow
from annotate.store.session import session_scope

__all__ = ["IngestFailed", "IngestReport", "ingest_paths", "DEFAULT_MAX_BYTES"]


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


def collect(
    paths: list[Path],
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
) -> tuple[list[ArticleIn], list[BadInput]]:
    articles: list[ArticleIn] = []
    bad: list[BadInput] = []
    for item in expand(paths):
        if isinstance(item, BadInput):
            bad.append(item)
            continue
        for record in read(item, max_bytes):
            (bad if isinstance(record, BadInput) else articles).append(record)
        if on_file:
            on_file(item)
    return articles, bad


def ingest_paths(
    engine: Engine,
    paths: list[Path],
    *,
    skip_bad: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Store every new article; raise IngestFailed (storing nothing) on bad input unless skip_bad."""
    articles, bad = collect(paths, max_bytes, on_file)
    report = IngestReport(rejected=bad)
    if bad and not skip_bad:
        raise IngestFailed(report)

    by_hash: dict[str, ArticleIn] = {}
    for article in articles:
        digest = content_hash(article.text)
        if digest in by_hash:
            report.duplicates.append(f"{article.origin} (same text as {by_hash[digest].origin})")
        else:
            by_hash[digest] = article

    # The store's unique content hash is the net for a concurrent ingest of the same
    # articles: the loser re-reads the known hashes once and reports them as duplicates.
    for attempt in (1, 2):
        try:
            report.new, already = _store_new(engine, by_hash)
            break
        except IntegrityError:
            if attempt == 2:
                raise StoreError(
                    "another ingest kept storing the same articles at the same time; "
                    "run `annotate ingest` again (nothing of this run was stored)"
                ) from None
    report.duplicates += [f"{origin} (already in the store)" for origin in already]
    return report


def _store_new(engine: Engine, by_hash: dict[str, ArticleIn]) -> tuple[list[str], list[str]]:
    """One transaction: insert the articles whose hash the store lacks; returns the
    origins stored and those already there."""
    with session_scope(engine) as session:
        known = queries.known_hashes(session, list(by_hash))
        already = [a.origin for d, a in by_hash.items() if d in known]
        now = utcnow()
        rows = [
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
            for digest, a in by_hash.items()
            if digest not in known
        ]
        queries.insert_articles(session, rows)
    return [a.origin for d, a in by_hash.items() if d not in known], already
