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

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from annotate import spans as sp
from annotate.errors import SchemaError
from annotate.judgement import Triple
from annotate.preannotate.crf import LinearChain
from annotate.preannotate.entities import Mention
from annotate.preannotate.model import PreAnnotator, preannotator
from annotate.preannotate.stance_model import STANCE_FILE, StanceModel
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
_NEWLINE = re.compile("\n")


@dataclass
class Example:
    """One article's gold for training: spans with a schema label, coarse spans."""

    key: str  # content hash: orders examples, splits folds by article
    text: str
    spans: list[tuple[int, int, str]]
    coarse: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    # the humans' stance triples; an article with none trains no stance (a CoNLL corpus
    # has no stance: its candidates are no negatives)
    triples: list[Triple] = field(default_factory=list)


def coarse_class(labels: Iterable[str]) -> str:
    return "|".join(sorted(labels))


@lru_cache(maxsize=1 << 17)
def _shape(w: str) -> str:
    """Word shape (Xxxx, dd.d), asked five times per word type: a word and its contexts."""
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


def rule_tags(
    starts: Sequence[int], ends: Sequence[int], mentions: Sequence[Mention]
) -> dict[int, tuple[str, str]]:
    """Token index -> (B-/I- tag, rule) for the tokens inside the rules' mentions, given
    the tokens' offsets (a later mention's tag wins a shared token)."""
    out: dict[int, tuple[str, str]] = {}
    n = len(ends)
    j = 0
    for m in sorted(mentions, key=lambda m: m.start):
        j = max(j, bisect.bisect_right(ends, m.start))
        k = j
        prefix = "B-"
        while k < n and starts[k] < m.end:
            out[k] = (prefix + str(m.label), m.rule)
            prefix = "I-"
            k += 1
    return out


def doc_labels(words: Sequence[str], rule_tag: Sequence[str]) -> dict[str, str]:
    """Document consistency: the label the rules gave each capitalised word most often
    in the article (the first seen on a tie)."""
    by_word: dict[str, dict[str, int]] = {}
    for w, tag in zip(words, rule_tag, strict=True):
        if tag != "O" and w[:1].isupper():
            counts = by_word.setdefault(w, {})
            counts[tag[2:]] = counts.get(tag[2:], 0) + 1
    # max() keeps the first of equal counts, in insertion order as Counter.most_common did
    return {w: max(c, key=c.__getitem__) for w, c in by_word.items()}


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
        starts, ends = [t.start for t in tokens], [t.end for t in tokens]
        for i, (tag, rule) in rule_tags(starts, ends, mentions).items():
            rule_tag[i], rule_name[i] = tag, rule
        words = [t.text for t in tokens]
        doc_label = doc_labels(words, rule_tag)
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
            f += self.rule_features(r, rule_name[i])
            f.append("r-1=" + (rule_tag[i - 1] if i else "^"))
            f.append("r+1=" + (rule_tag[i + 1] if i + 1 < n else "$"))
            dl = doc_label.get(w)
            if dl is not None:
                f += self.doc_features(dl, r == "O")
            if lex_tag[i]:
                f.append("ll=" + lex_tag[i])
            if i == 0 or "\n" in text[tokens[i - 1].end : tokens[i].start] or words[i - 1] in ".!?":
                f.append("bos")
            xseq.append(f)
        return tokens, xseq, mentions

    @staticmethod
    def rule_features(tag: str, rule: str) -> list[str]:
        """The features of the rules' tag at a token (which rule, when one fired)."""
        if tag == "O":
            return ["r=O"]
        return ["r=" + tag, "rr=" + rule, f"rl={rule}:{tag}"]

    @staticmethod
    def doc_features(label: str, missed: bool) -> list[str]:
        """Document consistency: the rules labeled this word so elsewhere in the article."""
        return ["dr=" + label, "dr-missed=" + label] if missed else ["dr=" + label]

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


