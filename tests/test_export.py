"""`annotate export` end to end: store rows as the pull stores them -> folder -> load_dataset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import Engine, select

from annotate.cli import app
from annotate.errors import StoreError
from annotate.export.adjudicate import parse_policy
from annotate.export.check import validate_export
from annotate.export.hf import ExportError, ExportOptions, export_project, load_export
from annotate.export.splits import parse_splits
from annotate.schemas import load_labelset
from annotate.store.models import (
    Annotation,
    Article,
    EntitySpan,
    ExportRun,
    Prediction,
    Project,
    StanceTriple,
    Task,
)
from annotate.store.session import session_scope
from tests.conftest import runner

LABELS = load_labelset()
T0 = datetime(2024, 11, 7, 9, 0, tzinfo=UTC)
TEXT = (
    "France backs a ceasefire in Gaza, Blinken said in Tokyo. "
    "Britain only supports a humanitarian pause."
)


def at(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


@dataclass
class Ann:
    """One annotator's annotation as the pull stores it (normalized rows, result may be [])."""

    annotator: str
    hours: int
    entities: list[tuple[str, str]]  # (word, label)
    stances: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    # (holder word, holder label, target id, target word, stance label)
    ground_truth: bool = False
    cancelled: bool = False


class Store:
    """Builds projects, articles, tasks and annotations directly through the models."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ls_ids = 0
        with session_scope(engine) as s:
            project = Project(name="news", ls_url="http://ls", ls_project_id=1)
            s.add(project)
            s.flush()
            self.project_id = project.id

    def article(
        self,
        external_id: str | None,
        text: str,
        anns: list[Ann] = (),
        prediction: list[tuple[str, str]] | None = None,
        pred_stances: list[tuple[str, str, str, str, str]] = (),
    ) -> None:
        with session_scope(self.engine) as s:
            art = Article(
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                external_id=external_id,
                text=text,
            )
            s.add(art)
            s.flush()
            if prediction is not None:
                s.add(
                    Prediction(
                        article_id=art.id,
                        model_version="rules-v1",
                        entities=[
                            {"start": a, "end": b, "label": lab, "text": text[a:b]}
                            for w, lab in prediction
                            for a, b in [at(text, w)]
                        ],
                        stances=[_pred_stance(text, *st) for st in pred_stances],
                    )
                )
            self.ls_ids += 1
            task = Task(
                project_id=self.project_id,
                article_id=art.id,
                ls_task_id=self.ls_ids,
                model_versions=["rules-v1"] if prediction is not None else [],
            )
            s.add(task)
            s.flush()
            for ann in anns:
                self.ls_ids += 1
                row = Annotation(
                    task_id=task.id,
                    ls_annotation_id=self.ls_ids,
                    annotator=ann.annotator,
                    created_at=T0,
                    updated_at=T0 + timedelta(hours=ann.hours),
                    ground_truth=ann.ground_truth,
                    cancelled=ann.cancelled,
                    result=[],
                )
                for word, label in ann.entities:
                    a, b = at(text, word)
                    row.entities.append(EntitySpan(start=a, end=b, label=label, text=text[a:b]))
                for holder, hlabel, target, tword, label in ann.stances:
                    ha, hb = at(text, holder)
                    ta, tb = at(text, tword)
                    row.stances.append(
                        StanceTriple(
                            holder_start=ha,
                            holder_end=hb,
                            holder_label=hlabel,
                            holder_text=holder,
                            target=target,
                            target_start=ta,
                            target_end=tb,
                            label=label,
                        )
                    )
                s.add(row)


def _pred_stance(text: str, holder: str, hlabel: str, target: str, tword: str, label: str):
    ha, hb = at(text, holder)
    ta, tb = at(text, tword)
    return {
        "holder": {"start": ha, "end": hb, "label": hlabel, "text": holder},
        "target": target,
        "target_span": {"start": ta, "end": tb},
        "label": label,
        "evidence": {"start": 0, "end": text.index(".") + 1},
    }


def disagreeing() -> list[Ann]:
    """ann1 (older, ground truth): France GPE, supports; ann2 (newer): ORG, opposes."""
    return [
        Ann(
            "ann1@example.org",
            1,
            [("France", "GPE"), ("Blinken", "PERSON"), ("Tokyo", "GPE")],
            [("France", "GPE", "ceasefire", "ceasefire", "support")],
            ground_truth=True,
        ),
        Ann(
            "ann2@example.org",
            2,
            [("France", "ORG"), ("Blinken", "PERSON"), ("Tokyo", "GPE")],
            [("France", "GPE", "ceasefire", "ceasefire", "oppose")],
        ),
    ]


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


def options(out: Path, policy: str = "latest", **kw) -> ExportOptions:
    return ExportOptions(
        out_dir=out,
        policy=parse_policy(policy),
        splits=parse_splits(kw.pop("split", "train=0.8,validation=0.1,test=0.1")),
        **kw,
    )


def run(store: Store, out: Path, policy: str = "latest", **kw):
    return export_project(store.engine, options(out, policy, **kw), LABELS)


def load(out: Path, tmp_path: Path) -> dict:
    return load_export(out, cache_dir=tmp_path / "hf-cache")


def all_rows(dd) -> list[dict]:
    return [row for split in dd for row in dd[split]]


def test_load_dataset_gives_typed_configs_with_the_corrected_labels(
    store: Store, tmp_path: Path
) -> None:
    # The model predicted France as ORG; the annotator corrected it to GPE in Label Studio.
    store.article(
        "g7",
        TEXT,
        [Ann("ann1@example.org", 1, [("France", "GPE"), ("Blinken", "PERSON")],
             [("France", "GPE", "ceasefire", "ceasefire", "support"),
              ("Britain", "GPE", "humanitarian_pause", "humanitarian pause", "support")])],
        prediction=[("France", "ORG")],
    )  # fmt: skip
    out = tmp_path / "out"
    summary = run(store, out, split="train=1")
    assert summary.rows["entities"] == {"train": 1}
    data = load(out, tmp_path)

    from datasets import ClassLabel, List

    entities = data["entities"]["train"]
    ner = entities.features["ner_tags"]
    assert isinstance(ner, List) and isinstance(ner.feature, ClassLabel)
    assert ner.feature.names == LABELS.bio_names
    row = entities[0]
    tags = dict(zip(row["tokens"], (ner.feature.int2str(t) for t in row["ner_tags"]), strict=True))
    assert tags["France"] == "B-GPE" and tags["Blinken"] == "B-PERSON" and tags["Gaza"] == "O"
    assert row["source"] == "human" and row["annotators"] == ["ann1@example.org"]
    assert row["spans"][0] == {"start": 0, "end": 6, "label": "GPE"}

    stance = data["stance"]["train"]
    assert stance.features["label"].names == ["support", "oppose", "neutral"]
    assert stance.features["target"].names == LABELS.target_ids
    assert stance.features["holder_type"].names == list(LABELS.holder_labels)
    rows = sorted(stance, key=lambda r: r["holder_start"])
    assert [r["holder"] for r in rows] == ["France", "Britain"]
    assert rows[0]["sentence"] == "France backs a ceasefire in Gaza, Blinken said in Tokyo."
    assert rows[1]["sentence_start"] == TEXT.index("Britain")
    assert stance.features["target"].int2str(rows[1]["target"]) == "humanitarian_pause"
    assert list(validate_export(out)) == []


def test_card_header_loads_and_declares_configs_features_and_metadata(
    store: Store, tmp_path: Path
) -> None:
    store.article("g7", TEXT, disagreeing(), prediction=[("France", "ORG")])
    out = tmp_path / "out"
    run(store, out, "majority", split="train=1", license="cc-by-4.0")
    readme = (out / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(readme.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == ["entities", "stance"]
    assert header["configs"][0]["data_files"] == [
        {"split": "train", "path": "data/entities/train.parquet"}
    ]
    assert header["license"] == "cc-by-4.0"
    assert header["task_ids"] == ["multi-class-classification", "named-entity-recognition"]
    assert header["size_categories"] == ["n<1K"]
    assert header["annotations_creators"] == ["expert-generated"]
    assert header["language"] == ["en"] and header["pretty_name"]
    info = {i["config_name"]: i for i in header["dataset_info"]}
    tags = next(f for f in info["entities"]["features"] if f["name"] == "ner_tags")
    assert tags["list"]["class_label"]["names"]["1"] == "B-PERSON"
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(out / "README.md")
    assert card.data.license == "cc-by-4.0"
    body = card.text
    for needle in (
        "ann1@example.org",  # annotators
        "Policy `majority`",
        "Krippendorff",
        "| GPE |",  # counts per label
        "`rules-v1` (1)",  # pre-annotation model versions
        "Label schema version 1",
        "inputs_sha256",
        "Mark every mention",  # guidelines
    ):
        assert needle in body, needle


def test_two_exports_of_the_same_store_are_identical(store: Store, tmp_path: Path) -> None:
    for i in range(12):
        store.article(f"a{i:02d}", f"{TEXT} Item {i}.", disagreeing())
    first = run(store, tmp_path / "one", "majority")
    second = run(store, tmp_path / "two", "majority")
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.*"))
    assert Path("README.md") in files and len(files) >= 3
    for rel in files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()
        if rel.suffix == ".parquet":
            assert pq.read_table(tmp_path / "one" / rel).equals(
                pq.read_table(tmp_path / "two" / rel)
            )
    with session_scope(store.engine) as s:
        runs = list(s.scalars(select(ExportRun).order_by(ExportRun.id)))
        assert len(runs) == 1  # the second export is identical: nothing new recorded
        assert second.identical_to == runs[0].id == first.export_run_id
        assert runs[0].manifest["inputs_sha256"] == second.inputs_sha256
        assert runs[0].project == "news" and runs[0].options["policy"] == "majority"


def test_splits_are_stable_when_articles_arrive_and_never_split_an_article(
    store: Store, tmp_path: Path
) -> None:
    ann = [
        Ann("a@x", 1, [("France", "GPE")], [("France", "GPE", "ceasefire", "ceasefire", "support")])
    ]
    for i in range(40):
        store.article(f"a{i:03d}", f"{TEXT} Number {i}.", ann)
    run(store, tmp_path / "before", seed=3)
    before = load(tmp_path / "before", tmp_path)
    for i in range(40, 100):
        store.article(f"a{i:03d}", f"{TEXT} Number {i}.", ann)
    run(store, tmp_path / "after", seed=3)
    after = load(tmp_path / "after", tmp_path)

    def split_of(data) -> dict[str, str]:
        return {
            r["article_id"]: split for split in data["entities"] for r in data["entities"][split]
        }

    old, new = split_of(before), split_of(after)
    assert len(old) == 40 and len(new) == 100
    assert all(new[a] == s for a, s in old.items())
    assert len(set(new.values())) == 3
    for split in after["stance"]:
        assert {new[r["article_id"]] for r in after["stance"][split]} == {split}
    # rows are in article-id order within a split
    ids = after["entities"]["train"]["article_id"]
    assert ids == sorted(ids)


def test_misaligned_spans_are_widened_and_reported(store: Store, tmp_path: Path) -> None:
    text = "Israeli officials met Blinken."
    store.article("il", text, [Ann("a@x", 1, [("Israel", "NORP"), ("Blinken", "PERSON")])])
    out = tmp_path / "out"
    summary = run(store, out, split="train=1")
    assert summary.alignment == {"widened": 1}
    assert summary.alignment_examples == ["il: widened NORP [0, 6) 'Israel' -> [0, 7)"]
    data = load(out, tmp_path)
    assert "stance" not in data  # no stance annotated: no config, not an empty file
    row = data["entities"]["train"][0]
    assert row["tokens"][0] == "Israeli" and row["ner_tags"][0] == LABELS.bio_names.index("B-NORP")
    assert {"start": 0, "end": 6, "label": "NORP"} in row["spans"]  # annotated offsets kept
    assert "widened" in (out / "README.md").read_text(encoding="utf-8")
    assert list(validate_export(out)) == []


def test_span_cutting_a_character_is_reported_as_grapheme(store: Store, tmp_path: Path) -> None:
    text = "Pedro Sa\u0301nchez met Blinken."  # decomposed, as a JSONL prediction may hold it
    store.article("ps", text, [Ann("a@x", 1, [("Pedro Sa", "PERSON"), ("Blinken", "PERSON")])])
    out = tmp_path / "out"
    summary = run(store, out, split="train=1")
    assert summary.alignment == {"grapheme": 1}
    assert summary.alignment_examples == [
        "ps: grapheme PERSON [0, 8) 'Pedro Sa': cuts a character (grapheme cluster) at 8 -> [0, 14)"
    ]
    row = load(out, tmp_path)["entities"]["train"][0]
    assert row["tokens"][:2] == ["Pedro", "Sa\u0301nchez"]
    assert row["ner_tags"][:2] == [LABELS.bio_names.index(t) for t in ("B-PERSON", "I-PERSON")]
    assert list(validate_export(out)) == []


def test_predictions_only_with_include_unreviewed_and_marked(store: Store, tmp_path: Path) -> None:
    store.article("human", TEXT, disagreeing(), prediction=[("France", "ORG")])
    store.article(
        "unreviewed",
        "Japan backs a ceasefire.",
        prediction=[("Japan", "GPE")],
        pred_stances=[("Japan", "GPE", "ceasefire", "ceasefire", "support")],
    )
    gold = run(store, tmp_path / "gold", split="train=1")
    assert gold.skipped == {"no human annotation": 1}
    data = load(tmp_path / "gold", tmp_path)
    assert {r["source"] for r in all_rows(data["entities"])} == {"human"}
    assert "unreviewed" not in {r["article_id"] for r in all_rows(data["stance"])}

    mixed = run(store, tmp_path / "mixed", split="train=1", include_unreviewed=True)
    assert mixed.sources == {"human": 1, "prediction": 1}
    data = load(tmp_path / "mixed", tmp_path)
    by_id = {r["article_id"]: r for r in all_rows(data["entities"])}
    assert by_id["unreviewed"]["source"] == "prediction"
    assert by_id["unreviewed"]["n_annotators"] == 0 and by_id["unreviewed"]["annotators"] == []
    assert by_id["human"]["source"] == "human"
    assert by_id["human"]["spans"][0]["label"] == "ORG"  # ann2's (latest), not the prediction's
    stance = {r["article_id"]: r for r in all_rows(data["stance"])}
    assert stance["unreviewed"]["source"] == "prediction"
    assert stance["unreviewed"]["sentence"] == "Japan backs a ceasefire."
    header = yaml.safe_load((tmp_path / "mixed" / "README.md").read_text().split("---\n")[1])
    assert header["annotations_creators"] == ["expert-generated", "machine-generated"]
    assert list(validate_export(tmp_path / "mixed")) == []


@pytest.mark.parametrize(
    ("policy", "france", "stance", "ties"),
    [
        ("latest", "ORG", "oppose", {}),
        ("ground-truth", "GPE", "support", {}),
        ("annotator:ann1@example.org", "GPE", "support", {}),
        ("annotator:ann2@example.org", "ORG", "oppose", {}),
        ("majority", "ORG", "oppose", {"entity": 1, "stance": 1}),
    ],
)
def test_each_policy_through_the_store(
    store: Store, tmp_path: Path, policy: str, france: str, stance: str, ties: dict
) -> None:
    store.article("g7", TEXT, disagreeing())
    store.article(
        "solo", "Japan backs a ceasefire.", [Ann("ann3@example.org", 1, [("Japan", "GPE")])]
    )
    out = tmp_path / "out"
    summary = run(store, out, policy, split="train=1")
    assert summary.ties == ties
    data = load(out, tmp_path)
    rows = {r["article_id"]: r for r in all_rows(data["entities"])}
    g7 = rows["g7"]
    assert {"start": 0, "end": 6, "label": france} in g7["spans"]
    assert g7["n_annotators"] == 2 and g7["agreement"] == pytest.approx(2 / 3)
    [triple] = [r for r in all_rows(data["stance"]) if r["article_id"] == "g7"]
    assert data["stance"]["train"].features["label"].int2str(triple["label"]) == stance
    assert triple["agreement"] == 0.5 and triple["n_annotators"] == 2
    if policy.startswith(("ground-truth", "annotator:")):
        assert "solo" not in rows and sum(summary.skipped.values()) == 1
    else:
        assert rows["solo"]["agreement"] is None and summary.skipped == {}
    assert summary.agreement["entities_span_f1"]["PERSON"] == 1.0
    assert summary.agreement["entities_span_f1"]["ORG"] == 0.0
    assert list(validate_export(out)) == []


def test_cancelled_annotations_and_min_annotators(store: Store, tmp_path: Path) -> None:
    store.article("two", TEXT, disagreeing())
    store.article(
        "one",
        "Japan backs a ceasefire.",
        [Ann("a@x", 1, [("Japan", "GPE")]), Ann("b@x", 2, [("Japan", "ORG")], cancelled=True)],
    )
    summary = run(store, tmp_path / "out", min_annotators=2, split="train=1")
    assert summary.rows["entities"] == {"train": 1}
    assert summary.skipped == {"fewer than 2 annotators": 1}


def test_validate_catches_a_tampered_export(store: Store, tmp_path: Path) -> None:
    store.article("g7", TEXT, disagreeing())
    out = tmp_path / "out"
    run(store, out, split="train=1")
    path = out / "data" / "entities" / "train.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["ner_tags"][0] = LABELS.bio_names.index("I-ORG")  # I- after nothing
    rows[0]["tokens"] = rows[0]["tokens"][:-1]
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    (out / "data" / "entities" / "extra.parquet").write_bytes(path.read_bytes())
    problems = [str(p) for p in validate_export(out)]
    assert any("tokens" in p and "tags" in p for p in problems)
    assert any("not declared" in p for p in problems)
    assert any("duplicate id" in p or "also in" in p for p in problems)

    readme = out / "README.md"
    readme.write_text("---\nconfigs: [unclosed\n---\n", encoding="utf-8")
    assert any("does not parse" in str(p) for p in validate_export(out))


def test_export_refuses_a_non_empty_folder_and_unknown_projects(
    store: Store, tmp_path: Path
) -> None:
    store.article("g7", TEXT, disagreeing())
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("x")
    with pytest.raises(ExportError, match="not empty"):
        run(store, busy)
    with pytest.raises(StoreError, match="no project named"):
        run(store, tmp_path / "x", project="nope")
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()


def test_cli_export_then_validate(store: Store, workspace: Path, tmp_path: Path) -> None:
    store.article("g7", TEXT, disagreeing())
    url = str(store.engine.url.render_as_string(hide_password=False))
    result = runner.invoke(
        app, ["--db", url, "export", "--policy", "majority", "--split", "train=1"]
    )
    assert result.exit_code == 0, result.output
    [out] = list((workspace / "exports").iterdir())
    assert out.name.startswith("news-") and out.name.endswith("Z")
    assert "ties" in result.output and "entities" in result.output
    checked = runner.invoke(app, ["--db", url, "validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert load(out, tmp_path)["entities"]["train"][0]["article_id"] == "g7"

    bad = runner.invoke(app, ["--db", url, "export", "--policy", "loudest"])
    assert bad.exit_code == 1 and "unknown policy" in bad.output
    bad = runner.invoke(app, ["--db", url, "export", "--split", "train=0.5"])
    assert bad.exit_code == 1 and "sum to" in bad.output
