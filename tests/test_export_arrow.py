"""The Arrow-native export writes what main's row-by-row export wrote, byte for byte.

The reference is main's entities path kept in tests/export_reference.py (a `Token` and a
dict per token, `Table.from_pylist`); here it is swapped in for the exporter and both
export the same store of awkward articles (a title, clusters that are not code points,
emoji, CJK, overlapping, widened, cut and invalid spans, ties, predictions, an invalid
annotation) in small batches, so row groups end mid-store. Every file of the two folders
must be equal: the Parquet, the card with its picture, the report.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from annotate import spans as sp
from annotate.export import hf
from annotate.export.adjudicate import parse_policy
from annotate.export.features import features_for
from annotate.export.hf import ExportOptions, export_project, export_silver, load_export
from annotate.export.splits import parse_splits
from annotate.schemas import load_labelset
from annotate.store.models import (
    Annotation,
    Article,
    EntitySpan,
    Prediction,
    Project,
    StanceTriple,
    Task,
)
from annotate.store.session import session_scope
from tests.export_reference import ReferenceExporter

LABELS = load_labelset()
T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)

# (title, body): sentences written for this test.
ARTICLES = [
    (
        "Talks resume in Oslo",
        "Mr. Tanaka met the U.S. envoy in Oslo on Jan. 3, and 3,000.5 tonnes of "
        "aid_supplies arrived. Britain's minister backs a ceasefire.",
    ),
    (None, "Pedro Sa\u0301nchez visited Mu\u0308nchen; a flag \U0001f1eb\U0001f1f7 flew."),
    (None, "\u6771\u4eac\u00a0summit\tbegan \U0001f469\u200d\U0001f52c today.\n\nThe UN agreed."),
    (None, "The Israel-Hamas talks in Doha stalled, said Qatar's envoy Ana Lima."),
    (None, "Nothing here names anyone at all."),
    (None, "\u0928\u092e\u0938\u094d\u0924\u0947 Delhi and Kathmandu signed a pact."),
    ("Hanoi vote", "Vietnam rejects a humanitarian pause, officials in Hanoi said."),
    (None, "Kenya and Peru abstained on the ceasefire vote in Nairobi."),
]


def find(text: str, word: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return start, start + len(word)


def unit(title: str | None, body: str) -> str:
    return sp.unit_text(title, body)


def spans_for(k: int, text: str, annotator: int) -> list[tuple[int, int, str]]:
    """Each article's entity spans: exact, widened, cut, overlapping and invalid ones."""
    if k == 0:
        return [
            (*find(text, "Oslo"), "GPE"),
            (*find(text, "Tanaka"), "PERSON"),
            (*find(text, "U.S."), "GPE"),
            (*find(text, "Oslo", 1), "GPE" if annotator == 1 else "LOC"),  # a disagreement
            (*find(text, "Britain"), "GPE"),
        ]
    if k == 1:
        a, _ = find(text, "Pedro")
        return [
            (a, a + len("Pedro Sa"), "PERSON"),  # cuts the accent of Sa\u0301nchez
            (*find(text, "Mu\u0308nchen"), "GPE"),
            (*find(text, "\U0001f1eb\U0001f1f7"), "NORP"),
        ]
    if k == 2:
        return [
            (*find(text, "\u6771\u4eac"), "GPE"),
            (*find(text, "UN"), "ORG"),
            (*find(text, "summit\tbegan"), "EVENT"),
        ]
    if k == 3:
        return [
            (*find(text, "Isra"), "GPE"),  # overlaps the longer one, tagged before it
            (*find(text, "Israel-Hamas talks"), "EVENT"),
            (*find(text, "Doha"), "GPE"),
            (*find(text, "Qata"), "GPE"),  # widened to Qatar
            (*find(text, "Ana Lima"), "PERSON"),
            (*find(text, " Doha"), "GPE"),  # white space at an edge: invalid
            (len(text) - 3, len(text) + 4, "ORG"),  # past the end: invalid
            (*find(text, "envoy"), "NOPE"),  # unknown label: invalid
        ]
    if k == 5:
        return [(*find(text, "Delhi"), "GPE"), (*find(text, "Kathmandu"), "GPE")]
    if k == 6:
        return [(*find(text, "Vietnam"), "GPE"), (*find(text, "Hanoi", 1), "GPE")]
    return []


