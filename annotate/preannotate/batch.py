"""Offline pre-annotation I/O: stream articles from JSONL or .txt files, one record out each.

Kept apart from the rules so they stay pure, and apart from the store so offline mode never
touches a database. Everything is a generator: memory stays constant for any input size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from annotate.errors import AnnotateError, InputError
from annotate.jsonl import iter_json_lines
from annotate.schemas import LabelSet


def read_articles(paths: Iterable[Path]) -> Iterator[tuple[str, str]]:
    """(id, text) per article. JSONL lines need `id` and `text`; a .txt file is one article.

    JSONL text is passed on exactly as given, so offsets index it with no cleaning.
    """
    for path in paths:
        if path.is_dir():
            yield from read_articles(sorted(p for p in path.rglob("*") if p.is_file()))
            continue
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.suffix == ".jsonl":
            yield from _read_jsonl(path)
        elif path.suffix == ".txt":
            try:
                yield path.stem, path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
        else:
            raise InputError(f"{path}: unsupported input (expected .jsonl or .txt)")


def _read_jsonl(path: Path) -> Iterator[tuple[str, str]]:
    for lineno, rec in iter_json_lines(path, InputError):
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise InputError(f"{path}:{lineno}: expected an object with a string `text`")
        art_id = rec.get("id")
        if art_id is None:
            raise InputError(f"{path}:{lineno}: missing `id`")
        yield str(art_id), rec["text"]


_WORKER: Any = None
# Chunks submitted ahead per worker (of `chunk_size` articles each).
IN_FLIGHT = 4


def annotator(labelset: LabelSet, model_dir: Path | None = None) -> Any:
    """The rules, or the rules plus the learned layer of ``model_dir`` (checked against
    ``labelset``: SchemaError for a model of another label set or other targets)."""
    if model_dir is None:
        from annotate.preannotate.model import preannotator

        return preannotator(labelset)
    from annotate.preannotate.learned import LearnedAnnotator

    key = (str(model_dir.resolve()), labelset)
    if key not in _LEARNED:
        _LEARNED[key] = LearnedAnnotator(model_dir, labelset)
    return _LEARNED[key]


_LEARNED: dict[tuple[str, LabelSet], Any] = {}


def annotator_version(labelset: LabelSet, model_dir: Path | None = None) -> str:
    """The model version `annotator` would stamp, without building the rules' lexicon (a
    parent process that hands the work to a pool must not build it too); the rule labels
    are still checked here, so a missing label fails before any worker starts."""
    if model_dir is not None:
        return annotator(labelset, model_dir).model_version
    from annotate.preannotate.labels import RuleLabels
    from annotate.preannotate.version import model_version

    labels = RuleLabels.from_labelset(labelset)
    labels.check(labelset)
    return model_version(labelset, labels)


def _init_worker(labelset: LabelSet, model_dir: Path | None) -> None:
    global _WORKER
    _WORKER = annotator(labelset, model_dir)


def _predict_chunk(chunk: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [_WORKER.predict(text, art_id) for art_id, text in chunk]


def predict_stream(
    articles: Iterable[tuple[str, str]],
    labelset: LabelSet,
    workers: int = 1,
    chunk_size: int = 64,
    model_dir: Path | None = None,
) -> Iterator[dict[str, Any]]:
    """Prediction records in input order; with workers > 1, a process pool over chunks.

    At most `IN_FLIGHT * workers` chunks are in flight, so memory stays bounded; enough
    that the workers stay busy while the caller stores a batch of 200 records.
    """
    if workers <= 1:
        model = annotator(labelset, model_dir)
        for art_id, text in articles:
            yield model.predict(text, art_id)
        return
    it = iter(articles)
    # Imported (not built) before the pool starts: forked workers inherit the modules and
    # their compiled patterns, and each only loads the compiled lexicon.
    import annotate.preannotate.model  # noqa: F401

    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(labelset, model_dir)
    ) as pool:
        pending = []
        while True:
            while len(pending) < IN_FLIGHT * workers:
                chunk = list(islice(it, chunk_size))
                if not chunk:
                    break
                pending.append(pool.submit(_predict_chunk, chunk))
            if not pending:
                return
            try:
                records = pending.pop(0).result()
            except BrokenProcessPool:
                raise AnnotateError(
                    "a pre-annotation worker stopped before it finished (out of memory, or "
                    "killed): run the command again, with fewer --workers if memory is short"
                ) from None
            yield from records


def write_jsonl(
    records: Iterable[dict[str, Any]], out: TextIO, on_record: Callable[[int], None] | None = None
) -> int:
    """Write one JSON object per line; returns how many."""
    n = 0
    for rec in records:
        out.write(json.dumps(rec, ensure_ascii=False))
        out.write("\n")
        n += 1
        if on_record:
            on_record(n)
    return n
