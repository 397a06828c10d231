"""Where an export gets its Arrow schemas and writes its card: here, or in a helper process.

The rows need `datasets` only for the Arrow schemas of the features, and the card needs
`datasets`, `huggingface_hub` and matplotlib. Importing them costs about 2.5 s of one core
whatever the export's size: a third of a 5,000-article export. A large export starts one
helper process that imports them while this process reads and adjudicates, sends the
schemas back, and at the end writes the card. It is forked, as the pre-annotator's workers
are, before the export opens its writer thread: a spawned process would re-run the
caller's main script, which hangs a script without a `__main__` guard. The child touches
none of the connections or threads it inherits. The files are the same either way: the
same functions run on the same values, only in another process.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from annotate.export.features import CONFIGS, features_for
from annotate.export.summary import ExportOptions, ExportSummary
from annotate.schemas import LabelSet

# Below this many articles the export's own work is shorter than the imports, so a helper
# would only be waited for; and once `datasets` is imported here (a second export in one
# process, as in the tests) there is nothing left to hide.
HELPER_MIN_ARTICLES = 1000


def arrow_schemas(labels: LabelSet) -> dict[str, Any]:
    """Each config's Arrow schema, with the `huggingface` metadata `datasets` reads back."""
    return {c: features_for(c, labels).arrow_schema for c in CONFIGS}


def _warm(labels: LabelSet) -> None:
    """Import what the card needs while the rows are written (the helper only), and draw
    a throwaway picture of the card's kind: matplotlib's first drawing loads fonts and
    fills its text-layout caches (about 0.1 s more than a second one, at the export's end
    when the rows are done and everything waits for the card)."""
    import datasets.info  # noqa: F401
    import huggingface_hub  # noqa: F401

    from annotate import plots

    splits = ["train", "validation", "test"]
    counts = {split: 1 for split in splits}
    plots.label_distribution(
        "warm-up",
        splits,
        labels.entity_names,
        {label: counts for label in labels.entity_names},
        labels.stance_names,
        {label: counts for label in labels.stance_names},
    )


def _write_card(
    root: Path, summary: ExportSummary, options: ExportOptions, labels: LabelSet
) -> Path:
    from annotate.export.card import write_card

    return write_card(root, summary, options, labels)


class Sidecar:
    """The export's schemas and card, from a helper process when `helper` is true."""

    def __init__(self, labels: LabelSet, helper: bool) -> None:
        self.labels = labels
        self.pool: ProcessPoolExecutor | None = None
        self._schemas: Future | None = None
        if helper:
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self._schemas = self.pool.submit(arrow_schemas, labels)
            self.pool.submit(_warm, labels)

    @classmethod
    def for_export(cls, labels: LabelSet, articles: int) -> Sidecar:
        helper = articles >= HELPER_MIN_ARTICLES and "datasets" not in sys.modules
        return cls(labels, helper)

    def ready(self) -> bool:
        """Whether `schemas()` answers without waiting."""
        return self._schemas is None or self._schemas.done()

    def schemas(self) -> dict[str, Any]:
        if self._schemas is None:
            done: Future = Future()
            done.set_result(arrow_schemas(self.labels))
            self._schemas = done
        return self._schemas.result()

    def write_card(self, root: Path, summary: ExportSummary, options: ExportOptions) -> Path:
        if self.pool is None:
            return _write_card(root, summary, options, self.labels)
        return self.pool.submit(_write_card, root, summary, options, self.labels).result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
