"""The learned entity layer: a CRF over the rules' own decisions, plus a learned lexicon.

Why a CRF on top of the rules rather than instead of them: the rules already encode the
gazetteers and the house's label definitions; what the humans' corrections teach is where
each rule is right. So the features are the rules' label (B-/I-) and which rule fired,
lexicon hits, word shape, affixes, a context window, and document-level consistency (the
label the rules gave the same word elsewhere in the article). The learned lexicon holds
surfaces the annotators labeled the same way in several articles (INCEpTION's string
matching).

Pure: a model folder and text in, a prediction record out. A coarse class ("GPE|LOC",
from an imported corpus whose type several schema labels share) is trained as its own
state, so its tokens are no negatives; a predicted coarse span takes the rules' label
when they agree, else the class's most frequent fine label in training.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate import spans as sp
from annotate.errors import SchemaError
from annotate.preannotate.entities import Mention
from annotate.preannotate.model import PreAnnotator, preannotator
from annotate.schemas import LabelSet

NAME = "annotate-learned"
# The `source` of the spans the learned layer predicts (the rules' read `rules:<rule>`).
SOURCE = "learned"
FEATURES_VERSION = "1"
MODEL_FILE = "entities.crfsuite"
LEXICON_FILE = "lexicon.json"
MANIFEST_FILE = "manifest.json"
# A surface enters the learned lexicon when labeled in this many articles, this consistently.
LEXICON_MIN_DOCS = 2
LEXICON_AGREEMENT = 0.9
LEXICON_MAX_TOKENS = 6


@dataclass
class Example:
    """One article's gold for training: spans with a schema label, coarse spans."""

    key: str  # content hash: orders examples, splits folds by article
    text: str
    spans: list[tuple[int, int, str]]
    coarse: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)


def coarse_class(labels: Iterable[str]) -> str:
    return "|".join(sorted(labels))


def _shape(w: str) -> str:
    out: list[str] = []
    for ch in w:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:6]


class LearnedLexicon:
    """Surfaces (token tuples) -> per label, how many articles labeled them so."""

    def __init__(self, entries: dict[str, dict[str, int]] | None = None) -> None:
        self.entries = entries or {}
        self.first: dict[str, list[tuple[str, ...]]] = {}
        for surface in self.entries:
            toks = tuple(surface.split(" "))
            self.first.setdefault(toks[0], []).append(toks)
        for v in self.first.values():
            v.sort(key=len, reverse=True)

    @classmethod
    def build(cls, examples: Sequence[Example]) -> LearnedLexicon:
        counts: dict[str, Counter[str]] = {}
        for ex in examples:
            for key, label in doc_surfaces(ex).items():
                counts.setdefault(key, Counter())[label] += 1
        entries = {
            s: dict(sorted(c.items()))
            for s, c in sorted(counts.items())
            if max(c.values()) >= LEXICON_MIN_DOCS
        }
        return cls(entries)

    def label(self, surface: str, own: dict[str, str] | None = None) -> str | None:
        """The consistent label of a surface, leaving out ``own`` (a training article's)."""
        counts = self.entries.get(surface)
        if not counts:
            return None
        if own and surface in own:
            counts = dict(counts)
            counts[own[surface]] -= 1
        total = sum(counts.values())
        label, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if n < LEXICON_MIN_DOCS or n < LEXICON_AGREEMENT * total:
            return None
        return label

    def to_json(self) -> dict[str, dict[str, int]]:
        return self.entries


def doc_surfaces(ex: Example) -> dict[str, str]:
    """Each labeled surface of one article (token-joined), with its label there."""
    out: dict[str, str] = {}
    for s, e, label in ex.spans:
        toks = [t.text for t in sp.tokenize(ex.text[s:e])]
        if 0 < len(toks) <= LEXICON_MAX_TOKENS and toks[0][:1].isupper():
            out.setdefault(" ".join(toks), label)
    return out


