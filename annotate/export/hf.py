"""Store -> `entities` and `stance` datasets -> Parquet in the Hub's folder layout.

The folder loads with ``datasets.load_dataset(DIR, "entities")`` exactly as it would from
the Hub: ``data/<config>/<split>.parquet`` plus a README.md whose YAML declares the
configs and features. Rows are streamed in batches through ``pyarrow.parquet.ParquetWriter``
with the typed schema of ``features.py`` (memory stays flat for any store size), in
article-id order, so the same store always gives the same Parquet content.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import multiprocessing
import os
import shutil
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from more_itertools import chunked
from sqlalchemy import Engine

from annotate import spans as sp
from annotate.agreement import AgreementStats
from annotate.errors import ExportError
from annotate.export.adjudicate import Adjudicated, adjudicate
from annotate.export.features import CONFIGS
from annotate.export.sidecar import Sidecar, arrow_schemas
from annotate.export.splits import assign_split
from annotate.export.summary import (
    MAX_EXAMPLES,
    PLOT_FILE,
    REPORT_FILE,
    ExportOptions,
    ExportSummary,
)
from annotate.judgement import ArticleText, Judgement, Triple
from annotate.locks import project_lock
from annotate.schemas import LabelSet
from annotate.store import queries
from annotate.store.queries import TaskItem
from annotate.store.session import session_scope

# Rows per Parquet row group. An entities row holds every token of an article, so its
# batches are kept small to bound memory; stance rows are small.
BATCH_ROWS = {"entities": 200, "stance": 2000}
# Chunks of rows held while a helper imports `datasets` for the schemas (about 3,000
# articles of Python rows, then this process waits).
HELD_CHUNKS = 6
# Batches given to the Parquet writer thread and not yet written: a chunk's batches are
# cut together, and waiting for each write before the next stalled the rows.
WRITES_IN_FLIGHT = 8
CHUNK_ARTICLES = 500
# Articles decided, then aligned together, then written, at a time: enough to share the
# alignment's array operations, few enough that their objects are still in the CPU's
# caches when their rows are written (a whole chunk's were not: 0.35 s more at 20k).
ALIGN_GROUP = 32


def default_out_dir(project: str, now: datetime | None = None) -> Path:
    """``exports/<project>-<UTC timestamp>`` under the current directory."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in project)
    return Path("exports") / f"{safe}-{stamp}"


def project_name(engine: Engine, name: str | None) -> str:
    """The project an export of `name` reads: the named one, else the store's only one."""
    with session_scope(engine) as session:
        return queries.resolve_project(session, name).name


def parquet_path(root: Path, config: str, split: str) -> Path:
    return root / "data" / config / f"{split}.parquet"


# Columns whose min/max statistics no reader filters on: whole texts and sentences.
_NO_STATISTICS = {"text", "sentence"}


def parquet_writer(path: Path, schema: Any) -> Any:
    """A ParquetWriter with min/max statistics on the scalar columns only (ids, counts,
    labels, sources). Statistics of an article's text or of per-token lists take
    kilobytes per row group, which the writer keeps in memory until it closes: about
    100 MB for a million articles."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    scalar = [
        f.name for f in schema if f.name not in _NO_STATISTICS and not pa.types.is_nested(f.type)
    ]
    return pq.ParquetWriter(path, schema, write_statistics=scalar)


class _EntityColumns:
    """The entities rows of one split of one chunk, as columns, for one Arrow table.

    An entities row holds every token of its article; building it as a dict per row and
    a dict per token (then ``Table.from_pylist``) cost most of an export. Here a row's
    tokens are a range of the chunk's tokens (`_ChunkPool`: ``spans.chunk_tokens`` of all
    its texts, and their tag ids), and the table takes those ranges out of the pool's
    arrays in C: the same table, so the same Parquet bytes, with no Python object per
    token.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.token_ranges: list[tuple[int, int]] = []  # row k's tokens in the chunk's pool
        self.span_bounds = [0]
        self.span_starts: list[int] = []
        self.span_ends: list[int] = []
        self.span_labels: list[str] = []
        self.annotator_bounds = [0]
        self.annotators: list[str] = []
        self.n_annotators: list[int] = []
        self.agreement: list[float | None] = []
        self.sources: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(
        self,
        doc: ArticleText,
        tokens: tuple[int, int],
        spans: list[sp.Span],
        annotators: list[str],
        n_annotators: int,
        agreement: float | None,
        source: str,
    ) -> None:
        self.ids.append(doc.id)
        self.texts.append(doc.text)
        self.token_ranges.append(tokens)
        if spans:
            starts, ends, labels = zip(*spans, strict=True)  # spans are (start, end, label)
            self.span_starts += starts
            self.span_ends += ends
            self.span_labels += labels
        self.span_bounds.append(len(self.span_starts))
        self.annotators += annotators
        self.annotator_bounds.append(len(self.annotators))
        self.n_annotators.append(n_annotators)
        self.agreement.append(agreement)
        self.sources.append(source)

    def table(self, schema: Any, pool: _ChunkPool) -> Any:
        import numpy as np
        import pyarrow as pa

        from annotate.export import arrays

        def listed(name: str, bounds: Any, values: Any) -> Any:
            return arrays.listed(bounds, values, schema.field(name).type)

        def structs(name: str, columns: list[Any]) -> Any:
            fields = list(schema.field(name).type.value_type)
            return pa.StructArray.from_arrays(
                [arrays.column(c, f.type) for c, f in zip(columns, fields, strict=True)],
                fields=fields,
            )

        lo, hi = np.array(self.token_ranges, dtype=np.int64).reshape(-1, 2).T
        token_bounds = np.zeros(len(lo) + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=token_bounds[1:])
        # the pool index of each of the rows' tokens, row after row
        taken = np.arange(token_bounds[-1]) + np.repeat(lo - token_bounds[:-1], hi - lo)
        ids = arrays.strings(self.ids)
        columns = {
            "id": ids,
            "article_id": ids,
            "text": arrays.strings(self.texts),
            "tokens": listed("tokens", token_bounds, pool.token_strings(taken)),
            "token_offsets": listed(
                "token_offsets",
                token_bounds,
                structs("token_offsets", [pool.tokens.starts[taken], pool.tokens.ends[taken]]),
            ),
            "ner_tags": listed(
                "ner_tags", token_bounds, arrays.integers(pool.tags[taken], pa.int64())
            ),
            "spans": listed(
                "spans",
                self.span_bounds,
                structs("spans", [self.span_starts, self.span_ends, self.span_labels]),
            ),
            "annotators": listed(
                "annotators", self.annotator_bounds, arrays.strings(self.annotators)
            ),
            "n_annotators": arrays.integers(self.n_annotators, pa.int32()),
            "agreement": arrays.floats(self.agreement),
            "source": arrays.strings(self.sources),
        }
        return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)


