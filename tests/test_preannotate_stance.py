"""Stance rules on hand-written fixtures; targets on other topics prove targets are data."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.preannotate.model import PreAnnotator
from annotate.schemas import load_labelset, load_targets

FIXTURES = Path(__file__).parent / "fixtures" / "preannotate"


@pytest.fixture(scope="module")
def gaza():
    return PreAnnotator(load_labelset())


@pytest.fixture(scope="module")
def policy():
    return PreAnnotator(
        load_labelset().with_targets(load_targets(FIXTURES / "targets-policy.yaml"))
    )


@pytest.fixture(scope="module")
def tariffs():
    return PreAnnotator(
        load_labelset().with_targets(load_targets(FIXTURES / "targets-tariffs.yaml"))
    )


def triples(model: PreAnnotator, text: str) -> set[tuple[str, str, str]]:
    rec = model.predict(text, "t")
    spans = {(e["start"], e["end"]) for e in rec["entities"]}
    for st in rec["stances"]:
        h = st["holder"]
        assert (h["start"], h["end"]) in spans, "holder must be an entity span"
        ev = st["evidence"]
        assert ev["start"] <= h["start"] or st["score"] <= 0.6
        assert text[ev["start"] : ev["end"]].strip()
    return {(s["holder"]["text"], s["target"], s["label"]) for s in rec["stances"]}


def test_votes_and_lists(gaza):
    text = (
        "The General Assembly passed a resolution calling for an immediate ceasefire. "
        "France voted in favour. The U.S. voted against the resolution. "
        "Britain, Canada and Japan all abstained."
    )
    # The body that passes a resolution calling for a ceasefire supports it too.
    assert triples(gaza, text) == {
        ("General Assembly", "ceasefire", "support"),
        ("France", "ceasefire", "support"),
        ("U.S.", "ceasefire", "oppose"),
        ("Britain", "ceasefire", "neutral"),
        ("Canada", "ceasefire", "neutral"),
        ("Japan", "ceasefire", "neutral"),
    }


def test_contrast_supports_one_target_and_opposes_the_other(gaza):
    text = (
        "Foreign Secretary James Cleverly told journalists that his government only "
        "supports a humanitarian pause and not a wider ceasefire."
    )
    assert triples(gaza, text) == {
        ("James Cleverly", "humanitarian_pause", "support"),
        ("James Cleverly", "ceasefire", "oppose"),
    }


def test_back_reference_and_groups(gaza):
    text = (
        "Arab and Muslim nations are demanding an immediate full ceasefire, "
        "something the United States opposes."
    )
    assert triples(gaza, text) == {
        ("Arab", "ceasefire", "support"),
        ("Muslim", "ceasefire", "support"),
        ("United States", "ceasefire", "oppose"),
    }


def test_passive_and_negation(gaza):
    text = "A truce proposal was vetoed by Russia. Egypt did not support the truce."
    assert triples(gaza, text) == {
        ("Russia", "ceasefire", "oppose"),
        ("Egypt", "ceasefire", "oppose"),
    }


def test_mere_mention_is_no_stance(gaza):
    assert triples(gaza, "Talks on a ceasefire continued in Cairo on Monday.") == set()


def test_other_topics_are_just_other_targets(tariffs):
    text = (
        "Canada rejected the new tariffs on steel, Prime Minister Mark Carney said. "
        "The European Commission welcomed the AI Act, something Microsoft opposes."
    )
    # A minister reporting their country's position holds it (the gold news convention).
    assert triples(tariffs, text) == {
        ("Mark Carney", "tariffs", "oppose"),
        ("European Commission", "ai_regulation", "support"),
        ("Microsoft", "ai_regulation", "oppose"),
    }


def test_model_version_changes_with_targets(gaza, tariffs):
    assert gaza.model_version != tariffs.model_version
    assert gaza.model_version.startswith("annotate-rules-")


def test_urged_to_block_is_the_urgers_opposition(tariffs):
    text = "Senator Ana Ruiz, a Texas Republican, urged Governor Bill Hale to veto the tariffs."
    assert triples(tariffs, text) == {("Ana Ruiz", "tariffs", "oppose")}


def test_list_with_the_and_object_before_relative_clause(gaza):
    text = (
        "Norway, Chile and the Philippines backed the truce. "
        "Minister Ewa Lind, who thanked Ireland and urged more talks, called for a truce."
    )
    assert triples(gaza, text) == {
        ("Norway", "ceasefire", "support"),
        ("Chile", "ceasefire", "support"),
        ("Philippines", "ceasefire", "support"),
        ("Ewa Lind", "ceasefire", "support"),
    }


def test_policy_verbs_and_back_reference_nouns(tariffs):
    text = (
        "Ottawa imposed tariffs on steel. The Senate passed the measure, and "
        "Mexico condemned the Canadian decision."
    )
    # Imposing the target is working towards it.
    assert triples(tariffs, text) == {
        ("Ottawa", "tariffs", "support"),
        ("Senate", "tariffs", "support"),
        ("Mexico", "tariffs", "oppose"),
    }


def test_supporters_include_and_undecided_whether(tariffs):
    text = (
        "Parliament debated new tariffs. Supporters include the Steel Workers Union and "
        "Harlan Steel Company. Governor Li Wen has not said whether she will sign the tariffs."
    )
    assert triples(tariffs, text) == {
        ("Steel Workers Union", "tariffs", "support"),
        ("Harlan Steel Company", "tariffs", "support"),
        ("Li Wen", "tariffs", "neutral"),
    }


def test_relative_clause_before_reporting_verb_is_not_the_holder(gaza):
    text = (
        "Talks on a truce went on. Qatar, which U.S. officials say hosts the talks, "
        "said it backed the proposal."
    )
    assert triples(gaza, text) == {("Qatar", "ceasefire", "support")}


def test_headline_object_at_sentence_end(tariffs):
    text = "EU to raise tariffs on steel as Brazil and India object\n\nBody text here."
    assert {("Brazil", "tariffs", "oppose"), ("India", "tariffs", "oppose")} <= triples(
        tariffs, text
    )


def test_refusals_negated_support_and_criticism_are_oppose(policy):
    text = (
        "Finland does not back the carbon tax. Norway refused to join the carbon levy. "
        "Sweden stopped short of endorsing a carbon tax. Denmark would not accept a carbon tax. "
        "Estonia slammed the carbon tax. Latvia voted against the carbon tax. "
        "Iceland has yet to endorse the carbon tax."
    )
    assert triples(policy, text) == {
        (country, "carbon_tax", "oppose")
        for country in ("Finland", "Norway", "Sweden", "Denmark", "Estonia", "Latvia", "Iceland")
    }


def test_head_noun_refers_back_to_the_target_of_the_paragraph(policy):
    text = (
        "The central bank discussed an interest rate cut on Tuesday. Finance Minister Olga "
        "Berg backed the cut, but Senator Piet Maas criticised the cut as reckless."
    )
    assert triples(policy, text) == {
        ("Olga Berg", "rate_cut", "support"),
        ("Piet Maas", "rate_cut", "oppose"),
    }
    # Without an earlier mention "the cut" is no target.
    assert triples(policy, "Finance Minister Olga Berg backed the cut.") == set()


def test_speaker_holds_the_position_of_the_country_they_speak_for(policy):
    text = (
        "Energy Minister Lars Holm said Oslo opposed the carbon tax. "
        "Norway will impose a carbon tax next year, Finance Minister Ida Lund said."
    )
    assert triples(policy, text) == {
        ("Lars Holm", "carbon_tax", "oppose"),
        ("Ida Lund", "carbon_tax", "support"),
    }


def test_subject_carries_over_a_coordinated_verb(policy):
    text = (
        "Finance Minister Ida Lund would not take sides on the carbon tax but wanted a rate "
        "cut before winter."
    )
    assert triples(policy, text) == {
        ("Ida Lund", "carbon_tax", "neutral"),
        ("Ida Lund", "rate_cut", "support"),
    }


def test_definite_subjects_point_back_to_the_actor(policy):
    text = (
        "The Nordic Farmers Union met in Oslo on Monday. The union rejected the carbon tax. "
        "Governor Ann Byrne toured the coast. Her spokesman, Tom Kell, said the governor had "
        "not taken a position on the wind farm."
    )
    assert triples(policy, text) == {
        ("Nordic Farmers Union", "carbon_tax", "oppose"),
        ("Ann Byrne", "wind_farm", "neutral"),
    }


def test_relative_which_clause_belongs_to_its_antecedent(policy):
    text = "The European Commission, which drafted the carbon tax, said revenue would rise."
    assert triples(policy, text) == {("European Commission", "carbon_tax", "support")}


def test_judgements_of_the_target_are_stances(policy):
    text = (
        "Brightwater Energy filed plans for an offshore wind project near Cork. Environment "
        'Minister Sean Daly called the wind farm "a reckless gamble." Mayor Nora Quinn said '
        'the wind farm was long overdue. The carbon tax came up too. "This carbon tax is not '
        'fair to farmers," she said.'
    )
    assert triples(policy, text) == {
        ("Sean Daly", "wind_farm", "oppose"),
        ("Nora Quinn", "wind_farm", "support"),
        ("Nora Quinn", "carbon_tax", "oppose"),
    }
    # A judgement nobody voices is no stance.
    assert triples(policy, "The carbon tax was necessary, the report found.") == set()


def test_action_verbs_need_a_direct_object_and_longest_cue_wins(policy):
    text = (
        "Norway announced on Tuesday that talks on a carbon tax had stalled. Sweden announced "
        "a carbon tax. Denmark raised concerns about the carbon tax."
    )
    assert triples(policy, text) == {
        ("Sweden", "carbon_tax", "support"),
        ("Denmark", "carbon_tax", "oppose"),
    }


def test_one_actor_named_twice_is_one_triple_with_its_other_sentences(gaza):
    text = (
        "Governor Gavin Newsom backed the truce on Monday. "
        "On Friday Newsom called for a truce again."
    )
    rec = gaza.predict(text, "t")
    assert [(s["holder"]["text"], s["label"]) for s in rec["stances"]] == [
        ("Gavin Newsom", "support")
    ]
    (other,) = rec["stances"][0]["other_evidence"]
    assert text[other["holder"]["start"] : other["holder"]["end"]] == "Newsom"
    assert text[other["evidence"]["start"] : other["evidence"]["end"]].startswith("On Friday")


def test_contradictory_findings_of_one_actor_resolve_to_the_strongest(gaza):
    # "U.S." and "United States" are one actor; a vote outweighs a plain cue.
    text = "The United States backed the truce. The U.S. voted against the truce on Friday."
    rec = gaza.predict(text, "t")
    assert [(s["holder"]["text"], s["label"]) for s in rec["stances"]] == [("U.S.", "oppose")]
    assert [o["label"] for o in rec["stances"][0]["other_evidence"]] == ["support"]


def test_coordinated_holders_before_a_relative_clause_and_a_nominal_call(gaza):
    assert triples(
        gaza, "Russia and China, which had blocked an earlier draft, welcomed the truce."
    ) == {
        ("Russia", "ceasefire", "support"),
        ("China", "ceasefire", "support"),
    }
    assert triples(gaza, "Austria, Germany and Sweden opposed the call for a ceasefire.") == {
        (c, "ceasefire", "oppose") for c in ("Austria", "Germany", "Sweden")
    }


def test_positions_stated_by_contrast(gaza):
    text = (
        '"Pauses are not at the heart of our position; we want a lasting truce," '
        "Foreign Minister Omar Haddad told reporters."
    )
    assert triples(gaza, text) == {
        ("Omar Haddad", "humanitarian_pause", "oppose"),
        ("Omar Haddad", "ceasefire", "support"),
    }
    assert triples(gaza, "Minister Lena Berg said Oslo favoured talks, not a ceasefire.") == {
        ("Lena Berg", "ceasefire", "oppose")
    }


def test_role_possessive_holder_is_the_person(gaza):
    text = "Japan's foreign minister Kenji Sato said Tokyo backed a humanitarian pause."
    assert triples(gaza, text) == {("Kenji Sato", "humanitarian_pause", "support")}


def test_institutional_act_is_the_bodys_stance(gaza):
    text = "The Security Council adopted a resolution calling for a ceasefire."
    assert triples(gaza, text) == {("Security Council", "ceasefire", "support")}


def test_quoted_speech_whose_speaker_is_in_the_sentence_before(gaza):
    text = (
        "Army chief Idris Karrar met the envoys in Khartoum on Saturday. "
        '"We want a truce before the rains," he said.'
    )
    assert triples(gaza, text) == {("Idris Karrar", "ceasefire", "support")}
    # A quotation that names its own subject keeps it.
    assert triples(gaza, '"Hamas must accept the truce," Minister Ana Ruiz said.') == {
        ("Hamas", "ceasefire", "support")
    }


def test_target_cues_are_found_in_any_case_and_at_their_offsets(gaza):
    """Cues match whatever their case; a letter that str.lower lengthens ("İ") keeps every
    offset (the case-insensitive pattern then runs on the text itself)."""
    for text in (
        "The CEASEFIRE held. A Cease-Fire, then a ceasefire.",
        "İzmir backed a Ceasefire; İstanbul did not back the CEASE-FIRE or a ceasefire.",
    ):
        found = gaza.stances.target_mentions(text)
        assert [(text[s:e].lower().replace("-", ""), t) for s, e, t in found] == [
            ("ceasefire", "ceasefire")
        ] * 3


def test_stance_cues_match_as_the_case_insensitive_pattern_does(gaza):
    """Cues are matched over the lower-cased text, except where that would find otherwise
    than re.I over the text itself: "ſ" and "ı" fold onto "s" and "i" under re.I but not
    under str.lower, and "İ" lengthens the text. Each text states one stance either way."""
    plain = triples(gaza, "Kenya supports a ceasefire in the region.")
    assert plain == {("Kenya", "ceasefire", "support")}
    for text in (
        "Kenya ſupports a ceasefire in the region.",
        "Kenya ſupports a ceaſefire in the region.",
        "Kenya supports a ceasefıre in the region.",
        "Kenya SUPPORTS a Ceasefire in İzmir.",
    ):
        assert triples(gaza, text) == plain, text
