"""model_version follows the rules' code, lexicons, targets and labels, and costs no lexicon."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotate.preannotate import lexicon, model
from annotate.preannotate.model import PreAnnotator, model_version, rules_digest, version_of
from annotate.schemas import Target, load_labelset


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    root = tmp_path / "preannotate"
    shutil.copytree(model.RULES_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_digest_changes_with_any_rule_file(rules_copy):
    before = rules_digest(rules_copy)
    assert before == rules_digest(model.RULES_DIR)  # names are relative: location is irrelevant
    stance = rules_copy / "stance.py"
    stance.write_text(stance.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    after_code = rules_digest(rules_copy)
    assert after_code != before
    gazetteer = rules_copy / "lexicons" / "gazetteer" / "GPE.txt"
    gazetteer.write_text(gazetteer.read_text(encoding="utf-8") + "Atlantis\n", encoding="utf-8")
    assert rules_digest(rules_copy) not in (before, after_code)
    (rules_copy / "helpers.py").write_text("", encoding="utf-8")
    assert len({before, after_code, rules_digest(rules_copy)}) == 3


def test_shared_sources_count(rules_copy, tmp_path):
    shared = tmp_path / "spans.py"
    shared.write_text("x = 1\n", encoding="utf-8")
    with_shared = rules_digest(rules_copy, [shared])
    assert with_shared != rules_digest(rules_copy)
    shared.write_text("x = 2\n", encoding="utf-8")
    assert rules_digest(rules_copy, [shared]) != with_shared


def test_model_version_is_the_digest_of_the_installed_rules(rules_copy):
    labelset = load_labelset()
    version = model_version(labelset)
    assert version == PreAnnotator(labelset).model_version
    assert version.startswith("annotate-rules-")
    installed = rules_digest(model.RULES_DIR, model.SHARED_SOURCES)
    assert version == version_of(installed, labelset)
    stance = rules_copy / "stance.py"
    stance.write_text(stance.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    edited = rules_digest(rules_copy, model.SHARED_SOURCES)
    assert version_of(edited, labelset) != version


def test_model_version_changes_with_targets():
    labelset = load_labelset()
    other = labelset.with_targets((Target("tariffs", "Import duties.", ("tariffs",)),))
    assert model_version(other) != model_version(labelset)


def test_model_version_does_not_build_the_lexicon(monkeypatch):
    def refuse(labels):
        raise AssertionError("the lexicon was built")

    monkeypatch.setattr(lexicon, "_build", refuse)
    labelset = load_labelset().with_targets((Target("sanctions", "Sanctions.", ("sanctions",)),))
    assert model_version(labelset).startswith("annotate-rules-")
    with pytest.raises(AssertionError, match="lexicon was built"):
        PreAnnotator(labelset)