class Featurizer:
    """Token features of one article; word-level features cached per word."""

    def __init__(self, rules: PreAnnotator, lexicon: LearnedLexicon) -> None:
        self.rules = rules
        self.lex = rules.lexicon
        self.learned = lexicon
        self._word: dict[str, list[str]] = {}
        self._ctx: dict[tuple[str, int], list[str]] = {}

    def word_features(self, w: str) -> list[str]:
        f = self._word.get(w)
        if f is not None:
            return f
        low = w.lower()
        lex = self.lex
        f = [
            "b",
            "w=" + low,
            "sh=" + _shape(w),
            "p3=" + low[:3],
            "s3=" + low[-3:],
            "s2=" + low[-2:],
        ]
        if w[:1].isupper():
            f.append("cap")
        if w.isupper() and len(w) > 1:
            f.append("allcap")
        gz = lex.gaz.get(w) or lex.gaz_upper.get(w.upper())
        if gz:
            f.append("gz=" + gz)
        if w in lex.first_names:
            f.append("fn")
        if w in lex.surnames:
            f.append("sn")
        if w in lex.titles:
            f.append("ti")
        if low in lex.stop:
            f.append("st")
        if w in lex.roles or low in lex.roles:
            f.append("ro")
        self._word[w] = f
        return f

    def context_features(self, w: str, k: int) -> list[str]:
        f = self._ctx.get((w, k))
        if f is None:
            low = w.lower()
            f = [f"{k}w={low}", f"{k}sh={_shape(w)}"]
            if k in (-1, 1):
                f.append(f"{k}s3={low[-3:]}")
            self._ctx[(w, k)] = f
        return f

    def featurize(
        self, text: str, own: dict[str, str] | None = None
    ) -> tuple[list[sp.Token], list[list[str]], list[Mention]]:
        tokens = sp.tokenize(text)
        mentions = [m for m in self.rules.entities.tag(text) if m.label]
        n = len(tokens)
        rule_tag = ["O"] * n
        rule_name = [""] * n
        j = 0
        for m in sorted(mentions, key=lambda m: m.start):
            while j < n and tokens[j].end <= m.start:
                j += 1
            k = j
            first = True
            while k < n and tokens[k].start < m.end:
                rule_tag[k] = ("B-" if first else "I-") + m.label
                rule_name[k] = m.rule
                first = False
                k += 1
        words = [t.text for t in tokens]
        # Document consistency: the label the rules gave each capitalised word anywhere.
        by_word: dict[str, Counter[str]] = {}
        for w, tag in zip(words, rule_tag, strict=True):
            if tag != "O" and w[:1].isupper():
                by_word.setdefault(w, Counter())[tag[2:]] += 1
        doc_label = {w: c.most_common(1)[0][0] for w, c in by_word.items()}
        lex_tag = self._lexicon_tags(words, own)
        xseq: list[list[str]] = []
        for i, w in enumerate(words):
            f = list(self.word_features(w))
            for k in (-2, -1, 1, 2):
                if 0 <= i + k < n:
                    f += self.context_features(words[i + k], k)
                else:
                    f.append(f"{k}pad")
            r = rule_tag[i]
            f.append("r=" + r)
            if r != "O":
                f.append("rr=" + rule_name[i])
                f.append(f"rl={rule_name[i]}:{r}")
            f.append("r-1=" + (rule_tag[i - 1] if i else "^"))
            f.append("r+1=" + (rule_tag[i + 1] if i + 1 < n else "$"))
            dl = doc_label.get(w)
            if dl is not None:
                f.append("dr=" + dl)
                if r == "O":
                    f.append("dr-missed=" + dl)
            if lex_tag[i]:
                f.append("ll=" + lex_tag[i])
            if i == 0 or "\n" in text[tokens[i - 1].end : tokens[i].start] or words[i - 1] in ".!?":
                f.append("bos")
            xseq.append(f)
        return tokens, xseq, mentions

    def _lexicon_tags(self, words: list[str], own: dict[str, str] | None) -> list[str]:
        n = len(words)
        out = [""] * n
        first = self.learned.first
        i = 0
        while i < n:
            cands = first.get(words[i])
            hit = 0
            if cands:
                for toks in cands:
                    if tuple(words[i : i + len(toks)]) == toks:
                        label = self.learned.label(" ".join(toks), own)
                        if label is not None:
                            out[i] = "B-" + label
                            for k in range(i + 1, i + len(toks)):
                                out[k] = "I-" + label
                            hit = len(toks)
                            break
            i += hit or 1
        return out


