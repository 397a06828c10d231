"""All of Label Studio's JSON, both ways: tasks, predictions, results and annotations.

- `task_payload`: an article (and its prediction) -> one Label Studio task to import;
  `review_task` does the same for a review project's task.
- `prediction_to_results`: a prediction record (entities + stances, schemas/prediction.schema.json)
  -> Label Studio results: entity spans (`entity`), target spans (`target`), and relations
  holder -> target labelled with the stance.
- `results_to_records`: an annotation's results -> entity spans and stance triples, with checks
  (offsets inside the text, labels known, relation endpoints exist and have the right kinds).
  A result that fails a check is reported in `problems`, never silently dropped; the caller
  keeps the raw results. A region whose `value.text` is not the text its offsets cover is
  such a problem. Whitespace at a region's edges is trimmed and noted (kind `trimmed`, not
  fatal: see `annotate.problem`), since the trimmed span is exactly what was meant.

- `annotation_values`: one annotation of an exported task -> the store's column values.

Offsets are Python `str` indices (Unicode code points), end exclusive, as in Label Studio 1.23.
No I/O, no SDK client, no store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from annotate import spans as sp
from annotate.judgement import Judgement, Triple, judgement_record, shift_record
from annotate.review import Merge
from annotate.schemas import LabelSet
from annotate.studio.config import ENTITY, TARGET, TEXT

RELATION_DIRECTIONS = ("right", "left", "bi")


@dataclass
class Converted:
    """What an annotation's results mean, plus the results that could not be read."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    stances: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, index: int, result: Any, message: str, kind: str = "invalid") -> None:
        """Record a result that could not be read (or, kind `trimmed`, was repaired)."""
        self.problems.append({"index": index, "kind": kind, "problem": message, "result": result})

    @property
    def trimmed(self) -> int:
        return sum(1 for p in self.problems if p["kind"] == "trimmed")


def _span_ok(text: str, start: Any, end: Any) -> str | None:
    """Why offsets cannot stand on the text (the one span check of `annotate.spans`)."""
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        return "span offsets are not integers"
    problems = sp.check_span(text, sp.Span(start, end, ""))
    return "; ".join(problems) if problems else None


EVIDENCE_CHARS = 160  # a sentence quoted in a holder's note is cut to this length


def _text_matches(value_text: Any, covered: str) -> bool:
    """Whether a result's own `value.text` is the text its offsets cover.

    Label Studio's UI saves a newline as a literal backslash-n, and a result without a
    text has nothing to compare.
    """
    if not isinstance(value_text, str):
        return True
    shown = {covered, covered.replace("\n", "\\n")}
    return value_text in shown or value_text.strip() in {c.strip() for c in shown}


def _read_region(
    out: Converted, index: int, res: dict[str, Any], text: str
) -> tuple[int, int] | str:
    """The region's offsets, trimmed of edge whitespace (noted), or why they cannot stand."""
    value = res.get("value") or {}
    start, end = value.get("start"), value.get("end")
    why = _span_ok(text, start, end)
    if why is not None and "whitespace" not in why:
        return why
    covered = text[start:end]
    if not _text_matches(value.get("text"), covered):
        return f"value.text {value.get('text')!r} is not the text at [{start}, {end}) {covered!r}"
    trimmed = sp.trim(text, sp.Span(start, end, ""))
    if trimmed.end <= trimmed.start:
        return f"[{start}, {end}) {covered!r} covers only whitespace"
    if (trimmed.start, trimmed.end) != (start, end):
        out.problem(
            index,
            res,
            f"trimmed [{start}, {end}) {covered!r} to [{trimmed.start}, {trimmed.end})",
            kind="trimmed",
        )
    return trimmed.start, trimmed.end


