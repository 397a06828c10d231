"""Stance and entity quality of the default pre-annotator (rules, no --model) on every gold set.

The real-reporting set is split by article: reporting-dev (the rules were tuned on it) and
reporting-test (never looked at while tuning); the figure that counts is test. news and
heldout are the older gold sets, printed for the entity no-regression check. Stances are
scored per (actor, target, label) per article (annotate/evaluate.py). With --anchor PATH
(a checkout of main), the same sets are scored with that checkout's rules in a child
process, side by side, through this checkout's scorer.

Usage: python benchmarks/stance.py [--anchor /work/main] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "fixtures" / "gold"
SETS = {
    "reporting-dev": "reporting-targets.yaml",
    "reporting-test": "reporting-targets.yaml",
    "heldout": "heldout-targets.yaml",
    "news": "targets.yaml",
}


def score_all() -> dict[str, dict]:
    """Each set's figures with the rules importable as `annotate` in this process."""
    from annotate.evaluate import evaluate, read_gold_jsonl
    from annotate.preannotate.model import PreAnnotator
    from annotate.schemas import load_labelset, load_targets

    out = {}
    for name, targets in SETS.items():
        labelset = load_labelset().with_targets(load_targets(GOLD / targets))
        model = PreAnnotator(labelset)
        docs = list(read_gold_jsonl(GOLD / f"{name}.jsonl", labelset))
        t0 = time.perf_counter()
        rep = evaluate(docs, model.predict, labelset).as_dict()
        rep["seconds"] = time.perf_counter() - t0
        out[name] = rep
    return out


def anchor_scores(anchor: Path) -> dict[str, dict]:
    """The anchor checkout's rules predict; this checkout's gold and scorer judge."""
    # The anchor's package predicts in a child process; this checkout's gold and scorer judge.
    predict = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from annotate.preannotate.model import PreAnnotator\n"
        "from annotate.schemas import load_labelset, load_targets\n"
        f"gold = Path({str(GOLD)!r})\n"
        f"sets = {SETS!r}\n"
        "out = {}\n"
        "for name, targets in sets.items():\n"
        "    ls = load_labelset().with_targets(load_targets(gold / targets))\n"
        "    m = PreAnnotator(ls)\n"
        "    recs = [json.loads(line) for line in (gold / f'{name}.jsonl').open()]\n"
        "    out[name] = {r['id']: m.predict(r['text'], r['id']) for r in recs}\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(anchor)}
    done = subprocess.run(
        [sys.executable, "-c", predict],
        env=env,
        cwd=anchor,
        capture_output=True,
        text=True,
        check=True,
    )
    preds = json.loads(done.stdout)
    from annotate.evaluate import evaluate, read_gold_jsonl
    from annotate.schemas import load_labelset, load_targets

    out = {}
    for name, targets in SETS.items():
        labelset = load_labelset().with_targets(load_targets(GOLD / targets))
        docs = list(read_gold_jsonl(GOLD / f"{name}.jsonl", labelset))
        out[name] = evaluate(docs, lambda _t, i, p=preds[name]: p[i], labelset).as_dict()
    return out


def _row(rep: dict) -> str:
    st, ent = rep["stance"], rep["entities_micro"]
    return (
        f"stance P {st['precision']:.3f} R {st['recall']:.3f} F1 {st['f1']:.3f} "
        f"({st['support']} gold, {st['predicted']} predicted) | entity F1 {ent['f1']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchor", type=Path, help="a checkout whose rules to compare with")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    ours = score_all()
    theirs = anchor_scores(args.anchor) if args.anchor else None
    if args.json:
        print(json.dumps({"ours": ours, "anchor": theirs}, indent=1))
        return
    for name in SETS:
        print(f"{name:15} this:   {_row(ours[name])}")
        if theirs:
            print(f"{'':15} anchor: {_row(theirs[name])}")
        labels = ours[name]["stance_labels"]
        per = ", ".join(f"{k} F1 {v['f1']:.2f} (n={v['support']})" for k, v in labels.items())
        print(f"{'':15} by label: {per}")


if __name__ == "__main__":
    main()
