"""Every input reader turns arbitrary bytes into records or an AnnotateError, never a traceback.

Records must also be storable: text that encodes as UTF-8 (no lone surrogates) and has no
NUL, since the store, the hash and the JSONL writers all need that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from annotate.errors import AnnotateError, InputError
from annotate.evaluate import GoldDoc, read_conll, read_gold_jsonl
from annotate.ingest.readers import ArticleIn, BadInput, read
from annotate.jsonl import iter_json_lines
from annotate.preannotate.batch import read_articles
from annotate.problem import Problem
from annotate.schemas import load_labelset
from annotate.validate import validate_files
from tests.properties.strategies import (
    FUZZ,
    any_bytes,
    consistent_jsonl_bytes,
    consistent_record,
    jsonl_bytes,
    record_jsonl_bytes,
    short_text,
)

LABELSET = load_labelset()


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _outcome(items: Callable[[], Iterable[Any]]) -> list[Any] | AnnotateError:
    """The records a reader gives, or the AnnotateError it raises; anything else propagates."""
    try:
        return list(items())
    except AnnotateError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), "one-line message"
        return exc


def _storable(text: str) -> None:
    text.encode("utf-8")
    assert "\x00" not in text


def _storable_json(value: Any) -> None:
    json.dumps(value, ensure_ascii=False).encode("utf-8")
    assert "\\u0000" not in json.dumps(value)


@FUZZ
@given(suffix=st.sampled_from([".txt", ".jsonl", ".html", ".htm", ".csv"]), data=any_bytes)
def test_ingest_read_gives_articles_or_bad_inputs(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = _write(tmp_path, f"in{suffix}", data)
    got = _outcome(lambda: read(path))
    assert isinstance(got, list), got
    for item in got:
        assert isinstance(item, ArticleIn | BadInput)
        if isinstance(item, ArticleIn):
            assert item.text
            _storable(item.text)
            for value in (item.title, item.external_id, item.url, item.source, item.published):
                assert value is None or isinstance(value, str)
                _storable(value or "")
            _storable_json(item.meta)
        else:
            assert str(item).startswith(str(path))


@FUZZ
@given(data=record_jsonl_bytes())
def test_ingest_read_of_record_shaped_jsonl(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "in.jsonl", data)
    for item in read(path):
        assert isinstance(item, ArticleIn | BadInput)
        if isinstance(item, ArticleIn):
            _storable(item.text)
            _storable_json(item.meta)


@FUZZ
@given(data=any_bytes)
def test_iter_json_lines_gives_values_or_one_error(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "in.jsonl", data)
    got = _outcome(lambda: iter_json_lines(path, InputError))
    if isinstance(got, list):
        assert all(isinstance(lineno, int) and lineno >= 1 for lineno, _ in got)
    else:
        assert isinstance(got, InputError)


_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-LOC", "B-MISC", "I-", "B-FOO", "X-PER", "b-per"]
conll_line = st.one_of(
    st.tuples(short_text.filter(lambda t: t.split()), st.sampled_from(_TAGS)).map(
        lambda tt: f"{tt[0].split()[0]} NNP B-NP {tt[1]}"
    ),
    st.just("-DOCSTART- -X- -X- O"),
    st.just(""),
    short_text,
)


@st.composite
def conll_bytes(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(conll_line, max_size=12))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(data=any_bytes | conll_bytes())
def test_read_conll_gives_documents_or_gold_error(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "gold.conll", data)
    got = _outcome(lambda: read_conll(path, LABELSET))
    if isinstance(got, list):
        for doc in got:
            assert isinstance(doc, GoldDoc)
            for ent in doc.entities:
                assert doc.text[ent["start"] : ent["end"]] == ent["text"]


@FUZZ
@given(data=any_bytes | record_jsonl_bytes() | consistent_jsonl_bytes())
def test_read_gold_jsonl_gives_documents_or_gold_error(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "gold.jsonl", data)
    got = _outcome(lambda: read_gold_jsonl(path, LABELSET))
    if isinstance(got, list):
        for doc in got:
            assert isinstance(doc, GoldDoc)
            for ent in doc.entities:
                assert doc.text[ent["start"] : ent["end"]] == ent["text"]


@FUZZ
@given(
    data=any_bytes | record_jsonl_bytes() | consistent_jsonl_bytes(),
    articles=jsonl_bytes() | record_jsonl_bytes(),
    kind=st.sampled_from([None, "article", "prediction", "gold"]),
)
def test_validate_files_reports_problems(
    tmp_path: Path, data: bytes, articles: bytes, kind: str | None
) -> None:
    paths = [_write(tmp_path, "data.jsonl", data), _write(tmp_path, "articles.jsonl", articles)]
    got = _outcome(lambda: validate_files(paths, LABELSET, kind=kind))
    assert isinstance(got, list), got
    for problem in got:
        assert isinstance(problem, Problem)
        str(problem).encode("utf-8", "backslashreplace")


@FUZZ
@given(
    predictions=consistent_jsonl_bytes("prediction"),
    articles=st.lists(consistent_record(), max_size=2),
    kind=st.sampled_from([None, "prediction"]),
)
def test_validate_files_checks_predictions_against_articles(
    tmp_path: Path, predictions: bytes, articles: list[dict[str, Any]], kind: str | None
) -> None:
    article_lines = [json.dumps({"id": a["id"], "text": a["text"]}) for a in articles]
    paths = [
        _write(tmp_path, "predictions.jsonl", predictions),
        _write(tmp_path, "articles.jsonl", "\n".join(article_lines).encode()),
    ]
    got = _outcome(lambda: validate_files(paths, LABELSET, kind=kind))
    assert isinstance(got, list), got
    assert all(isinstance(problem, Problem) for problem in got)


@FUZZ
@given(suffix=st.sampled_from([".jsonl", ".txt", ".md"]), data=any_bytes | record_jsonl_bytes())
def test_offline_reader_gives_articles_or_input_error(
    tmp_path: Path, suffix: str, data: bytes
) -> None:
    path = _write(tmp_path, f"in{suffix}", data)
    got = _outcome(lambda: read_articles([path]))
    if isinstance(got, list):
        for art_id, text in got:
            assert isinstance(art_id, str) and isinstance(text, str)
            art_id.encode("utf-8")
            text.encode("utf-8")
    else:
        assert isinstance(got, InputError)
