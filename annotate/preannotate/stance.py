"""Stance triples (holder -> target -> support/oppose/neutral) from cue lexicons.

Why rules: targets are data (any topic, given its cue words), so the logic only knows the
shape of position statements in news: a holder (an entity span) before a position cue
("X called for", "X voted against", "X abstained"), the target mention the cue governs
(the next one in its clause, or, for "something X opposes" / "X abstained." / "it",
the nearest one before), negation and contrast ("only supports A and not B"), and
coordinated holders ("Britain, Canada and Japan all abstained": one stance each).
Documents with no target cue cost one regex search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotate.preannotate.entities import Mention
from annotate.preannotate.lexicon import Lexicon, load_lexicon
from annotate.preannotate.sentences import sentence_spans
from annotate.schemas import LabelSet

SCORES = {"cue": 0.6, "vote": 0.75, "neutral": 0.7, "contrast": 0.55, "back_reference": 0.45}

_REPORTING = re.compile(
    r"\b(?:said|says|told|tells|added|stated|according to|announced|insisted|argued|wrote)\b"
)
_THAT = re.compile(r"\bthat\b")
_BY_AFTER = re.compile(r"[ \t]+by[ \t]+(?:the[ \t]+)?")
_REF_NOUNS = (
    r"(?:resolution|proposal|plan|idea|measure|call|motion|deal|move|decision|bill|law"
    r"|legislation|package|policy|agreement|offer|initiative|process|scheme|text)s?"
)
_BACKREF_AFTER = re.compile(
    r"\s*(?:[.,;:!?\"”]|$|and\b|but\b|while\b|it\b|this\b|that\b|them\b|in (?:that|the) vote\b"
    rf"|(?:on|to|of) (?:it|this|that|(?:the|a|an|its|their) (?:[\w-]+ )?{_REF_NOUNS})\b"
    rf"|(?:the|a|an|its|their) (?:[\w-]+ )?{_REF_NOUNS}\b|as well\b|too\b)"
)
_BACKREF_BEFORE = re.compile(r"\b(?:which|something|that|it|this|what)\b[^.;]{0,40}$")
_LIST_GAP = re.compile(r"^\s*(?:,\s*(?:and\s+)?|and\s+|&\s+|or\s+)(?:the\s+)?$")
_LIST_LAST = re.compile(r"^\s*,?\s*(?:and|&|or)\s+(?:the\s+)?$")
# "Senator X, a Minnesota Democrat, urged": the holder is the name before the apposition.
_APPOSITION = re.compile(r"^\s*,\s*(?:a|an|the|who is)\b[^,;]{0,60},\s*(?:[a-z]+\s+){0,2}$")
# "X, who thanked Y and urged": a relative clause about X is still X speaking.
_WHO_AFTER = re.compile(r"^\s*,?\s*who\b")
# "A urged B to block C": the position is A's; B is only asked to act.
_URGE_TO = re.compile(
    r"\b(?:urged|urges|urging|asked|asks|called on|calls on|pressed|presses|pressing"
    r"|pushed|pushing|encouraged|encourages|told)\s+[^.;]{0,80}?\bto\s+$"
)
# An object, not a subject: "thanked Berlin and urged" (a past-tense verb right before it).
_OBJECT_BEFORE = re.compile(r"\b([a-z]{3,}ed)\s+(?:the\s+)?$")
_SUPPORTERS = re.compile(
    r"\b(?:(?P<support>[Ss]upporters|[Bb]ackers|[Pp]roponents)|(?P<oppose>[Oo]pponents|[Cc]ritics))"
    r"\b(?=\s+(?:include|included|including)\b)"
)
_MEMBER_GAP = re.compile(r"^\s*(?:,\s*|,?\s*and\s+)(?:the\s+)?(?:[\w'’-]+\s+){0,3}$")
# "has not said whether he will sign it": undecided, a neutral stance.
_WHETHER = re.compile(r"\bwhether\b[^.;]{0,30}$")
# A relative clause right before the reporting verb: "Rwanda, which U.N. experts say ..., said".
_RELATIVE_BEFORE = re.compile(r",\s*(?:which|who|whose|where)\b[^,]{0,80},\s*$")
_CLAUSE_BREAK = re.compile(
    r"\b(?:while|whereas|but|although|though|because|when|if|whose|who|which)\b|[;(]"
)
_NEGATED = re.compile(r"\b(?:not|never|no|n't|neither|nor)\b[^.,;]{0,12}$|n't\s+$")
_VOTE = re.compile(r"\b(?:vot|abstain)")
_WEAK_CUES = frozenset({"against", "wants", "want", "wanted", "sought", "seeks", "seeking"})
_REPORTING_WORDS = frozenset(["said", "told", "added", "stated", "announced", "insisted", "argued"])


@dataclass(slots=True)
class _Cue:
    start: int
    end: int
    label: str
    text: str


def _alternation(phrases: Sequence[str]) -> str:
    ordered = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


class StanceFinder:
    """Compiled target and cue patterns for one label set."""

    def __init__(self, labelset: LabelSet, lexicon: Lexicon | None = None) -> None:
        lex = lexicon or load_lexicon()
        self.holder_labels = frozenset(labelset.holder_labels)
        self.stance_labels = frozenset(labelset.stance_names)
        self.cue_to_target: dict[str, str] = {}
        for target in labelset.targets:
            for cue in target.cues:
                self.cue_to_target.setdefault(re.sub(r"\s+", " ", cue.lower().strip()), target.id)
        alt = _alternation(list(self.cue_to_target))
        self.targets_re = re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])", re.I) if alt else None
        groups = []
        for label in ("support", "oppose", "neutral"):
            if label in self.stance_labels and lex.stance.get(label):
                groups.append(rf"(?P<{label}>{_alternation(lex.stance[label])})")
        self.cues_re = re.compile(r"(?<![\w-])(?:" + "|".join(groups) + r")(?![\w-])", re.I)
        contrast = _alternation(lex.stance.get("contrast", []) + lex.stance.get("negation", []))
        self.contrast_re = re.compile(rf"(?<![\w-])(?:{contrast})(?![\w-])[^.,;]{{0,25}}$", re.I)

    def find(self, text: str, mentions: Sequence[Mention]) -> list[dict[str, Any]]:
        """All stance records of one document, in the public prediction format."""
        if self.targets_re is None:
            return []
        tmentions = [
            (m.start(), m.end(), self.cue_to_target[re.sub(r"\s+", " ", m.group().lower())])
            for m in self.targets_re.finditer(text)
        ]
        if not tmentions:
            return []
        holders = [m for m in mentions if m.label in self.holder_labels]
        out: dict[tuple[int, int, str, int], dict[str, Any]] = {}
        for s_start, s_end in sentence_spans(text):
            cues = [
                _Cue(c.start(), c.end(), c.lastgroup or "", c.group())
                for c in self.cues_re.finditer(text, s_start, s_end)
            ]
            group = _SUPPORTERS.search(text, s_start, s_end)
            if not cues and not group:
                continue
            sent_holders = [h for h in holders if s_start <= h.start and h.end <= s_end]
            if group:
                self._supporters(group, (s_start, s_end), sent_holders, tmentions, out, text)
            for k, cue in enumerate(cues):
                clause_end = cues[k + 1].start if k + 1 < len(cues) else s_end
                self._one_cue(
                    text, cue, clause_end, (s_start, s_end), sent_holders, holders, tmentions, out
                )
        return list(out.values())

    def _one_cue(
        self,
        text: str,
        cue: _Cue,
        clause_end: int,
        sentence: tuple[int, int],
        sent_holders: list[Mention],
        all_holders: list[Mention],
        tmentions: list[tuple[int, int, str]],
        out: dict[tuple[int, int, str, int], dict[str, Any]],
    ) -> None:
        s_start, s_end = sentence
        label, rule = cue.label, "cue"
        if _VOTE.match(cue.text.lower()):
            rule = "vote" if label != "neutral" else "neutral"
        elif label == "neutral":
            rule = "neutral"
        if label != "neutral" and _WHETHER.search(text, max(s_start, cue.start - 40), cue.start):
            label, rule = "neutral", "neutral"
        elif _NEGATED.search(text, max(s_start, cue.start - 20), cue.start):
            if label != "support":
                return
            label = "oppose"
        # Targets governed by the cue: mentions after it in its clause.
        after = [t for t in tmentions if cue.end <= t[0] < clause_end and t[0] - cue.end <= 120]
        holder_list = self._holders(text, cue, sent_holders, all_holders, s_start)
        if not holder_list:
            return
        if after:
            first = after[0]
            self._emit(out, holder_list, first, label, rule, sentence, text)
            opposite = {"support": "oppose", "oppose": "support"}.get(label)
            for t in after[1:]:
                if t[2] == first[2] or opposite is None:
                    continue
                if self.contrast_re.search(text, max(first[1], t[0] - 30), t[0]):
                    self._emit(out, holder_list, t, opposite, "contrast", sentence, text)
            return
        if cue.text.lower() in _WEAK_CUES:
            return
        before = [t for t in tmentions if t[1] <= cue.start and cue.start - t[1] <= 1500]
        if not before:
            return
        target = before[-1]
        backref = (
            rule in ("vote", "neutral")
            or not text[cue.end : s_end].strip(" \t.!?\"”'")
            or (target[1] > s_start and _BY_AFTER.match(text, cue.end))
            or _BACKREF_AFTER.match(text, cue.end)
            or (
                target[1] > s_start
                and _BACKREF_BEFORE.search(text, max(target[1], cue.start - 60), cue.start)
            )
        )
        if backref:
            self._emit(
                out,
                holder_list,
                target,
                label,
                "back_reference" if rule == "cue" else rule,
                sentence,
                text,
            )

    def _supporters(
        self,
        group: re.Match[str],
        sentence: tuple[int, int],
        sent_holders: list[Mention],
        tmentions: list[tuple[int, int, str]],
        out: dict[tuple[int, int, str, int], dict[str, Any]],
        text: str,
    ) -> None:
        """ "Supporters include A and B" / "Critics include A": one stance per listed holder."""
        after = [h for h in sent_holders if h.start >= group.end()]
        if not after or not re.fullmatch(
            r"\s+\w+\s+(?:the\s+|[a-z]+\s+){0,3}", text[group.end() : after[0].start]
        ):
            return
        named = after[:1]
        for h in after[1:]:  # the coordinated list only: "A, B and the C"
            if not _MEMBER_GAP.match(text[named[-1].end : h.start]):
                break
            named.append(h)
        inside = [t for t in tmentions if sentence[0] <= t[0] < sentence[1]]
        before = [t for t in tmentions if t[1] <= sentence[0] and sentence[0] - t[1] <= 1500]
        target = inside[0] if inside else (before[-1] if before else None)
        if target is not None:
            label = group.lastgroup or "support"
            self._emit(out, named, target, label, "back_reference", sentence, text)

    @staticmethod
    def _holders(
        text: str,
        cue: _Cue,
        sent_holders: list[Mention],
        all_holders: list[Mention],
        s_start: int,
    ) -> list[Mention]:
        """The cue's subject and any holders coordinated with it ("A, B and C abstained")."""
        # Passive: "vetoed by the United States".
        by = _BY_AFTER.match(text, cue.end)
        if by:
            for h in sent_holders:
                if h.start == by.end():
                    return [h]
        lo = s_start
        reports = list(_REPORTING.finditer(text, s_start, cue.start))
        if reports:
            last = reports[-1]
            lo = last.end()
            if last.group() == "told":
                that = _THAT.search(text, lo, cue.start)
                lo = that.end() if that else lo
        urge = _URGE_TO.search(text, max(lo, cue.start - 120), cue.start)
        hi = urge.start() if urge else cue.start
        before = [h for h in sent_holders if lo <= h.start and h.end <= hi]
        while len(before) > 1:
            obj = _OBJECT_BEFORE.search(text, max(s_start, before[-1].start - 20), before[-1].start)
            if obj and obj.group(1) not in _REPORTING_WORDS:
                before.pop()
                continue
            break
        if len(before) > 1:
            for k in range(len(before) - 2, -1, -1):
                if _APPOSITION.match(text[before[k].end : hi]):
                    before = before[: k + 1]
                    break
        if before:
            brk = _CLAUSE_BREAK.search(text, before[-1].end, hi)
            if brk and not (brk.group() == "who" and _WHO_AFTER.match(text[before[-1].end : hi])):
                return []
        if not before and reports:
            upto = reports[-1].start()
            rel = _RELATIVE_BEFORE.search(text, max(s_start, upto - 100), upto)
            if rel:
                upto = rel.start()
            before = [h for h in sent_holders if h.end <= upto]
        if not before:
            # A pronoun subject ("He rejected ..."): the last holder before the sentence.
            if not re.match(r"\s*(?:he|she|they|it|we)\b", text[s_start : cue.start], re.I):
                return []
            prior = [h for h in all_holders if h.end <= s_start and s_start - h.end < 400]
            return prior[-1:]
        chosen = [before[-1]]
        for h in reversed(before[:-1]):
            gap = text[h.end : chosen[-1].start]
            if len(chosen) == 1 and not _LIST_LAST.match(gap):
                break
            if _LIST_GAP.match(gap):
                chosen.append(h)
            else:
                break
        return chosen[::-1]

    def _emit(
        self,
        out: dict[tuple[int, int, str, int], dict[str, Any]],
        holders: list[Mention],
        target: tuple[int, int, str],
        label: str,
        rule: str,
        sentence: tuple[int, int],
        text: str,
    ) -> None:
        if label not in self.stance_labels:
            return
        for h in holders:
            key = (h.start, h.end, target[2], sentence[0])
            if key in out:
                continue
            out[key] = {
                "holder": {"start": h.start, "end": h.end, "label": h.label, "text": h.text},
                "target": target[2],
                "target_span": {"start": target[0], "end": target[1]},
                "label": label,
                "evidence": {"start": sentence[0], "end": sentence[1]},
                "score": SCORES[rule],
            }
