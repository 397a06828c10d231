"""`annotate report`: figures checked by hand on a store built through the models, the CLI,
and the page in the real Chromium (no console error, data in every plot, a screenshot)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from annotate.cli import app
from annotate.corpora import import_corpora
from annotate.errors import StoreError
from annotate.export.splits import DEFAULT_SPLITS, assign_split, parse_splits
from annotate.plots import count_marks
from annotate.report import build_report
from annotate.schemas import load_labelset
from annotate.store.models import Annotation, Article, Task
from annotate.store.session import session_scope
from annotate.training import Trained, train_store
from tests.conftest import FIXTURES, runner
from tests.test_export import T0, TEXT, Ann, Store, disagreeing, run


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


SECOND = "Britain backs a humanitarian pause, France said in Paris."
PLOTS = ["per-day", "cumulative", "labels", "agreement-entities", "agreement-stance"]
PLOTS += ["agreement-pairs", "acceptance"]
LEARN = FIXTURES / "learn"
LEARN_LABELS = load_labelset()


def _days(engine: Engine, text: str, who: str, days: int) -> None:
    """Date one annotator's annotation of one article `days` after T0 (created and updated)."""
    with session_scope(engine) as s:
        ann = s.scalars(
            select(Annotation)
            .join(Task, Annotation.task_id == Task.id)
            .join(Article, Task.article_id == Article.id)
            .where(Article.text == text, Annotation.annotator == who)
        ).one()
        ann.created_at = T0 + timedelta(days=days)
        ann.updated_at = T0 + timedelta(days=days, hours=1)


def build(store: Store) -> Store:
    """a1: both annotators disagree (ann2 newer); a2: ann1 alone, relabels one prediction;
    a3: nobody yet; a4: ann2 skipped it."""
    pred = [("France", "GPE"), ("Blinken", "PERSON"), ("Tokyo", "GPE")]
    store.article(
        "a1",
        TEXT,
        disagreeing(),
        prediction=pred,
        pred_stances=[("France", "GPE", "ceasefire", "ceasefire", "support")],
    )
    store.article(
        "a2",
        SECOND,
        [
            Ann(
                "ann1@example.org",
                5,
                [("Britain", "GPE"), ("France", "GPE"), ("Paris", "GPE")],
                [("Britain", "GPE", "humanitarian_pause", "humanitarian pause", "support")],
            )
        ],
        prediction=[("Britain", "ORG"), ("France", "GPE"), ("Paris", "GPE")],
    )
    store.article("a3", "Oslo hosted the talks on Monday.")
    store.article(
        "a4", "Kenya sent envoys to Geneva.", [Ann("ann2@example.org", 1, [], cancelled=True)]
    )
    _days(store.engine, TEXT, "ann1@example.org", 0)
    _days(store.engine, TEXT, "ann2@example.org", 0)
    _days(store.engine, SECOND, "ann1@example.org", 2)
    return store


@pytest.fixture
def report_store(engine: Engine) -> Store:
    return build(Store(engine))


def train_runs(engine: Engine, tmp_path: Path) -> list[Trained]:
    """Three cross-validated models on 2, 20 and 42 articles of the learn fixtures, one of
    them trained twice (still one record), and one model without cross-validation."""
    docs = LEARN.joinpath("wire.conll").read_text(encoding="utf-8").split("-DOCSTART-")[1:]
    for name, part in (("wire20", docs[:20]), ("wire", docs[:40])):
        corpus = tmp_path / f"{name}.conll"
        corpus.write_text("".join("-DOCSTART-" + d for d in part), encoding="utf-8")
        import_corpora(engine, [corpus], "conll", LEARN_LABELS, name=name)
    import_corpora(engine, [LEARN / "gold.jsonl"], "jsonl", LEARN_LABELS, name="gold")
    runs = []
    for i, (sources, folds) in enumerate(
        [
            (["import:gold"], 2),
            (["import:wire20"], 2),
            (["import:wire", "import:gold"], 2),
            (["import:wire20"], 2),  # the same data again: the same model, one record
            (["import:wire20", "import:gold"], 0),  # recorded, not cross-validated
        ]
    ):
        model = tmp_path / f"model{i}"
        runs.append(train_store(engine, LEARN_LABELS, model, sources=sources, folds=folds))
    return runs


