"""Entity rules, one hand-written fixture per rule family."""

from __future__ import annotations

import pytest

from annotate.preannotate.model import predict
from annotate.schemas import load_labelset


@pytest.fixture(scope="module")
def labelset():
    return load_labelset()


def ents(text: str, labelset) -> set[tuple[str, str]]:
    rec = predict(text, labelset, "t")
    for e in rec["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
        assert 0 <= e["score"] <= 1
    return {(e["text"], e["label"]) for e in rec["entities"]}


def test_titles_are_not_part_of_the_name(labelset):
    got = ents("Yesterday U.S. Secretary of State Antony Blinken met Foreign Minister "
               "Penny Wong and Mr. Tanaka in Tokyo.", labelset)
    assert {("U.S.", "GPE"), ("Antony Blinken", "PERSON"), ("Penny Wong", "PERSON"),
            ("Tanaka", "PERSON"), ("Tokyo", "GPE")} <= got
    assert not any("Secretary" in t or "Minister" in t for t, _ in got)


def test_attribution_and_roles(labelset):
    got = ents("The plan stalled, Okonkwo-Adeyemi said on Friday. "
               "It was approved, said spokeswoman Valdivieso.", labelset)
    assert ("Okonkwo-Adeyemi", "PERSON") in got
    assert ("Valdivieso", "PERSON") in got


def test_gazetteers_orgs_norp_events_and_heads(labelset):
    got = ents("Hamas and NATO officials met German and Palestinian envoys after "
               "World War II talks at the Bank of England and Kenya Airways in the Middle East.",
               labelset)
    assert {("Hamas", "ORG"), ("NATO", "ORG"), ("German", "NORP"), ("Palestinian", "NORP"),
            ("World War II", "EVENT"), ("Bank of England", "ORG"), ("Kenya Airways", "ORG"),
            ("Middle East", "LOC")} <= got


def test_hyphenated_war_is_an_event(labelset):
    assert ("Israel-Hamas war", "EVENT") in ents("Talks on the Israel-Hamas war resumed.",
                                                 labelset)


def test_lists_of_countries(labelset):
    got = ents("Britain, Canada, Germany, Italy and Japan all abstained.", labelset)
    assert got == {(c, "GPE") for c in ("Britain", "Canada", "Germany", "Italy", "Japan")}


def test_sentence_initial_words_are_not_names(labelset):
    got = ents("However, the talks failed. Meanwhile prices rose. Analysts said so.", labelset)
    assert got == set()


def test_document_consistency_surname_after_full_name(labelset):
    text = "Annalena Baerbock arrived late. Later, Baerbock spoke. Baerbock left."
    rec = predict(text, labelset)
    people = [e for e in rec["entities"] if e["label"] == "PERSON"]
    assert [e["text"] for e in people] == ["Annalena Baerbock", "Baerbock", "Baerbock"]


def test_headline_uses_gazetteer_and_document(labelset):
    text = "ZELLWEGER-KOWALSKI WINS IN BERLIN\nBERLIN 1996-05-10\nAnna Zellweger-Kowalski won."
    got = ents(text, labelset)
    assert ("BERLIN", "GPE") in got
    assert ("ZELLWEGER-KOWALSKI", "PERSON") in got


def test_sports_results_make_city_names_teams(labelset):
    text = "SOCCER - LEAGUE RESULTS\nResults of league matches on Sunday:\nLyon 2 Nantes 1\n"
    got = ents(text, labelset)
    assert ("Lyon", "ORG") in got and ("Nantes", "ORG") in got


def test_possessive_is_not_in_the_span(labelset):
    assert ("Britain", "GPE") in ents("Britain's Foreign Secretary James Cleverly spoke.",
                                      labelset)
