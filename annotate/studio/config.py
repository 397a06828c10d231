"""The Label Studio labeling config and project instructions, generated from the LabelSet.

Tag names shared with `convert.py`: the article text is the `<Text name="text">` object,
entity spans come from `<Labels name="entity">`, target mentions from `<Labels name="target">`,
and stances are `<Relations>` labelled support/oppose/neutral (holder span -> target span).
The text is shown with `<Text>`, never `HyperText`: article text is untrusted.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from typing import Any

from annotate.schemas import LabelSet

TEXT = "text"
ENTITY = "entity"
TARGET = "target"
TITLE_FIELD = "title"

# Target spans get muted colours: they mark where a target is mentioned, not an entity.
_TARGET_COLORS = ("#6b7280", "#0e7490", "#a16207", "#be185d", "#4d7c0f", "#7c3aed")


def _target_color(index: int) -> str:
    return _TARGET_COLORS[index % len(_TARGET_COLORS)]


# Stance chips sit on the arrows, 15 px above the higher of their two spans. Label Studio
# 1.23.2 sets the text's line height on `.lsf-richtext__container` (20 px), so the spacing
# goes there: the chips then fall between the lines instead of on the words. A left margin
# keeps the leftmost chip inside the panel; chips are smaller (the chip's box is measured
# from its text after the style applies).
_RELATION_CSS = (
    ".lsf-richtext__container { line-height: 3.25em !important; "
    "padding-left: 2.5em; padding-right: 2.5em; } "
    ".relations-overlay text { font-size: 10px !important; } "
    ".relations-overlay g[id] > g > rect { opacity: 0.9; } "
)


def label_config(labelset: LabelSet) -> str:
    """The labeling config XML, built with the SDK's `LabelInterface.create`."""
    from label_studio_sdk.label_interface import LabelInterface

    entity_labels = tuple(
        (
            "Label",
            {"value": e.name, "background": e.color, **({"hotkey": e.hotkey} if e.hotkey else {})},
            (),
        )
        for e in labelset.entities
    )
    # Annotators read the target's name; `alias` makes Label Studio store the id in results.
    target_labels = tuple(
        (
            "Label",
            {
                "value": t.display_name,
                "alias": t.id,
                "background": _target_color(i),
                "hint": t.description,
            },
            (),
        )
        for i, t in enumerate(labelset.targets)
    )
    relations = tuple(("Relation", {"value": s.name}, ()) for s in labelset.stance_labels)
    tags: dict[str, Any] = {
        ENTITY: ("Labels", {"toName": TEXT, "showInline": "true"}, entity_labels),
        TARGET: ("Labels", {"toName": TEXT, "showInline": "true"}, target_labels),
        TITLE_FIELD: ("Header", {"value": f"${TITLE_FIELD}"}, ()),
        TEXT: ("Text", {"value": f"${TEXT}", "granularity": "symbol"}, ()),
        "stance": ("Relations", {}, relations),
    }
    xml = LabelInterface.create(tags, pretty=True)
    # `create` names every tag; <Relations> and <Header> take no name in Label Studio's schema.
    root = ET.fromstring(xml)
    for el in [*root.iter("Relations"), *root.iter("Header")]:
        el.attrib.pop("name", None)
        el.attrib.pop("toName", None)
    style = ET.Element("Style")
    style.text = _RELATION_CSS
    root.insert(0, style)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def config_hash(xml: str) -> str:
    """A stable hash of a config, insensitive to whitespace between tags."""
    root = ET.fromstring(xml)
    for el in root.iter():
        el.text = (el.text or "").strip() or None
        el.tail = None
        el.attrib = dict(sorted(el.attrib.items()))
    return hashlib.sha256(ET.tostring(root, encoding="utf-8")).hexdigest()


MAINTAINERS_MARK = "(maintainers)"

# Label Studio's instructions panel has tight line heights and no table borders. Its sanitizer
# (bleach, SAFE_HTML_TAGS/ATTRIBUTES of label_studio/constants.py) drops `style` attributes but
# keeps a <style> element, `class`, and the table attributes `border` and `cellpadding`.
_CSS = (
    ".annotate-guidelines h1 { font-size: 1.4em; line-height: 1.3; margin: 0 0 .6em; } "
    ".annotate-guidelines h2 { font-size: 1.15em; line-height: 1.3; margin: 1.2em 0 .4em; } "
    ".annotate-guidelines h3 { font-size: 1em; line-height: 1.3; margin: 1em 0 .3em; } "
    ".annotate-guidelines table { border-collapse: collapse; margin: .5em 0; } "
    ".annotate-guidelines th, .annotate-guidelines td "
    "{ border: 1px solid #bbb; padding: 3px 8px; text-align: left; vertical-align: top; } "
    ".annotate-guidelines th { background: #f3f4f6; }"
)