def test_learning_curve_shows_one_point_per_recorded_model(
    report_store: Store, tmp_path: Path
) -> None:
    runs = train_runs(report_store.engine, tmp_path)
    assert [r.new for r in runs] == [True, True, True, False, True]
    out = tmp_path / "report.html"
    summary = build_report(report_store.engine, "news", out)
    section = {s.key: s for s in summary.sections}["learning"]
    assert section.svg is not None and section.marks == 3  # the cross-validated models
    assert count_marks(out.read_text(encoding="utf-8"), "learning") == 3
    manifests = {r.manifest["model_version"]: r.manifest for r in runs}
    assert len(manifests) == 4 and len(section.figures) == 4
    assert [f["articles"] for f in section.figures] == [2, 20, 22, 42]  # smallest first
    for figure in section.figures:
        manifest = manifests[figure["model_version"]]
        cv = manifest.get("cross_validation")
        assert figure["articles"] == manifest["articles"]
        assert figure["tokens"] == manifest["tokens"] > 0
        assert figure["entity_f1"] == (cv["learned"]["micro"]["f1"] if cv else None)
        assert figure["rules_entity_f1"] == (cv["rules"]["micro"]["f1"] if cv else None)
        stance = (cv or {}).get("stance")
        assert figure["stance_f1"] == (stance["learned"]["f1"] if stance else None)
    twice = manifests[runs[3].manifest["model_version"]]
    assert {f["model_version"]: f["runs"] for f in section.figures}[twice["model_version"]] == 2
    assert runs[3].runs == 2 and twice["articles"] == 20
    assert "1 trained with --folds 0 (no cross-validation) not drawn" in section.note
    # the table under the plot names each model version, what it learned from, its figures
    head, *rows = section.table
    assert [r[1] for r in rows] == [f["model_version"] for f in section.figures]
    assert [r[2] for r in rows] == [
        "import:gold",
        "import:wire20",
        "import:wire20, import:gold",
        "import:wire, import:gold",
    ]
    assert rows[2][0] == "not drawn" and rows[1][-1] == "2"
    assert [r[5] for r in rows] == [
        "n/a" if f["entity_f1"] is None else f"{f['entity_f1']:.2f}" for f in section.figures
    ]
    page = out.read_text(encoding="utf-8")
    assert all(f"<td>{r[1]}</td>" in page for r in rows)
    assert any(f["stance_f1"] is not None for f in section.figures)


def test_learning_curve_note_stays_without_a_trained_model(
    report_store: Store, tmp_path: Path
) -> None:
    summary = build_report(report_store.engine, "news", tmp_path / "r.html")
    section = {s.key: s for s in summary.sections}["learning"]
    assert section.svg is None and section.marks == 0 and section.figures == []
    assert section.note.startswith("Not shown:") and "annotate train" in section.note