def build_store(engine: Engine) -> None:
    """The articles above as a pull stores them, plus predictions for silver and unreviewed."""
    with session_scope(engine) as s:
        project = Project(name="arrow", ls_url="http://ls", ls_project_id=1)
        s.add(project)
        s.flush()
        ls_id = 0
        for k, (title, body) in enumerate(ARTICLES):
            text = unit(title, body)
            art = Article(
                content_hash=hashlib.sha256(body.encode()).hexdigest(),
                external_id=f"arrow-{k}" if k != 4 else None,
                title=title,
                text=body,
            )
            s.add(art)
            s.flush()
            s.add(
                Prediction(
                    article_id=art.id,
                    model_version="rules-v1",
                    entities=[
                        {"start": a, "end": b, "label": lab, "text": text[a:b]}
                        for a, b, lab in spans_for(k, text, 1)[:2]
                    ],
                    stances=[],
                )
            )
            ls_id += 1
            task = Task(
                project_id=project.id,
                article_id=art.id,
                ls_task_id=ls_id,
                model_versions=["rules-v1"],
            )
            s.add(task)
            s.flush()
            annotators = [] if k == 7 else [1, 2] if k in (0, 3, 6) else [1]
            for who in annotators:
                ls_id += 1
                row = Annotation(
                    task_id=task.id,
                    ls_annotation_id=ls_id,
                    annotator=f"ann{who}@example.org",
                    created_at=T0,
                    updated_at=T0 + timedelta(hours=who),
                    result=[],
                    # article 5's only annotation failed its pull checks
                    problems=[{"problem": "unknown label in the result"}] if k == 5 else [],
                )
                for a, b, lab in spans_for(k, text, who):
                    row.entities.append(EntitySpan(start=a, end=b, label=lab, text=text[a:b]))
                if k in (0, 6):
                    holder = find(text, "Britain" if k == 0 else "Vietnam")
                    target = find(text, "ceasefire" if k == 0 else "humanitarian pause")
                    row.stances.append(
                        StanceTriple(
                            holder_start=holder[0],
                            holder_end=holder[1],
                            holder_label="GPE",
                            holder_text=text[holder[0] : holder[1]],
                            target="ceasefire" if k == 0 else "humanitarian_pause",
                            target_start=target[0],
                            target_end=target[1],
                            label="support" if who == 1 or k == 0 else "oppose",
                        )
                    )
                s.add(row)


@pytest.fixture
def arrow_store(engine: Engine) -> Engine:
    build_store(engine)
    return engine


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row groups of 3 entities rows and 2 stance rows: batches end inside the store."""
    monkeypatch.setattr(hf, "BATCH_ROWS", {"entities": 3, "stance": 2})


def options(out: Path, policy: str = "latest", **kw: bool) -> ExportOptions:
    return ExportOptions(
        out_dir=out,
        policy=parse_policy(policy),
        splits=parse_splits("train=0.5,validation=0.25,test=0.25"),
        **kw,
    )


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def reference(monkeypatch: pytest.MonkeyPatch, export, *args):
    """Run `export` with main's entities rows swapped in."""
    with monkeypatch.context() as m:
        m.setattr(hf, "_Exporter", ReferenceExporter)
        return export(*args)