class FastEmissions:
    """The CRF's emission scores of one article without feature strings per token.

    The same features as `Featurizer.featurize` (tests/test_learn.py checks the sums),
    but each word type's word and context features are summed into weight rows once and
    cached, so a token costs a few array gathers; only the tokens of rule mentions, of
    learned-lexicon hits and of words the rules labeled elsewhere are visited in Python.
    """

    _PAD = 0  # the id of "no word" (before the first and after the last token)

    def __init__(self, features: Featurizer, chain: LinearChain) -> None:
        self.f = features
        self.chain = chain
        width = len(chain.labels)
        # one zero row past the last attribute: every feature list sums at least it
        self._state = np.vstack([chain.state, np.zeros((1, width))])
        self._zero = len(chain.state)
        self.vocab: dict[str, int] = {"": self._PAD}
        self._cap = 1024
        self._word = np.zeros((self._cap, width))
        self._ctx = {k: np.zeros((self._cap, width)) for k in (-2, -1, 1, 2)}
        for k, rows in self._ctx.items():
            rows[self._PAD] = chain.vector([f"{k}pad"])
        self._ends = np.zeros(self._cap, dtype=bool)  # word in ".!?": next token is bos
        self._lex_first = np.zeros(self._cap, dtype=bool)
        self._tag: dict[str, int] = {}
        self._tag_rows: list[np.ndarray] = []
        self._tag_cur = np.zeros((0, width))
        self._tag_prev = np.zeros((0, width))
        self._tag_next = np.zeros((0, width))
        for tag in ("O", "^", "$"):
            self._tag_id(tag)
        self._cache: dict[tuple[str, ...], int] = {}
        self._pairs: dict[tuple[str, str], tuple[int, int]] = {}
        self._extra = np.zeros((0, width))
        self._extra_new: list[np.ndarray] = []
        self._lex_label: dict[str, str | None] = {}
        self._bos_row = self._extra_id(("bos",))

    def _ids(self, feats: list[str]) -> list[int]:
        get = self.chain.attributes.get
        return [self._zero] + [a for a in map(get, feats) if a is not None]

    def _sum(self, groups: list[list[str]]) -> np.ndarray:
        flat: list[int] = []
        offsets: list[int] = []
        for feats in groups:
            offsets.append(len(flat))
            flat += self._ids(feats)
        return np.add.reduceat(self._state[flat], offsets, axis=0)

    def _grow(self, need: int) -> None:
        cap = self._cap
        while cap < need:
            cap *= 2
        if cap == self._cap:
            return
        self._word = np.resize(self._word, (cap, self._word.shape[1]))
        self._ctx = {k: np.resize(v, (cap, v.shape[1])) for k, v in self._ctx.items()}
        self._ends = np.resize(self._ends, cap)
        self._lex_first = np.resize(self._lex_first, cap)
        self._cap = cap

    def _add_words(self, words: Iterable[str]) -> None:
        new = sorted(set(words) - self.vocab.keys())
        if not new:
            return
        base = len(self.vocab)
        self._grow(base + len(new))
        ids = slice(base, base + len(new))
        f = self.f
        self._word[ids] = self._sum([f.word_features(w) for w in new])
        for k, rows in self._ctx.items():
            rows[ids] = self._sum([f.context_features(w, k) for w in new])
        self._ends[ids] = [w in ".!?" for w in new]
        self._lex_first[ids] = [w in f.learned.first for w in new]
        for i, w in enumerate(new, base):
            self.vocab[w] = i

    def _tag_id(self, tag: str) -> int:
        tid = self._tag.get(tag)
        if tid is None:
            tid = self._tag[tag] = len(self._tag)
            cur, prev, nxt = self._sum([[f"r={tag}"], [f"r-1={tag}"], [f"r+1={tag}"]])
            self._tag_cur = np.vstack([self._tag_cur, cur])
            self._tag_prev = np.vstack([self._tag_prev, prev])
            self._tag_next = np.vstack([self._tag_next, nxt])
        return tid

    def _pair(self, tagged: tuple[str, str]) -> tuple[int, int]:
        """(tag id, `_extra` row of its rule features) of a rules' (tag, rule)."""
        tag, rule = tagged
        # the features of `Featurizer.rule_features` but its first, r=TAG: `_tag_cur` has it
        which = tuple(self.f.rule_features(tag, rule)[1:])
        got = self._pairs[tagged] = (self._tag_id(tag), self._extra_id(which))
        return got

    def _doc_row(self, label: str, missed: bool) -> int:
        return self._extra_id(tuple(self.f.doc_features(label, missed)))

    def _extra_id(self, feats: tuple[str, ...]) -> int:
        """The row of `_extra` (or of `_extra_new`, stacked later) summing ``feats``."""
        k = self._cache.get(feats)
        if k is None:
            k = self._cache[feats] = len(self._extra) + len(self._extra_new)
            self._extra_new.append(self.chain.vector(list(feats)))
        return k

    def emissions(self, text: str) -> tuple[list[int], list[int], np.ndarray, list[Mention]]:
        """(token starts, token ends, emission scores tokens x labels, the rules' mentions)."""
        words, starts, ends = sp.token_columns(text)
        mentions = [m for m in self.f.rules.entities.tag(text) if m.label]
        n = len(words)
        if not n:
            return starts, ends, np.zeros((0, len(self.chain.labels))), mentions
        got = list(map(self.vocab.get, words))
        if None in got:
            self._add_words(words)
            got = list(map(self.vocab.get, words))
        ids = np.array(got, dtype=np.intp)
        padded = np.concatenate([[self._PAD, self._PAD], ids, [self._PAD, self._PAD]])
        e = self._word[ids]
        e += self._ctx[-2][padded[0:n]]
        e += self._ctx[-1][padded[1 : n + 1]]
        e += self._ctx[1][padded[3 : n + 3]]
        e += self._ctx[2][padded[4 : n + 4]]
        ruled = rule_tags(starts, ends, mentions)
        tids = np.zeros(n + 2, dtype=np.intp)  # O everywhere, ^ and $ at the pads
        tids[0], tids[-1] = self._tag["^"], self._tag["$"]
        # token at[k] gets the cached row rows[k] of `_extra` added
        at = list(ruled)
        pairs = self._pairs
        tagged = [pairs.get(v) or self._pair(v) for v in ruled.values()]
        if at:
            tids[np.array(at) + 1] = [t for t, _row in tagged]
        rows = [row for _t, row in tagged]
        e += self._tag_cur[tids[1:-1]]
        e += self._tag_prev[tids[0:n]]
        e += self._tag_next[tids[2:]]
        doc_label = doc_labels([words[i] for i in at], [tag for tag, _r in ruled.values()])
        if doc_label:
            by_id = {self.vocab[w]: lab for w, lab in doc_label.items()}
            hits = [i for i, g in enumerate(got) if g in by_id]
            at += hits
            doc_row = self._doc_row
            rows += [doc_row(by_id[got[i]], i not in ruled) for i in hits]
        lexicon = self._lexicon_hits(words, ids)
        at += [i for i, _tag in lexicon]
        rows += [self._extra_id(("ll=" + tag,)) for _i, tag in lexicon]
        bos = set((np.flatnonzero(self._ends[ids[:-1]]) + 1).tolist())
        bos.add(0)
        if "\n" in text:
            bos.update(bisect.bisect_right(starts, m.start()) for m in _NEWLINE.finditer(text))
            bos.discard(n)
        at += bos
        rows += [self._bos_row] * len(bos)
        if self._extra_new:
            self._extra = np.vstack([self._extra, *self._extra_new])
            self._extra_new = []
        np.add.at(e, at, self._extra[rows])
        return starts, ends, e, mentions

    def _lexicon_hits(self, words: list[str], ids: np.ndarray) -> list[tuple[int, str]]:
        """`Featurizer._lexicon_tags` visiting only the words that start a surface."""
        out: list[tuple[int, str]] = []
        first = self.f.learned.first
        after = 0
        for i in np.flatnonzero(self._lex_first[ids]).tolist():
            if i < after:
                continue
            for toks in first[words[i]]:
                if tuple(words[i : i + len(toks)]) == toks:
                    surface = " ".join(toks)
                    if surface not in self._lex_label:
                        self._lex_label[surface] = self.f.learned.label(surface)
                    label = self._lex_label[surface]
                    if label is not None:
                        out.append((i, "B-" + label))
                        out += [(k, "I-" + label) for k in range(i + 1, i + len(toks))]
                        after = i + len(toks)
                        break
        return out


