"""Ingest: clean text in, one row per distinct article, bad input stops everything."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from annotate.cli import app
from annotate.ingest import IngestFailed, ingest_paths
from annotate.ingest.clean import content_hash, normalize, split_title
from annotate.resources import samples_dir
from annotate.store.models import Article
from annotate.store.session import session_scope
from tests.conftest import FIXTURES, runner

BOILERPLATE = [
    "Skip to main content",
    "Most Read",
    "Leave a Reply",
    "contributed to this report",
    "All rights reserved",
    "Menu",
    "We use cookies",
    "Most Popular",
    "Subscribe",
]


def articles(engine: Engine) -> list[Article]:
    with session_scope(engine) as s:
        return list(s.scalars(select(Article).order_by(Article.id)))


def test_boilerplate_lines_and_glued_nav_are_removed() -> None:
    raw = (
        "Skip to main content\n\nHeadline about the summit\n\nThe  summit\tbegan in Oslo.\n"
        "Ana Ruiz contributed to this report. Top Stories\nLocal Spotlight\n"
        "© 2026 Example News\nWe use cookies to improve your experience.\n"
    )
    title, text = split_title(normalize(raw))
    assert title == "Headline about the summit"
    assert text == "The summit began in Oslo."


def test_words_are_never_changed() -> None:
    raw = 'Café  owners — in Zürich\u00a0said "no".\n\n\n\nSecond   paragraph 🙂.'
    assert normalize(raw) == 'Café owners — in Zürich said "no".\n\nSecond paragraph 🙂.'


def test_sentence_first_line_is_not_a_title() -> None:
    assert split_title("The talks ended on Friday.\n\nMore text.")[0] is None


def test_samples_ingest_clean_and_once(engine: Engine) -> None:
    first = ingest_paths(engine, [samples_dir()])
    again = ingest_paths(engine, [samples_dir()])
    stored = articles(engine)
    assert len(first.new) == len(stored) == 4
    assert again.new == [] and len(again.duplicates) == 4
    for article in stored:
        for junk in BOILERPLATE:
            assert junk not in article.text, (article.title, junk)
    html = next(a for a in stored if a.meta["file"] == "g7-tokyo.html")
    assert html.title == "G7 ministers meet in Tokyo amid calls for pauses in fighting"
    assert html.text.startswith("TOKYO — Foreign ministers")
    brief = next(a for a in stored if a.external_id == "brief-002")
    assert brief.source == "Nile Press Agency" and "Pedro Sánchez" in brief.text


def test_duplicates_within_one_run_are_stored_once(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Same text about Lagos.\n")
    (tmp_path / "b.txt").write_text("Same   text about Lagos.\n\n")
    report = ingest_paths(engine, [tmp_path])
    assert len(report.new) == 1 and len(report.duplicates) == 1


def test_invalid_utf8_stops_the_whole_run(engine: Engine) -> None:
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [FIXTURES / "ingest" / "mixed"])
    assert "latin1.txt" in str(exc.value) and "invalid UTF-8" in str(exc.value)
    assert articles(engine) == []


def test_skip_bad_stores_the_good_and_reports_the_bad(engine: Engine) -> None:
    report = ingest_paths(engine, [FIXTURES / "ingest" / "mixed"], skip_bad=True)
    assert len(report.new) == 1 and len(report.rejected) == 1
    assert [a.title for a in articles(engine)] == ["Plain headline about budget talks"]


def test_jsonl_errors_name_the_line(engine: Engine) -> None:
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [FIXTURES / "ingest" / "bad-line2.jsonl"])
    problems = [str(b) for b in exc.value.report.rejected]
    assert problems[0].endswith(
        "bad-line2.jsonl:2: malformed JSON: Invalid control character at (column 34)"
    )
    assert "bad-line2.jsonl:3: field `text`: 'text' is a required property" in problems[1]
    assert articles(engine) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.jsonl", b"\n\n", "empty file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
        ("huge.txt", b"word " * 300, "over the 1000-byte limit"),
        ("notes.md", b"# hi", "unsupported file type .md"),
    ],
)
def test_bad_files_are_named(
    engine: Engine, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [tmp_path / name], max_bytes=1000)
    assert name in str(exc.value) and message in str(exc.value)


def test_cli_bad_folder_exits_non_zero_and_stores_nothing(workspace: Path) -> None:
    result = runner.invoke(app, ["ingest", str(FIXTURES / "ingest" / "mixed")])
    assert result.exit_code == 1
    assert "latin1.txt" in result.output and "nothing was stored" in result.output
    status = runner.invoke(app, ["status", "--json"])
    assert json.loads(status.output)["articles"] == 0


def test_cli_ingest_twice_then_status(workspace: Path) -> None:
    first = runner.invoke(app, ["ingest", str(samples_dir())])
    second = runner.invoke(app, ["ingest", str(samples_dir())])
    assert first.exit_code == 0 and "4 new, 0 duplicate, 0 rejected" in first.output
    assert second.exit_code == 0 and "0 new, 4 duplicate, 0 rejected" in second.output
    counts = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert counts["articles"] == 4
    assert {"articles", "predictions", "tasks", "annotations", "exports"} <= set(counts)


def test_article_count_query_matches(engine: Engine) -> None:
    ingest_paths(engine, [samples_dir()])
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Article.id))) == 4


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("late-nul.txt", ("Oslo talks went on.\n" * 600 + "A stray\x00byte.\n").encode(), ":601"),
        (
            "page.html",
            b"<html><body>\n" + b"<p>Quito voted.</p>\n" * 500 + b"<p>Nul\x00l</p></body></html>",
            ":502",
        ),
        (
            "wire.jsonl",
            b'{"id": 1, "text": "Fine text about Lima."}\n'
            b'{"id": 2, "text": "Bad \\u0000 text about Lima."}\n',
            ":2",
        ),
        ("meta.jsonl", b'{"id": 3, "text": "Nairobi.", "desk": "x\\u0000y"}\n', ":1"),
        ("title.jsonl", b'{"id": 4, "text": "Nairobi.", "title": "\\u0000"}\n', ":1"),
    ],
)
def test_nul_anywhere_is_rejected_naming_file_and_line(
    engine: Engine, tmp_path: Path, name: str, content: bytes, where: str
) -> None:
    """PostgreSQL cannot store U+0000: it must never reach the insert."""
    (tmp_path / name).write_bytes(content)
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [tmp_path])
    (bad,) = exc.value.report.rejected
    assert f"{name}{where}" in str(bad) and "NUL" in str(bad)
    assert "\n" not in str(bad)
    assert articles(engine) == []


UNICODE_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
]


@pytest.mark.parametrize(("bom", "encoding"), UNICODE_BOMS)
def test_text_with_a_unicode_bom_is_decoded(
    engine: Engine, tmp_path: Path, bom: bytes, encoding: str
) -> None:
    """Editors on Windows save UTF-16 with a BOM; the BOM says how to read it."""
    body = "Talks in Zürich resumed.\n\nŁódź sent a delegation."
    (tmp_path / "memo.txt").write_bytes(bom + body.encode(encoding))
    line = json.dumps({"id": "w1", "text": "Kraków hosted the envoys."}) + "\n"
    (tmp_path / "wire.jsonl").write_bytes(bom + (line + line.replace("w1", "w2")).encode(encoding))
    report = ingest_paths(engine, [tmp_path])
    assert report.rejected == [] and len(report.new) == 2
    texts = sorted(a.text for a in articles(engine))
    assert texts == ["Kraków hosted the envoys.", body]
    assert [a.meta.get("line") for a in articles(engine)] == [None, 1]


@pytest.mark.parametrize("name", ["memo.txt", "wire.jsonl"])
def test_broken_utf16_is_named_not_called_binary(engine: Engine, tmp_path: Path, name: str) -> None:
    lone_surrogate = codecs.BOM_UTF16_LE + '{"text": "Oslo'.encode("utf-16-le") + b"\x00\xd8"
    (tmp_path / name).write_bytes(lone_surrogate)
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [tmp_path])
    assert name in str(exc.value) and "invalid UTF-16" in str(exc.value)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "line",
    [DEEP, '{"text": ' + DEEP + "}", '{"text": "Oslo.", "extra": ' + "[" * 990 + "]" * 990 + "}"],
)
def test_deeply_nested_json_is_a_line_error(engine: Engine, tmp_path: Path, line: str) -> None:
    """Python's parser recurses per level: without a limit this is a RecursionError traceback."""
    wire = tmp_path / "wire.jsonl"
    wire.write_text('{"text": "Lima talks."}\n' + line + "\n")
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [wire])
    (bad,) = exc.value.report.rejected
    assert str(bad).startswith(f"{wire}:2: ") and "nested too deeply" in str(bad)
    assert articles(engine) == []


