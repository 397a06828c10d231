"""`annotate import`: CoNLL, gold JSONL and Label Studio exports into the store as human
annotations of `import:<name>`, with provenance, one transaction, and a label mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from annotate.cli import app
from annotate.corpora import default_conll_mapping, import_corpora, parse_mapping
from annotate.errors import InputError, UsageError
from annotate.export.adjudicate import parse_policy
from annotate.export.hf import export_project, load_export
from annotate.export.summary import ExportOptions
from annotate.schemas import load_labelset
from annotate.store.models import Annotation, Article, EntitySpan, Project, Task
from annotate.store.session import session_scope
from tests.conftest import FIXTURES, runner

LEARN = FIXTURES / "learn"
RECORDED = Path(__file__).parent / "studio" / "recorded" / "export.json"
LABELS = load_labelset()


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m))
            for m in (Article, Project, Task, Annotation)
        )  # type: ignore[return-value]


def test_default_conll_mapping_reads_the_schema() -> None:
    mapping = default_conll_mapping(LABELS)
    assert mapping["PER"] == ("PERSON",)
    assert mapping["ORG"] == ("ORG",)
    assert set(mapping["LOC"]) == {"GPE", "LOC"}
    assert set(mapping["MISC"]) == {"NORP", "EVENT"}


def test_conll_import_stores_human_annotations_with_provenance(engine: Engine) -> None:
    report = import_corpora(engine, [LEARN / "small.conll"], "conll", LABELS, name="tiny")
    assert report.project == "import:tiny"
    assert (report.documents, report.annotations, report.new_articles) == (2, 2, 2)
    with session_scope(engine) as s:
        project = s.scalar(select(Project).where(Project.name == "import:tiny"))
        assert project is not None and project.ls_project_id == 0
        anns = list(s.scalars(select(Annotation).order_by(Annotation.id)))
        assert {a.annotator for a in anns} == {"import:tiny"}
        prov = anns[0].result[0]
        assert (prov["type"], prov["format"], prov["line"]) == ("import", "conll", 3)
        assert prov["file"].endswith("small.conll")
        assert json.loads(json.dumps(anns[1].result[0]))["line"] == 23
        spans = {(e.text, e.label) for e in s.scalars(select(EntitySpan))}
    # PER and ORG map one to one; LOC and MISC are refined where the rules agree.
    assert ("Marta Quell", "PERSON") in spans and ("Vantrix", "ORG") in spans
    assert ("Lisbon", "GPE") in spans and ("Tokyo", "GPE") in spans
    assert not any(label not in LABELS.entity_names for _t, label in spans)
    # A coarse span the rules do not confirm stays in the provenance, not in the labels.
    kept_out = [u for a in anns for u in a.result[0]["unmapped"]]
    assert all(u["label"] in ("LOC", "MISC") for u in kept_out)
    assert {u["text"] for u in kept_out}.isdisjoint(t for t, _l in spans)


def test_reimport_deduplicates_by_content_hash(engine: Engine) -> None:
    import_corpora(engine, [LEARN / "small.conll"], "conll", LABELS, name="tiny")
    again = import_corpora(engine, [LEARN / "small.conll"], "conll", LABELS, name="tiny")
    assert (again.new_articles, again.annotations, again.already) == (0, 0, 2)
    other = import_corpora(engine, [LEARN / "small.conll"], "conll", LABELS, name="copy")
    assert (other.new_articles, other.annotations) == (0, 2)
    assert _counts(engine) == (2, 2, 4, 4)


def test_bad_input_names_file_and_line_and_stores_nothing(engine: Engine) -> None:
    with pytest.raises(InputError, match=r"bad-tag\.conll:4: bad IOB tag 'X-PER'"):
        import_corpora(
            engine, [LEARN / "small.conll", LEARN / "bad-tag.conll"], "conll", LABELS, name="x"
        )
    assert _counts(engine) == (0, 0, 0, 0)


def test_other_label_set_needs_an_explicit_mapping(engine: Engine) -> None:
    path = LEARN / "other-types.conll"
    with pytest.raises(InputError, match=r"other-types\.conll:3: .*--map PERSON=LABEL"):
        import_corpora(engine, [path], "conll", LABELS, name="other")
    with pytest.raises(UsageError, match="'PLACE' is not a label"):
        parse_mapping(["GEO=PLACE"], LABELS)
    report = import_corpora(
        engine, [path], "conll", LABELS, name="other", mapping=["PERSON=PERSON", "GEO=-"]
    )
    assert report.annotations == 1 and report.unmapped == {"GEO": 1}
    with session_scope(engine) as s:
        assert [(e.text, e.label) for e in s.scalars(select(EntitySpan))] == [("Teodor", "PERSON")]


def test_gold_jsonl_and_label_studio_export_import(engine: Engine) -> None:
    gold = import_corpora(engine, [LEARN / "gold.jsonl"], "jsonl", LABELS, name="gold")
    assert (gold.annotations, gold.entities, gold.stances) == (2, 4, 1)
    studio = import_corpora(engine, [RECORDED], "labelstudio", LABELS, name="studio")
    assert studio.annotations >= 1 and studio.entities >= 1
    with session_scope(engine) as s:
        fmts = {a.result[0]["format"] for a in s.scalars(select(Annotation))}
    assert fmts == {"jsonl", "labelstudio"}


def test_imported_annotations_export_like_any_other(engine: Engine, tmp_path: Path) -> None:
    import_corpora(engine, [LEARN / "gold.jsonl"], "jsonl", LABELS, name="gold")
    options = ExportOptions(
        out_dir=tmp_path / "out",
        policy=parse_policy("latest"),
        splits={"train": 1.0},
        project="import:gold",
    )
    summary = export_project(engine, options, LABELS)
    assert summary.sources == {"human": 2}
    rows = load_export(tmp_path / "out", tmp_path / "cache")["entities"]["train"]
    assert sorted(rows["id"]) == ["learn-gold-1", "learn-gold-2"]


def test_cli_import(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    ok = runner.invoke(app, ["--db", db, "import", str(LEARN / "small.conll"), "--format", "conll"])
    assert ok.exit_code == 0, ok.output
    assert "import:small: 2 document(s) read, 2 annotation(s) stored" in ok.output
    bad = runner.invoke(
        app, ["--db", db, "import", str(LEARN / "bad-tag.conll"), "--format", "conll"]
    )
    assert bad.exit_code == 1
    assert "bad-tag.conll:4" in bad.output and "\n" not in bad.output.strip()