def bio_labels(tokens: Sequence[sp.Token], ex: Example) -> list[str]:
    """The training tags of one article: B-/I- per span; coarse spans tag their class."""
    tags = ["O"] * len(tokens)
    items = [(s, e, lab) for s, e, lab in ex.spans]
    items += [(s, e, coarse_class(labs)) for s, e, labs in ex.coarse]
    starts = [t.start for t in tokens]
    import bisect

    for s, e, label in sorted(items):
        i = bisect.bisect_left(starts, s)
        first = True
        while i < len(tokens) and tokens[i].start < e:
            if tags[i] == "O":
                tags[i] = ("B-" if first else "I-") + label
            first = False
            i += 1
    return tags


def decode(tokens: Sequence[sp.Token], tags: Sequence[str]) -> list[tuple[int, int, str, int]]:
    """(start, end, label, first token index) of each B-/I- run."""
    out: list[tuple[int, int, str, int]] = []
    cur: list[Any] | None = None
    for i, (tok, tag) in enumerate(zip(tokens, tags, strict=True)):
        if tag == "O":
            cur = None
            continue
        prefix, label = tag[0], tag[2:]
        if cur is not None and prefix == "I" and cur[2] == label:
            cur[1] = tok.end
            continue
        cur = [tok.start, tok.end, label, i]
        out.append(cur)  # type: ignore[arg-type]
    return [tuple(c) for c in out]  # type: ignore[misc]


def read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / MANIFEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(
            f"{model_dir}: no {MANIFEST_FILE}: not a model of `annotate train`"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path}: unreadable manifest ({exc})") from None


def check_compatible(manifest: dict[str, Any], labelset: LabelSet, model_dir: Path) -> None:
    """Refuse a model trained on another label set or other targets (SchemaError)."""
    if manifest.get("features_version") != FEATURES_VERSION:
        raise SchemaError(
            f"{model_dir}: model features version {manifest.get('features_version')!r}, this "
            f"annotate reads {FEATURES_VERSION!r}: retrain with `annotate train`"
        )
    if manifest.get("label_set") != labelset.fingerprint():
        raise SchemaError(
            f"{model_dir}: the model was trained on label set {manifest.get('label_set')!r} "
            f"(labels {', '.join(manifest.get('labels', []))}; targets "
            f"{', '.join(manifest.get('targets', []))}), not this one "
            f"({labelset.fingerprint()}: labels {', '.join(labelset.entity_names)}; targets "
            f"{', '.join(labelset.target_ids)}): retrain it with `annotate train`"
        )


class LearnedAnnotator:
    """Rules plus the learned layer: the same predict() as PreAnnotator."""

    def __init__(self, model_dir: Path, labelset: LabelSet) -> None:
        import pycrfsuite

        self.manifest = read_manifest(model_dir)
        check_compatible(self.manifest, labelset, model_dir)
        self.labelset = labelset
        self.rules = preannotator(labelset)
        self.model_version = str(self.manifest["model_version"])
        lexicon = json.loads((model_dir / LEXICON_FILE).read_text(encoding="utf-8"))
        self.features = Featurizer(self.rules, LearnedLexicon(lexicon))
        self.coarse_default: dict[str, str] = self.manifest.get("coarse_default", {})
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(model_dir / MODEL_FILE))

    def spans(self, text: str) -> tuple[list[Mention], list[Mention]]:
        """(learned mentions, the rules' mentions) of one text."""
        tokens, xseq, rule_mentions = self.features.featurize(text)
        if not tokens:
            return [], rule_mentions
        tags = self.tagger.tag(xseq)
        ruled = {(m.start, m.end): m.label for m in rule_mentions}
        out: list[Mention] = []
        for s, e, label, first in decode(tokens, tags):
            score = self.tagger.marginal(tags[first], first)
            if "|" in label:
                options = label.split("|")
                r = ruled.get((s, e))
                label = r if r in options else self.coarse_default.get(label, options[0])
            out.append(Mention(s, e, label, "learned", int(score * 1000), text[s:e]))
        return out, rule_mentions

    def predict(self, text: str, article_id: str = "") -> dict[str, Any]:
        mentions, _rules = self.spans(text)
        return {
            "id": article_id,
            "model_version": self.model_version,
            "entities": [
                {
                    "start": m.start,
                    "end": m.end,
                    "label": m.label,
                    "text": m.text,
                    "score": round(m.strength / 1000, 3),
                    "source": SOURCE,
                }
                for m in mentions
            ],
            "stances": self.rules.stances.find(text, mentions),
        }