def annotator_guidelines(markdown: str) -> str:
    """The guidelines without their maintainers' sections (a heading ending in
    "(maintainers)", down to the next heading of the same or a higher level)."""
    out: list[str] = []
    skip_level: int | None = None
    fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        level = len(line) - len(line.lstrip("#")) if not fence and line.startswith("#") else 0
        if level and line[level : level + 1] == " ":
            if skip_level is not None and level <= skip_level:
                skip_level = None
            if skip_level is None and line.rstrip().endswith(MAINTAINERS_MARK):
                skip_level = level
        if skip_level is None:
            out.append(line)
    return "\n".join(out).strip() + "\n"


def instructions(labelset: LabelSet) -> str:
    """The project's instructions: the annotators' part of the Markdown guidelines rendered
    as HTML, tables included, with a style sheet for Label Studio's panel.

    markdown-it-py (already a dependency through rich) runs with raw HTML disabled, so the
    guidelines cannot inject markup into the annotators' pages.
    """
    from markdown_it import MarkdownIt

    text = labelset.guidelines.strip() or "See the project's annotation guidelines."
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(annotator_guidelines(text))
    for tok in tokens:
        if tok.type == "table_open":
            tok.attrSet("border", "1")
            tok.attrSet("cellpadding", "4")
    body = md.renderer.render(tokens, md.options, {})
    return f'<style>{_CSS}</style>\n<div class="annotate-guidelines">\n{body}</div>\n'


def config_problems(labelset: LabelSet, xml: str | None = None) -> list[str]:
    """Problems of the (generated) labeling config: XML, SDK validation, label coverage."""
    problems: list[str] = []
    try:
        xml = label_config(labelset) if xml is None else xml
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return [f"cannot generate the labeling config: {exc}"]
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"labeling config is not well-formed XML: {exc}"]
    from label_studio_sdk.label_interface import LabelInterface

    try:
        LabelInterface(xml).validate()
    except Exception as exc:  # noqa: BLE001 - the SDK raises several exception types
        problems.append(f"labeling config rejected by the SDK: {exc}")
    if root.find(".//HyperText") is not None:
        problems.append("labeling config shows the text as HyperText; use Text (untrusted input)")
    texts = [t for t in root.iter("Text") if t.get("name") == TEXT]
    if not texts or texts[0].get("value") != f"${TEXT}":
        problems.append(f'labeling config has no <Text name="{TEXT}" value="${TEXT}">')

    def values(tag: str, name: str | None = None, key: str = "value") -> list[str]:
        """The labels' stored values: a target's is its `alias` (the id) when it has one."""
        out: list[str] = []
        for el in root.iter(tag):
            if name is None or el.get("name") == name:
                out += [c.get(key) or c.get("value", "") for c in el]
        return out

    for kind, name, expected in (
        ("entity label", ENTITY, labelset.entity_names),
        ("target", TARGET, labelset.target_ids),
    ):
        got = values("Labels", name, key="alias") if name == TARGET else values("Labels", name)
        if not got and not root.findall(f".//Labels[@name='{name}']"):
            problems.append(f'labeling config has no <Labels name="{name}">')
            continue
        missing = [v for v in expected if v not in got]
        extra = [v for v in got if v not in expected]
        if missing:
            problems.append(f"labeling config lacks {kind}s: {', '.join(missing)}")
        if extra:
            problems.append(f"labeling config has unknown {kind}s: {', '.join(extra)}")
    rels = values("Relations")
    missing = [s for s in labelset.stance_names if s not in rels]
    if missing:
        problems.append(f"labeling config lacks stance relations: {', '.join(missing)}")
    if set(rels) - set(labelset.stance_names):
        extra = sorted(set(rels) - set(labelset.stance_names))
        problems.append(f"labeling config has unknown stance relations: {', '.join(extra)}")
    hotkeys = [c.get("hotkey") for el in root.iter("Labels") for c in el if c.get("hotkey")]
    dupes = sorted({h for h in hotkeys if hotkeys.count(h) > 1})
    if dupes:
        problems.append(f"labeling config reuses hotkeys: {', '.join(d or '' for d in dupes)}")
    return problems


def server_config_problems(labelset: LabelSet, client: Any) -> list[str]:
    """`config_problems` plus the running server's validation (`client`: a StudioClient)."""
    xml = label_config(labelset)
    return config_problems(labelset, xml) + client.validate_config(xml)
