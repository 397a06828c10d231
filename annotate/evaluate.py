"""Score the pre-annotator against gold data: CoNLL-2003 files or gold JSONL.

Scoring is exact span match (start, end, label), micro-averaged; CoNLL-mapped scores map
both sides through the label set's `conll` column first.

Stances are scored per (holder actor, target, label) per article, on both sides alike:
the pre-annotator gives one triple per actor and target, while a gold file may hold one per
sentence, so each side first keeps one triple per actor, target and label (a second "Newsom"
support of the ceasefire in another sentence is the same unit, not a second hit or miss).
Holders are one actor by `annotate.judgement.same_actor` ("Blinken" / "Antony Blinken",
"U.S." / "United States": the guidelines let annotators pick any mention of the actor).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InputError
from annotate.jsonl import iter_json_lines
from annotate.judgement import same_actor
from annotate.schemas import LabelSet, load_labelset


class GoldError(InputError):
    """A gold file is malformed; the message names the file and line."""


@dataclass
class GoldDoc:
    id: str
    text: str
    entities: list[dict[str, Any]]
    stances: list[dict[str, Any]] = field(default_factory=list)
    conll: bool = False  # entity labels are CoNLL types (PER/ORG/LOC/MISC)
    line: int = 0  # where the document starts in its file (provenance of an import)


def read_conll(
    path: Path, labelset: LabelSet | None = None, types: Collection[str] | None = None
) -> Iterator[GoldDoc]:
    """Stream CoNLL-2003 documents (four columns, IOB1 or IOB2, `-DOCSTART-` separators).

    Document text is the tokens joined by single spaces, sentences joined by newlines.
    Entity types must be ones the label set maps to (its `conll` column): any other type
    could never be predicted, so it would only lower the scores in silence. An import
    passes the `types` its label mapping knows instead.
    """
    conll_types = (
        set(types) if types is not None else set((labelset or load_labelset()).conll_map.values())
    )
    n_doc = 0
    first_line = 0
    sentences: list[list[tuple[str, str]]] = []
    sent: list[tuple[str, str]] = []

    def build() -> GoldDoc | None:
        nonlocal n_doc
        if sent:
            sentences.append(list(sent))
            sent.clear()
        if not sentences:
            return None
        n_doc += 1
        parts: list[str] = []
        entities: list[dict[str, Any]] = []
        pos = 0
        for si, sentence in enumerate(sentences):
            if si:
                parts.append("\n")
                pos += 1
            cur: dict[str, Any] | None = None
            for ti, (tok, tag) in enumerate(sentence):
                if ti:
                    parts.append(" ")
                    pos += 1
                start, end = pos, pos + len(tok)
                parts.append(tok)
                pos = end
                if tag == "O":
                    cur = None
                    continue
                prefix, _, label = tag.partition("-")
                if cur is not None and prefix == "I" and cur["label"] == label:
                    cur["end"] = end
                else:
                    cur = {"start": start, "end": end, "label": label}
                    entities.append(cur)
        text = "".join(parts)
        for ent in entities:
            ent["text"] = text[ent["start"] : ent["end"]]
        sentences.clear()
        return GoldDoc(f"{path.stem}-{n_doc}", text, entities, conll=True, line=first_line)

    for lineno, line in _text_lines(path):
        if not line.strip():
            if sent:
                sentences.append(list(sent))
                sent.clear()
            continue
        cols = line.split()
        if cols[0] == "-DOCSTART-":
            doc = build()
            if doc:
                yield doc
            first_line = 0
            continue
        first_line = first_line or lineno
        if len(cols) != 4:
            raise GoldError(
                f"{path}:{lineno}: expected 4 columns (token POS chunk NER), got {len(cols)}"
            )
        tag = cols[3]
        if tag != "O" and not (tag[:2] in ("I-", "B-") and len(tag) > 2):
            raise GoldError(f"{path}:{lineno}: bad IOB tag {tag!r}")
        if tag != "O" and tag[2:] not in conll_types and types is not None:
            raise GoldError(
                f"{path}:{lineno}: entity type {tag[2:]!r} has no mapping to the label set: "
                f"pass --map {tag[2:]}=LABEL (or {tag[2:]}=- to leave it out)"
            )
        if tag != "O" and tag[2:] not in conll_types:
            raise GoldError(
                f"{path}:{lineno}: entity type {tag[2:]!r} is not a CoNLL type of the label set "
                f"({', '.join(sorted(conll_types))})"
            )
        sent.append((cols[0], tag))
    doc = build()
    if doc:
        yield doc


def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 text file; bytes that are not text raise GoldError."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise GoldError(f"{path}:{lineno}: invalid UTF-8 at byte {exc.start}") from None
            if "\x00" in line:
                raise GoldError(f"{path}:{lineno}: NUL byte: a binary file, not CoNLL text")
            yield lineno, line.rstrip("\r\n")


def _unknown_labels(rec: dict[str, Any], labelset: LabelSet) -> Iterator[str]:
    """`field: problem` for each gold label the label set does not know (targets aside)."""
    names = set(labelset.entity_names)
    for i, ent in enumerate(rec["entities"]):
        if ent["label"] not in names:
            yield f"entities[{i}].label: unknown label {ent['label']!r}"
    for i, stance in enumerate(rec["stances"]):
        holder = stance["holder"]["label"]
        if holder not in labelset.holder_labels:
            yield f"stances[{i}].holder.label: {holder!r} cannot hold a stance"
        if stance["label"] not in labelset.stance_names:
            yield f"stances[{i}].label: unknown stance label {stance['label']!r}"


def read_gold_jsonl(path: Path, labelset: LabelSet | None = None) -> Iterator[GoldDoc]:
    """Stream gold JSONL records (schemas/gold.schema.json), checking each one.

    A label the label set does not know is an error: it could never be predicted, so it
    would only lower the scores in silence.
    """
    from annotate.schemas import validator

    check = validator("gold")
    labelset = labelset or load_labelset()
    for lineno, rec in iter_json_lines(path, GoldError):
        err = next(iter(check.iter_errors(rec)), None)
        if err is not None:
            where = "/".join(str(p) for p in err.absolute_path) or "<root>"
            raise GoldError(f"{path}:{lineno}: {where}: {err.message}")
        for ent in rec["entities"]:
            if not all(isinstance(ent[k], int) for k in ("start", "end")):
                # JSON Schema's "integer" takes 3.0 too; a slice does not.
                raise GoldError(f"{path}:{lineno}: entity offsets must be whole numbers")
            if rec["text"][ent["start"] : ent["end"]] != ent["text"]:
                raise GoldError(f"{path}:{lineno}: entity text does not match offsets")
        problem = next(_unknown_labels(rec, labelset), None)
        if problem is not None:
            raise GoldError(f"{path}:{lineno}: {problem}")
        yield GoldDoc(rec["id"], rec["text"], rec["entities"], rec["stances"], line=lineno)


def read_gold(
    path: Path, fmt: str | None = None, labelset: LabelSet | None = None
) -> Iterator[GoldDoc]:
    fmt = fmt or ("jsonl" if path.suffix in (".jsonl", ".json") else "conll")
    if fmt == "conll":
        return read_conll(path, labelset)
    if fmt == "jsonl":
        return read_gold_jsonl(path, labelset)
    raise GoldError(f"unknown gold format {fmt!r} (conll or jsonl)")


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.tp + self.fn,
            "predicted": self.tp + self.fp,
        }


@dataclass
class Report:
    """Everything `annotate evaluate` prints."""

    documents: int = 0
    words: int = 0
    labels: dict[str, PRF] = field(default_factory=dict)  # six labels (jsonl gold only)
    conll: dict[str, PRF] = field(default_factory=dict)
    stance: PRF = field(default_factory=PRF)
    stance_labels: dict[str, PRF] = field(default_factory=dict)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @staticmethod
    def _total(table: dict[str, PRF]) -> PRF:
        return PRF(
            sum(p.tp for p in table.values()),
            sum(p.fp for p in table.values()),
            sum(p.fn for p in table.values()),
        )

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "words": self.words,
            "entities": {k: v.as_dict() for k, v in sorted(self.labels.items())},
            "entities_micro": self._total(self.labels).as_dict() if self.labels else None,
            "conll": {k: v.as_dict() for k, v in sorted(self.conll.items())},
            "conll_micro": self._total(self.conll).as_dict(),
            "stance": self.stance.as_dict(),
            "stance_labels": {k: v.as_dict() for k, v in sorted(self.stance_labels.items())},
            "confusions": [
                {"gold": g, "predicted": p, "count": n}
                for (g, p), n in self.confusions.most_common(top)
            ],
        }


def _score_spans(
    gold: Iterable[tuple[int, int, str]],
    pred: Iterable[tuple[int, int, str]],
    table: dict[str, PRF],
    confusions: Counter[tuple[str, str]] | None,
) -> None:
    gold_set, pred_set = set(gold), set(pred)
    for g in gold_set:
        table.setdefault(g[2], PRF())
    for p in pred_set:
        table.setdefault(p[2], PRF())
    for s in gold_set & pred_set:
        table[s[2]].tp += 1
    for s in pred_set - gold_set:
        table[s[2]].fp += 1
    for s in gold_set - pred_set:
        table[s[2]].fn += 1
    if confusions is None:
        return
    gold_at = {(s, e): lab for s, e, lab in gold_set}
    pred_at = {(s, e): lab for s, e, lab in pred_set}
    for key, glab in gold_at.items():
        plab = pred_at.get(key)
        if plab is None:
            overlap = any(ps < key[1] and key[0] < pe for ps, pe in pred_at)
            confusions[(glab, "boundary" if overlap else "missed")] += 1
        elif plab != glab:
            confusions[(glab, plab)] += 1
    for key, plab in pred_at.items():
        if key not in gold_at and not any(gs < key[1] and key[0] < ge for gs, ge in gold_at):
            confusions[("none", plab)] += 1


def _same_unit(a: dict, b: dict) -> bool:
    return (
        a["target"] == b["target"]
        and a["label"] == b["label"]
        and same_actor(a["holder"]["text"], b["holder"]["text"])
    )


def actor_units(stances: Iterable[dict]) -> list[dict]:
    """One triple per (actor, target, label) of one article: the scoring unit."""
    kept: list[dict] = []
    for st in stances:
        if not any(_same_unit(k, st) for k in kept):
            kept.append(st)
    return kept


def _score_stances(gold: list[dict], pred: list[dict], report: Report) -> None:
    unmatched = actor_units(gold)
    for p in actor_units(pred):
        table = report.stance_labels.setdefault(p["label"], PRF())
        hit = next((g for g in unmatched if _same_unit(g, p)), None)
        if hit is None:
            report.stance.fp += 1
            table.fp += 1
        else:
            unmatched.remove(hit)
            report.stance.tp += 1
            table.tp += 1
    for g in unmatched:
        report.stance.fn += 1
        report.stance_labels.setdefault(g["label"], PRF()).fn += 1


def evaluate(
    docs: Iterable[GoldDoc],
    predict: Callable[[str, str], dict[str, Any]],
    labelset: LabelSet,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Run `predict(text, id)` on every gold document and accumulate the scores."""
    report = Report()
    cmap = labelset.conll_map
    for doc in docs:
        rec = predict(doc.text, doc.id)
        report.documents += 1
        report.words += doc.text.count(" ") + doc.text.count("\n") + 1
        pred6 = [(e["start"], e["end"], e["label"]) for e in rec["entities"]]
        pred_conll = [(s, e, cmap.get(lab, lab)) for s, e, lab in pred6]
        if doc.conll:
            gold_conll = [(e["start"], e["end"], e["label"]) for e in doc.entities]
            _score_spans(gold_conll, pred_conll, report.conll, report.confusions)
        else:
            gold6 = [(e["start"], e["end"], e["label"]) for e in doc.entities]
            _score_spans(gold6, pred6, report.labels, report.confusions)
            gold_conll = [(s, e, cmap.get(lab, lab)) for s, e, lab in gold6]
            _score_spans(gold_conll, pred_conll, report.conll, None)
            _score_stances(doc.stances, rec["stances"], report)
        if progress:
            progress(len(doc.text))
    return report