def test_report_figures_match_hand_computed_ones(report_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    summary = build_report(report_store.engine, None, out)
    assert summary.project == "news" and summary.tasks == 4
    assert summary.articles_annotated == 2  # a3 has nothing, a4 was skipped
    assert summary.annotators == ["ann1@example.org", "ann2@example.org"]
    assert summary.per_day == {
        "ann1@example.org": {"2024-11-07": 1, "2024-11-09": 1},
        "ann2@example.org": {"2024-11-07": 1},
    }
    # policy latest: a1 is ann2's (France ORG, oppose), a2 is ann1's
    ratios = parse_splits(DEFAULT_SPLITS)
    s1 = assign_split(content_hash(TEXT), 0, ratios)
    s2 = assign_split(content_hash(SECOND), 0, ratios)
    expected: dict[str, dict[str, int]] = {}
    for label, split, n in [("ORG", s1, 1), ("PERSON", s1, 1), ("GPE", s1, 1), ("GPE", s2, 3)]:
        per = expected.setdefault(label, {})
        per[split] = per.get(split, 0) + n
    assert summary.entity_counts == expected
    stance: dict[str, dict[str, int]] = {"oppose": {s1: 1}, "support": {s2: 1}}
    assert summary.stance_counts == stance
    assert sum(summary.gold_articles.values()) == 2
    # agreement on a1: GPE {France, Tokyo} vs {Tokyo}: 2*1/3; PERSON 1.0; ORG 0 of 1
    f1 = summary.agreement["entities_span_f1"]
    assert (f1["GPE"], f1["PERSON"], f1["ORG"], f1["LOC"]) == (0.6667, 1.0, 0.0, None)
    assert f1["all"] == round(4 / 6, 4)
    # one stance unit, support vs oppose: p_o = 0, p_e = 0 -> kappa 0
    assert summary.agreement["stance_cohen_kappa_mean_pairwise"] == 0.0
    assert summary.pairs == [
        {
            "a": "ann1@example.org",
            "b": "ann2@example.org",
            "span_f1": round(4 / 6, 4),
            "stance_kappa": 0.0,
        }
    ]
    # ann1 kept 3 of 3 spans on a1 and 2 of 3 on a2 (Britain ORG -> GPE), 1 of 1 stance;
    # ann2 relabeled France and flipped the stance: 2 of 3 spans, 0 of 1 stance
    assert summary.acceptance == {
        "ann1@example.org": {"spans": round(5 / 6, 4), "stances": 1.0},
        "ann2@example.org": {"spans": round(2 / 3, 4), "stances": 0.0},
    }
    page = out.read_text(encoding="utf-8")
    shown = {s.key: s for s in summary.sections}
    for key in PLOTS:
        assert shown[key].marks > 0, key
        assert count_marks(page, key) == shown[key].marks
    cells = [n for table in (expected, stance) for per in table.values() for n in per.values()]
    assert shown["labels"].marks == len(cells)  # one bar per non-zero (label, split)
    assert shown["per-day"].marks == 3  # ann1 twice, ann2 once
    for key in ("ledger", "learning"):
        assert shown[key].svg is None and shown[key].note.startswith("Not shown:")
    # nothing to fetch: references stay inside the page (clip paths, glyphs), no script
    assert re.findall(r'(?:href|src)="(?!#)[^"]*"', page) == []
    assert "url(http" not in page and "<script" not in page and "@import" not in page


def test_report_counts_equal_the_export_card(report_store: Store, tmp_path: Path) -> None:
    """Same defaults, same gold: the page and the dataset card show the same figures."""
    summary = build_report(report_store.engine, "news", tmp_path / "r.html")
    exported = run(report_store, tmp_path / "export")
    assert summary.entity_counts == exported.entity_counts
    assert summary.stance_counts == exported.stance_counts
    assert summary.agreement == exported.agreement
    assert sum(exported.rows["entities"].values()) == sum(summary.gold_articles.values())


def test_empty_project_gets_notes_not_plots(engine: Engine, tmp_path: Path) -> None:
    store = Store(engine)
    store.article("a1", "Oslo hosted the talks on Monday.")
    summary = build_report(engine, None, tmp_path / "r.html")
    assert summary.tasks == 1 and summary.articles_annotated == 0
    assert all(s.svg is None and s.note for s in summary.sections)
    assert "No annotation pulled yet." in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_user_strings_are_escaped(engine: Engine, tmp_path: Path) -> None:
    store = Store(engine)
    who = "<b>$x$</b>@example.org"
    store.article("a1", TEXT, [Ann(who, 1, [("France", "GPE")])], prediction=[("France", "GPE")])
    page_path = tmp_path / "r.html"
    summary = build_report(engine, None, page_path)
    page = page_path.read_text(encoding="utf-8")
    assert summary.annotators == [who]
    assert "<b>$x$" not in page and "&lt;b&gt;$x$&lt;/b&gt;" in page


def test_cli_report(report_store: Store, tmp_path: Path) -> None:
    db = report_store.engine.url.render_as_string(False)
    out = tmp_path / "page" / "report.html"
    result = runner.invoke(app, ["--db", db, "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out} (7 plots) for project 'news': 2 of 4 tasks annotated by 2" in (
        " ".join(result.output.split())
    )
    assert "Rules against the humans: Not shown:" in " ".join(result.output.split())
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    result = runner.invoke(app, ["--db", db, "report", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["articles_annotated"] == 2 and data["project"] == "news"
    result = runner.invoke(app, ["--db", db, "report", "--project", "nope", "--out", str(out)])
    assert result.exit_code != 0
    assert "nope" in result.output and "Traceback" not in result.output


def test_unknown_project_is_a_store_error(report_store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="nope"):
        build_report(report_store.engine, "nope", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.browser
def test_report_renders_in_chromium(sqlite_url: str, tmp_path: Path) -> None:
    from annotate.store.migrate import upgrade
    from annotate.store.session import make_engine
    from tests.studio.browser import ARTIFACTS, chromium, recorded_page

    engine = make_engine(sqlite_url)
    upgrade(engine)
    build(Store(engine))
    train_runs(engine, tmp_path)
    out = tmp_path / "report.html"
    build_report(engine, "news", out)
    engine.dispose()
    drawn = [*PLOTS, "learning"]
    with chromium() as browser, recorded_page(browser, "report") as page:
        console: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        figures = page.locator("figure.plot")
        assert figures.count() == len(drawn)
        for key in drawn:
            figure = page.locator(f'figure[data-plot="{key}"]')
            assert figure.locator("svg").count() == 1, key
            marks = figure.locator(f'[id^="{key}-data-"] path, [id^="{key}-data-"] use')
            assert marks.count() > 0, key
            box = figure.locator("svg").bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, key
        assert page.locator("section.absent").count() == 1  # the ledger
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert console == [], console
    assert [u for u in requests if not u.startswith("file://")] == []
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


def test_card_shows_key_figures_and_its_picture(report_store: Store, tmp_path: Path) -> None:
    from annotate.export.check import validate_export

    first = run(report_store, tmp_path / "one")
    run(report_store, tmp_path / "two")
    svg = (tmp_path / "one" / "label_distribution.svg").read_text(encoding="utf-8")
    assert svg == (tmp_path / "two" / "label_distribution.svg").read_text(encoding="utf-8")
    cells = [n for per in first.entity_counts.values() for n in per.values()]
    cells += [n for per in first.stance_counts.values() for n in per.values()]
    assert count_marks(svg, "labels") == len(cells) == 5
    card = (tmp_path / "one" / "README.md").read_text(encoding="utf-8")
    # 2 articles (both in train), 6 spans, 2 stances, 2 annotators, F1 4/6, kappa 0
    assert "| 2 (train 2, validation 0, test 0) | 6 | 2 | 2 | 0.667 | 0.000 |" in card
    assert "![Entity spans and stances per label and split](label_distribution.svg)" in card
    assert list(validate_export(tmp_path / "one")) == []
    result = runner.invoke(app, ["validate", str(tmp_path / "one")])
    assert result.exit_code == 0, result.output
    (tmp_path / "one" / "label_distribution.svg").unlink()
    (problem,) = validate_export(tmp_path / "one")
    assert problem.field == "label_distribution.svg" and "not in the folder" in problem.message


def test_the_ledger_section_shows_once_predictions_name_their_rules(
    engine: Engine, tmp_path: Path
) -> None:
    from tests.test_ledger import build as ledger_build

    store = ledger_build(Store(engine))
    out = tmp_path / "ledger.html"
    summary = build_report(store.engine, "news", out)
    section = {s.key: s for s in summary.sections}["ledger"]
    assert section.svg is not None and section.title == "Rules against the humans"
    # a bar per non-zero outcome of each (source, kind, version): first_name kept; gazetteer
    # kept, relabeled; org_head moved; unknown deleted; learned kept, relabeled, moved (v2);
    # cue relabeled (v1); cue kept, deleted (v2)
    assert section.marks == 1 + 2 + 1 + 1 + 3 + 1 + 2
    assert count_marks(out.read_text(encoding="utf-8"), "ledger") == section.marks
    # recall over every human span of the version: v1 has 5 (Lena, Kestrel, Varna, Sofia,
    # Norway), v2 has 4 (ann1's Marta Quell and Chile, ann2's Marta and Chile)
    assert "rules:gazetteer (entities, v1) precision 0.50, recall 0.20" in section.note
    assert "learned (entities, v2) precision 0.50, recall 0.50" in section.note
    assert "3 annotations of 2 tasks" in section.note
