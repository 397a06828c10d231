"""Hypothesis strategies shared by the property tests: hostile bytes, text and JSON."""

from __future__ import annotations

import codecs
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The default run stays well under a minute on a shared 2-core machine; for a deeper search
# set ANNOTATE_FUZZ_EXAMPLES (e.g. 5000) when running tests/properties.
EXAMPLES = int(os.environ.get("ANNOTATE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters readers trip over: NUL, BOM, separators, CR, combining marks, emoji, RTL.
AWKWARD_CHARS = "[/]\x00\ufeff\u2028\u2029\r\n\t \u00a0\u0301\u200d\U0001f600\u05d0\ufffd"

json_keys = st.text(max_size=8) | st.sampled_from(
    ["id", "text", "entities", "stances", "label", "start", "end", "holder", "target"]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=2**200)
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters() | st.sampled_from(AWKWARD_CHARS), max_size=30)
)

json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=5)
    ),
    max_leaves=25,
)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# Raw JSON text that json.dumps would never write: lone surrogates, huge numbers, deep nesting.
hostile_json_text = st.one_of(
    st.sampled_from(['"\\ud800"', '{"text": "a\\udc00b", "id": 1}', '"\\udfff\\ud800"']),
    st.integers(min_value=4301, max_value=6000).map(lambda n: "1" * n),
    st.integers(min_value=4301, max_value=6000).map(
        lambda n: '{"id": 1, "text": "x", "n": ' + "9" * n + "}"
    ),
    st.sampled_from(["1e999999", "-1e999999", "NaN", "Infinity", "-0"]),
    st.integers(min_value=95, max_value=105).map(_nested),
    st.sampled_from([_nested(3000), '{"a":' * 2000 + "1" + "}" * 2000, "[" * 100_000]),
)

json_line = (
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False))
    | json_values.map(json.dumps)
    | hostile_json_text
)

BOMS = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]


@st.composite
def jsonl_bytes(draw: st.DrawFn) -> bytes:
    """A JSONL file: JSON lines (valid and hostile), junk lines, blank lines, a BOM maybe."""
    line = json_line | st.text(max_size=40) | st.just("")
    lines = draw(st.lists(line, max_size=6))
    body = "\n".join(lines).encode("utf-8", "surrogatepass")
    junk = draw(st.binary(max_size=20))
    return draw(st.sampled_from(BOMS)) + body + draw(st.sampled_from([b"", b"\n", junk]))


@st.composite
def text_bytes(draw: st.DrawFn) -> bytes:
    """A text file in some encoding, maybe with a BOM, maybe cut or corrupted."""
    text = draw(st.text(alphabet=st.characters() | st.sampled_from(AWKWARD_CHARS), max_size=200))
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"]))
    data = text.encode(codec, "surrogatepass" if codec.startswith("utf") else "replace")
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return data[: len(data) - cut] if draw(st.booleans()) else data


any_bytes = st.binary(max_size=300) | text_bytes() | jsonl_bytes()


# Values that pass or nearly pass the schemas: 1.0 is an "integer" to JSON Schema, and so is 1e300.
offsets = st.integers(min_value=-2, max_value=60) | st.sampled_from([0.0, 3.0, 1e300, True, "3"])
# Rich console markup in a label ("[/b]") must reach the terminal as text, not as a tag.
labels = st.sampled_from(
    ["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "person", "", "O", "[/b]", "[bold]"]
)
stance_labels = st.sampled_from(["support", "oppose", "neutral", "maybe"])
target_ids = st.sampled_from(["ceasefire", "humanitarian_pause", "nope", ""])
short_text = st.text(alphabet=st.characters() | st.sampled_from(AWKWARD_CHARS), max_size=40)


def _span(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"start": offsets, "end": offsets, **fields})


entity_like = st.one_of(
    _span(label=labels, text=short_text),
    _span(label=labels, text=short_text, score=st.floats(-1, 2)),
    _span(),
)
stance_like = st.fixed_dictionaries(
    {
        "holder": _span(label=labels, text=short_text),
        "target": target_ids,
        "label": stance_labels,
        "evidence": _span(),
    },
    optional={"target_span": _span(), "score": st.floats(0, 1)},
)
_fields = {
    "id": st.text(max_size=3) | st.integers() | st.floats(),
    "text": short_text,
    "model_version": st.text(max_size=5),
    "entities": st.lists(entity_like, max_size=4),
    "stances": st.lists(stance_like, max_size=3),
    "title": st.none() | short_text,
    "url": st.none() | st.text(max_size=5),
    "extra": json_values,
}


def _record(*required: str, optional: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """A record with the required fields of one kind (id a short string) and maybe others."""
    fields = {**_fields, "id": st.sampled_from(["a1", "a2", "1"])}
    return st.fixed_dictionaries(
        {k: fields[k] for k in required}, optional={k: _fields[k] for k in optional}
    )


record_like: st.SearchStrategy[dict[str, Any]] = st.one_of(
    _record(optional=tuple(_fields)),
    _record("id", "text", optional=("title", "url", "extra")),
    _record("id", "text", "entities", "stances", optional=("model_version",)),
    _record("id", "model_version", "entities", "stances"),
)


@st.composite
def record_jsonl_bytes(draw: st.DrawFn) -> bytes:
    """JSONL of schema-shaped records with hostile values (the paths past the schema check)."""
    lines = draw(st.lists(record_like.map(lambda r: json.dumps(r, ensure_ascii=False)), max_size=5))
    if draw(st.booleans()):
        lines.append(draw(hostile_json_text))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def consistent_record(draw: st.DrawFn, kind: str = "gold") -> dict[str, Any]:
    """A gold (or prediction) record whose spans match its text, with one value maybe spoiled."""
    text = draw(
        st.text(alphabet=st.characters() | st.sampled_from(AWKWARD_CHARS), min_size=1, max_size=40)
    )
    n = len(text)
    bounds = st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted)
    entities = []
    for start, end in draw(st.lists(bounds, max_size=3)):
        label = draw(labels)
        entities.append({"start": start, "end": end, "label": label, "text": text[start:end]})
    stances = []
    for (hs, he), (ts, te) in draw(st.lists(st.tuples(bounds, bounds), max_size=2)):
        holder = {"start": hs, "end": he, "label": draw(labels), "text": text[hs:he]}
        stances.append(
            {
                "holder": holder,
                "target": draw(target_ids),
                "label": draw(stance_labels),
                "evidence": {"start": min(hs, ts), "end": max(he, te)},
                "target_span": {"start": ts, "end": te},
            }
        )
    record: dict[str, Any] = {"id": "a1", "entities": entities, "stances": stances}
    record.update({"text": text} if kind == "gold" else {"model_version": "rules-1"})
    spans = [*entities, *(s["holder"] for s in stances), *(s["target_span"] for s in stances)]
    if spans and draw(st.booleans()):
        span = draw(st.sampled_from(spans))
        key = draw(st.sampled_from(["start", "end"]))
        span[key] = draw(st.sampled_from([float(span[key]), 1e300, 10**30, -1, n + 5, True]))
    return record


@st.composite
def consistent_jsonl_bytes(draw: st.DrawFn, kind: str = "gold") -> bytes:
    records = draw(st.lists(consistent_record(kind), min_size=1, max_size=3))
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(
        "utf-8", "surrogatepass"
    )
