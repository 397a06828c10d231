"""Stance triples (holder -> target -> support/oppose/neutral) from cue lexicons.

Why rules: targets are data (any topic, given its cue words), so the logic only knows the
shape of position statements in news: a holder (an entity span) before a position cue
("X called for", "X voted against", "X abstained"), the target mention the cue governs
(the next one in its clause, or, for "something X opposes" / "X abstained." / "it",
the nearest one before), negation and contrast ("only supports A and not B"), and
coordinated holders ("Britain, Canada and Japan all abstained": one stance each, also
before a relative clause), quotations (the speaker holds what the quote says, a "he said"
pointing to the previous sentence's person), positions by contrast ("favours talks, not a
ceasefire", "pauses are not at the heart of our position"). One triple per actor and target
per article comes out (`StanceFinder.aggregate`). Documents with no target cue cost one
regex search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annotate.judgement import same_actor
from annotate.preannotate.entities import Mention
from annotate.preannotate.labels import RuleLabels
from annotate.preannotate.lexicon import Lexicon, load_lexicon
from annotate.schemas import LabelSet
from annotate.spans import sentences

SCORES = {
    "judgement": 0.5,
    "cue": 0.6,
    "vote": 0.75,
    "undecided": 0.7,
    "contrast": 0.55,
    "back_reference": 0.45,
}

_REPORTING = re.compile(
    r"\b(?:said|says|told|tells|added|stated|according to|announced|insisted|argued|wrote)\b"
)
_THAT = re.compile(r"\bthat\b")
_BY_AFTER = re.compile(r"[ \t]+by[ \t]+(?:the[ \t]+)?")
_REF_NOUNS = (
    r"(?:resolution|proposal|plan|idea|measure|call|motion|deal|move|decision|bill|law"
    r"|legislation|package|policy|agreement|offer|initiative|process|scheme|text|draft|appeal"
    r"|request|vote)s?"
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
_WHO_AFTER = re.compile(r"^\s*,?\s*(?:who|which)\b")
# "A urged B to block C": the position is A's; B is only asked to act.
_URGE_TO = re.compile(
    r"\b(?:urged|urges|urging|asked|asks|called on|calls on|pressed|presses|pressing"
    r"|pushed|pushing|encouraged|encourages|told)\s+[^.;]{0,80}?\bto\s+$"
)
# An object, not a subject: "thanked Berlin and urged" (a past-tense verb right before it).
_OBJECT_BEFORE = re.compile(r"\b([a-z]{3,}ed)\s+(?:the\s+)?$")
_SUPPORTERS = re.compile(
    r"\b(?:(?P<pro>[Ss]upporters|[Bb]ackers|[Pp]roponents)|(?P<con>[Oo]pponents|[Cc]ritics))"
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
_NEGATED = re.compile(
    r"\b(?:not|never|no|n't|neither|nor)\b[^.,;]{0,12}$|n't\s+$"
    r"|\b(?:refus\w*|declin\w*|fail\w*|unwilling|reluctant|yet|hesitant) to\s+(?:\w+\s+)?$"
    r"|\bstop\w* short of\s+$"
)
# "X would not take sides but wanted Y": the subject carries over to the second verb.
_SAME_SUBJECT = re.compile(
    r"(?:but|while)\s+(?:(?:also|then|still|would|will|has|have|had|did|does|do|was|is|were"
    r"|are|could|can|not|n't|said|says)\s+)*(?:(?:it|he|she|they|we)\s+)?"
)
# Judgements: "called the tariffs 'unjustified'", "the duties were needed".
_CALLED = re.compile(r"\b(?:called|calls|calling|described|describes|labell?ed|branded|dubbed)\b")
_CALLED_OBJ = re.compile(r"\s+(?:[\w%-]+\s+){0,3}")
_REF_NP = re.compile(rf"\s+(?:the|this|that|its|their)\s+(?:[\w-]+\s+)?{_REF_NOUNS}\b")
_COPULA = re.compile(
    r"(?:\s+[\w%-]+){0,4}?\s+(?:is|was|were|are|would be|will be|has been|have been|had been"
    r"|would|will|could)\b"
)
_SAID_AFTER = re.compile(
    r"[,\"”]\s*[\"”]?\s*(?:(?P<pron>he|she)\s+(?:said|added|says)|(?:said|added|says))\b"
)
_DIRECT_OBJECT = re.compile(
    r"\s+(?:(?!(?:that|whether|if|after|before|when|as|talks|on)\b)[\w%$.,'’-]+\s+){0,6}"
)
_VOTE = re.compile(r"\b(?:vot|abstain)")
_REPORTING_WORDS = frozenset(["said", "told", "added", "stated", "announced", "insisted", "argued"])
# A quotation the sentence opens with, and who said it after the closing quote.
_QUOTE_OPEN = re.compile(r"\s*[\"“]")
_QUOTE_CLOSE = re.compile(r"[,.!?]?[\"”]")
_QUOTE_PRONOUN = re.compile(
    r"\s*,?\s*(?:he|she)\s+(?:said|added|says|told|wrote|argued|insisted)\b"
)
_SPEECH = re.compile(r"\b(?:said|says|added|told|wrote|argued|insisted|stated|tweeted)\b")
# "A, B and C, which vetoed ..., welcomed": the relative clause is not the subject.
_RELATIVE_TAIL = re.compile(r",\s*(?:which|who)\b[^,;]{0,100},\s*(?:[a-z]+\s+){0,2}$")
# "We favour a phase-down, not a coal exit": the target after "not" gets the opposite label.
# "opposed the call for a ceasefire", "rejected calls for a truce": a cue word used as the
# noun the verb before it governs; the verb's label reaches the target.
_NOMINAL_CUES = frozenset(["call for", "calls for", "demand for", "demands for", "appeal for"])
_NOMINAL_GAP = re.compile(
    r"\s+(?:(?:the|a|an|its|their|his|her|any|renewed|growing|fresh|new)\s+){0,2}"
)
_NOT_BEFORE = re.compile(
    r"\S\s*(?:,\s*(?:but\s+)?not|\brather than|\binstead of)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}$"
)
# "Pauses are not at the heart of our position": a target rejected as the aim.
_NOT_THE_AIM = re.compile(
    r"(?:\s+[\w-]+){0,4}?\s+(?:is|are|was|were)\s+not\s+(?:at the (?:heart|core|centre|center)"
    r" of|enough)\b"
)


@dataclass(slots=True)
class _Cue:
    start: int
    end: int
    label: str
    text: str


def _alternation(phrases: Sequence[str]) -> str:
    ordered = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


def _lower_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    """The phrases as whole words of lower-cased text, led by a lookahead of their first
    characters (the engine then skips in C to where one can start)."""
    firsts = "".join(sorted({re.escape(p.strip()[0]) for p in phrases if p.strip()}))
    if not firsts:
        return re.compile(r"(?!)")  # no phrase: matches nothing
    return re.compile(rf"(?=[{firsts}])(?<![\w-])(?:{_alternation(phrases)})(?![\w-])")


def _cue_key(matched: str, table: dict[str, Any]) -> str:
    """The phrase of `table` a cue pattern matched. re.I matches a few letters that
    str.lower does not turn into the phrase's ("ſ" for "s", "ı" and "İ" for "i"): for
    those rare matches, the phrase is found by asking each phrase's own pattern."""
    key = re.sub(r"\s+", " ", matched.lower())
    if key in table:
        return key
    return next(k for k in table if re.fullmatch(_alternation([k]), matched, re.I))