def _region(
    region_id: str, from_name: str, start: int, end: int, label: str, text: str
) -> dict[str, Any]:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": TEXT,
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def prediction_to_results(
    prediction: dict[str, Any], text: str, labelset: LabelSet
) -> tuple[list[dict[str, Any]], list[str]]:
    """Label Studio results of one prediction record, and what could not be converted."""
    skipped: list[str] = []
    results: list[dict[str, Any]] = []
    known = set(labelset.entity_names)
    by_offsets: dict[tuple[int, int, str], str] = {}  # a holder's region has its label too
    regions: dict[str, dict[str, Any]] = {}  # entity regions by id, for a holder's note
    for i, ent in enumerate(prediction.get("entities") or []):
        start, end, label = ent.get("start"), ent.get("end"), ent.get("label")
        why = _span_ok(text, start, end) or (None if label in known else f"unknown label {label!r}")
        if why:
            skipped.append(f"entity {i}: {why}")
            continue
        region_id = f"e{i}"
        region = _region(region_id, ENTITY, start, end, label, text)
        if "score" in ent:
            region["score"] = ent["score"]
        results.append(region)
        regions[region_id] = region
        by_offsets.setdefault((start, end, label), region_id)
    targets = set(labelset.target_ids)
    stance_names = set(labelset.stance_names)
    target_regions: dict[tuple[int, int, str], str] = {}
    relations: list[dict[str, Any]] = []
    for i, st in enumerate(prediction.get("stances") or []):
        holder, target, label = st.get("holder") or {}, st.get("target"), st.get("label")
        span = st.get("target_span")
        why = None
        if target not in targets:
            why = f"unknown target {target!r}"
        elif label not in stance_names:
            why = f"unknown stance label {label!r}"
        elif not span:
            why = "no target_span to attach the relation to"
        else:
            why = _span_ok(text, holder.get("start"), holder.get("end")) or _span_ok(
                text, span.get("start"), span.get("end")
            )
            if not why and holder.get("label") not in labelset.holder_labels:
                why = f"holder label {holder.get('label')!r} cannot hold a stance"
        if why:
            skipped.append(f"stance {i}: {why}")
            continue
        hkey = (holder["start"], holder["end"], holder["label"])
        holder_id = by_offsets.get(hkey)
        if holder_id is None:
            holder_id = f"h{i}"
            regions[holder_id] = _region(holder_id, ENTITY, *hkey, text)
            results.append(regions[holder_id])
            by_offsets[hkey] = holder_id
        tkey = (span["start"], span["end"], target)
        target_id = target_regions.get(tkey)
        if target_id is None:
            target_id = f"t{len(target_regions)}"
            target_regions[tkey] = target_id
            results.append(_region(target_id, TARGET, tkey[0], tkey[1], target, text))
        relations.append(
            {
                "from_id": holder_id,
                "to_id": target_id,
                "type": "relation",
                "direction": "right",
                "labels": [label],
            }
        )
        note = _evidence_note(st, text, labelset)
        if note:
            region = regions[holder_id]
            region.setdefault("meta", {"text": []})["text"].append(note)
    return results + relations, skipped


def _evidence_note(stance: dict[str, Any], text: str, labelset: LabelSet) -> str | None:
    """The other sentences where the rules read this holder's stance on the target (one
    arrow per actor and target is drawn), as the holder region's meta text: Label Studio
    shows it in the region's details and keeps it out of the results we read back."""
    others = [o for o in stance.get("other_evidence") or [] if isinstance(o, dict)]
    lines = []
    for other in others:
        ev = other.get("evidence") or {}
        start, end = ev.get("start"), ev.get("end")
        if _span_ok(text, start, end) is not None:
            continue  # a sentence outside the text: nothing to quote
        sentence = " ".join(text[start:end].split())
        if len(sentence) > EVIDENCE_CHARS:
            sentence = sentence[: EVIDENCE_CHARS - 1].rstrip() + "…"
        lines.append(f"{other.get('label')}: “{sentence}”")
    if not lines:
        return None
    name = next((t.display_name for t in labelset.targets if t.id == stance["target"]), "")
    return f"{stance['label']} {name}; also read in: " + " | ".join(lines)