@pytest.mark.parametrize(
    ("policy", "flags"),
    [
        ("latest", {}),
        ("majority", {}),
        ("latest", {"include_unreviewed": True, "include_invalid": True}),
    ],
)
def test_project_export_equals_mains_byte_for_byte(
    arrow_store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    flags: dict[str, bool],
) -> None:
    ours = export_project(arrow_store, options(tmp_path / "ours", policy, **flags), LABELS)
    theirs = reference(
        monkeypatch,
        export_project,
        arrow_store,
        options(tmp_path / "main", policy, **flags),
        LABELS,
    )
    assert ours.alignment == theirs.alignment and ours.alignment  # the awkward cases ran
    assert {"widened", "grapheme", "overlap", "invalid"} <= set(ours.alignment)
    assert ours.num_bytes == theirs.num_bytes and ours.rows == theirs.rows
    mine, main = files(tmp_path / "ours"), files(tmp_path / "main")
    assert sorted(mine) == sorted(main)
    assert sum(1 for name in mine if name.startswith("data/entities/")) >= 2
    for name in main:
        assert mine[name] == main[name], f"{name} differs from main's export"
    # several row groups per file: the batches really were cut inside the store
    groups = pq.ParquetFile(tmp_path / "ours" / "data" / "entities" / "train.parquet")
    assert groups.metadata.num_row_groups >= 1