def test_paragraph_breaks_do_not_change_the_content_hash(engine: Engine, tmp_path: Path) -> None:
    """A re-scraped article with single newlines for blank lines is the same article."""
    (tmp_path / "a.txt").write_text("Lagos talks began.\n\n\nThe envoys met.\n")
    (tmp_path / "b.txt").write_text("Lagos talks began.\nThe envoys met.\n")
    (tmp_path / "c.txt").write_text("Lagos talks began. The envoys met.\n")
    report = ingest_paths(engine, [tmp_path])
    assert len(report.new) == 2 and report.duplicates == [
        f"{tmp_path / 'b.txt'} (same text as {tmp_path / 'a.txt'})"
    ]
    assert [a.text for a in articles(engine)] == [
        "Lagos talks began.\n\nThe envoys met.",
        "Lagos talks began. The envoys met.",
    ]
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps({"text": "Lagos talks began.\n \nThe envoys met."}) + "\n")
    assert ingest_paths(engine, [again]).new == []
    assert content_hash("A.\n\nB.") == content_hash("A.\nB.") != content_hash("A. B.")


def test_text_is_nfc_normalized_once_at_ingest(engine: Engine, tmp_path: Path) -> None:
    """Decomposed and composed accents are one article, and offsets index the NFC text."""
    decomposed = "Pedro Sa\u0301nchez visited Bogota\u0301."
    wire = tmp_path / "wire.jsonl"
    wire.write_text(
        json.dumps({"id": "d", "text": decomposed, "title": "Sa\u0301nchez abroad"})
        + "\n"
        + json.dumps({"id": "c", "text": "Pedro Sánchez visited Bogotá."})
        + "\n"
    )
    report = ingest_paths(engine, [wire])
    assert len(report.new) == 1 and len(report.duplicates) == 1
    (stored,) = articles(engine)
    assert stored.text == "Pedro Sánchez visited Bogotá." and len(stored.text) == 29
    assert stored.title == "Sánchez abroad"
    assert normalize(decomposed) == stored.text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "wire.jsonl:2: not a JSON object (got an array)"),
        ('"Oslo talks."', "wire.jsonl:2: not a JSON object (got a string)"),
        ("null", "wire.jsonl:2: not a JSON object (got null)"),
        ('{"text": 5}', "wire.jsonl:2: field text: 5 is not of type 'string'"),
        ('{"text": ["Oslo"]}', "wire.jsonl:2: field text: ['Oslo'] is not of type 'string'"),
        (
            '{"text": "Oslo", "n": ' + "9" * 5000 + "}",
            "wire.jsonl:2: malformed JSON: number with too many digits (column 23)",
        ),
        (
            '{"text": "Oslo \\ud800 talks."}',
            "wire.jsonl:2: malformed JSON: lone surrogate escape, not Unicode text (column 16)",
        ),
    ],
)
def test_jsonl_line_that_is_not_an_article_object(
    engine: Engine, tmp_path: Path, line: str, message: str
) -> None:
    wire = tmp_path / "wire.jsonl"
    wire.write_text('{"text": "Lima talks."}\n' + line + "\n")
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [wire])
    assert [str(b) for b in exc.value.report.rejected] == [f"{tmp_path}/{message}"]