def prediction_score(prediction: dict[str, Any]) -> float | None:
    """The mean of the item scores of a prediction, or None when it has none."""
    scores = [
        float(x["score"])
        for x in [*(prediction.get("entities") or []), *(prediction.get("stances") or [])]
        if isinstance(x.get("score"), int | float)
    ]
    return round(sum(scores) / len(scores), 4) if scores else None


def results_to_records(results: Any, text: str, labelset: LabelSet) -> Converted:
    """Entity spans and stance triples of one annotation's results, with checks."""
    out = Converted()
    if not isinstance(results, list):
        out.problem(-1, results, "result is not a list")
        return out
    entity_names = set(labelset.entity_names)
    target_ids = set(labelset.target_ids)
    # the config shows a target's name and stores its id (`alias`); a result saved with the
    # name (a config without the alias) means the same target
    target_by_name = {t.display_name: t.id for t in labelset.targets}
    stance_names = set(labelset.stance_names)
    entities: dict[str, dict[str, Any]] = {}
    targets: dict[str, dict[str, Any]] = {}
    relations: list[tuple[int, dict[str, Any]]] = []
    for i, res in enumerate(results):
        if not isinstance(res, dict):
            out.problem(i, res, "result item is not an object")
            continue
        kind = res.get("type")
        if kind == "relation":
            relations.append((i, res))
            continue
        if kind != "labels":
            out.problem(i, res, f"unexpected result type {kind!r}")
            continue
        from_name, value = res.get("from_name"), res.get("value") or {}
        if res.get("to_name") != TEXT:
            out.problem(i, res, f"region on unknown object {res.get('to_name')!r}")
            continue
        labels = value.get("labels") or []
        if from_name == TARGET and len(labels) == 1 and labels[0] not in target_ids:
            labels = [target_by_name.get(labels[0], labels[0])]
        why = None
        if len(labels) != 1:
            why = f"region has {len(labels)} labels, expected one"
        if why is None and from_name == ENTITY and labels[0] not in entity_names:
            why = f"unknown entity label {labels[0]!r}"
        elif why is None and from_name == TARGET and labels[0] not in target_ids:
            why = f"unknown target {labels[0]!r}"
        elif why is None and from_name not in (ENTITY, TARGET):
            why = f"region from unknown control {from_name!r}"
        if why is None and not res.get("id"):
            why = "region has no id"
        read = why or _read_region(out, i, res, text)
        if isinstance(read, str):
            out.problem(i, res, read)
            continue
        start, end = read
        item = {
            "region_id": str(res["id"]),
            "start": start,
            "end": end,
            "label": labels[0],
            "text": text[start:end],
        }
        if from_name == ENTITY:
            entities[item["region_id"]] = item
            out.entities.append(item)
        else:
            targets[item["region_id"]] = item
    for i, rel in relations:
        a, b = str(rel.get("from_id")), str(rel.get("to_id"))
        direction = rel.get("direction", "right")
        labels = rel.get("labels") or []
        missing = [x for x in (a, b) if x not in entities and x not in targets]
        if missing:
            out.problem(i, rel, f"relation endpoint {missing[0]!r} is not a known region")
            continue
        if direction not in RELATION_DIRECTIONS:
            out.problem(i, rel, f"unknown relation direction {direction!r}")
            continue
        if a in targets and b in entities:
            # drawn from the target to the holder (any direction): the meaning is unambiguous
            a, b = b, a
        if not (a in entities and b in targets):
            out.problem(i, rel, "a stance relation must link an entity (holder) and a target span")
            continue
        if len(labels) != 1 or labels[0] not in stance_names:
            why = "relation has no stance label" if not labels else f"stance labels {labels!r}"
            out.problem(i, rel, f"{why}; expected one of {', '.join(labelset.stance_names)}")
            continue
        holder, target = entities[a], targets[b]
        if holder["label"] not in labelset.holder_labels:
            out.problem(i, rel, f"a {holder['label']} span cannot hold a stance")
            continue
        out.stances.append(
            {
                "holder": {k: holder[k] for k in ("start", "end", "label", "text")},
                "target": target["label"],
                "target_span": {"start": target["start"], "end": target["end"]},
                "label": labels[0],
            }
        )
    return out


