"""The optimised tagger predicts byte for byte what the rules predicted before it.

golden-predictions.jsonl was written by the code before the run memo and the compiled
lexicon (tests/fixtures/preannotate/build_golden.py, run on commit 5cad746); a change that
alters a prediction on purpose rebuilds it and says why in its commit.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.preannotate import entities
from annotate.preannotate.model import PreAnnotator
from annotate.schemas import load_labelset

HERE = Path(__file__).parent / "fixtures" / "preannotate"


def _builder():
    spec = importlib.util.spec_from_file_location("build_golden", HERE / "build_golden.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_predictions_match_the_golden_file() -> None:
    expected = (HERE / "golden-predictions.jsonl").read_text(encoding="utf-8").splitlines()
    got = _builder().prediction_lines()
    assert len(got) == len(expected)
    for line, want in zip(got, expected, strict=True):
        assert line == want


def test_the_run_memo_changes_no_prediction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm (every run seen before) and starved (the memo emptied at every new run)."""
    texts = [text for _, text in _builder().golden_texts()]
    labelset = load_labelset()
    fresh = PreAnnotator(labelset)
    cold = [fresh.predict(t) for t in texts]
    assert [fresh.predict(t) for t in texts] == cold
    monkeypatch.setattr(entities, "MEMO_SIZE", 1)
    starved = PreAnnotator(labelset)
    assert [starved.predict(t) for t in texts] == cold
    assert starved.entities._memo.cache_info().currsize <= 1


_TEXT = st.text(alphabet="aZé \t\n.,'sid-", max_size=40)
_SAID = re.compile(r"(?:said|says|told|according to|added|asked)[ \t]+$")
_WORD = re.compile(r"([A-Za-z]+)[ \t]*$")


@given(_TEXT, st.sampled_from(["", "said", "according to", "told \n", "x asked\t"]), _TEXT)
def test_matches_on_the_reversed_text_equal_forward_searches(
    head: str, middle: str, tail: str
) -> None:
    text = head + middle + tail
    rev = text[::-1]
    for start in range(len(text) + 1):
        word = _WORD.search(text, max(0, start - 24), start)
        assert entities._prev_word(rev, start) == (word.group(1) if word else "")
        said = _SAID.search(text, max(0, start - 16), start) is not None
        assert entities._said_before(rev, start) == said