def _drop_appositions(text: str, before: list[Mention], hi: int) -> list[Mention]:
    """ "Senator X, a Minnesota Democrat, said": X, not the names inside the apposition."""
    if len(before) > 1:
        for k in range(len(before) - 2, -1, -1):
            if _APPOSITION.match(text[before[k].end : hi]):
                return before[: k + 1]
    return before


class StanceFinder:
    """Compiled target and cue patterns for one label set."""

    def __init__(
        self,
        labelset: LabelSet,
        lexicon: Lexicon | None = None,
        labels: RuleLabels | None = None,
    ) -> None:
        labels = labels or RuleLabels.from_labelset(labelset)
        lex = lexicon or load_lexicon(labels)
        self.holder_labels = frozenset(labelset.holder_labels)
        # Label words bound once: the rules compare and emit these, never literals.
        self.person, self.org, self.gpe = labels.person, labels.org, labels.gpe
        self.support, self.oppose, self.neutral = labels.support, labels.oppose, labels.neutral
        self.opposite = {labels.support: labels.oppose, labels.oppose: labels.support}
        self.org_or_gpe = frozenset([labels.org, labels.gpe])
        self.cue_to_target: dict[str, str] = {}
        for target in labelset.targets:
            for cue in target.cues:
                self.cue_to_target.setdefault(re.sub(r"\s+", " ", cue.lower().strip()), target.id)
        alt = _alternation(list(self.cue_to_target))
        self.object_only = frozenset(lex.stance.get("object_only", []))
        self.roles = frozenset(r.lower() for r in lex.roles if " " not in r)
        nouns = _alternation(sorted(self.roles | set(lex.stance.get("group_nouns", []))))
        self.definite_re = re.compile(
            rf"\s*(?:that\s+)?[\"“]?(?:[Tt]he|[Ii]ts|[Tt]heir)\s+(?:[\w-]+\s+){{0,2}}?"
            rf"(?P<noun>{nouns})(?![\w-])(?!\s+(?:of|for|in|at)\b)",
        )
        self.targets_re = re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])", re.I) if alt else None
        # The same over lower-cased text (`_lowered`), led by a lookahead of the cues' first
        # characters so the engine skips in C to where a cue can start: twice as fast.
        self.targets_low = _lower_pattern(list(self.cue_to_target)) if alt else None
        # "the package" after "an aid package" in the same paragraph: the head noun of a
        # two-word cue refers back to its target.
        self.heads: dict[str, set[str]] = {}
        for cue, tid in self.cue_to_target.items():
            words = cue.split()
            if len(words) != 2 or not re.fullmatch(r"[a-z][a-z-]{2,}", words[1]):
                continue
            head = words[1]
            for form in (head, head[:-1] if head.endswith("s") else head + "s"):
                if form not in self.cue_to_target:
                    self.heads.setdefault(form, set()).add(tid)
        halt = _alternation(list(self.heads))
        self.heads_re = (
            re.compile(
                rf"\b(?:[Tt]he|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose|[Ii]ts|[Tt]heir)\s+"
                rf"(?:[a-z][\w-]*\s+)?(?P<head>{halt})(?![\w-])",
                re.I,
            )
            if halt
            else None
        )
        evals = []
        for pol in ("positive", "negative"):
            if lex.stance.get(f"{pol}_eval"):
                evals.append(rf"(?P<{pol}>{_alternation(lex.stance[f'{pol}_eval'])})")
        self.eval_re = (
            re.compile(
                r"\s*(?:as\s+)?[\"“]?(?:[^\"”.;]{0,30}?\s)??[\"“]?(?P<word>(?:"
                + "|".join(evals)
                + r"))(?![\w-])",
                re.I,
            )
            if evals
            else None
        )
        # One alternation, longest phrase first across labels: "raised concerns about"
        # (oppose) wins over "raised" (support).
        self.cue_label: dict[str, str] = {}
        for key, label in labels.stance_cue_keys():
            for phrase in lex.stance.get(key) or []:
                self.cue_label.setdefault(re.sub(r"\s+", " ", phrase.lower().strip()), label)
        self.cues_re = re.compile(
            rf"(?<![\w-])(?:{_alternation(list(self.cue_label))})(?![\w-])", re.I
        )
        self.cues_low = _lower_pattern(list(self.cue_label))
        # re.I folds three letters onto ASCII ones that str.lower does not ("İ", "ı", "ſ"):
        # with ASCII cues, those are the only texts where the lower-case patterns differ.
        self.ascii_cues = all(c.isascii() for c in [*self.cue_to_target, *self.cue_label])
        contrast = _alternation(lex.stance.get("contrast", []) + lex.stance.get("negation", []))
        self.contrast_re = re.compile(rf"(?<![\w-])(?:{contrast})(?![\w-])[^.,;]{{0,25}}$", re.I)

    def _lowered(self, text: str) -> str | None:
        """`text.lower()` when the lower-case patterns find in it exactly what the re.I ones
        find in `text`: every offset kept ("İ" -> "i̇" moves them) and no "ı" or "ſ"."""
        if not self.ascii_cues:
            return None
        low = text.lower()
        if len(low) != len(text) or "ı" in text or "ſ" in text:
            return None
        return low

    def target_mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, target id) of every cue of a configured target, longest cue first."""
        return self._target_mentions(text, self._lowered(text))

    def _target_mentions(self, text: str, low: str | None) -> list[tuple[int, int, str]]:
        if self.targets_re is None or self.targets_low is None:
            return []
        found = (
            self.targets_low.finditer(low) if low is not None else self.targets_re.finditer(text)
        )
        return [
            (m.start(), m.end(), self.cue_to_target[_cue_key(m.group(), self.cue_to_target)])
            for m in found
        ]

    def find(self, text: str, mentions: Sequence[Mention]) -> list[dict[str, Any]]:
        """All stance records of one document, in the public prediction format."""
        low = self._lowered(text)
        tmentions = self._target_mentions(text, low)
        if not tmentions:
            return []
        if self.heads_re is not None:
            tmentions = self._head_mentions(text, tmentions)
        holders = [m for m in mentions if m.label in self.holder_labels]
        out: dict[tuple[int, int, str, int], dict[str, Any]] = {}
        prev: tuple[int, int] = (0, 0)
        for s_start, s_end in sentences(text):
            sentence = (s_start, s_end, *prev)
            prev = (s_start, s_end)
            found = (
                self.cues_low.finditer(low, s_start, s_end)
                if low is not None
                else self.cues_re.finditer(text, s_start, s_end)
            )
            cues = [
                _Cue(
                    c.start(),
                    c.end(),
                    self.cue_label[_cue_key(c.group(), self.cue_label)],
                    text[c.start() : c.end()],
                )
                for c in found
            ]
            cues = [
                c
                for k, c in enumerate(cues)
                if not (
                    k
                    and re.sub(r"\s+", " ", c.text.lower()) in _NOMINAL_CUES
                    and _NOMINAL_GAP.fullmatch(text, cues[k - 1].end, c.start)
                )
            ]
            group = _SUPPORTERS.search(text, s_start, s_end)
            aims = [
                t for t in tmentions if s_start <= t[0] < s_end and _NOT_THE_AIM.match(text, t[1])
            ]
            if not cues and not group and not aims:
                if self.eval_re is not None:
                    sent_holders = [h for h in holders if s_start <= h.start and h.end <= s_end]
                    self._judgements(text, sentence, sent_holders, holders, tmentions, out)
                continue
            sent_holders = [h for h in holders if s_start <= h.start and h.end <= s_end]
            if group:
                self._supporters(group, (s_start, s_end), sent_holders, tmentions, out, text)
            for t in aims:
                aim = _Cue(t[0], t[0], self.oppose, "")
                named = self._holders(text, aim, sent_holders, holders, sentence)
                if named:
                    self._emit(out, named, t, self.oppose, "contrast", sentence, text)
            for k, cue in enumerate(cues):
                clause_end = cues[k + 1].start if k + 1 < len(cues) else s_end
                self._one_cue(
                    text, cue, clause_end, sentence, sent_holders, holders, tmentions, out
                )
            if self.eval_re is not None:
                self._judgements(text, sentence, sent_holders, holders, tmentions, out)
        return self.aggregate(list(out.values()))

    def aggregate(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One triple per (actor, target) of the article, the annotator's unit.

        Mentions of one actor (`annotate.judgement.same_actor`: "Newsom" / "Gavin Newsom",
        "U.S." / "United States") are grouped per target; the label with the largest summed
        score wins (ties: the strongest single finding, then the earliest), its best-scored
        sentence is the evidence, and the group's other sentences stay in `other_evidence`
        so the annotator can see every sentence the rules read. Fewer, surer arrows per task.
        """
        groups: list[list[dict[str, Any]]] = []
        for rec in sorted(records, key=lambda r: (r["evidence"]["start"], r["holder"]["start"])):
            name = rec["holder"]["text"]
            for g in groups:
                if g[0]["target"] == rec["target"] and any(
                    same_actor(x["holder"]["text"], name) for x in g
                ):
                    g.append(rec)
                    break
            else:
                groups.append([rec])
        out = []
        for g in groups:
            weight: dict[str, float] = {}
            for r in g:
                weight[r["label"]] = weight.get(r["label"], 0.0) + r["score"]
            label = max(
                weight,
                key=lambda lab: (weight[lab], max(r["score"] for r in g if r["label"] == lab)),
            )
            best = max((r for r in g if r["label"] == label), key=lambda r: r["score"])
            rec = dict(best)
            others = [
                {
                    "holder": {"start": r["holder"]["start"], "end": r["holder"]["end"]},
                    "evidence": r["evidence"],
                    "label": r["label"],
                    "score": r["score"],
                    "source": r["source"],
                }
                for r in g
                if r is not best
            ]
            if others:
                rec["other_evidence"] = others
            out.append(rec)
        return out

    def _judgements(
        self,
        text: str,
        sentence: tuple[int, int, int, int],
        sent_holders: list[Mention],
        all_holders: list[Mention],
        tmentions: list[tuple[int, int, str]],
        out: dict[tuple[int, int, str, int], dict[str, Any]],
    ) -> None:
        """ "X called the plan 'a fantasy'" / "X said the duties were needed": a judgement of
        the target, positive (support) or negative (oppose), held by the one who calls it."""
        assert self.eval_re is not None
        s_start, s_end = sentence[:2]
        found: list[tuple[int, int, tuple[int, int, str]]] = []  # (verb start, verb end, target)
        for v in _CALLED.finditer(text, s_start, s_end):
            inside = [
                t
                for t in tmentions
                if v.end() < t[0] <= v.end() + 30 and _CALLED_OBJ.fullmatch(text, v.end(), t[0])
            ]
            if inside:
                found.append((v.start(), inside[0][1], inside[0]))
                continue
            ref = _REF_NP.match(text, v.end())
            prior = [t for t in tmentions if t[1] <= v.start() and v.start() - t[1] <= 1500]
            if ref and prior:
                found.append((v.start(), ref.end(), prior[-1]))
        for t in tmentions:
            if s_start <= t[0] and t[1] <= s_end:
                cop = _COPULA.match(text, t[1])
                if cop:
                    found.append((t[0], cop.end(), t))
        for v_start, at, target in found:
            ev = self.eval_re.match(text, at)
            if not ev:
                continue
            label = self.support if ev.group("positive") else self.oppose
            if _NEGATED.search(text, at, ev.start("word")):
                label = self.opposite[label]
            cue = _Cue(v_start, v_start, label, "")
            holders = self._holders(text, cue, sent_holders, all_holders, sentence)
            if not holders:
                tail = _SAID_AFTER.search(text, ev.end(), s_end)
                if tail and tail.group("pron"):
                    holders = self._previous_person(all_holders, sentence)
                elif tail:
                    after = [h for h in sent_holders if h.start >= tail.end()]
                    if after and after[0].label == self.person and after[0].start - tail.end() < 40:
                        holders = after[:1]
            if holders:
                self._emit(out, holders, target, label, "judgement", sentence, text)

    def _head_mentions(
        self, text: str, tmentions: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        """Add "the <head>" mentions of a target named earlier in the same paragraph."""
        assert self.heads_re is not None
        extra = []
        for m in self.heads_re.finditer(text, tmentions[0][1]):
            para = text.rfind("\n\n", 0, m.start())
            tids = self.heads[m.group("head").lower()]
            lo = min(para, m.start() - 600)
            prior = [t for t in tmentions if lo < t[0] and t[1] <= m.start() and t[2] in tids]
            if prior and not any(t[0] <= m.start() < t[1] for t in tmentions):
                extra.append((m.start("head"), m.end("head"), prior[-1][2]))
        return sorted(tmentions + extra) if extra else tmentions

    def _one_cue(
        self,
        text: str,
        cue: _Cue,
        clause_end: int,
        sentence: tuple[int, int, int, int],
        sent_holders: list[Mention],
        all_holders: list[Mention],
        tmentions: list[tuple[int, int, str]],
        out: dict[tuple[int, int, str, int], dict[str, Any]],
    ) -> None:
        s_start, s_end = sentence[:2]
        label, rule = cue.label, "cue"
        if _VOTE.match(cue.text.lower()):
            rule = "vote" if label != self.neutral else "undecided"
        elif label == self.neutral:
            rule = "undecided"
        if label != self.neutral and _WHETHER.search(text, max(s_start, cue.start - 40), cue.start):
            label, rule = self.neutral, "undecided"
        elif _NEGATED.search(text, max(s_start, cue.start - 20), cue.start):
            if label != self.support:
                return
            label = self.oppose
        # Targets governed by the cue: mentions after it in its clause.
        after = [t for t in tmentions if cue.end <= t[0] < clause_end and t[0] - cue.end <= 120]
        if re.sub(r"\s+", " ", cue.text.lower()) in self.object_only:
            # "announced a truce", not "announced on Tuesday that talks on a truce stalled".
            after = [t for t in after if _DIRECT_OBJECT.fullmatch(text, cue.end, t[0])]
        holder_list = self._holders(text, cue, sent_holders, all_holders, sentence)
        if not holder_list:
            return
        if after:
            first = after[0]
            opposite = self.opposite.get(label)
            if opposite is not None and _NOT_BEFORE.search(text, cue.end, first[0]):
                self._emit(out, holder_list, first, opposite, "contrast", sentence, text)
                return
            self._emit(out, holder_list, first, label, rule, sentence, text)
            for t in after[1:]:
                if t[2] == first[2] or opposite is None:
                    continue
                if self.contrast_re.search(text, max(first[1], t[0] - 30), t[0]):
                    self._emit(out, holder_list, t, opposite, "contrast", sentence, text)
            return
        if re.sub(r"\s+", " ", cue.text.lower()) in self.object_only:
            return
        before = [t for t in tmentions if t[1] <= cue.start and cue.start - t[1] <= 1500]
        if not before:
            return
        target = before[-1]
        backref = (
            rule in ("vote", "undecided")
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
            label = self.oppose if group.lastgroup == "con" else self.support
            self._emit(out, named, target, label, "back_reference", sentence, text)

    def _holders(
        self,
        text: str,
        cue: _Cue,
        sent_holders: list[Mention],
        all_holders: list[Mention],
        sentence: tuple[int, int, int, int],
    ) -> list[Mention]:
        """The cue's subject and any holders coordinated with it ("A, B and C abstained").

        A person reporting their government's position ("Minister X said Warsaw opposed")
        holds it: the stance goes to the speaker, not to the capital named in the clause.
        So does the speaker of a quotation ("we want a truce," X said), also when the
        speaker is a pronoun whose person is the previous sentence's ("X met the envoys.
        'There is no truce,' he said").
        """
        quoted = self._quote_speaker(text, cue, sent_holders, all_holders, sentence)
        if quoted is not None:
            return quoted
        chosen, embedded = self._subject(text, cue, sent_holders, all_holders, sentence)
        if len(chosen) == 1 and chosen[0].label == self.gpe and not _VOTE.match(cue.text.lower()):
            speaker = self._speaker(text, cue, sent_holders, sentence)
            if speaker is not None and (embedded or speaker.start > cue.start):
                return [speaker]
        return chosen

    def _previous_person(
        self, all_holders: list[Mention], sentence: tuple[int, int, int, int]
    ) -> list[Mention]:
        """The person a "he" or "she" points back to: the first one named in the previous
        sentence (its subject, in news prose), else the last person named before."""
        s_start, _, p_start, p_end = sentence
        people = [h for h in all_holders if h.label == self.person and h.end <= s_start]
        inside = [h for h in people if p_start <= h.start and h.end <= p_end]
        if inside:
            return inside[:1]
        return [h for h in people if s_start - h.end < 400][-1:]

    def _quote_speaker(
        self,
        text: str,
        cue: _Cue,
        sent_holders: list[Mention],
        all_holders: list[Mention],
        sentence: tuple[int, int, int, int],
    ) -> list[Mention] | None:
        """The speaker of the quotation the cue stands in, or None when the cue is not
        quoted or the quotation names its own subject (a person or organisation)."""
        s_start, s_end = sentence[:2]
        op = _QUOTE_OPEN.match(text, s_start)
        if not op or cue.start < op.end():
            return None
        close = _QUOTE_CLOSE.search(text, max(op.end(), cue.end), s_end)
        if not close:
            return None
        inside = [h for h in sent_holders if op.end() <= h.start and h.end <= cue.start]
        if inside and inside[-1].label != self.gpe:
            return None
        tail = close.end()
        if _QUOTE_PRONOUN.match(text, tail):
            return self._previous_person(all_holders, sentence) or None
        if not _SPEECH.search(text, tail, s_end):
            return None
        after = [h for h in sent_holders if h.start >= tail and h.label == self.person]
        return after[:1] or None

    def _speaker(
        self,
        text: str,
        cue: _Cue,
        sent_holders: list[Mention],
        sentence: tuple[int, int, int, int],
    ) -> Mention | None:
        """The PERSON reporting the sentence: "Minister X said ..." or "..., X said"."""
        s_start, s_end = sentence[:2]
        for rep in _REPORTING.finditer(text, s_start, s_end):
            if rep.start() < cue.start:
                subj = [h for h in sent_holders if h.end <= rep.start()]
                subj = _drop_appositions(text, subj, rep.start())
                if subj and subj[-1].label == self.person:
                    gap = text[subj[-1].end : rep.start()]
                    if re.fullmatch(r"\s*(?:,[^,]{0,60},\s*)?", gap):
                        return subj[-1]
            else:
                subj = [h for h in sent_holders if rep.end() <= h.start]
                prev = [h for h in sent_holders if cue.end <= h.end <= rep.start()]
                if (
                    subj
                    and subj[0].label == self.person
                    and re.fullmatch(
                        r"\s*(?:[A-Z][\w.-]*\s+){0,4}", text[rep.end() : subj[0].start]
                    )
                ):
                    return subj[0]
                if prev and prev[-1].label == self.person:
                    gap = text[prev[-1].end : rep.start()]
                    if re.fullmatch(r"\s*", gap):
                        return prev[-1]
        return None

    def _definite(
        self, text: str, at: int, all_holders: list[Mention], people_only: bool = False
    ) -> tuple[bool, list[Mention]]:
        """ "The department ..." / "the governor ...": the actor named before, if any.

        After a reporting verb only a person counts ("his spokesperson said the governor
        ..."); "spokesman X said the group rejected" is the spokesman's stance.
        """
        m = self.definite_re.match(text, at)
        if not m or (people_only and m.group("noun").lower() not in self.roles):
            return False, []
        noun = m.group("noun").lower()
        prior = [h for h in all_holders if h.end <= at and at - h.end < 1500]
        if noun in self.roles:
            people = [h for h in prior if h.label == self.person]
            titled = [h for h in people if noun in text[max(0, h.start - 40) : h.start].lower()]
            return True, (titled or people)[-1:]
        orgs = [h for h in prior if h.label in self.org_or_gpe]
        named = [h for h in orgs if noun in h.text.lower()]
        pick = named or [h for h in orgs if h.label == self.org]
        return True, pick[-1:]

    def _subject(
        self,
        text: str,
        cue: _Cue,
        sent_holders: list[Mention],
        all_holders: list[Mention],
        sentence: tuple[int, int, int, int],
    ) -> tuple[list[Mention], bool]:
        """The cue's subject(s), and whether they stand in a clause reported by a verb."""
        s_start = sentence[0]
        # Passive: "vetoed by the United States".
        by = _BY_AFTER.match(text, cue.end)
        if by:
            for h in sent_holders:
                if h.start == by.end():
                    return [h], False
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
        rel = _RELATIVE_TAIL.search(text, max(lo, hi - 140), hi)
        if rel and any(lo <= h.start and h.end <= rel.start() for h in sent_holders):
            hi = rel.start()
        before = [h for h in sent_holders if lo <= h.start and h.end <= hi]
        while len(before) > 1:
            obj = _OBJECT_BEFORE.search(text, max(s_start, before[-1].start - 20), before[-1].start)
            if obj and obj.group(1) not in _REPORTING_WORDS:
                before.pop()
                continue
            break
        before = _drop_appositions(text, before, hi)
        if before:
            brk = _CLAUSE_BREAK.search(text, before[-1].end, hi)
            if (
                brk
                and not (
                    brk.group() in ("who", "which") and _WHO_AFTER.match(text[before[-1].end : hi])
                )
                and not _SAME_SUBJECT.fullmatch(text, brk.start(), hi)
            ):
                return [], False
        embedded = bool(reports) and bool(before)
        if not before and reports:
            # "... said the governor has not taken a position": the governor named before.
            found, ref = self._definite(text, reports[-1].end(), all_holders, people_only=True)
            if found:
                return ref, True
            upto = reports[-1].start()
            rel = _RELATIVE_BEFORE.search(text, max(s_start, upto - 100), upto)
            if rel:
                upto = rel.start()
            before = _drop_appositions(text, [h for h in sent_holders if h.end <= upto], upto)
        if not before:
            found, ref = self._definite(text, s_start, all_holders)
            if found:
                return ref, False
            # A pronoun subject ("He rejected ..."): the last holder before the sentence.
            if not re.match(r"\s*(?:he|she|they|it|we)\b", text[s_start : cue.start], re.I):
                return [], False
            prior = [h for h in all_holders if h.end <= s_start and s_start - h.end < 400]
            return prior[-1:], False
        chosen = [before[-1]]
        for h in reversed(before[:-1]):
            gap = text[h.end : chosen[-1].start]
            if len(chosen) == 1 and not _LIST_LAST.match(gap):
                break
            if _LIST_GAP.match(gap):
                chosen.append(h)
            else:
                break
        return chosen[::-1], embedded

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
                "score": SCORES[rule] if h.start >= sentence[0] else min(SCORES[rule], 0.5),
                "source": f"rules:{rule}",
            }