# The stance config's columns, in the order `_Exporter._stance_rows` fills a row's values.
STANCE_COLUMNS = (
    "id",
    "article_id",
    "sentence",
    "sentence_start",
    "holder",
    "holder_type",
    "holder_start",
    "holder_end",
    "target",
    "label",
    "n_annotators",
    "agreement",
    "source",
)


def _stance_table(rows: list[tuple], schema: Any) -> Any:
    """The stance rows (tuples of STANCE_COLUMNS) of one split of one chunk as a table."""
    import pyarrow as pa

    from annotate.export import arrays

    values = dict(zip(STANCE_COLUMNS, zip(*rows, strict=True), strict=True))
    return pa.Table.from_arrays(
        [arrays.column(values[f.name], f.type) for f in schema], schema=schema
    )


class _ChunkPool:
    """One chunk's tokens and sentences (``spans.chunk_text`` of its texts) and each
    token's tag id.

    The exporter gives each article's tagged token ranges (`tag`); the tag array is
    filled from all of them at once when the first table asks (`tags`): one numpy
    assignment per chunk instead of two per span.
    """

    def __init__(self, texts: list[str], outside: int, tag_ids: dict[str, tuple[int, int]]) -> None:
        self.tokens, self.sentences = sp.chunk_text(texts)
        self.outside = outside
        self.tag_ids = tag_ids  # label -> (B id, I id)
        # the tagged ranges: pool index of each range's first token, its token count, label
        self.tagged: list[tuple[Any, Any, Sequence[str]]] = []
        self._tags: Any = None
        self._pieces: tuple[Any, bool] | None = None

    def align(
        self, first: int, spans: Sequence[Sequence[sp.Span]], known: frozenset[str]
    ) -> list[bool]:
        """Tag the spans of every text whose spans all fit its tokens exactly
        (``spans.chunk_aligned_ranges``, text ``first + k``'s spans: ``spans[k]``), and
        say which."""
        i, j, labels, answered = sp.chunk_aligned_ranges(self.tokens, spans, known, first)
        self.tag(0, i, j, labels)
        return answered

    def tag(self, first: int, i: Any, j: Any, labels: Sequence[str]) -> None:
        """Tag an article's token ranges (``spans.bio_ranges`` as columns: B on token
        ``i[k]``, I on ``i[k] + 1 .. j[k] - 1``); its tokens start at pool index ``first``."""
        if len(labels):
            self.tagged.append((i + first, j - i, labels))

    @property
    def tags(self) -> Any:
        """Each token's tag id: O, but B and I in the tagged ranges (which never overlap)."""
        import numpy as np

        if self._tags is None:
            tags = self._tags = np.full(len(self.tokens.starts), self.outside, dtype=np.int64)
            if self.tagged:
                at = np.concatenate([t[0] for t in self.tagged])
                size = np.concatenate([t[1] for t in self.tagged])
                labels = list(chain.from_iterable(t[2] for t in self.tagged))
                # each range's (B id, I id): its label's row of the id table, looked up in C
                row_of = {label: k for k, label in enumerate(self.tag_ids)}
                rows = np.fromiter(map(row_of.__getitem__, labels), np.int64, len(labels))
                ids = np.array(list(self.tag_ids.values()), dtype=np.int64).reshape(-1, 2)[rows]
                tags[at] = ids[:, 0]
                inner = size - 1  # the I tokens of each range, after its B
                first_inner = np.zeros(len(inner), dtype=np.int64)
                np.cumsum(inner[:-1], out=first_inner[1:])
                where = np.arange(int(inner.sum())) + np.repeat(at + 1 - first_inner, inner)
                tags[where] = np.repeat(ids[:, 1], inner)
        return self._tags

    def _all_pieces(self) -> tuple[Any, bool]:
        """The texts' bytes as one Arrow string array of pieces, and whether its offsets
        needed 64 bits."""
        import numpy as np
        import pyarrow as pa

        tokens = self.tokens
        n = len(tokens.byte_starts)
        bounds = np.empty(2 * n + 2, dtype=np.int64)
        bounds[0], bounds[-1] = 0, len(tokens.data)
        bounds[1:-1:2], bounds[2:-1:2] = tokens.byte_starts, tokens.byte_ends
        wide = len(tokens.data) >= 2**31
        kind = pa.LargeStringArray if wide else pa.StringArray
        pieces = kind.from_buffers(
            2 * n + 1,
            pa.py_buffer(bounds if wide else bounds.astype(np.int32)),
            pa.py_buffer(tokens.data),
        )
        return pieces, wide

    def token_strings(self, taken: Any) -> Any:
        """The tokens at pool indexes ``taken`` as an Arrow string array, cut from the
        texts' UTF-8 bytes: the bytes are pieces, gap and token by turn (built once per
        chunk, for all its splits), and the tokens are every other piece."""
        import pyarrow as pa

        from annotate.export import arrays

        if self._pieces is None:
            self._pieces = self._all_pieces()
        pieces, wide = self._pieces
        strings = pieces.take(arrays.integers(2 * taken + 1, pa.int64()))
        if wide:
            strings = strings.cast(pa.string())
        # `take` adds an all-valid validity bitmap: without it, the column is the one
        # `pa.array` of the strings built (the card's byte counts are the arrays' sizes)
        _validity, offsets, data = strings.buffers()
        return pa.StringArray.from_buffers(len(strings), offsets, data, offset=strings.offset)


