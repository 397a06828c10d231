"""The compiled lexicon artifact: built once, loaded after, rebuilt when damaged or stale."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotate.preannotate import cache as artifacts
from annotate.preannotate import lexicon
from annotate.preannotate.labels import default_labels


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and no lexicon built in this process yet (restored after)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(artifacts.CACHE_ENV, str(folder))
    lexicon._build.cache_clear()
    yield folder
    lexicon._build.cache_clear()


def tables(lex: lexicon.Lexicon) -> dict:
    return dataclasses.asdict(lex)


def test_the_first_build_writes_an_owner_only_artifact_the_next_loads(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tables(lexicon.load_lexicon())
    (artifact,) = cache.iterdir()
    assert artifact.name == f"lexicon-{lexicon.artifact_key(default_labels())[:32]}.marshal"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(artifact.stat().st_mode) == 0o600

    def refuse(labels):
        raise AssertionError("rebuilt although the artifact is there")

    lexicon._build.cache_clear()
    monkeypatch.setattr(lexicon, "compile_lexicon", refuse)
    assert tables(lexicon.load_lexicon()) == built


def test_a_damaged_artifact_is_rebuilt(cache: Path) -> None:
    built = tables(lexicon.load_lexicon())
    (artifact,) = cache.iterdir()
    artifact.write_bytes(b"\x00not marshal")
    lexicon._build.cache_clear()
    assert tables(lexicon.load_lexicon()) == built
    assert artifact.stat().st_size > 1000


def test_the_key_follows_the_label_words_and_the_shipped_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = default_labels()
    key = lexicon.artifact_key(labels)
    assert lexicon.artifact_key(dataclasses.replace(labels, gpe="COUNTRY")) != key
    copy = tmp_path / "lexicons"
    copy.mkdir()
    for path in lexicon.LEXICON_DIR.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(lexicon.LEXICON_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setattr(lexicon, "LEXICON_DIR", copy)
    assert lexicon.artifact_key(labels) == key
    with (copy / "roles.txt").open("a", encoding="utf-8") as fh:
        fh.write("envoy\n")
    assert lexicon.artifact_key(labels) != key


def test_off_builds_in_memory_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(artifacts.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    lexicon._build.cache_clear()
    try:
        assert lexicon.load_lexicon().gaz
    finally:
        lexicon._build.cache_clear()
    assert os.listdir(tmp_path) == []
