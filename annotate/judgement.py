"""The domain at the bottom of the house: stances, judgements and the one "same stance" rule.

A `Judgement` is one annotation of one article (a human's, a reviewer's or a model's), as
plain values: the store reads them, the review loop, the progress figures and the export
compare them, and none of those needs another stage to do so.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from annotate import spans as sp
from annotate.spans import Span, spans_from


class Triple(NamedTuple):
    """One stance: holder span (label = holder type) -> target id, with a stance label.

    A tuple, as `Span` is: an export builds, hashes and compares every triple of the
    store, and a NamedTuple is built and compared in C (the frozen dataclass it was set
    each field through a Python call); it equals and hashes as its fields.
    """

    holder: Span
    holder_text: str
    target: str
    label: str
    target_span: tuple[int, int] | None = None
    evidence: tuple[int, int] | None = None


@dataclass(frozen=True)
class Judgement:
    """One annotation of one article. ``order`` sorts annotations oldest to newest."""

    annotator: str
    order: tuple
    spans: tuple[Span, ...] = ()
    triples: tuple[Triple, ...] = ()
    ground_truth: bool = False


StanceKey = Callable[[Triple], Hashable]


_NOT_INITIALS = frozenset(["of", "and", "the", "for", "&"])


def _name_words(name: str) -> list[str]:
    words = [w.replace(".", "") for w in name.casefold().split()]
    words = [w for w in words if w]
    return words[1:] if words[:1] == ["the"] and len(words) > 1 else words


def same_actor(a: str, b: str) -> bool:
    """Two holder names of one article name the same actor: equal, one a word-suffix of the
    other ("Newsom" / "Gavin Newsom", "Security Council" / "UN Security Council"), or an
    initialism of the other ("U.S." / "United States", "EU" / "European Union").

    Suffix, not last word: "North Korea" and "South Korea" stay two actors. One rule for the
    rules' aggregation and for scoring, so both count actors alike.
    """
    x, y = _name_words(a), _name_words(b)
    if not x or not y:
        return False
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if long[len(long) - len(short) :] == short:
        return True
    initials = "".join(w[0] for w in long if w not in _NOT_INITIALS)
    return len(short) == 1 and len(long) > 1 and short[0] == initials


def public_article_id(external_id: str | None, content_hash: str) -> str:
    """The id an article has outside the store: its own id, else a prefix of its hash."""
    return external_id or content_hash[:16]


def latest_per_annotator(judgements: Iterable[Judgement]) -> dict[str, Judgement]:
    """Each annotator's most recent annotation (Label Studio allows several per task)."""
    out: dict[str, Judgement] = {}
    for j in sorted(judgements, key=lambda j: j.order):
        out[j.annotator] = j
    return out


class ArticleText:
    """One article's text, with the sentence of each mention found once, on demand."""

    def __init__(
        self, text: str, public_id: str = "", sentences: list[tuple[int, int]] | None = None
    ) -> None:
        """``sentences``: ``spans.sentences(text)``, when the caller has it (an export
        splits a chunk of texts at once: `spans.chunk_text`)."""
        self.id = public_id
        self.text = text
        self._sentence_of: dict[int, tuple[int, int]] = {}  # offset -> its sentence
        self._sentences: list[tuple[int, int]] | None = None  # the whole split, if needed
        self._starts: list[int] = []  # where each of its sentences starts
        if sentences is not None:
            self._split(sentences)

    def mention_sentence(self, t: Triple) -> tuple[int, int]:
        """The sentence holding the later of the holder and target mentions (the other is
        "in or nearest before" it, per the guidelines); the whole text when it has none.

        From the whole split when the caller gave it; else read from the text around
        the mention (`spans.sentence_around`): an article has a few stances and dozens
        of sentences. Once a sentence is too long to tell that way (or there is none),
        this and every later mention use the whole split, made once per text."""
        anchor = max(t.holder.start, t.target_span[0] if t.target_span else t.holder.start)
        found = self._sentence_of.get(anchor)
        if found is None:  # an export asks for each triple's sentence several times
            if self._sentences is None:
                found = sp.sentence_around(self.text, anchor)
            if found is None:  # too long a sentence to tell around it, or none
                found = self._in_whole_split(anchor)
            self._sentence_of[anchor] = found
        return found

    def _split(self, sentences: list[tuple[int, int]]) -> None:
        self._sentences = sentences or [(0, len(self.text))]
        self._starts = [start for start, _end in self._sentences]

    def _in_whole_split(self, offset: int) -> tuple[int, int]:
        if self._sentences is None:
            self._split(sp.sentences(self.text))
        assert self._sentences is not None
        return self._sentences[sp.sentence_at(self._sentences, offset, self._starts)]

    def evidence(self, t: Triple) -> tuple[int, int]:
        """The evidence sentence: given by a prediction, else the mentions' sentence."""
        return t.evidence if t.evidence is not None else self.mention_sentence(t)

    def stance_key(self, t: Triple) -> tuple:
        """Two triples are the same stance when holder name, target and the mentions'
        sentence match (any mention of the holder will do, per the guidelines). The
        sentence comes from the mentions, never from a prediction's own evidence, so a
        prediction and a human's triple of one stance have one key."""
        name = self.text[t.holder.start : t.holder.end] or t.holder_text
        return (" ".join(name.split()).casefold(), t.target, self.mention_sentence(t)[0])


