"""The export's entities rows as main built them before the Arrow-native path (5cad746):
a `Token` per token, a dict per token offset, BIO tag strings, `Table.from_pylist`.

Kept in tests only, as the reference the new path must equal byte for byte
(tests/test_export_arrow.py). The code below is main's, verbatim but for names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from annotate import spans as sp
from annotate.export import hf
from annotate.export.adjudicate import Adjudicated
from annotate.export.features import CONFIGS, features_for
from annotate.judgement import ArticleText
from annotate.schemas import LabelSet
from annotate.spans import AlignmentIssue, Span, Token


def reference_bio_tags(
    text: str, tokens: Sequence[Token], spans: Sequence[Span], labels: Iterable[str]
) -> tuple[list[str], list[AlignmentIssue]]:
    """`spans.bio_tags` as main had it, before it shared `bio_ranges`."""
    known = list(labels)
    ends = [t.end for t in tokens]
    cut_offsets = sp._cluster_cuts(text) if spans else set()
    tags = ["O"] * len(tokens)
    issues: list[AlignmentIssue] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.label)):
        covered = text[max(span.start, 0) : max(span.end, 0)]
        problems = sp.check_span(text, span, known)
        if problems:
            issues.append(AlignmentIssue("invalid", span, covered, detail="; ".join(problems)))
            continue
        rng = sp.align(tokens, span, ends)
        if rng is None:
            issues.append(AlignmentIssue("no-token", span, covered))
            continue
        i, j = rng
        aligned = Span(tokens[i].start, tokens[j - 1].end, span.label)
        if any(tag != "O" for tag in tags[i:j]):
            issues.append(
                AlignmentIssue("overlap", span, covered, aligned, "overlaps a span tagged before")
            )
            continue
        cuts = [x for x in (span.start, span.end) if x in cut_offsets]
        if cuts:
            where = " and ".join(map(str, cuts))
            detail = f"cuts a character (grapheme cluster) at {where}"
            issues.append(AlignmentIssue("grapheme", span, covered, aligned, detail))
        elif aligned != span:
            issues.append(AlignmentIssue("widened", span, covered, aligned))
        tags[i] = f"B-{span.label}"
        for k in range(i + 1, j):
            tags[k] = f"I-{span.label}"
    return tags, issues


class ReferenceWriters:
    """main's `_SplitWriters`: row dicts buffered, then `Table.from_pylist` per batch."""

    def __init__(self, root: Path, labels: LabelSet) -> None:
        self.root = root
        self.schemas = {c: features_for(c, labels).arrow_schema for c in CONFIGS}
        self.buffers: dict[tuple[str, str], list[dict]] = {}
        self.writers: dict[tuple[str, str], Any] = {}
        self.nbytes: Counter[tuple[str, str]] = Counter()
        self.rows: Counter[tuple[str, str]] = Counter()

    def add(self, config: str, split: str, row: dict) -> None:
        buf = self.buffers.setdefault((config, split), [])
        buf.append(row)
        if len(buf) >= hf.BATCH_ROWS[config]:
            self._flush(config, split)

    def add_stance(self, split: str, rows: list[tuple]) -> None:
        """Stance rows of the shared `_stance_rows` (tuples) as main's row dicts."""
        for row in rows:
            self.add("stance", split, dict(zip(hf.STANCE_COLUMNS, row, strict=True)))

    def _flush(self, config: str, split: str) -> None:
        import pyarrow as pa

        buf = self.buffers.get((config, split))
        if not buf:
            return
        writer = self.writers.get((config, split))
        if writer is None:
            path = hf.parquet_path(self.root, config, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = self.writers[(config, split)] = hf.parquet_writer(path, self.schemas[config])
        table = pa.Table.from_pylist(buf, schema=self.schemas[config])
        writer.write_table(table)
        self.nbytes[(config, split)] += table.nbytes
        self.rows[(config, split)] += len(buf)
        buf.clear()

    def close(self) -> None:
        for config, split in list(self.buffers):
            self._flush(config, split)
        for writer in self.writers.values():
            writer.close()


class ReferenceExporter(hf._Exporter):
    """The exporter with main's entities rows and writers (everything else shared)."""

    @classmethod
    def writing(cls, options: Any, labels: LabelSet, root: Path, sidecar: Any) -> Any:
        exporter = super().writing(options, labels, root, sidecar)
        exporter.writers = exporter.files = ReferenceWriters(root, labels)
        return exporter

    def end_chunk(self) -> None:
        """main's writers take rows one by one: no chunks to hand over."""

    def _entities_row(
        self,
        doc: ArticleText,
        result: Adjudicated,
        split: str,
        source: str,
        n: int,
        pool: Any = None,
        position: int = 0,
        aligned: bool = False,
    ) -> None:
        """main's row, from its own `tokenize` (the chunk's pool and its alignment are not
        looked at)."""
        tokens = sp.tokenize(doc.text)
        tags, issues = reference_bio_tags(doc.text, tokens, result.spans, self.labels.entity_names)
        invalid = self._report_alignment(doc, issues)
        kept = [s for s in result.spans if s not in invalid]
        for s in kept:
            self.entity_counts[(s.label, split)] += 1
        row = {
            "id": doc.id,
            "article_id": doc.id,
            "text": doc.text,
            "tokens": [t.text for t in tokens],
            "token_offsets": [{"start": t.start, "end": t.end} for t in tokens],
            "ner_tags": [self.bio_index[t] for t in tags],
            "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in kept],
            "annotators": result.annotators if source != "prediction" else [],
            "n_annotators": n if source != "prediction" else 0,
            "agreement": result.agreement if source == "human" else None,
            "source": source,
        }
        self.writers.add("entities", split, row)