def merge_to_results(merge: Merge, text: str) -> list[dict[str, Any]]:
    """Label Studio results of a review task: agreed items once, disputed ones per option.

    A disputed region carries who marked it in its `meta` (Label Studio shows region meta
    in the region's details) and the share of annotators who did as its `score`. A disputed
    stance gets its own copy of the target region, so two annotators' labels of the same
    holder and target are two relations the reviewer can tell apart and delete.
    """
    n = len(merge.annotators)
    results: list[dict[str, Any]] = []
    # (start, end, label) -> [(region id, annotators who marked it)]
    regions: dict[tuple[int, int, str], list[tuple[str, tuple[str, ...]]]] = {}

    def note(by: tuple[str, ...], what: str = "") -> dict[str, Any]:
        missing = [a for a in merge.annotators if a not in by]
        line = f"{what}by {', '.join(by)}" + (f"; not by {', '.join(missing)}" if missing else "")
        return {"meta": {"text": [line]}, "score": round(len(by) / n, 4) if n else None}

    for i, item in enumerate(merge.entities):
        s = item.span
        region_id = f"{'a' if item.agreed else 'd'}{i}"
        region = _region(region_id, ENTITY, s.start, s.end, s.label, text)
        if not item.agreed:
            region.update(note(item.by))
        results.append(region)
        regions.setdefault((s.start, s.end, s.label), []).append((region_id, item.by))

    def holder_region(t: Triple, by: tuple[str, ...]) -> str:
        h = t.holder
        options = regions.get((h.start, h.end, h.label), [])
        for region_id, marked_by in options:
            if set(by) <= set(marked_by):
                return region_id
        if options:
            return options[0][0]
        region_id = f"h{len(results)}"
        region = _region(region_id, ENTITY, h.start, h.end, h.label, text)
        region.update(note(by, "holder "))
        results.append(region)
        regions[(h.start, h.end, h.label)] = [(region_id, by)]
        return region_id

    shared_targets: dict[tuple[int, int, str], str] = {}
    relations = []
    for i, st in enumerate(merge.stances):
        t = st.triple
        if t.target_span is None:
            continue  # nothing to draw the relation to (never the case for Label Studio data)
        start, end = t.target_span
        if st.agreed:
            key = (start, end, t.target)
            target_id = shared_targets.get(key)
            if target_id is None:
                target_id = shared_targets[key] = f"t{i}"
                results.append(_region(target_id, TARGET, start, end, t.target, text))
        else:
            target_id = f"s{i}"
            region = _region(target_id, TARGET, start, end, t.target, text)
            region.update(note(st.by, f"{t.label} "))
            results.append(region)
        relations.append(
            {
                "from_id": holder_region(t, st.by),
                "to_id": target_id,
                "type": "relation",
                "direction": "right",
                "labels": [t.label],
            }
        )
    return results + relations


# -- tasks ---------------------------------------------------------------------------------


def task_data(text: str, article_id: str, content_hash: str, url: str | None) -> dict[str, Any]:
    """A task's `data`: what the labeling config shows, and the keys to find it again.

    `text` is the unit text (`spans.unit_text`: the title is its first paragraph, so it is
    labelable); `title` is the plain heading above it, empty but for review tasks (and for
    tasks pushed before, layout `body`, which showed the title there).
    """
    return {
        "text": text,
        "title": "",
        "layout": sp.UNIT_LAYOUT,
        "article_id": article_id,
        "content_hash": content_hash,
        "url": url or "",
    }


