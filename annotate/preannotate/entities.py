"""Rule-based named entity spans: gazetteers, contextual rules and document consistency.

Why this shape: one compiled regex finds runs of capitalised words (the only places a name
can start), so lower-case text is skipped in C; each run is segmented by longest-match dict
lookups (gazetteers, titles, stop words) and what is left is typed by context rules.
A second, document-level pass makes a string labelled once labelled the same everywhere
and gives surnames the PERSON label of the full name.

Speed: what a run's own text decides (its tokens, segments and every check that reads only
them) is compiled once per distinct run (`_plan`) and memoized; at each occurrence only the
checks that read the text around the run are made (`_type_group`, `_type_unknown`), so no
token is split or looked up twice. What must end just before a name ("said ", the previous
word) is matched anchored on the reversed text.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import islice

from annotate.preannotate.labels import RuleLabels
from annotate.preannotate.lexicon import Lexicon, load_lexicon
from annotate.spans import NAME_ABBREVIATIONS

# Distinct runs `EntityTagger` keeps compiled, the least recently seen dropped first
# (about 800 bytes a run: 80 MB at most per process).
MEMO_SIZE = 100_000

# Rule -> estimated precision, shown to annotators as the span's score.
DEFAULT_MULTI: str | None = None
DEFAULT_SINGLE: str | None = None

SCORES = {
    "gazetteer": 0.9,
    "title": 0.9,
    "first_name": 0.85,
    "org_head": 0.8,
    "loc_head": 0.75,
    "event_head": 0.7,
    "acronym": 0.6,
    "attribution": 0.75,
    "role": 0.8,
    "team": 0.6,
    "surname": 0.8,
    "document": 0.75,
    "headline": 0.7,
    "default_multi": 0.55,
    "default_single": 0.4,
    "event_war": 0.7,
    "place_prep": 0.5,
    "dateline": 0.9,
    "org_noun": 0.75,
}

# Abbreviations that are part of a name's run ("Mr. Tanaka"): annotate.spans owns the list.
_ABBR = rf"(?:{'|'.join(sorted(NAME_ABBREVIATIONS, key=lambda w: (-len(w), w)))})\."
_UP = "A-ZÀ-ÖØ-Þ"
_CAP = (
    rf"(?:{_ABBR}|(?:[{_UP}]\.){{2,}}|[{_UP}]\.(?=[ \t]+[{_UP}])|(?:(?:al|el|bin|abu|de|di|le|la|d|o)['’-])?"
    rf"[{_UP}][\w&]*(?:['’][A-Za-z]\w*)?(?:-\w+)*)"
)
_CONNECT = (
    r"(?:of|of the|for|de|da|del|della|der|den|du|van|von|bin|ibn|al|el|la|le|y|&|and|on|"
    r"dos|das|ben|abu)"
)
# A run: capitalised tokens, possibly joined by connectors, never across a line break.
# The leading lookahead names every character a run can start with (a capital, or the
# first letter of a name particle such as "al-"), so the regex engine skips to those in C.
RUN = re.compile(rf"(?=[{_UP}abdelo])(?<![\w'’-]){_CAP}(?:[ \t]+(?:{_CONNECT}[ \t]+)?{_CAP})*")
TOKEN = re.compile(rf"{_CAP}|{_CONNECT}(?=[ \t])")
HEADLINE = re.compile(r"^[^a-z\n]*[A-Z]{2}[^a-z\n]*$", re.M)
_SAID_AFTER = re.compile(
    r"[ \t]*(?:,[^,\n]{1,60},[ \t]*)?(?:said|says|told|added|stated|wrote|explained|noted"
    r"|insisted|argued|warned|announced|tweeted|asked|replied)\b"
)
# What ends right before a position is matched on the reversed text (`_before`): a forward
# search of a window for a match that must end at its end tries every start in it. The
# leading "\n?" is the "$" of the forward pattern, which also matches before a final newline.
# Forward: (?:said|says|told|according to|added|asked)[ \t]+$
_SAID_BEFORE_REV = re.compile(r"\n?[ \t]+(?:dias|syas|dlot|ot gnidrocca|dedda|deksa)")
_SCORE_AFTER = re.compile(r"[ \t]+\d+(?:[ \t]|$)", re.M)
_WAR_AFTER = re.compile(r"[ \t]+(?:war|conflict|crisis)\b")
# Forward: ([A-Za-z]+)[ \t]*$, the word before a name (blanks between).
_PREV_WORD_REV = re.compile(r"\n?[ \t]*([A-Za-z]+)")
# "Hungary's foreign minister, Péter Szalai": a role noun before an appositive name.
_PREV_ROLE = re.compile(r"([a-z]+),?[ \t]*$")
# Wire-copy datelines opening a paragraph: "NEW YORK (AP) —", "BRUSSELS, March 3 (Reuters) -",
# "KYIV, Ukraine (AP) —". The all-caps place and the agency in parentheses are names.
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’-]+(?:[ \t]+[A-Z][A-Z.'’-]+)*)"
    r"(?:,[ \t]+[A-Z][A-Za-z.'’ -]*?)?"
    r"(?:,?[ \t]+[A-Z][a-z]{2,8}\.?[ \t]+\d{1,2})?[ \t]*"
    r"(?:\((?P<agency>[A-Z][^()\n]{1,40})\)[ \t]*)?(?:—|–|--|-)[ \t]+(?=[^\n]*[a-z])",
    re.M,
)
# A lower-case noun after a name that makes it an organisation: "the Chega party".
_ORG_NOUN_AFTER = re.compile(
    r"[ \t]+(?:party|movement|militia|rebels|rebel group|militant group|armed group|"
    r"coalition|alliance|faction)\b"
)
# In sports reports a city followed by one of these is a club: "Madrid coach".
_TEAM_NOUN_AFTER = re.compile(
    r"[ \t]+(?:coach|manager|boss|fans|supporters|striker|forward|midfielder|defender|"
    r"goalkeeper|keeper|captain|players?|side|squad|team)\b"
)
_WEAK_RULES = frozenset(["attribution", "default_single", "default_multi", "place_prep"])
_DIRECTIONS = frozenset(
    [
        "North",
        "South",
        "East",
        "West",
        "Northern",
        "Southern",
        "Eastern",
        "Western",
        "Central",
        "Upper",
        "Lower",
    ]
)
# First words too generic to stand for the organisation they start ("National Bank").
_GENERIC_FIRST = frozenset(
    [
        "National",
        "International",
        "United",
        "General",
        "Royal",
        "Federal",
        "Central",
        "World",
        "First",
        "Global",
        "New",
        "Great",
        "Air",
        "Democratic",
        "Liberal",
        "Social",
        "Public",
        "American",
        "European",
        "Asian",
        "African",
        "Arab",
        "Islamic",
        "Christian",
        "People",
        "Supreme",
        "State",
        "City",
        "Home",
        "Foreign",
        "Defense",
        "Defence",
        "Justice",
        "Health",
    ]
)
_SPORTS = re.compile(  # the lookahead lets the engine skip to possible first letters in C
    r"(?=[bcdghilmpqstw])\b(?:beat|beats|defeated|innings|wickets?|goals?|scored|striker|midfielder|seeded|"
    r"batting|bowling|pitcher|homer|touchdown|quarterback|playoffs?|halftime|half-time|"
    r"semifinal|semi-final|quarter-final|championship|league|tournament|match|matches)\b"
)  # matched against lower-cased text: much faster than re.I
_PLACE_PREPS = frozenset(["in", "near", "outside", "across", "at", "around", "into"])
_POSSESSIVE = ("'s", "’s")
# Name particles that join the parts of a person's or place's name ("Osama bin Laden").
_PARTICLES = frozenset(
    "de da del della der den du van von bin ibn al el la le y dos das ben abu".split()
)
# Words that may sit inside a capitalised name sequence ("Bank of England", "Black & Decker").
_CONNECTORS = _PARTICLES | {"of", "of the", "for", "&", "and", "on"}
_SENTENCE_END = frozenset('.!?\n"“”:;-(')


@dataclass(slots=True)
class Mention:
    """A labelled span, before output; `strength` orders rules for document consistency."""

    start: int
    end: int
    label: str | None
    rule: str
    strength: int
    text: str


# (word, start, end) tokens and (kind, i, j) segments of one run; offsets into the run.
Toks = list[tuple[str, int, int]]
Segs = list[tuple[str, int, int]]


@dataclass(slots=True)
class _Stretch:
    """What the run alone says of a stretch of unknown tokens (offsets into the run)."""

    s: int
    e: int
    n: int
    surface: str
    skip: bool  # a lone head word ("Ministry"): no name
    war: bool  # one hyphenated word: "Israel-Hamas" may open "Israel-Hamas war"
    first_name: bool
    surname_last: bool
    acronym: bool
    direction: bool  # starts with "North", "Western"...
    multi_label: str | None  # the label of a default multi-word name


@dataclass(slots=True)
class _Gaz:
    """A gazetteer segment inside a group of mixed segments."""

    s: int
    e: int
    label: str
    surface: str
    country: bool


@dataclass(slots=True)
class _Group:
    """What the run alone says of one group of GAZ/UNK segments; `static` is the whole
    answer when the text around the run cannot change it."""

    s: int
    e: int
    surface: str
    static: tuple[str | None, str, int] | None = None
    split: tuple[_Group | None, _Group | None] | None = None
    single_gaz: bool = False
    label: str | None = None
    org_noun: bool = False  # "the Chega party" can make it an organisation
    war: bool = False
    team: bool = False
    head: tuple[str | None, str] | None = None
    steps: list[_Stretch | _Gaz] = field(default_factory=list)


@dataclass(slots=True)
class _RunPlan:
    """One distinct run (and whether it is in a headline), compiled once: a headline run
    keeps its tokens and segments (`_headlines` types them after the body), any other run
    its calls."""

    toks: Toks | tuple[()]
    segs: Segs | tuple[()]
    calls: list[tuple[_Group, bool, bool, bool]]  # group, title before, at start, first
    static: bool


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _headline_ranges(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in HEADLINE.finditer(text)]


def _prev_word(rev: str, start: int) -> str:
    """The ASCII word before ``start`` with blanks between, within 24 characters (cut at
    the window's edge); ``rev`` is the text reversed."""
    n = len(rev)
    m = _PREV_WORD_REV.match(rev, n - start, n - max(0, start - 24))
    return m.group(1)[::-1] if m else ""


def _said_before(rev: str, start: int) -> bool:
    """Whether a reporting verb and blanks end at ``start``, within 16 characters."""
    n = len(rev)
    return _SAID_BEFORE_REV.match(rev, n - start, n - max(0, start - 16)) is not None


class EntityTagger:
    """Finds entity spans in one document; stateless between documents."""

    def __init__(self, labels: RuleLabels, lexicon: Lexicon | None = None) -> None:
        self.lex = lexicon or load_lexicon(labels)
        self.heads = self.lex.org_heads | self.lex.loc_heads | self.lex.event_heads
        # Label words bound once: the rules compare and emit these, never literals.
        self.person, self.org, self.gpe = labels.person, labels.org, labels.gpe
        self.loc, self.event = labels.loc, labels.event
        self.gaz_org, self.gaz_gpe = "GAZ:" + labels.org, "GAZ:" + labels.gpe
        self.team_kinds = frozenset(["UNK", self.gaz_gpe])
        self.place_or_org = frozenset([labels.gpe, labels.loc, labels.org])
        self.gpe_or_org = frozenset([labels.gpe, labels.org])
        self.gpe_or_loc = frozenset([labels.gpe, labels.loc])
        # (run text, in a headline) -> its plan, per tagger (the plans hold its labels)
        self._memo = functools.lru_cache(maxsize=MEMO_SIZE)(self._plan)

    def _is_first(self, word: str) -> bool:
        """A first name, also when accents are missing from the list ("Raúl" via "Raul")."""
        names = self.lex.first_names
        if word in names:
            return True
        if word.isascii():
            return False
        folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        return folded in names

    def _datelines(self, text: str, mentions: list[Mention]) -> list[tuple[int, int]]:
        """Mentions for dateline places and agencies; returns the ranges they cover."""
        covered: list[tuple[int, int]] = []
        for m in DATELINE.finditer(text):
            place, agency = m.group("place"), m.group("agency")
            label = self.lex.gaz_upper.get(place)
            if agency is None and label is None:
                continue  # "SOCCER - ..." is a section label, not a place
            if label not in self.place_or_org:
                label = self.gpe
            s, e = m.span("place")
            mentions.append(Mention(s, e, label, "dateline", 3, place))
            covered.append((s, e))
            if agency:
                a0 = m.start("agency")
                for part in re.finditer(r"[^/,]+", agency):
                    name = part.group().strip()
                    if name and name[0].isupper():
                        ps = a0 + part.start() + part.group().index(name)
                        mentions.append(Mention(ps, ps + len(name), self.org, "dateline", 3, name))
                covered.append(m.span("agency"))
        return covered

    # -- segmentation of one run -------------------------------------------------------
    def _plan(self, run: str, upper: bool) -> _RunPlan | None:
        """Tokens (offsets into the run), segments and, outside headlines, the compiled
        groups of one run; None when no segment can yield a mention (stop words, titles,
        connectors only). Depends on the run's text only, so `tag` memoizes it: names
        repeat within and across articles."""
        toks = self._tokens(run)
        segs = self._segment(toks, upper)
        for kind, _, _ in segs:
            if kind == "UNK" or kind.startswith("GAZ:"):
                break
        else:
            return None
        if upper:
            return _RunPlan(toks, segs, [], False)
        return self._compile_run(run, toks, segs)

    def _tokens(self, run: str) -> list[tuple[str, int, int]]:
        out = []
        for t in TOKEN.finditer(run):
            s, e = t.start(), t.end()
            word = t.group()
            if word.endswith(_POSSESSIVE) and len(word) > 2:
                word, e = word[:-2], e - 2
            out.append((word, s, e))
        return out

    def _segment(self, toks: list[tuple[str, int, int]], upper: bool) -> list[tuple[str, int, int]]:
        """Longest-match segmentation: (kind, i, j) with kind GAZ:label, TITLE, STOP, CONN, UNK."""
        lex = self.lex
        gaz = lex.gaz_upper if upper else lex.gaz
        titles = lex.titles_upper if upper else lex.titles
        n = len(toks)
        words = [t[0] for t in toks]
        segs: list[tuple[str, int, int]] = []
        i = 0
        while i < n:
            word = words[i]
            if word in _CONNECTORS or (upper and word.lower() in _CONNECTORS and len(word) < 4):
                segs.append(("CONN", i, i + 1))
                i += 1
                continue
            found = None
            for j in range(min(n, i + lex.gaz_max), i, -1):
                key = word if j == i + 1 else " ".join(words[i:j])
                if key in gaz:
                    found = ("GAZ:" + gaz[key], i, j)
                    break
            tfound = None
            for j in range(min(n, i + lex.title_max), i, -1):
                key = word if j == i + 1 else " ".join(words[i:j])
                if key in titles:
                    tfound = ("TITLE", i, j)
                    break
            if tfound and tfound[2] < n and words[tfound[2]] in lex.org_heads:
                tfound = None  # "Justice Department": an organisation, not a title
            if tfound and (found is None or tfound[2] > found[2]):
                found = tfound
            direction = word in _DIRECTIONS and i + 1 < n and words[i + 1].lower() not in lex.stop
            if (
                found is None
                and not direction
                and (
                    (word.lower() in lex.stop and (upper or word not in self.heads))
                    or (len(word) == 1 and word.isalpha())
                )
            ):
                found = ("STOP", i, i + 1)
            if found is None:
                found = ("UNK", i, i + 1)
            segs.append(found)
            i = found[2]
        return segs

    # -- what a run's text alone decides (memoized per distinct run) -------------------
    def _compile_run(self, run: str, toks: Toks, segs: Segs) -> _RunPlan:
        """The calls `tag` makes for a run outside headlines: each group with the context
        flags the segments before it leave (a title before it; whether the run's start and
        the role word before the run still apply)."""
        calls: list[tuple[_Group, bool, bool, bool]] = []
        group: Segs = []
        title_before, at_start, first_group = False, True, True
        group_at_start = True
        for seg in [*segs, ("END", len(toks), len(toks))]:
            kind = seg[0]
            if kind.startswith("GAZ:") or kind == "UNK" or (kind == "CONN" and group):
                if not group:
                    group_at_start = at_start
                group.append(seg)
                continue
            if group:
                g = self._group(run, toks, group)
                if g is not None:
                    calls.append((g, title_before, group_at_start, first_group))
                group = []
                at_start, first_group = False, False
            if kind == "TITLE":
                title_before, at_start = True, False
            elif kind in ("STOP", "CONN"):
                title_before, at_start = False, False
        static = all(g.static is not None for g, _, _, _ in calls)
        return _RunPlan((), (), calls, static)  # tokens and segments are read no more

    def _group(self, run: str, toks: Toks, segs: Segs) -> _Group | None:
        """The facts `_type_group` reads of one group of GAZ/UNK segments (no titles or
        stop words inside) that do not depend on the text around the run."""
        lex = self.lex
        while segs and segs[0][0] == "CONN":
            segs = segs[1:]
        while segs and segs[-1][0] == "CONN":
            segs = segs[:-1]
        if not segs:
            return None
        i0, j0 = segs[0][1], segs[-1][2]
        words = [t[0] for t in toks[i0:j0]]
        s, e = toks[i0][1], toks[j0 - 1][2]
        g = _Group(s, e, run[s:e])
        for k, (kind, i, _) in enumerate(segs):
            if kind == "CONN" and toks[i][0] in ("and", "or") and 0 < k < len(segs) - 1:
                # "Bank of England and Kenya Airways": two names.
                g.split = (self._group(run, toks, segs[:k]), self._group(run, toks, segs[k + 1 :]))
                return g
        kinds = [k for k, _, _ in segs]
        ntok = j0 - i0
        single_gaz = len(segs) == 1 and kinds[0].startswith("GAZ:")
        g.single_gaz = single_gaz
        if not single_gaz and "&" in words:
            g.static = (self.org, "org_head", 3)
            return g
        g.org_noun = not single_gaz or kinds[0] == self.gaz_org
        if single_gaz:
            label = kinds[0][4:]
            surface = " ".join(words)
            g.label = label
            g.war = "-" in surface and label in self.gpe_or_org
            g.team = label == self.gpe and surface not in lex.countries
            if not (g.org_noun or g.war or g.team):
                g.static = (label, "gazetteer", 3)
            return g
        # "U.S. Chamber of Commerce": a head followed by "of"/"for" inside the name, unless a
        # possessive splits it ("Britain's Ministry of Defence"). Heads make the whole group
        # an organisation, place or event.
        # Possessives after the group's tokens but its last ("Britain's Ministry of ...").
        possessive = ntok >= 2 and any(run.startswith(_POSSESSIVE, t[2]) for t in toks[i0 : j0 - 1])
        of_head = ntok >= 3 and any(
            words[k] in lex.org_heads and words[k + 1] in ("of", "of the", "for")
            for k in range(1, ntok - 1)
        )
        if (of_head and not possessive) or (
            ntok >= 2
            and (
                words[-1] in lex.org_heads
                or (
                    words[0] in lex.org_heads
                    and ("of" in words or "for" in words or "of the" in words)
                )
            )
        ):
            g.head = (self.org, "org_head")
        elif ntok >= 2 and (
            words[-1] in lex.loc_heads or (words[0] in lex.loc_heads and "of" in words)
        ):
            g.head = (self.loc, "loc_head")
        elif ntok >= 2 and words[-1] in lex.event_heads:
            g.head = (self.event, "event_head")
        if g.head is not None:
            return g
        g.team = (
            "UNK" in kinds
            and self.gaz_gpe in kinds
            and set(kinds) <= self.team_kinds
            and not possessive
            and not self._is_first(words[0])
        )  # "Paris Saint-Germain", "Borussia Dortmund"
        # Mixed or unknown: split at GAZ segments and non-particle connectors.
        stretch: Segs = []
        for seg in [*segs, ("END", j0, j0)]:
            kind = seg[0]
            if kind == "UNK" or (kind == "CONN" and toks[seg[1]][0] in _PARTICLES and stretch):
                stretch.append(seg)
                continue
            if stretch:
                while stretch and stretch[-1][0] == "CONN":
                    stretch.pop()
                g.steps.append(self._stretch(run, toks, stretch[0][1], stretch[-1][2]))
                stretch = []
            if kind.startswith("GAZ:"):
                gs, ge = toks[seg[1]][1], toks[seg[2] - 1][2]
                surface = run[gs:ge]
                g.steps.append(_Gaz(gs, ge, kind[4:], surface, surface in lex.countries))
        return g

    def _stretch(self, run: str, toks: Toks, i: int, j: int) -> _Stretch:
        """The facts `_type_unknown` reads of tokens i..j of a run."""
        lex = self.lex
        s, e = toks[i][1], toks[j - 1][2]
        words = [t[0] for t in toks[i:j]]
        n = j - i
        first = words[0]
        if n >= 2:
            last_surname = words[-1] in lex.surnames
            first_known = self._is_first(first)
            return _Stretch(
                s,
                e,
                n,
                run[s:e],
                False,
                False,
                (first_known and first not in lex.gaz) or (len(first) == 2 and first[1] == "."),
                last_surname,
                False,
                first in _DIRECTIONS,
                self.person if last_surname or first_known else DEFAULT_MULTI,
            )
        acronym = (
            2 <= len(first) <= 12
            and first.isupper()
            and (
                (first.isalpha() and len(first) <= 6)
                or re.fullmatch(r"[A-Z]{1,3}\d{1,3}|[A-Z]{2,5}(?:-[A-Z]{2,5})+", first) is not None
            )
            and first not in lex.not_acronyms
        )
        # One token: the fields of longer stretches are unread.
        return _Stretch(
            s,
            e,
            n,
            run[s:e],
            first in self.heads,
            "-" in first,
            False,
            False,
            acronym,
            first in _DIRECTIONS,
            DEFAULT_MULTI,
        )

    # -- typing in context -------------------------------------------------------------
    def _type_group(
        self,
        text: str,
        rev: str,
        base: int,
        g: _Group,
        flags: tuple[bool, bool, bool, str, bool],
        out: list[Mention],
    ) -> None:
        """Type one group; ``flags``: title before, role word before, sentence-initial,
        the lower-cased word before the run, sports report; ``rev``: the text reversed."""
        start, end = base + g.s, base + g.e
        if g.static is not None:
            label, rule, strength = g.static
            out.append(Mention(start, end, label, rule, strength, g.surface))
            return
        if g.split is not None:
            a, b = g.split
            if a is not None:
                self._type_group(text, rev, base, a, flags, out)
            if b is not None:
                self._type_group(text, rev, base, b, (*flags[:2], False, *flags[3:]), out)
            return
        if g.org_noun and _ORG_NOUN_AFTER.match(text, end):
            out.append(Mention(start, end, self.org, "org_noun", 3, g.surface))
            return
        if g.head is not None:
            out.append(Mention(start, end, g.head[0], g.head[1], 3, g.surface))
            return
        _, _, initial, prev, sports = flags
        if g.single_gaz:
            if g.war:
                war = _WAR_AFTER.match(text, end)
                if war:
                    e = war.end()
                    out.append(Mention(start, e, self.event, "event_war", 3, text[start:e]))
                    return
            if g.team and (
                _SCORE_AFTER.match(text, end)
                or (sports and prev not in _PLACE_PREPS and not initial)
                or (sports and _TEAM_NOUN_AFTER.match(text, end))
            ):
                out.append(Mention(start, end, self.org, "team", 2, g.surface))
                return
            out.append(Mention(start, end, g.label, "gazetteer", 3, g.surface))
            return
        if sports and g.team and not text.startswith(_POSSESSIVE, end):
            out.append(Mention(start, end, self.org, "team", 2, g.surface))
            return
        lex = self.lex
        for step in g.steps:
            if isinstance(step, _Stretch):
                self._type_unknown(text, rev, base, step, flags, out)
                flags = (False, flags[1], False, prev, sports)
                continue
            s, e = base + step.s, base + step.e
            label = step.label
            prev_unk = out[-1] if out and out[-1].end + 1 == s else None
            if (
                prev_unk is not None
                and label == self.gpe
                and " " not in prev_unk.text
                and not step.country
                and (self._is_first(prev_unk.text) or prev_unk.text in lex.surnames)
            ):
                prev_unk.end, prev_unk.label, prev_unk.text = (
                    e,
                    self.person,
                    text[prev_unk.start : e],
                )
                prev_unk.rule, prev_unk.strength = "first_name", 3
                continue
            if prev_unk is not None and prev_unk.text in _DIRECTIONS and label in self.gpe_or_loc:
                # "North Kivu", "Western Europe": the direction is part of the name.
                prev_unk.end, prev_unk.label, prev_unk.text = e, label, text[prev_unk.start : e]
                prev_unk.rule, prev_unk.strength = "gazetteer", 3
                continue
            if label == self.gpe and not step.country and _SCORE_AFTER.match(text, e):
                label = self.org
            out.append(Mention(s, e, label, "gazetteer", 3, step.surface))
            flags = (False, flags[1], False, prev, sports)

    def _type_unknown(
        self,
        text: str,
        rev: str,
        base: int,
        st: _Stretch,
        flags: tuple[bool, bool, bool, str, bool],
        out: list[Mention],
    ) -> None:
        if st.skip:
            return
        start, end = base + st.s, base + st.e
        title_before, role_before, initial, prev, sports = flags

        def emit(label: str | None, rule: str, strength: int) -> None:
            out.append(Mention(start, end, label, rule, strength, st.surface))

        if st.war:
            war = _WAR_AFTER.match(text, end)
            if war:
                e = war.end()
                out.append(Mention(start, e, self.event, "event_war", 3, text[start:e]))
                return
        if title_before or role_before:
            emit(self.person, "title" if title_before else "role", 3)
            return
        if st.first_name:
            emit(self.person, "first_name", 3)
            return
        if not st.surname_last and _SCORE_AFTER.match(text, end):
            emit(self.org, "team", 2)
            return
        if st.acronym:
            emit(self.org, "acronym", 1)
            return
        n = st.n
        if n <= 3 and (_SAID_AFTER.match(text, end) or _said_before(rev, start)):
            if prev == "the":
                emit(self.org, "attribution", 1)
            else:
                emit(self.person, "attribution", 2 if n >= 2 else 1)
            return
        if n >= 2 and st.direction and prev in _PLACE_PREPS:
            emit(self.gpe, "place_prep", 1)  # "in North Kivu"
            return
        if n >= 2:
            emit(st.multi_label, "default_multi", 1)
            return
        if initial:
            emit(None, "default_single", 0)
            return
        if prev in _PLACE_PREPS:
            emit(self.gpe, "place_prep", 1)
            return
        emit(DEFAULT_SINGLE if not sports else self.org, "default_single", 0)

    # -- one document -------------------------------------------------------------
    def tag(self, text: str) -> list[Mention]:
        lex = self.lex
        heads = _headline_ranges(text)
        head_starts = [a for a, _ in heads]
        rev = text[::-1]
        # a sports report: three sports words in its first 4,000 characters (stop at the third)
        sports = next(islice(_SPORTS.finditer(text[:4000].lower()), 2, None), None) is not None
        mentions: list[Mention] = []
        datelines = self._datelines(text, mentions) if "(" in text or "—" in text else []
        deferred: list[tuple[Toks, Segs]] = []
        memo = self._memo
        for m in RUN.finditer(text):
            start = m.start()
            if datelines and any(a <= start < b for a, b in datelines):
                continue
            k = bisect.bisect_right(head_starts, start) - 1
            upper = k >= 0 and start < heads[k][1]
            run = m.group()
            plan = memo(run, upper)
            if plan is None:
                continue
            if upper:
                deferred.append(([(w, start + s, start + e) for w, s, e in plan.toks], plan.segs))
                continue
            if plan.static:
                for g, _, _, _ in plan.calls:
                    label, rule, strength = g.static
                    mentions.append(
                        Mention(start + g.s, start + g.e, label, rule, strength, g.surface)
                    )
                continue
            pw = _prev_word(rev, start)
            initial = _sentence_initial(text, start)
            role_before = pw.islower() and pw in lex.roles
            if not role_before and text[start - 2 : start - 1] == ",":
                role = _PREV_ROLE.search(text, max(0, start - 24), start)
                role_before = role is not None and role.group(1) in lex.roles
            pw = pw.lower()
            for g, title_before, at_start, first_group in plan.calls:
                flags = (
                    title_before,
                    role_before and first_group,
                    initial and at_start,
                    pw,
                    sports,
                )
                self._type_group(text, rev, start, g, flags, mentions)
        if deferred:
            self._headlines(text, deferred, mentions)
        mentions.sort(key=lambda m: m.start)
        return self._consistency(rev, mentions, sports)

    def _headlines(
        self,
        text: str,
        deferred: list[tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]],
        mentions: list[Mention],
    ) -> None:
        """All-caps lines: gazetteer matches, and strings the body of the document labels."""
        known = {m.text.upper(): m.label for m in mentions if m.label and m.strength >= 1}
        for m in mentions:
            if m.label == self.person and " " in m.text:
                for part in m.text.split():
                    if part not in _PARTICLES:
                        known.setdefault(part.upper(), self.person)
        for toks, segs in deferred:
            unk: list[int] = []
            for kind, i, j in segs + [("END", len(toks), len(toks))]:
                if kind == "UNK":
                    unk.append(i)
                    continue
                if unk:
                    self._headline_unknown(text, toks, unk[0], unk[-1] + 1, known, mentions)
                    unk = []
                if kind.startswith("GAZ:"):
                    s, e = toks[i][1], toks[j - 1][2]
                    label = known.get(text[s:e].upper(), kind[4:])
                    mentions.append(Mention(s, e, label, "gazetteer", 2, text[s:e]))

    def _headline_unknown(
        self,
        text: str,
        toks: list[tuple[str, int, int]],
        i: int,
        j: int,
        known: dict[str, str],
        mentions: list[Mention],
    ) -> None:
        """Greedy longest match of known strings; neighbouring name parts join into one."""
        found: list[Mention] = []
        while i < j:
            for k in range(j, i, -1):
                s, e = toks[i][1], toks[k - 1][2]
                label = known.get(text[s:e].upper())
                if label:
                    prev = found[-1] if found else None
                    if prev and label == self.person == prev.label and prev.end + 1 == s:
                        prev.end, prev.text = e, text[prev.start : e]
                    else:
                        found.append(Mention(s, e, label, "headline", 1, text[s:e]))
                    i = k
                    break
            else:
                i += 1
        mentions.extend(found)

    def _consistency(self, rev: str, mentions: list[Mention], sports: bool) -> list[Mention]:
        """A string labelled once is labelled the same everywhere; surnames follow names.

        Also: a city that is the surname of a named person is that person ("Rafael Lima ...
        Lima scored"); the first word of an organisation's name stands for it ("Crescent Air
        Group ... Crescent shares"); in sports reports a city that is part of a club's name is
        the club ("Real Madrid ... Madrid coach"), except after a place preposition.
        ``rev`` is the text reversed.
        """
        person, org, gpe = self.person, self.org, self.gpe
        best: dict[str, tuple[int, str]] = {}
        person_parts: set[str] = set()
        surnames: set[str] = set()
        org_first: set[str] = set()
        club_words: set[str] = set()
        keys = [m.text.upper() for m in mentions]
        for m, key in zip(mentions, keys, strict=True):
            label, strength = m.label, m.strength
            if label is None:
                continue
            known = best.get(key)
            if known is None or strength > known[0]:
                best[key] = (strength, label)
            if strength < 2 or " " not in m.text:
                continue
            if label == person:
                parts = [p for p in m.text.split() if p not in _PARTICLES]
                for p in parts[1:]:
                    person_parts.add(p.upper())
                    surnames.add(p)
                person_parts.add(parts[0].upper())
            elif label == org:
                words = m.text.split()
                if (
                    m.rule in ("org_head", "org_noun")
                    and len(words[0]) >= 4
                    and words[0] not in _GENERIC_FIRST
                    and words[0].lower() not in self.lex.stop
                    and words[0] not in self.lex.gaz
                ):
                    org_first.add(words[0])
                if sports:
                    club_words.update(words)
        out: list[Mention] = []
        for m, key in zip(mentions, keys, strict=True):
            if m.strength < 3:
                if key in person_parts and m.rule != "team":
                    m.label, m.rule, m.strength = person, "surname", 2
                elif m.text in org_first and (m.label is None or m.rule in _WEAK_RULES):
                    m.label, m.rule = org, "document"
                elif key in best and best[key][0] > m.strength:
                    m.label, m.rule = best[key][1], "document"
            if (
                m.label == gpe
                and (m.text in surnames or m.text in club_words)
                and m.text not in self.lex.countries
                and m.rule in ("gazetteer", "document")
                and _prev_word(rev, m.start).lower() not in _PLACE_PREPS
            ):
                if m.text in surnames:
                    m.label, m.rule = person, "surname"
                else:
                    m.label, m.rule = org, "team"
            if m.label is not None:
                out.append(m)
        return out