def stance_key_for(text: str) -> StanceKey:
    """When two judgements' triples of this text are the same stance."""
    return ArticleText(text).stance_key


_SPAN_FIELDS = itemgetter("start", "end", "label")


def record_judgement(annotator: str, record: dict[str, Any]) -> Judgement:
    """A record in the public prediction format (entities, stances) as a judgement."""
    spans = spans_from(map(_SPAN_FIELDS, record.get("entities") or []))
    triples = []
    for s in record.get("stances") or []:
        h = s["holder"]
        ts = s.get("target_span")
        ev = s.get("evidence")
        triples.append(
            Triple(
                holder=Span(h["start"], h["end"], h["label"]),
                holder_text=h.get("text", ""),
                target=s["target"],
                label=s["label"],
                target_span=(ts["start"], ts["end"]) if ts else None,
                evidence=(ev["start"], ev["end"]) if ev else None,
            )
        )
    return Judgement(annotator, (), spans, tuple(triples))


def judgement_record(spans: Sequence[Span], triples: Sequence[Triple], text: str) -> dict:
    """Spans and triples in the public prediction format (the inverse of record_judgement)."""
    return {
        "entities": [
            {"start": s.start, "end": s.end, "label": s.label, "text": text[s.start : s.end]}
            for s in spans
        ],
        "stances": [
            {
                "holder": {
                    "start": t.holder.start,
                    "end": t.holder.end,
                    "label": t.holder.label,
                    "text": text[t.holder.start : t.holder.end],
                },
                "target": t.target,
                "label": t.label,
                **(
                    {"target_span": {"start": t.target_span[0], "end": t.target_span[1]}}
                    if t.target_span
                    else {}
                ),
            }
            for t in triples
        ],
    }


def shift_record(record: dict[str, Any], delta: int) -> tuple[dict[str, Any], int]:
    """A record (entities, stances) with every offset moved by `delta`, and how many items
    were left out because an offset fell below 0 after the move.

    Converts between the body's offsets and the unit text's (`spans.title_shift`): a task
    pushed before the title was labelable shows the body only.
    """

    def moved(off: dict[str, Any] | None) -> dict[str, Any] | None:
        if off is None:
            return None
        out = {**off, "start": off["start"] + delta, "end": off["end"] + delta}
        if out["start"] < 0:
            raise ValueError
        return out

    dropped = 0
    entities = []
    for e in record.get("entities") or []:
        try:
            entities.append(moved(e))
        except ValueError:
            dropped += 1
    stances = []
    for st in record.get("stances") or []:
        try:
            new = {**st, "holder": moved(st["holder"])}
            for key in ("target_span", "evidence"):
                if st.get(key) is not None:
                    new[key] = moved(st[key])
        except ValueError:
            dropped += 1
            continue
        stances.append(new)
    return {**record, "entities": entities, "stances": stances}, dropped
