"""What an export is asked to do (`ExportOptions`) and what it did (`ExportSummary`).

Shared by the writer (`hf.py`) and the card (`card.py`), which both read them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotate.export.adjudicate import Policy
from annotate.schemas import LabelSet

# Examples of each kind of reported item kept in the summary, the card and the manifest;
# every one is written to REPORT_FILE in the export folder.
MAX_EXAMPLES = 10
REPORT_FILE = "report.jsonl"
# The card's picture: entity spans and stances per label and split (uploaded with the card).
PLOT_FILE = "label_distribution.svg"


@dataclass(frozen=True)
class ExportOptions:
    out_dir: Path
    policy: Policy
    splits: dict[str, float]
    project: str | None = None
    seed: int = 0
    min_annotators: int = 1
    include_unreviewed: bool = False
    include_invalid: bool = False
    license: str = "other"
    language: str = "en"
    pretty_name: str | None = None

    def as_manifest(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("out_dir")
        d["policy"] = str(self.policy)
        if self.policy.fallback is not None:
            d["fallback"] = str(self.policy.fallback)
        return d


@dataclass
class ExportSummary:
    """What an export wrote and everything it had to report (nothing is dropped silently)."""

    out_dir: Path
    project: str
    rows: dict[str, dict[str, int]]
    entity_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    stance_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    target_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    alignment: dict[str, int] = field(default_factory=dict)
    alignment_examples: list[str] = field(default_factory=list)
    stance_problems: dict[str, int] = field(default_factory=dict)
    stance_problem_examples: list[str] = field(default_factory=list)
    ties: dict[str, int] = field(default_factory=dict)
    tie_examples: list[str] = field(default_factory=list)
    annotators: dict[str, int] = field(default_factory=dict)
    annotations_with_problems: int = 0
    # annotations that failed their pull checks: left out (or, with include_invalid,
    # exported as source=human-invalid when the article has no valid one)
    invalid_annotations: int = 0
    invalid_examples: list[str] = field(default_factory=list)
    model_versions: dict[str, int] = field(default_factory=dict)
    predictions_used: dict[str, int] = field(default_factory=dict)
    agreement: dict[str, Any] = field(default_factory=dict)
    inputs_sha256: str = ""
    num_bytes: dict[str, dict[str, int]] = field(default_factory=dict)
    export_run_id: int | None = None
    # set when the inputs and options equal that earlier run's: nothing new was recorded
    identical_to: int | None = None
    # rows taken from a reviewer's resolution (policy `adjudicated`), and by whom
    adjudicated: dict[str, int] = field(default_factory=dict)
    reviewers: dict[str, int] = field(default_factory=dict)

    def data_files(self) -> dict[str, list[str]]:
        """The splits that have a Parquet file, per config (configs without rows omitted)."""
        files = {c: [s for s, n in splits.items() if n] for c, splits in self.rows.items()}
        return {c: splits for c, splits in files.items() if splits}

    def manifest(self, options: ExportOptions, labels: LabelSet) -> dict[str, Any]:
        """The reproducibility record written into the card and the store's ExportRun."""
        from annotate import __version__ as annotate_version

        return {
            "annotate_version": annotate_version,
            "project": self.project,
            "options": options.as_manifest(),
            "schema_version": labels.schema_version,
            "labelset_fingerprint": labels.fingerprint(),
            "rows": self.rows,
            "sources": self.sources,
            "skipped_articles": self.skipped,
            "alignment": {"counts": self.alignment, "examples": self.alignment_examples},
            "stance_problems": {
                "counts": self.stance_problems,
                "examples": self.stance_problem_examples,
            },
            "ties": {"counts": self.ties, "examples": self.tie_examples},
            **({"adjudicated": self.adjudicated} if options.policy.kind == "adjudicated" else {}),
            "annotations_with_pull_problems": self.annotations_with_problems,
            "invalid_annotations": {
                "count": self.invalid_annotations,
                "examples": self.invalid_examples,
            },
            "model_versions_pushed": self.model_versions,
            "predictions_exported": self.predictions_used,
            "inputs_sha256": self.inputs_sha256,
        }
