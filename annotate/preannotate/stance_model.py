"""The learned stance layer: a classifier over candidate (holder, target, sentence) triples.

Why candidates and a classifier on top of the stance rules: the rules find a triple where
a construction they know links a holder to a target, and miss the rest (about 4 of 10 on
real reporting). Every holder mention near a target mention is a candidate: in the
target's sentence or the one before, plus every triple the rules emitted. The classifier
says support, oppose, neutral or none from the rules' decision on the candidate (their
label, rule and score, also for the same holder name elsewhere in the article), the words
between and around the two mentions, negation, distance, order and the holder's type.
Human triples are its positives; candidates no human kept are the 'none' class.

The candidates are our own: only the rules' output records are read (not the rules'
internals), so the stance rules can change freely; a retrain learns the new rules.
Pure: the model is plain numbers (a multinomial logistic regression's weights in JSON),
so pre-annotating needs numpy only and the file is the same for the same training data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotate import spans as sp
from annotate.preannotate.entities import Mention
from annotate.preannotate.stance import StanceFinder

NONE = "none"
SOURCE = "learned"
STANCE_FILE = "stance.json"
FEATURES_VERSION = "1"
_NEGATION = frozenset(["not", "never", "no", "n't", "nor", "neither", "without"])
_WORD = re.compile(r"[^\W\d_]+(?:['’][a-z]+)?")


@dataclass(frozen=True)
class Candidate:
    """A holder mention, a target mention (start, end, id), the evidence sentence."""

    holder: Mention
    target: tuple[int, int, str]
    sentence: tuple[int, int]
    rule: dict[str, Any] | None  # the rules' triple on this candidate, if any


def candidates(
    text: str,
    mentions: Sequence[Mention],
    rule_triples: Sequence[dict[str, Any]],
    finder: StanceFinder,
) -> list[Candidate]:
    """The candidates of one article, in text order, one per (holder span, target,
    sentence): the nearest target mention (`StanceFinder.target_mentions`, the rules' own
    cue matching) in the sentence, the rules' own where they emitted the triple."""
    sentences = sp.sentences(text) or [(0, len(text))]
    holders = [m for m in mentions if m.label in finder.holder_labels]
    targets = finder.target_mentions(text)
    out: dict[tuple[int, int, str, int], Candidate] = {}
    for k, (s, e) in enumerate(sentences):
        here = [t for t in targets if s <= t[0] < e]
        if not here:
            continue
        lo = sentences[k - 1][0] if k else s
        for h in holders:
            if not (lo <= h.start < e):
                continue
            t = min(here, key=lambda t: abs(t[0] - h.start))
            out.setdefault((h.start, h.end, t[2], s), Candidate(h, t, (s, e), None))
    by_span = {(m.start, m.end): m for m in mentions}
    for r in rule_triples:
        h = r["holder"]
        ev = r.get("evidence") or {}
        sent = (ev.get("start", 0), ev.get("end", len(text)))
        ts = r.get("target_span") or {"start": sent[0], "end": sent[0]}
        holder = by_span.get((h["start"], h["end"])) or Mention(
            h["start"], h["end"], h["label"], "rules", 0, h.get("text", "")
        )
        key = (h["start"], h["end"], r["target"], sent[0])
        out[key] = Candidate(holder, (ts["start"], ts["end"], r["target"]), sent, r)
    return sorted(out.values(), key=lambda c: (c.sentence[0], c.holder.start, c.target[2]))


def _bucket(n: int) -> str:
    return str(min(6, int(math.log2(n + 1))))