def bio_labels(tokens: Sequence[sp.Token], ex: Example) -> list[str]:
    """The training tags of one article: B-/I- per span; coarse spans tag their class."""
    tags = ["O"] * len(tokens)
    items = [(s, e, lab) for s, e, lab in ex.spans]
    items += [(s, e, coarse_class(labs)) for s, e, labs in ex.coarse]
    starts = [t.start for t in tokens]
    for s, e, label in sorted(items):
        i = bisect.bisect_left(starts, s)
        first = True
        while i < len(tokens) and tokens[i].start < e:
            if tags[i] == "O":
                tags[i] = ("B-" if first else "I-") + label
            first = False
            i += 1
    return tags


def decode(
    starts: Sequence[int],
    ends: Sequence[int],
    tags: Sequence[str],
    inside: Iterable[int] | None = None,
) -> list[tuple[int, int, str, int]]:
    """(start, end, label, first token index) of each B-/I- run; ``inside``: the indices
    of the tags that are not O, when the caller knows them."""
    out: list[tuple[int, int, str, int]] = []
    cur: list[Any] | None = None
    last = -2
    for i in inside if inside is not None else range(len(tags)):
        tag = tags[i]
        if tag == "O":
            continue
        label = tag[2:]
        if cur is not None and last == i - 1 and tag[0] == "I" and cur[2] == label:
            cur[1] = ends[i]
        else:
            cur = [starts[i], ends[i], label, i]
            out.append(cur)  # type: ignore[arg-type]
        last = i
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

    def __init__(self, model_dir: Path, labelset: LabelSet, *, crfsuite: bool = False) -> None:
        """``crfsuite``: decode with pycrfsuite's Tagger (feature strings per token, exact
        marginals) instead of `crf.LinearChain`; the tests compare the two."""
        self.manifest = read_manifest(model_dir)
        check_compatible(self.manifest, labelset, model_dir)
        self.labelset = labelset
        self.rules = preannotator(labelset)
        self.model_version = str(self.manifest["model_version"])
        lexicon = json.loads((model_dir / LEXICON_FILE).read_text(encoding="utf-8"))
        self.features = Featurizer(self.rules, LearnedLexicon(lexicon))
        self.coarse_default: dict[str, str] = self.manifest.get("coarse_default", {})
        self.crfsuite = crfsuite
        model_file = model_dir / MODEL_FILE
        try:
            self.chain = LinearChain.load(model_file)
        except (OSError, ValueError) as exc:
            raise SchemaError(
                f"{model_file}: unreadable CRF model ({exc}): retrain with `annotate train`"
            ) from None
        if crfsuite:
            import pycrfsuite

            self.tagger = pycrfsuite.Tagger()
            self.tagger.open(str(model_file))
        self.fast = FastEmissions(self.features, self.chain)
        stance = model_dir / STANCE_FILE
        self.stance: StanceModel | None = None
        if stance.is_file():
            self.stance = StanceModel(json.loads(stance.read_text(encoding="utf-8")))

    def _runs(
        self, text: str
    ) -> tuple[list[tuple[int, int, str, int]], list[float], list[Mention]]:
        """(the tagged runs as `decode` gives them, the marginal of each run's first tag,
        the rules' mentions)."""
        if self.crfsuite:
            tokens, xseq, mentions = self.features.featurize(text)
            if not tokens:
                return [], [], mentions
            tags = self.tagger.tag(xseq)
            runs = decode([t.start for t in tokens], [t.end for t in tokens], tags)
            return runs, [self.tagger.marginal(tags[r[3]], r[3]) for r in runs], mentions
        starts, ends, emissions, mentions = self.fast.emissions(text)
        if not starts:
            return [], [], mentions
        path = self.chain.viterbi(emissions)
        tags = self.chain.labels
        inside = np.flatnonzero(path != self.chain.outside).tolist()
        runs = decode(starts, ends, [tags[y] for y in path.tolist()], inside)
        firsts = [r[3] for r in runs]
        scores = self.chain.marginals(emissions, firsts, path[firsts].tolist()).tolist()
        return runs, scores, mentions

    def spans(self, text: str) -> tuple[list[Mention], list[Mention]]:
        """(learned mentions, the rules' mentions) of one text."""
        runs, scores, rule_mentions = self._runs(text)
        ruled = {(m.start, m.end): m.label for m in rule_mentions}
        out: list[Mention] = []
        for (s, e, label, _first), score in zip(runs, scores, strict=True):
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
            "stances": self.stances(text, mentions),
        }

    def stances(self, text: str, mentions: Sequence[Mention]) -> list[dict[str, Any]]:
        """The stance rules' triples over the learned mentions, relabeled or dropped by
        the stance classifier when the model has one."""
        ruled = self.rules.stances.find(text, mentions)
        if self.stance is None:
            return ruled
        return self.stance.find(text, mentions, ruled, self.rules.stances)
