"""Offline pre-annotation past one machine: shards of articles on a Dask cluster, one shard of
predictions out per shard in.

Dask (`dask[distributed]`, the `cluster` extra) rather than Ray Data: the work is a map over
files with no shuffle, which Dask's futures do with a plain function per shard; Dask reads
any fsspec URL, its `LocalCluster` needs no separate service, and a worker plugin builds
the pre-annotator once per worker process. Ray Data would add a second object store and a
heavier runtime for no step this job needs.

Each task runs one shard through the same `PreAnnotator.predict` as the serial run, in the
shard's order, so a shard's output is the serial run's records for that shard. Imported
only when `--scheduler` is given, so the CLI's start-up never loads Dask.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

from annotate.cluster.shards import FORMATS, expand, output_name, read_shard, write_shard
from annotate.errors import ClusterError, UsageError
from annotate.preannotate.batch import annotator, annotator_version
from annotate.schemas import LabelSet

# Seconds to wait for a remote scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 10


@dataclass
class ShardSummary:
    model_version: str
    scheduler: str
    out_dir: str
    shards: int = 0
    articles: int = 0
    entities: int = 0
    stances: int = 0
    cpu_seconds: float = 0.0  # the workers' CPU time on the shards: what the run cost


def parse_scheduler(spec: str) -> int | str:
    """`local:N` -> N workers of a local cluster; an address (`tcp://HOST:PORT`) as given."""
    if spec.startswith("local:"):
        n = spec.removeprefix("local:")
        if n.isdigit() and int(n) >= 1:
            return int(n)
    elif "://" in spec:
        return spec
    raise UsageError(f"--scheduler {spec!r}: give tcp://HOST:PORT or local:N (N workers)")


@contextmanager
def connect(spec: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[Client]:
    """A client of the cluster at ``spec``; `local:N` starts N worker processes bound to
    127.0.0.1 with no dashboard, and stops them on exit."""
    target = parse_scheduler(spec)
    if isinstance(target, int):
        try:
            cluster = LocalCluster(
                n_workers=target,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # a shard's error is the one line raised here
            )
        except Exception as exc:  # whatever stops the workers from starting, in one line
            raise ClusterError(
                f"--scheduler {spec}: cannot start a local cluster ({exc})"
            ) from None
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(target, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"--scheduler {spec}: no Dask scheduler answered ({exc}); start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS`"
        ) from None
    with client:
        yield client


class PreAnnotatorPlugin(WorkerPlugin):
    """Builds the pre-annotator once per worker process, when the worker joins."""

    idempotent = True  # a second run of the same version reuses what the workers built

    def __init__(self, labelset: LabelSet, model_dir: Path | None, version: str) -> None:
        self.labelset = labelset
        self.model_dir = model_dir
        self.version = version
        self.model: Any = None
        self.builds = 0

    @property
    def name(self) -> str:  # type: ignore[override]
        """One plugin per label set and model version, so runs with other targets on the
        same cluster never share a pre-annotator."""
        key = f"{self.version}|{self.model_dir}|{self.labelset.fingerprint()}"
        return "annotate-" + hashlib.sha256(key.encode()).hexdigest()[:16]

    def setup(self, worker: Any) -> None:
        self.model = annotator(self.labelset, self.model_dir)
        self.builds += 1


def _run_shard(src: str, dst: str, fmt: str, plugin: str, version: str) -> dict[str, float]:
    """One shard through the worker's pre-annotator into ``dst``; its counts."""
    worker = get_worker()
    model = worker.plugins[plugin].model
    if model.model_version != version:
        raise ClusterError(
            f"worker {worker.address} runs {model.model_version}, this client {version}: "
            "install the same annotate on every worker"
        )
    started = time.process_time()
    counts: dict[str, float] = {"articles": 0, "entities": 0, "stances": 0}

    def records() -> Iterator[dict[str, Any]]:
        for art_id, text in read_shard(src):
            rec = model.predict(text, art_id)
            counts["articles"] += 1
            counts["entities"] += len(rec["entities"])
            counts["stances"] += len(rec["stances"])
            yield rec

    write_shard(records(), dst, fmt)
    counts["cpu_seconds"] = time.process_time() - started
    return counts


def preannotate_shards(
    patterns: list[str],
    out_dir: str,
    labelset: LabelSet,
    scheduler: str,
    *,
    model_dir: Path | None = None,
    fmt: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> ShardSummary:
    """Pre-annotate every shard the globs name on the cluster, one output shard each.

    ``fmt`` (jsonl or parquet) is the output's format; by default each shard's own. A
    shard that fails stops the run with its error (named file and line); shards already
    written stay, each complete, and a re-run rewrites them."""
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"--output-format {fmt!r}: use {' or '.join(FORMATS)}")
    version = annotator_version(labelset, model_dir)
    sources = expand(patterns)
    out_dir = _makedirs(out_dir)
    formats = [fmt or s.rsplit(".", 1)[1] for s in sources]
    dests = [output_name(s, out_dir, f) for s, f in zip(sources, formats, strict=True)]
    _check_outputs(sources, dests)
    summary = ShardSummary(version, scheduler, out_dir)
    with connect(scheduler, timeout) as client:
        plugin = PreAnnotatorPlugin(labelset, model_dir, version)
        client.register_plugin(plugin)
        futures = client.map(
            _run_shard,
            sources,
            dests,
            formats,
            [plugin.name] * len(sources),
            [version] * len(sources),
            pure=False,
        )
        try:
            for done, future in enumerate(as_completed(futures), 1):
                counts = future.result()
                summary.shards += 1
                summary.articles += int(counts["articles"])
                summary.entities += int(counts["entities"])
                summary.stances += int(counts["stances"])
                summary.cpu_seconds += counts["cpu_seconds"]
                if on_progress:
                    on_progress(done, len(sources))
        except BaseException:
            client.cancel(futures)
            raise
    return summary


def _check_outputs(sources: list[str], dests: list[str]) -> None:
    seen: dict[str, str] = {}
    for src, dst in zip(sources, dests, strict=True):
        if dst in seen:
            raise UsageError(
                f"{src} and {seen[dst]} would both write {dst}: give shards distinct names"
            )
        seen[dst] = src
    clash = set(sources) & set(dests)
    if clash:
        raise UsageError(
            f"{sorted(clash)[0]}: an input shard would be overwritten; choose another -o"
        )


def _makedirs(out_dir: str) -> str:
    """Create the output folder; its name as the shards are named (absolute when local)."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(out_dir)
    try:
        fs.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    return path if "file" in fs.protocol else fs.unstrip_protocol(path)