def test_silver_export_equals_mains_byte_for_byte(
    arrow_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_silver(arrow_store, options(tmp_path / "ours"), LABELS)
    reference(monkeypatch, export_silver, arrow_store, options(tmp_path / "main"), LABELS)
    mine, main = files(tmp_path / "ours"), files(tmp_path / "main")
    assert sorted(mine) == sorted(main)
    for name in main:
        assert mine[name] == main[name], f"{name} differs from main's silver export"


def test_export_is_byte_identical_across_runs_and_loads(
    arrow_store: Engine, tmp_path: Path
) -> None:
    export_project(arrow_store, options(tmp_path / "a", "majority"), LABELS)
    export_project(arrow_store, options(tmp_path / "b", "majority"), LABELS)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    loaded = load_export(tmp_path / "a", cache_dir=tmp_path / "hf-cache")
    entities = loaded["entities"]
    for split in entities:
        assert entities[split].features == features_for("entities", LABELS)
    rows = [row for split in entities for row in entities[split]]
    assert len(rows) == len(ARTICLES) - 2  # no annotation (7), only an invalid one (5)
    for row in rows:
        tokens = sp.tokenize(row["text"])
        assert row["tokens"] == [t.text for t in tokens]
        assert row["token_offsets"] == [{"start": t.start, "end": t.end} for t in tokens]
        assert len(row["ner_tags"]) == len(tokens)


def test_the_export_helper_process_writes_the_same_folder(
    arrow_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large export takes its schemas from, and writes its card in, a forked helper
    process (`export/sidecar.py`) while this one writes rows: the folder is the same as
    the one written in one process, batches held for the schemas included."""
    from annotate.export import sidecar

    export_project(arrow_store, options(tmp_path / "inline", "majority"), LABELS)
    spawned: list[bool] = []

    class Helper(sidecar.Sidecar):
        def __init__(self, labels, helper: bool) -> None:
            super().__init__(labels, True)
            spawned.append(self.pool is not None)

        def ready(self) -> bool:  # as when the helper is still importing `datasets`
            return False

    monkeypatch.setattr(hf, "Sidecar", Helper)
    monkeypatch.setattr(hf, "HELD_CHUNKS", 2)
    monkeypatch.setattr(hf, "CHUNK_ARTICLES", 2)
    export_project(arrow_store, options(tmp_path / "helper", "majority"), LABELS)
    export_silver(arrow_store, options(tmp_path / "silver-helper"), LABELS)
    assert spawned == [True, True]
    assert files(tmp_path / "helper") == files(tmp_path / "inline")
    monkeypatch.undo()
    monkeypatch.setattr(hf, "BATCH_ROWS", {"entities": 3, "stance": 2})
    export_silver(arrow_store, options(tmp_path / "silver-inline"), LABELS)
    assert files(tmp_path / "silver-helper") == files(tmp_path / "silver-inline")


def test_only_a_large_export_in_a_fresh_process_starts_a_helper(monkeypatch) -> None:
    from annotate.export import sidecar

    monkeypatch.delitem(__import__("sys").modules, "datasets", raising=False)
    assert sidecar.Sidecar.for_export(LABELS, sidecar.HELPER_MIN_ARTICLES - 1).pool is None
    big = sidecar.Sidecar.for_export(LABELS, sidecar.HELPER_MIN_ARTICLES)
    try:
        assert big.pool is not None
        assert big.schemas() == sidecar.arrow_schemas(LABELS)
    finally:
        big.close()


UNGUARDED = """
import sys
from annotate.export import hf, sidecar
from annotate.export.adjudicate import parse_policy
from annotate.export.splits import parse_splits
from annotate.schemas import load_labelset
from annotate.store.session import make_engine

sidecar.HELPER_MIN_ARTICLES = 0
hf.BATCH_ROWS = {"entities": 3, "stance": 2}
options = hf.ExportOptions(
    out_dir=__import__("pathlib").Path(sys.argv[2]),
    policy=parse_policy("majority"),
    splits=parse_splits("train=0.5,validation=0.25,test=0.25"),
)
hf.export_project(make_engine(sys.argv[1]), options, load_labelset())
"""


def test_an_unguarded_script_exports_through_the_helper(
    arrow_store: Engine, tmp_path: Path
) -> None:
    """A script without a `__main__` guard that exports a large store finishes, with the
    same folder: the helper is forked, so it never runs the caller's script again."""
    import subprocess
    import sys

    script = tmp_path / "export_it.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    url = arrow_store.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, str(script), url, str(tmp_path / "script")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    export_project(arrow_store, options(tmp_path / "here", "majority"), LABELS)
    assert files(tmp_path / "script") == files(tmp_path / "here")


def _same_summary(one, two) -> None:
    from dataclasses import asdict

    skip = {"out_dir", "export_run_id", "identical_to"}
    a = {k: v for k, v in asdict(one).items() if k not in skip}
    b = {k: v for k, v in asdict(two).items() if k not in skip}
    assert a == b


@pytest.mark.parametrize(
    ("policy", "flags"),
    [("majority", {}), ("latest", {"include_unreviewed": True, "include_invalid": True})],
)
def test_export_workers_write_the_same_folder_and_summary(
    arrow_store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    flags: dict[str, bool],
) -> None:
    """`--workers`: chunks of 2 articles exported by 3 processes and merged in order give
    the folder, counts, examples, agreement and inputs hash of one process."""
    monkeypatch.setattr(hf, "CHUNK_ARTICLES", 2)
    one = export_project(arrow_store, options(tmp_path / "one", policy, **flags), LABELS)
    three = export_project(
        arrow_store, options(tmp_path / "three", policy, **flags), LABELS, workers=3
    )
    assert one.alignment and one.invalid_examples  # the awkward cases ran
    assert one.ties or policy == "latest"
    _same_summary(one, three)
    assert three.identical_to == one.export_run_id  # same inputs hash, as recorded
    assert files(tmp_path / "three") == files(tmp_path / "one")
    silver_one = export_silver(arrow_store, options(tmp_path / "silver-one"), LABELS)
    silver_two = export_silver(arrow_store, options(tmp_path / "silver-two"), LABELS, workers=2)
    _same_summary(silver_one, silver_two)
    assert files(tmp_path / "silver-two") == files(tmp_path / "silver-one")


def test_every_sum_an_exporter_keeps_is_merged() -> None:
    """A worker's exporter sends back `_SENT` and the parent merges it; anything else it
    holds must come from the options (or be the parent's files) alone, or a new statistic would be lost with
    `--workers` (this fails until the new attribute is put in one group or the other)."""
    exporter = hf._Exporter.collecting(options(Path("unused")), LABELS)
    from_options = {
        "files",
        "options",
        "labels",
        "split_names",
        "bio_index",
        "outside",
        "known_entities",
        "stance_names",
        "target_ids",
        "tag_ids",
        "holder_index",
        "target_index",
        "stance_index",
    }
    assert set(vars(exporter)) == from_options | hf._SENT
    assert not from_options & hf._SENT


def test_parquet_keeps_statistics_of_scalar_columns_only(
    arrow_store: Engine, tmp_path: Path
) -> None:
    """Min/max statistics on ids, counts and sources (what a reader filters on), none on
    texts, sentences and per-token lists (kilobytes per row group, held until close)."""
    export_project(arrow_store, options(tmp_path / "out", "majority"), LABELS)
    for config, scalar in [
        ("entities", {"id", "article_id", "n_annotators", "agreement", "source"}),
        ("stance", {"id", "holder", "label", "sentence_start", "source"}),
    ]:
        meta = pq.ParquetFile(tmp_path / "out" / "data" / config / "train.parquet").metadata
        group = meta.row_group(0)
        with_stats = {
            group.column(i).path_in_schema
            for i in range(group.num_columns)
            if group.column(i).is_stats_set
        }
        assert scalar <= with_stats
        assert not with_stats & {"text", "sentence", "tokens.list.element"}
        assert all("." not in path for path in with_stats)


def _worker_dies(ids: list[int]) -> None:
    os._exit(1)  # as the kernel's OOM killer would end it


def test_a_worker_that_dies_is_a_one_line_error_and_leaves_no_folder(
    arrow_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotate.errors import ExportError

    monkeypatch.setattr(hf, "_export_chunk", _worker_dies)
    with pytest.raises(ExportError, match="worker stopped.*fewer --workers"):
        export_silver(arrow_store, options(tmp_path / "out"), LABELS, workers=2)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob("out*"))


def test_the_export_reads_one_chunk_ahead_in_order() -> None:
    """`_read_ahead` gives each chunk with its own items, in order, and has asked for at
    most the next chunk while the caller holds one (memory stays one chunk ahead)."""
    asked: list[list[int]] = []

    def load(ids: list[int]) -> list[str]:
        asked.append(ids)
        return [f"item {i}" for i in ids]

    chunks = [[1, 2], [3, 4], [5]]
    got = []
    for k, (chunk, items) in enumerate(hf._read_ahead(load, iter(chunks))):  # type: ignore[arg-type]
        assert len(asked) <= k + 2
        got.append((chunk, items))
    assert got == [(c, [f"item {i}" for i in c]) for c in chunks]
    assert asked == chunks


def test_a_failed_read_ahead_fails_the_export_at_its_chunk() -> None:
    def load(ids: list[int]) -> list[int]:
        if ids == [3]:
            raise ValueError("store gone")
        return ids

    reader = hf._read_ahead(load, iter([[1], [2], [3], [4]]))  # type: ignore[arg-type]
    assert [items for _c, items in islice(reader, 2)] == [[1], [2]]
    with pytest.raises(ValueError, match="store gone"):
        next(reader)


class _Cycle:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_rows_are_built_without_automatic_collections_and_each_chunk_is_swept(
    arrow_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an export builds rows the collector does not run by itself, yet a chunk's
    garbage cycles are gone before the next chunk starts (`_sweep`), in one process and
    in a worker; afterwards, and after a failed export, the collector is back as the
    caller had it."""
    import gc
    import weakref

    monkeypatch.setattr(hf, "CHUNK_ARTICLES", 2)
    cycles: list[weakref.ref] = []
    seen: list[tuple[bool, int]] = []  # at each chunk: collector on, earlier cycles alive
    chunk = hf._Exporter.chunk

    def watched(self: hf._Exporter, items: list) -> None:
        seen.append((gc.isenabled(), sum(c() is not None for c in cycles)))
        cycles.append(weakref.ref(_Cycle()))
        chunk(self, items)

    monkeypatch.setattr(hf._Exporter, "chunk", watched)
    assert gc.isenabled()
    export_silver(arrow_store, options(tmp_path / "out"), LABELS)
    assert len(seen) > 2 and seen == [(False, 0)] * len(seen)
    assert gc.isenabled()

    seen.clear()  # a worker: `_export_chunk` in this process, as a forked worker runs it
    load = hf._Loader(arrow_store, lambda _session, ids: [])
    hf._init_chunk_worker(options(tmp_path / "w"), LABELS, load, {})
    try:
        for ids in ([1], [2], [3]):
            hf._export_chunk(ids)
    finally:
        gc.enable()
    assert seen == [(False, 0)] * 3

    def fails(self: hf._Exporter, items: list) -> None:
        raise ValueError("store gone")

    monkeypatch.setattr(hf._Exporter, "chunk", fails)
    with pytest.raises(ValueError, match="store gone"):
        export_silver(arrow_store, options(tmp_path / "again"), LABELS)
    assert gc.isenabled()

    monkeypatch.setattr(hf._Exporter, "chunk", chunk)
    gc.disable()  # a caller's own choice stays
    try:
        export_silver(arrow_store, options(tmp_path / "off"), LABELS)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_stance_rows_fill_the_stance_features_columns_in_order() -> None:
    """`_stance_rows` fills a row's values in STANCE_COLUMNS order; the stance table takes
    the schema's columns by those names, so the two lists must be the same."""
    assert list(hf.STANCE_COLUMNS) == list(features_for("stance", LABELS))


def test_an_export_imports_no_pandas(arrow_store: Engine, tmp_path: Path) -> None:
    """The export builds its Arrow arrays from buffers: `pa.array` would import pandas
    (0.3 s) at its first call. A fresh process exports with the helper process (which
    imports `datasets`, and pandas with it, as a large export's does) and has not
    imported pandas itself."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from annotate.cli import app\n"
        "from annotate.export import sidecar\n"
        "sidecar.HELPER_MIN_ARTICLES = 0\n"
        "app(sys.argv[1:], prog_name='annotate', standalone_mode=False)\n"
        "print('pandas' in sys.modules)\n"
    )
    url = arrow_store.url.render_as_string(hide_password=False)
    args = ["--db", url, "export", "--silver", "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_parquet_writes_queue_behind_the_rows_and_a_failed_write_fails_the_export(
    arrow_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches wait for the writer thread in a queue of at most WRITES_IN_FLIGHT (the rows
    go on meanwhile), are written in order (same files as one batch at a time), and an
    error of any write ends the export with that error and no folder."""
    import threading

    export_silver(arrow_store, options(tmp_path / "one-at-a-time"), LABELS)
    release = threading.Event()
    queued: list[int] = []
    real_writer = hf.parquet_writer

    class Held:
        """A real ParquetWriter whose writes wait until the test releases them."""

        def __init__(self, path: Path, schema: object) -> None:
            self.writer = real_writer(path, schema)

        def write_table(self, table: object) -> None:
            release.wait(10)
            self.writer.write_table(table)

        def close(self) -> None:
            self.writer.close()

    submit = hf._SplitWriters._write

    def watched(self: hf._SplitWriters, *args: object) -> None:
        submit(self, *args)
        queued.append(len(self.pending))
        if len(queued) == hf.WRITES_IN_FLIGHT:
            release.set()

    monkeypatch.setattr(hf, "parquet_writer", Held)
    monkeypatch.setattr(hf._SplitWriters, "_write", watched)
    monkeypatch.setattr(hf, "BATCH_ROWS", {"entities": 1, "stance": 1})
    export_silver(arrow_store, options(tmp_path / "queued"), LABELS)
    assert max(queued) == hf.WRITES_IN_FLIGHT  # rows went on while writes waited
    monkeypatch.setattr(hf, "BATCH_ROWS", {"entities": 3, "stance": 2})
    monkeypatch.setattr(hf, "parquet_writer", real_writer)
    export_silver(arrow_store, options(tmp_path / "again"), LABELS)
    assert files(tmp_path / "again") == files(tmp_path / "one-at-a-time")

    class Failing(Held):
        def write_table(self, table: object) -> None:
            raise OSError("No space left on device")

    monkeypatch.setattr(hf, "parquet_writer", Failing)
    with pytest.raises(OSError, match="No space left"):
        export_silver(arrow_store, options(tmp_path / "full"), LABELS)
    assert not list(tmp_path.glob("full*"))