def task_layout(data: dict[str, Any]) -> str:
    """The layout of a task's text: tasks pushed before `layout` existed show the body."""
    return sp.UNIT_LAYOUT if data.get("layout") == sp.UNIT_LAYOUT else sp.BODY_LAYOUT


def unit_records(converted: Converted, shift: int) -> Converted:
    """Records read on a task's text, with offsets moved into the unit text (`shift`:
    `spans.task_shift`, 0 for tasks of layout `unit`)."""
    if not shift:
        return converted
    record, _ = shift_record({"entities": converted.entities, "stances": converted.stances}, shift)
    return Converted(record["entities"], record["stances"], converted.problems)


def prediction_payload(
    model_version: str, record: dict[str, Any], text: str, labelset: LabelSet
) -> tuple[dict[str, Any], list[str]]:
    """One Label Studio prediction of a record, and what could not be converted."""
    results, problems = prediction_to_results(record, text, labelset)
    payload: dict[str, Any] = {"model_version": model_version, "result": results}
    score = prediction_score(record)
    if score is not None:
        payload["score"] = score
    return payload, problems


def task_payload(
    data: dict[str, Any],
    prediction: tuple[str, dict[str, Any]] | None,
    labelset: LabelSet,
) -> tuple[dict[str, Any], list[str]]:
    """One task to import: its data and, when known, its (model version, record) prediction."""
    task: dict[str, Any] = {"data": data}
    if prediction is None:
        return task, []
    version, record = prediction
    payload, problems = prediction_payload(version, record, data["text"], labelset)
    task["predictions"] = [payload]
    return task, [f"{data['article_id']} ({version}): {p}" for p in problems]


def review_task(
    data: dict[str, Any],
    merge: Merge,
    judgements: dict[str, Judgement],
    labelset: LabelSet,
    project: str,
    merged_version: str,
) -> tuple[dict[str, Any], list[str]]:
    """One task of a review project: the merged versions as its prediction of
    `merged_version`, and each annotator's own version as a prediction `annotator:EMAIL`."""
    text = data["text"]
    head = f"[review: {merge.entity_differences} entity, {merge.stance_differences} stance "
    head += "differences] "
    predictions = [{"model_version": merged_version, "result": merge_to_results(merge, text)}]
    problems: list[str] = []
    for who in merge.annotators:
        j = judgements[who]
        record = judgement_record(sorted(set(j.spans)), list(j.triples), text)
        results, skipped = prediction_to_results(record, text, labelset)
        problems += [f"{data['article_id']} (annotator:{who}): {p}" for p in skipped]
        predictions.append({"model_version": f"annotator:{who}", "result": results})
    task = {
        "data": {
            **data,
            "title": head + (data.get("title") or ""),
            "review_of": project,
            "annotators": ", ".join(merge.annotators),
            "disputes": "\n".join(merge.notes(text)),
        },
        "predictions": predictions,
    }
    return task, problems


# -- annotations ---------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """A Label Studio timestamp (ISO 8601, maybe with Z) as an aware datetime."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def user_names(users: Any) -> dict[int, str]:
    """User id -> e-mail (or username) from Label Studio's user list."""
    items = users.get("results", users) if isinstance(users, dict) else users
    return {int(u["id"]): u.get("email") or u.get("username") or f"user:{u['id']}" for u in items}


def annotator_of(ann: dict[str, Any], names: dict[int, str]) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("username") or f"user:{who.get('id')}")
    if isinstance(who, int):
        return names.get(who, f"user:{who}")
    return "unknown"


def annotation_values(ann: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    """The store's column values of one Label Studio annotation (its result kept raw)."""
    return {
        "annotator": annotator_of(ann, names),
        "created_at": parse_time(ann.get("created_at")),
        "updated_at": parse_time(ann.get("updated_at")),
        "cancelled": bool(ann.get("was_cancelled")),
        "ground_truth": bool(ann.get("ground_truth")),
        "lead_time": ann.get("lead_time"),
        "result": ann.get("result") or [],
    }