class _SplitWriters:
    """One ParquetWriter per (config, split), opened on the first row, fed in batches.

    A split without rows gets no file (``load_dataset`` rejects an empty split), and the
    card declares only the files that exist. Rows come in chunks (`_Collected`: one
    chunk of articles, from this process or a worker), become one Arrow table per
    (config, split) and are cut into batches of BATCH_ROWS rows, whatever the chunks:
    the row groups, hence the bytes, do not depend on the number of workers. Each batch
    is encoded and compressed on a thread (pyarrow does it without the GIL) while the
    next ones are built (up to WRITES_IN_FLIGHT wait their turn); one write at a time,
    in order, so the files are the same.
    """

    def __init__(self, root: Path, sidecar: Sidecar) -> None:
        self.root = root
        self.sidecar = sidecar
        # Chunks that came before the sidecar's schemas (a helper still importing
        # `datasets`): built in order once they come, or at HELD_CHUNKS, waiting.
        self.held: list[_Collected] = []
        self.tables: dict[tuple[str, str], list[Any]] = {}  # rows not yet in a batch
        self.writers: dict[tuple[str, str], Any] = {}
        self.nbytes: Counter[tuple[str, str]] = Counter()
        self.rows: Counter[tuple[str, str]] = Counter()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        self.pending: deque[Future] = deque()  # writes submitted, oldest first

    def add_chunk(self, chunk: _Collected) -> None:
        self.held.append(chunk)
        if len(self.held) >= HELD_CHUNKS or self.sidecar.ready():
            self._drain()

    def _drain(self) -> None:
        """Build the held chunks' tables (waiting for the schemas if need be), in order,
        and write every full batch."""
        schemas = self.sidecar.schemas()
        for chunk in self.held:
            chunk.build(schemas)
            for (config, split), table in chunk.tables.items():
                self._add_table(config, split, table, schemas[config])
        self.held.clear()

    def _add_table(self, config: str, split: str, table: Any, schema: Any) -> None:
        import pyarrow as pa

        parts = self.tables.setdefault((config, split), [])
        parts.append(table)
        rows = sum(t.num_rows for t in parts)
        size = BATCH_ROWS[config]
        if rows < size:
            return
        whole = pa.concat_tables(parts)
        start = 0
        while rows - start >= size:
            self._write(config, split, whole.slice(start, size).combine_chunks(), schema)
            start += size
        parts[:] = [whole.slice(start)] if start < rows else []

    def _write(self, config: str, split: str, table: Any, schema: Any) -> None:

        writer = self.writers.get((config, split))
        if writer is None:
            path = parquet_path(self.root, config, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = self.writers[(config, split)] = parquet_writer(path, schema)
        self._wait(WRITES_IN_FLIGHT - 1)
        self.pending.append(self.pool.submit(writer.write_table, table))
        self.nbytes[(config, split)] += table.nbytes
        self.rows[(config, split)] += table.num_rows

    def _wait(self, left: int = 0) -> None:
        """Let the oldest writes finish (raising their error, if any) until `left` are
        in flight."""
        while len(self.pending) > left:
            self.pending.popleft().result()

    def close(self) -> None:
        import pyarrow as pa

        try:
            self._drain()
            schemas = self.sidecar.schemas() if self.tables else {}
            for (config, split), parts in self.tables.items():
                if parts:
                    table = pa.concat_tables(parts).combine_chunks()
                    self._write(config, split, table, schemas[config])
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
            for writer in self.writers.values():
                writer.close()


class _Collected:
    """One chunk's rows, as columns and dicts, then (`build`) one Arrow table per
    (config, split). A worker builds them before sending them back: Arrow buffers
    pickle as bytes, rows as millions of objects."""

    def __init__(self) -> None:
        self.entities: dict[str, _EntityColumns] = {}
        self.stance: dict[str, list[tuple]] = {}  # rows as tuples of STANCE_COLUMNS
        self.tables: dict[tuple[str, str], Any] = {}
        self.pool: _ChunkPool | None = None  # the tokens the entities rows take theirs from

    def add_stance(self, split: str, rows: Iterable[tuple]) -> None:
        self.stance.setdefault(split, []).extend(rows)

    def add_entities(self, split: str, *row: Any) -> None:
        self.entities.setdefault(split, _EntityColumns()).add(*row)

    def build(self, schemas: dict[str, Any]) -> None:
        for split, columns in self.entities.items():
            assert self.pool is not None
            self.tables[("entities", split)] = columns.table(schemas["entities"], self.pool)
        for split, rows in self.stance.items():
            self.tables[("stance", split)] = _stance_table(rows, schemas["stance"])
        self.entities, self.stance, self.pool = {}, {}, None


class _Records:
    """A worker's inputs-hash records, hashed by the parent in article order."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        self.parts.append(data)


# What an exporter adds up over its articles: `_Exporter.merge` adds a worker's to the
# parent's (tests check that every other attribute is set once, from the options).
_COUNTERS = (
    "entity_counts",
    "stance_counts",
    "target_counts",
    "sources",
    "skipped",
    "alignment",
    "stance_problems",
    "ties",
    "annotators",
    "model_versions",
    "predictions_used",
    "adjudicated",
    "reviewers",
)
_EXAMPLES = ("alignment_examples", "stance_problem_examples", "tie_examples", "invalid_examples")
_SENT = {*_COUNTERS, *_EXAMPLES, "pull_problems", "agreement", "report", "inputs", "writers"}


class _Decision(NamedTuple):
    """What one article becomes (`_Exporter._decide`): its adjudicated record from these
    judgements, or why it is left out (``skipped``)."""

    doc: ArticleText
    judgements: Sequence[Judgement] = ()
    source: str = ""
    n: int = 0
    result: Adjudicated | None = None
    skipped: str | None = None
    prediction: str | None = None  # the model version of an exported prediction


class _Exporter:
    """Articles in, rows and statistics out. The parent's (`writing`) writes the files; a
    worker's (`collecting`) keeps one chunk's rows, report lines and hash records, which
    the parent `merge`s in article order, so any number of workers gives the same files."""

    def __init__(
        self,
        options: ExportOptions,
        labels: LabelSet,
        files: _SplitWriters | None,
        report: Any,
        inputs: Any,
    ) -> None:
        self.options = options
        self.labels = labels
        self.split_names = [n for n, r in options.splits.items() if r > 0]
        self.files = files  # the parent's Parquet files; None in a worker
        self.writers = _Collected()  # this chunk's rows
        # Every reported item, one JSON line each (the card and manifest keep the first few).
        self.report = report
        self.bio_index = {name: i for i, name in enumerate(labels.bio_names)}
        self.outside = self.bio_index["O"]
        self.known_entities = frozenset(labels.entity_names)
        self.tag_ids = {
            e: (self.bio_index[f"B-{e}"], self.bio_index[f"I-{e}"]) for e in labels.entity_names
        }
        self.stance_names = labels.stance_names
        self.target_ids = labels.target_ids
        self.holder_index = {n: i for i, n in enumerate(labels.holder_labels)}
        self.target_index = {n: i for i, n in enumerate(labels.target_ids)}
        self.stance_index = {n: i for i, n in enumerate(labels.stance_names)}
        self.entity_counts: Counter[tuple[str, str]] = Counter()
        self.stance_counts: Counter[tuple[str, str]] = Counter()
        self.target_counts: Counter[tuple[str, str]] = Counter()
        self.sources: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.alignment: Counter[str] = Counter()
        self.alignment_examples: list[str] = []
        self.stance_problems: Counter[str] = Counter()
        self.stance_problem_examples: list[str] = []
        self.ties: Counter[str] = Counter()
        self.tie_examples: list[str] = []
        self.annotators: Counter[str] = Counter()
        self.pull_problems = 0
        self.invalid_examples: list[str] = []
        self.model_versions: Counter[str] = Counter()
        self.predictions_used: Counter[str] = Counter()
        self.adjudicated: Counter[str] = Counter()
        self.reviewers: Counter[str] = Counter()
        self.agreement = AgreementStats(labels.entity_names, labels.stance_names)
        self.inputs = inputs

    @classmethod
    def writing(
        cls, options: ExportOptions, labels: LabelSet, root: Path, sidecar: Sidecar
    ) -> _Exporter:
        """The exporter that writes the Parquet files and the report under `root`."""
        inputs = hashlib.sha256()
        inputs.update(
            json.dumps(
                {"labels": labels.fingerprint(), "options": options.as_manifest()},
                sort_keys=True,
            ).encode()
        )
        report = (root / REPORT_FILE).open("w", encoding="utf-8")
        return cls(options, labels, _SplitWriters(root, sidecar), report, inputs)

    @classmethod
    def collecting(cls, options: ExportOptions, labels: LabelSet) -> _Exporter:
        """A worker's exporter of one chunk, for the parent to `merge`."""
        return cls(options, labels, None, io.StringIO(), _Records())

    def __getstate__(self) -> dict[str, Any]:
        """What a worker sends back: its rows and sums, not the options and labels the
        parent already has."""
        return {k: v for k, v in vars(self).items() if k in _SENT}

    def merge(self, part: _Exporter) -> None:
        """Add a worker's chunk (`collecting`) as if its articles had come through here."""
        for name in _COUNTERS:
            getattr(self, name).update(getattr(part, name))
        for name in _EXAMPLES:
            kept = getattr(self, name)
            kept += getattr(part, name)[: max(0, MAX_EXAMPLES - len(kept))]
        self.pull_problems += part.pull_problems
        self.agreement.merge(part.agreement)
        self.report.write(part.report.getvalue())
        for record in part.inputs.parts:
            self.inputs.update(record)
        assert self.files is not None
        self.files.add_chunk(part.writers)

    def end_chunk(self) -> None:
        """Hand this chunk's rows to the files (this process exporting alone)."""
        assert self.files is not None
        self.files.add_chunk(self.writers)
        self.writers = _Collected()

    def chunk(self, items: list[TaskItem]) -> None:
        """Turn one chunk of items into rows, their tokens and sentences computed together.
        Group by group (`ALIGN_GROUP`), each article is decided (adjudicated, or why it is
        left out), then the group's spans are aligned to their tokens at once
        (`_ChunkPool.align`), then each article is counted, reported and written, in order."""
        pool = self.writers.pool = _ChunkPool(
            [item.text for item in items], self.outside, self.tag_ids
        )
        for first in range(0, len(items), ALIGN_GROUP):
            group = items[first : first + ALIGN_GROUP]
            decisions = [self._decide(item, pool, first + k) for k, item in enumerate(group)]
            aligned = pool.align(
                first,
                [d.result.spans if d.result is not None else () for d in decisions],
                self.known_entities,
            )
            for k, (item, decision) in enumerate(zip(group, decisions, strict=True)):
                self.article(item, decision, pool, first + k, aligned[k])

    def _decide(self, item: TaskItem, pool: _ChunkPool, position: int) -> _Decision:
        """What one item becomes, before anything is counted, reported or written."""
        doc = ArticleText(item.text, item.public_id, pool.sentences.of(position))
        invalid = [j for j, _ in item.invalid]
        judgements = [j for j in item.judgements if j not in invalid]
        source = "human"
        if not judgements and invalid:
            if not self.options.include_invalid:
                return _Decision(doc, skipped="only invalid annotations (failed pull checks)")
            judgements, source = invalid, "human-invalid"
        n = len({j.annotator for j in judgements})
        if not judgements:
            version = self._prediction_version(item) if self.options.include_unreviewed else None
            if version is None:
                return _Decision(doc, skipped="no human annotation")
            _created, entities, stances = item.predictions[version]
            pred = queries.prediction_judgement(version, entities, stances)
            result = Adjudicated(spans=sorted(set(pred.spans)))
            result.triples = [(t, None) for t in pred.triples]
            return _Decision(doc, [pred], "prediction", n, result, prediction=version)
        if n < self.options.min_annotators:
            return _Decision(doc, skipped=f"fewer than {self.options.min_annotators} annotators")
        result = adjudicate(self.options.policy, judgements, doc.stance_key, item.resolution)
        if result.skipped:
            return _Decision(doc, skipped=result.skipped)
        return _Decision(doc, judgements, source, n, result)

    def article(
        self, item: TaskItem, decision: _Decision, pool: _ChunkPool, position: int, aligned: bool
    ) -> None:
        """One decided item into rows and counts; its tokens are the `position`-th text's
        of `pool`, and `aligned` says its spans are tagged already."""
        doc = decision.doc
        for version in item.model_versions:
            self.model_versions[version] += 1
        self.pull_problems += item.pull_problems
        for j, problems in item.invalid:
            self._example(
                self.invalid_examples, f"{doc.id}: {j.annotator}: {'; '.join(problems)}", "invalid"
            )
        if decision.prediction is not None:
            self.predictions_used[decision.prediction] += 1
        result = decision.result
        if decision.skipped is not None or result is None:
            self._skip(item, decision.skipped or "")
            return
        judgements, source, n = decision.judgements, decision.source, decision.n
        if source == "human":
            self.agreement.add(judgements, doc.stance_key)
        for tie in result.ties:
            self.ties[tie.kind] += 1
            self._example(
                self.tie_examples,
                f"{doc.id}: {tie.kind} {tie.key} votes {dict(tie.votes)} -> {tie.chosen}",
                "tie",
            )
        hashed = judgements
        if result.adjudicated_by is not None and item.resolution is not None:
            hashed = [
                *judgements,
                replace(item.resolution, annotator="review:" + item.resolution.annotator),
            ]
        self._hash_inputs(item.content_hash, hashed, source, item.invalid)
        split = assign_split(item.content_hash, self.options.seed, self.options.splits)
        self.sources[source] += 1
        for who in result.annotators:
            self.annotators[who] += 1
        self._entities_row(doc, result, split, source, n, pool, position, aligned)
        human = source != "prediction"
        stance_rows = self._stance_rows(doc, result, split, source, n if human else 0)
        if result.adjudicated_by is not None:
            self.adjudicated["articles"] += 1
            self.adjudicated["entities_rows"] += 1
            self.adjudicated["stance_rows"] += stance_rows
            self.reviewers[result.adjudicated_by] += 1

    def _prediction_version(self, item: TaskItem) -> str | None:
        """The model version of the prediction to export: the newest pushed with the task
        that has one, else the newest."""
        preds = item.predictions
        version = next((v for v in reversed(item.model_versions) if v in preds), None)
        if version is None and preds:
            version = max(preds, key=lambda v: (preds[v][0], v))
        return version

    def _skip(self, item: TaskItem, reason: str) -> None:
        """Count an article left out; its reason (and invalid annotations) feed the inputs
        hash too, since the card reports them."""
        self.skipped[reason] += 1
        record = {
            "article": item.content_hash,
            "skipped": reason,
            "invalid": [[j.annotator, [str(x) for x in j.order], p] for j, p in item.invalid],
        }
        self.inputs.update(_hash_record(record))

    def _hash_inputs(
        self,
        content_hash: str,
        judgements: Sequence[Judgement],
        source: str,
        invalid: Sequence[tuple[Judgement, list[str]]] = (),
    ) -> None:
        record = {
            "article": content_hash,
            "source": source,
            "invalid": [[j.annotator, [str(x) for x in j.order], p] for j, p in invalid],
            "annotations": [
                {
                    "annotator": j.annotator,
                    "order": [str(x) for x in j.order],
                    "ground_truth": j.ground_truth,
                    "spans": j.spans,  # [start, end, label] each (`_hash_record`)
                    "triples": [
                        [
                            t.holder.start,
                            t.holder.end,
                            t.holder.label,
                            t.target,
                            t.label,
                            list(t.target_span or ()),
                            list(t.evidence or ()),
                        ]
                        for t in j.triples
                    ],
                }
                for j in judgements
            ],
        }
        self.inputs.update(_hash_record(record))

    def _example(self, examples: list[str], text: str, kind: str) -> None:
        """Keep the first few for the card; write every one to the report file."""
        if len(examples) < MAX_EXAMPLES:
            examples.append(text)
        self.report.write(json.dumps({"kind": kind, "item": text}, ensure_ascii=False) + "\n")

    def _entities_row(
        self,
        doc: ArticleText,
        result: Adjudicated,
        split: str,
        source: str,
        n: int,
        pool: _ChunkPool,
        position: int,
        aligned: bool,
    ) -> None:
        bounds = pool.tokens.bounds
        first, last = int(bounds[position]), int(bounds[position + 1])
        kept = result.spans
        if not aligned:  # some span is not on token edges: tag and report it here
            i, j, labels, issues = sp.bio_columns(
                doc.text,
                pool.tokens.starts[first:last],
                pool.tokens.ends[first:last],
                result.spans,
                self.known_entities,
            )
            pool.tag(first, i, j, labels)
            invalid = self._report_alignment(doc, issues)
            if invalid:
                kept = [s for s in result.spans if s not in invalid]
        self.entity_counts.update(zip(map(sp.SPAN_LABEL, kept), repeat(split)))  # counted in C
        human = source != "prediction"
        self.writers.add_entities(
            split,
            doc,
            (first, last),
            kept,
            result.annotators if human else [],
            n if human else 0,
            result.agreement if source == "human" else None,
            source,
        )

    def _report_alignment(
        self, doc: ArticleText, issues: Sequence[sp.AlignmentIssue]
    ) -> set[sp.Span]:
        """Count and report each span that did not fit its tokens; the invalid ones,
        which its row leaves out."""
        invalid = set()
        for issue in issues:
            self.alignment[issue.kind] += 1
            self._example(self.alignment_examples, f"{doc.id}: {issue.describe()}", "alignment")
            if issue.kind == "invalid":
                invalid.add(issue.span)
        return invalid

    def _stance_rows(
        self, doc: ArticleText, result: Adjudicated, split: str, source: str, n: int
    ) -> int:
        rows = {}
        for t, agreement in result.triples:
            s_start, s_end = evidence = doc.evidence(t)
            problem = stance_problem(doc, t, self.labels, evidence)
            if problem:
                kind, detail = problem
                self.stance_problems[kind] += 1
                self._example(self.stance_problem_examples, f"{doc.id}: {detail}", "stance")
                continue
            row_id = stance_row_id(doc, t, evidence)
            if row_id in rows:
                self.stance_problems["duplicate"] += 1
                self._example(
                    self.stance_problem_examples, f"{doc.id}: duplicate {row_id}", "stance"
                )
                continue
            rows[row_id] = (
                row_id,
                doc.id,
                doc.text[s_start:s_end],
                s_start,
                doc.text[t.holder.start : t.holder.end],
                self.holder_index[t.holder.label],
                t.holder.start,
                t.holder.end,
                self.target_index[t.target],
                self.stance_index[t.label],
                n,
                agreement,
                source,
            )
        ordered = sorted(rows.values(), key=_STANCE_ROW_ORDER)
        # each row's label and target, counted in C
        self.stance_counts.update(
            zip(map(self.stance_names.__getitem__, map(_LABEL, ordered)), repeat(split))
        )
        self.target_counts.update(
            zip(map(self.target_ids.__getitem__, map(_TARGET, ordered)), repeat(split))
        )
        if ordered:  # a split's stance list holds rows, as its table must
            self.writers.add_stance(split, ordered)
        return len(rows)


# A stance row's (STANCE_COLUMNS) sort key: sentence_start, holder_start, holder_end,
# target; and its label and target ids.
_STANCE_ROW_ORDER = itemgetter(3, 6, 7, 8)
_LABEL, _TARGET = itemgetter(9), itemgetter(8)


def _hash_record(record: dict[str, Any]) -> bytes:
    """One line of the inputs hash: compact JSON with sorted keys, spans as arrays. orjson,
    because the export hashes every annotation of the corpus (json.dumps took a twentieth
    of an export's time)."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=list) + b"\n"


def stance_problem(
    doc: ArticleText, t: Triple, labels: LabelSet, evidence: tuple[int, int]
) -> tuple[str, str] | None:
    """Why a triple cannot be exported (reported, never dropped silently): (kind, detail).
    ``evidence``: ``doc.evidence(t)``, which the caller's row needs too."""
    if not sp.span_fits(doc.text, t.holder, labels.holder_set):  # nearly every one fits
        problems = sp.check_span(doc.text, t.holder, labels.holder_set)
        return "invalid holder", f"holder {t.holder_text!r}: {'; '.join(problems)}"
    if t.target not in labels.target_set:
        return "unknown target", f"unknown target {t.target!r}"
    if t.label not in labels.stance_set:
        return "unknown label", f"unknown stance label {t.label!r}"
    if not (0 <= evidence[0] < evidence[1] <= len(doc.text)):
        return "invalid evidence", f"evidence {evidence} outside the text"
    return None


def stance_row_id(doc: ArticleText, t: Triple, evidence: tuple[int, int]) -> str:
    """The stance row's id: two triples with the same id are one row (a duplicate)."""
    return f"{doc.id}/{t.target}/{evidence[0]}/{t.holder.start}-{t.holder.end}"


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ExportError(f"{out_dir} already exists and is not empty: choose another --out")


def _prepare_out_dir(out_dir: Path, check: bool = True) -> Path:
    if check:
        _check_out_dir(out_dir)
    staging = out_dir.with_name(out_dir.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def export_project(
    engine: Engine,
    options: ExportOptions,
    labels: LabelSet,
    progress: Callable[[int, int], None] | None = None,
    *,
    reuse_identical: bool = False,
    home: Path | None = None,
    workers: int = 1,
) -> ExportSummary:
    """Export one project's adjudicated annotations as a Hub-style dataset folder.

    With `home` (the workspace), the project's lock is held throughout, so the export run
    it records never races a push, pull or review of the same project. With `workers`
    > 1, worker processes turn the articles into rows; the files are the same.
    """
    if home is None:
        return _export_project(engine, options, labels, progress, reuse_identical, workers)
    with project_lock(home, project_name(engine, options.project)):
        return _export_project(engine, options, labels, progress, reuse_identical, workers)


def _export_project(
    engine: Engine,
    options: ExportOptions,
    labels: LabelSet,
    progress: Callable[[int, int], None] | None,
    reuse_identical: bool,
    workers: int,
) -> ExportSummary:
    """Export one project's adjudicated annotations as a Hub-style dataset folder.

    Writes into ``<out>.partial`` and renames at the end, so a failed export never leaves
    a folder that looks complete. Records an ExportRun in the store, unless the inputs
    hash, the options and annotate's version equal the project's last run: then the
    summary's `identical_to` names that run. With `reuse_identical` (the out folder was not
    chosen by the user) such an export writes no new folder either and points to the
    last run's, when it is still there.
    """
    with session_scope(engine) as session:
        project = queries.resolve_project(session, options.project)
        project_name = project.name
        task_ids = queries.project_task_ids(session, project.id)
    staging = _prepare_out_dir(options.out_dir, check=not reuse_identical)
    last: tuple[int, str] | None = None
    load = _Loader(
        engine,
        queries.load_task_items,
        with_predictions=options.include_unreviewed,
        with_resolutions=options.policy.kind == "adjudicated",
    )
    pool, sidecar = _start_helpers(options, labels, workers, load, len(task_ids))
    try:
        summary = _write_rows(options, labels, staging, sidecar, pool, load, task_ids, progress)
        summary.project = project_name
        if not summary.data_files():
            reasons = ", ".join(f"{n} {why}" for why, n in summary.skipped.items())
            raise ExportError(f"nothing to export from {project_name}: {reasons or 'no tasks'}")
        manifest = summary.manifest(options, labels)
        with session_scope(engine) as session:
            run = queries.last_export(session, project_name)
            if run is not None and _same_run(run.options, run.manifest, options, manifest):
                last = run.id, run.out_dir
        if last is not None and reuse_identical and Path(last[1]).is_dir():
            shutil.rmtree(staging)
            summary.out_dir = Path(last[1])
            summary.export_run_id = summary.identical_to = last[0]
            return summary
        _publish(staging, summary, options, sidecar)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        pool.close()
        sidecar.close()
    summary.out_dir = options.out_dir
    if last is not None:
        summary.export_run_id = summary.identical_to = last[0]
        return summary
    with session_scope(engine) as session:
        summary.export_run_id = queries.record_export(
            session,
            project_name,
            str(options.out_dir.resolve()),
            options.as_manifest(),
            manifest,
        )
    return summary


class _Loader:
    """Reads one chunk of the export's items (task or article ids) from the store, in its
    own short transaction: in this process, or in a worker after `_init_chunk_worker`."""

    def __init__(self, engine: Engine, query: Callable[..., list[TaskItem]], **kw: Any) -> None:
        self.engine = engine
        self.query = query
        self.kw = kw

    def __call__(self, ids: list[int]) -> list[TaskItem]:
        with session_scope(self.engine) as session:
            return self.query(session, ids, **self.kw)


_CHUNK_JOB: tuple[ExportOptions, LabelSet, _Loader, dict[str, Any]] | None = None
# Chunks submitted ahead per worker.
IN_FLIGHT = 2


def _init_chunk_worker(
    options: ExportOptions, labels: LabelSet, load: _Loader, schemas: dict[str, Any]
) -> None:
    global _CHUNK_JOB
    # The parent's pooled connections are not this process's to use (SQLAlchemy's
    # advice for a forked engine): the worker opens its own.
    load.engine.dispose(close=False)
    gc.disable()  # for the worker's life: `_export_chunk` sweeps
    _CHUNK_JOB = (options, labels, load, schemas)


def _export_chunk(ids: list[int]) -> tuple[_Exporter, int]:
    assert _CHUNK_JOB is not None
    options, labels, load, schemas = _CHUNK_JOB
    _sweep()  # the last chunk's objects went with its pickle
    part = _Exporter.collecting(options, labels)
    part.chunk(load(ids))
    part.writers.build(schemas)
    return part, len(ids)


class _Workers:
    """Processes that read chunks of articles from the store and turn them into rows
    (`--workers`), or none.

    Forked, as the pre-annotator's are, and first: before the sidecar and the writer
    thread start, so no thread of this process is copied into them. The parent merges
    their chunks in order and writes the files.
    """

    def __init__(self, options: ExportOptions, labels: LabelSet, workers: int) -> None:
        self.options = options
        self.labels = labels
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def start(self, load: _Loader) -> None:
        if self.workers > 1:
            # The workers build Arrow tables, so they need the schemas: computed here,
            # before the fork (it imports `datasets` here; the card is then written here
            # too, with no sidecar helper).
            schemas = arrow_schemas(self.labels)
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_chunk_worker,
                initargs=(self.options, self.labels, load, schemas),
            )
            self.pool.submit(int).result()  # the first submit forks every worker

    def parts(self, ids: list[int]) -> Iterator[tuple[_Exporter, int]]:
        assert self.pool is not None
        pending: deque[Future] = deque()
        chunks = chunked(ids, CHUNK_ARTICLES)
        while True:
            while len(pending) < IN_FLIGHT * self.workers:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending.append(self.pool.submit(_export_chunk, chunk))
            if not pending:
                return
            try:
                part = pending.popleft().result()
            except BrokenProcessPool:
                raise ExportError(
                    "an export worker stopped before it finished (out of memory, or "
                    "killed); nothing was written: run the export again, with fewer "
                    "--workers if memory is short"
                ) from None
            yield part

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _start_helpers(
    options: ExportOptions, labels: LabelSet, workers: int, load: _Loader, articles: int
) -> tuple[_Workers, Sidecar]:
    """The export's workers, then its sidecar: forked in that order (see `_Workers`)."""
    pool = _Workers(options, labels, workers)
    try:
        pool.start(load)
        return pool, Sidecar.for_export(labels, articles)
    except BaseException:
        pool.close()
        raise


def _read_ahead(
    load: _Loader, chunks: Iterable[list[int]]
) -> Iterator[tuple[list[int], list[TaskItem]]]:
    """Each chunk with its items, the next chunk read on a thread while the caller turns
    this one into rows: a server database's round trip and work run without the GIL, so
    they overlap the export's (not SQLite's: see `_reads`)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read") as reader:
        todo = iter(chunks)
        ahead = [(c, reader.submit(load, c)) for c in islice(todo, 1)]
        while ahead:
            chunk, items = ahead.pop()
            ahead += [(c, reader.submit(load, c)) for c in islice(todo, 1)]
            yield chunk, items.result()


def _reads(
    load: _Loader, chunks: Iterable[list[int]]
) -> Iterator[tuple[list[int], list[TaskItem]]]:
    """Each chunk with its items: read ahead on a thread from a server database, here
    between chunks from SQLite. SQLite's work is this process's own CPU, and a chunk comes
    packed in a few rows (`queries.packed_rows`). Against the former read (rows one by
    one, on a thread), an export of 10,000 articles took 1.04x the time reading packed
    chunks on a thread, and 0.94x to 0.96x reading them here (paired whole-process runs,
    medians): the two threads handed the GIL back and forth."""
    if load.engine.dialect.name != "sqlite":
        return _read_ahead(load, chunks)
    return ((chunk, load(chunk)) for chunk in chunks)


@contextmanager
def _no_automatic_collections() -> Iterator[None]:
    """Keep the garbage collector from running by itself while rows are built: the
    export sweeps after each chunk instead (`_sweep`).

    An export makes millions of tuples, lists and dicts (spans, triples, rows) that live
    for one chunk and form no cycles: they go when their chunk goes, by reference
    counting. The collector, run by allocation counts, found nothing among them yet
    walked them all, and the chunks waiting for their schemas again and again: with
    young collections every 50,000 allocations (Python's default is 700) its passes
    still took about a ninth of an export of 20,000 articles, and without them the
    export takes about 0.8x the time (whole processes, paired). The collector comes back
    as the caller had it, after a failed export too.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sweep() -> None:
    """Collect the young generations, once a chunk's objects are gone. Each chunk's
    queries leave a few hundred objects in reference cycles (SQLAlchemy's statements):
    without this, a million articles would hold some hundred MB of them. With the chunk
    gone, few objects are young, so a sweep takes about a millisecond."""
    gc.collect(1)


def _write_rows(
    options: ExportOptions,
    labels: LabelSet,
    staging: Path,
    sidecar: Sidecar,
    workers: _Workers,
    load: _Loader,
    ids: list[int],
    progress: Callable[[int, int], None] | None,
) -> ExportSummary:
    """Every item through one exporter (or the workers' into it) into `staging`: the
    Parquet files, the report."""
    exporter = _Exporter.writing(options, labels, staging, sidecar)
    done, total = 0, len(ids)
    try:
        with _no_automatic_collections():
            if workers.pool is None:
                for chunk, items in _reads(load, chunked(ids, CHUNK_ARTICLES)):
                    exporter.chunk(items)
                    exporter.end_chunk()
                    del items  # gone before the sweep, not at the next read
                    _sweep()
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            else:
                for part, n in workers.parts(ids):
                    exporter.merge(part)
                    del part
                    _sweep()
                    done += n
                    if progress:
                        progress(done, total)
    finally:
        assert exporter.files is not None
        exporter.files.close()
        exporter.report.close()
    return _summary(exporter, options, options.project or "")


SILVER = "silver"


def export_silver(
    engine: Engine,
    options: ExportOptions,
    labels: LabelSet,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> ExportSummary:
    """Every pre-annotated article of the store as a dataset of `source=prediction` rows,
    from the newest model version, with no project or task: the corpus-scale companion of
    the human-checked export (same exporter, configs, splits and card).

    Articles are read in public id order, so the same store gives the same Parquet bytes.
    """
    with session_scope(engine) as session:
        version = queries.latest_prediction_version(session)
        if version is None:
            raise ExportError(
                "nothing to export: no article is pre-annotated yet; run "
                "`annotate preannotate` first"
            )
        article_ids = queries.predicted_article_ids(session, version)
    options = replace(options, include_unreviewed=True)
    staging = _prepare_out_dir(options.out_dir)
    load = _Loader(engine, queries.load_prediction_items, model_version=version)
    pool, sidecar = _start_helpers(options, labels, workers, load, len(article_ids))
    try:
        summary = _write_rows(options, labels, staging, sidecar, pool, load, article_ids, progress)
        summary.project = options.project or SILVER
        manifest = summary.manifest(options, labels)
        _publish(staging, summary, options, sidecar)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        pool.close()
        sidecar.close()
    summary.out_dir = options.out_dir
    with session_scope(engine) as session:
        summary.export_run_id = queries.record_export(
            session, None, str(options.out_dir.resolve()), options.as_manifest(), manifest
        )
    return summary


def _publish(
    staging: Path, summary: ExportSummary, options: ExportOptions, sidecar: Sidecar
) -> None:
    """Write the card into the finished staging folder and rename it into place."""
    sidecar.write_card(staging, summary, options)
    _check_out_dir(options.out_dir)
    if options.out_dir.exists():
        options.out_dir.rmdir()  # empty, just checked
    os.replace(staging, options.out_dir)


def _same_run(
    run_options: dict[str, Any],
    run_manifest: dict[str, Any],
    options: ExportOptions,
    manifest: dict[str, Any],
) -> bool:
    """Whether an earlier run had the same inputs, options and annotate version (the
    project name aside: a run of the only project may or may not have named it)."""
    wanted = {k: v for k, v in options.as_manifest().items() if k != "project"}
    had = {k: v for k, v in (run_options or {}).items() if k != "project"}
    return (
        had == json.loads(json.dumps(wanted))
        and run_manifest.get("inputs_sha256") == manifest["inputs_sha256"]
        and run_manifest.get("annotate_version") == manifest["annotate_version"]
    )


def _table(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (label, split), n in sorted(counter.items()):
        out.setdefault(label, {})[split] = n
    return out


def _summary(exporter: _Exporter, options: ExportOptions, project: str) -> ExportSummary:
    w = exporter.files
    splits = exporter.split_names
    return ExportSummary(
        out_dir=options.out_dir,
        project=project,
        rows={c: {s: w.rows[(c, s)] for s in splits} for c in CONFIGS},
        num_bytes={c: {s: w.nbytes[(c, s)] for s in splits} for c in CONFIGS},
        entity_counts=_table(exporter.entity_counts),
        stance_counts=_table(exporter.stance_counts),
        target_counts=_table(exporter.target_counts),
        sources=dict(sorted(exporter.sources.items())),
        skipped=dict(sorted(exporter.skipped.items())),
        alignment=dict(sorted(exporter.alignment.items())),
        alignment_examples=exporter.alignment_examples,
        stance_problems=dict(sorted(exporter.stance_problems.items())),
        stance_problem_examples=exporter.stance_problem_examples,
        ties=dict(sorted(exporter.ties.items())),
        tie_examples=exporter.tie_examples,
        annotators=dict(sorted(exporter.annotators.items())),
        annotations_with_problems=exporter.pull_problems,
        invalid_annotations=exporter.pull_problems,
        invalid_examples=exporter.invalid_examples,
        model_versions=dict(sorted(exporter.model_versions.items())),
        predictions_used=dict(sorted(exporter.predictions_used.items())),
        agreement=exporter.agreement.report(),
        inputs_sha256=exporter.inputs.hexdigest(),
        adjudicated={
            k: exporter.adjudicated[k] for k in ("articles", "entities_rows", "stance_rows")
        },
        reviewers=dict(sorted(exporter.reviewers.items())),
    )


def load_export(out_dir: Path, cache_dir: Path | None = None) -> dict[str, Any]:
    """The exported folder as ``{config: DatasetDict}``, loaded the way the Hub loads it.

    Configs without any rows (no Parquet file) are absent, as they are from the card.
    """
    from datasets import load_dataset

    return {
        c: load_dataset(str(out_dir), c, cache_dir=str(cache_dir) if cache_dir else None)
        for c in CONFIGS
        if (out_dir / "data" / c).is_dir()
    }


def push_to_hub(
    out_dir: Path, repo_id: str, private: bool = False, token: str | None = None
) -> str:
    """Upload the export folder to a Hub dataset repo; returns the commit URL.

    The folder already is the Hub layout (card + ``data/<config>/<split>.parquet``), so
    uploading it as is means the Hub serves byte-identical Parquet and the same card (with
    its picture) that were validated locally, rather than a re-encoded copy.
    """
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=str(out_dir),
        allow_patterns=["README.md", PLOT_FILE, "data/**"],
        commit_message=f"annotate export {out_dir.name}",
    )
    return str(getattr(info, "commit_url", info))