def features(text: str, cand: Candidate, rule_by_name: dict[tuple[str, str], str]) -> list[str]:
    """The classifier's features of one candidate (binary, as strings)."""
    h, (ts, te, target), (s, _e) = cand.holder, cand.target, cand.sentence
    f = ["bias", "ht=" + str(h.label)]
    if cand.rule is not None:
        r = cand.rule
        f += [
            "rule=" + r["label"],
            f"rsrc={r.get('source', '')}",
            f"rl={r.get('source', '')}:{r['label']}",
        ]
        f.append("rscore=" + str(round(float(r.get("score", 0.5)), 1)))
    else:
        f.append("rule=none")
    name = " ".join(h.text.split()).casefold()
    other = rule_by_name.get((name, target))
    if other is not None:
        f.append("rname=" + other)
    f.append("prev_sentence" if h.start < s else "same_sentence")
    before = h.end <= ts
    f.append("holder_first" if before else "target_first")
    lo, hi = (h.end, ts) if before else (te, h.start)
    between = [w.lower() for w in _WORD.findall(text[lo:hi])]
    f.append("dist=" + _bucket(len(between)))
    f += ["bw=" + w for w in between[:12]]
    if any(w in _NEGATION or w.endswith("n't") for w in between):
        f.append("neg")
    after = [w.lower() for w in _WORD.findall(text[h.end : h.end + 40])][:3]
    f += ["ha=" + w for w in after]
    pre = [w.lower() for w in _WORD.findall(text[max(s, ts - 40) : ts])][-3:]
    f += ["tb=" + w for w in pre]
    f.append("tgt=" + text[ts:te].lower())
    return f


def rule_names(text: str, rule_triples: Sequence[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(holder name, target) -> the rules' label for it somewhere in the article."""
    out: dict[tuple[str, str], str] = {}
    for r in rule_triples:
        h = r["holder"]
        name = " ".join(text[h["start"] : h["end"]].split()).casefold()
        out.setdefault((name, r["target"]), r["label"])
    return out


def one_hot(feats: Sequence[Sequence[str]], vocab: dict[str, int]) -> np.ndarray:
    """The 0/1 matrix (candidates x vocab) of candidates' features, as training fits it and
    the model scores it; a feature outside ``vocab`` is left out."""
    x = np.zeros((len(feats), len(vocab)))
    for i, fs in enumerate(feats):
        x[i, [vocab[f] for f in fs if f in vocab]] = 1.0
    return x


class StanceModel:
    """A multinomial logistic regression over `features`, stored as plain weights."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.classes: list[str] = data["classes"]
        self.vocab: dict[str, int] = {f: i for i, f in enumerate(data["features"])}
        self.coef = np.asarray(data["coef"], dtype=float).reshape(len(data["coef"]), -1)
        self.intercept = np.asarray(data["intercept"], dtype=float)
        self.data = data

    def probabilities(self, feats: list[list[str]]) -> np.ndarray:
        """Class probabilities (candidates x classes)."""
        z = one_hot(feats, self.vocab) @ self.coef.T + self.intercept
        if z.shape[1] == 1:  # scikit-learn's two classes: one row, for the second
            z = np.column_stack([np.zeros(len(feats)), z[:, 0]])
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def find(
        self,
        text: str,
        mentions: Sequence[Mention],
        rule_triples: Sequence[dict[str, Any]],
        finder: StanceFinder,
    ) -> list[dict[str, Any]]:
        """The stance records of one article: each candidate the classifier labels."""
        cands = candidates(text, mentions, rule_triples, finder)
        if not cands:
            return []
        names = rule_names(text, rule_triples)
        probs = self.probabilities([features(text, c, names) for c in cands])
        out = []
        for c, p in zip(cands, probs, strict=True):
            k = int(p.argmax())
            label = self.classes[k]
            if label == NONE:
                continue
            h = c.holder
            out.append(
                {
                    "holder": {"start": h.start, "end": h.end, "label": h.label, "text": h.text},
                    "target": c.target[2],
                    "target_span": {"start": c.target[0], "end": c.target[1]},
                    "label": label,
                    "evidence": {"start": c.sentence[0], "end": c.sentence[1]},
                    "score": round(float(p[k]), 3),
                    "source": SOURCE,
                }
            )
        return out