def test_cli_prints_markup_in_paths_as_text(workspace: Path) -> None:
    """A path holding "[/b]" (folder "wire [", file "b].txt") is text, not a rich closing tag."""
    bad = workspace / "wire [" / "b].txt"
    bad.parent.mkdir()
    bad.write_bytes(b"\x89PNG\x00\x00")
    good = workspace / "wire [" / "b] ok.txt"
    good.write_text("Talks in Lima resumed on Monday.\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(bad.parent)])
    assert res.exit_code == 1, res.output
    assert f"{bad}: binary file" in res.output and "1 bad input(s)" in res.output
    res = runner.invoke(app, ["ingest", "--skip-bad", "--verbose", str(bad.parent)])
    out = " ".join(res.output.split())  # the console wraps long lines
    assert res.exit_code == 1 and f"rejected: {bad}" in out and f"new: {good}" in out


def test_a_bad_file_after_several_chunks_stores_nothing(engine: Engine, tmp_path: Path) -> None:
    """Ingest streams in chunks through one transaction: chunks already inserted when the
    bad line is read roll back with it."""
    for i in range(7):
        (tmp_path / f"a{i}.txt").write_text(f"Talks in Quito, round {i}.\n")
    (tmp_path / "z.jsonl").write_text('{"text": "Lima talks."}\n[1]\n')
    with pytest.raises(IngestFailed) as exc:
        ingest_paths(engine, [tmp_path], chunk_size=2)
    assert [str(b).rsplit("/", 1)[-1] for b in exc.value.report.rejected] == [
        "z.jsonl:2: not a JSON object (got an array)"
    ]
    assert articles(engine) == []
    report = ingest_paths(engine, [tmp_path], chunk_size=2, skip_bad=True)
    assert len(report.new) == 8 and len(articles(engine)) == 8


def test_chunks_dedupe_within_the_run_and_against_the_store(engine: Engine, tmp_path: Path) -> None:
    """A duplicate in a later chunk than its first copy, and an article stored by an earlier
    run, are reported as with one chunk."""
    (tmp_path / "old.txt").write_text("Oslo envoys met.\n")
    assert len(ingest_paths(engine, [tmp_path / "old.txt"]).new) == 1
    for i in range(5):
        (tmp_path / f"b{i}.txt").write_text(f"Accra vote number {i}.\n")
    (tmp_path / "c.txt").write_text("Accra vote number 0.\n")
    reports = []
    for size in (1, 2, 500):
        with session_scope(engine) as s:
            s.execute(delete(Article).where(Article.text.like("Accra%")))
        reports.append(ingest_paths(engine, [tmp_path], chunk_size=size))
    first = reports[0]
    assert all((r.new, r.duplicates) == (first.new, first.duplicates) for r in reports)
    assert len(first.new) == 5
    assert first.duplicates == [
        f"{tmp_path / 'c.txt'} (same text as {tmp_path / 'b0.txt'})",
        f"{tmp_path / 'old.txt'} (already in the store)",
    ]
