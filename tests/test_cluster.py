"""`annotate preannotate --scheduler`: shards on a real 2-worker Dask LocalCluster give the
serial offline run's records, shard for shard, with one pre-annotator per worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

from annotate.cli import app  # noqa: E402
from annotate.cluster import runner as cluster  # noqa: E402
from annotate.cluster.shards import expand, read_predictions, read_shard, write_shard  # noqa: E402
from annotate.errors import ClusterError, InputError, UsageError  # noqa: E402
from annotate.schemas import load_labelset  # noqa: E402
from tests.conftest import runner  # noqa: E402

PLACES = ["Nairobi", "Lima", "Oslo", "Hanoi", "Accra", "Quito"]
PEOPLE = ["Angela Merkel", "Emmanuel Macron", "William Ruto", "Dina Boluarte"]


def _articles(shard: int, n: int) -> list[dict[str, str]]:
    return [
        {
            "id": f"s{shard}-{i}",
            "text": f"{PEOPLE[(shard + i) % 4]} said in {PLACES[i % 6]} that France supported "
            f"the ceasefire, while the United Nations rejected plan {i} on Tuesday.",
        }
        for i in range(n)
    ]


def _write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _write_parquet(path: Path, records: list[dict[str, str]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(records), path)
    return path


@pytest.fixture(scope="module")
def two_workers() -> Iterator[Client]:
    """A real cluster with two worker processes, reached by address as a remote one is."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as lc,
        Client(lc) as client,
    ):
        yield client


def test_local_cluster_writes_the_serial_runs_records(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    for k in range(3):
        _write_jsonl(shards / f"part-{k}.jsonl", _articles(k, 5 + k))
    _write_parquet(shards / "part-3.parquet", _articles(3, 4))
    serial = {}
    for k in range(3):
        out = tmp_path / f"serial-{k}.jsonl"
        result = runner.invoke(
            app, ["preannotate", str(shards / f"part-{k}.jsonl"), "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        serial[k] = out
    result = runner.invoke(
        app, ["preannotate", str(shards / "*"), "--scheduler", "local:2", "-o", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    assert "22 article(s) in 4 shard(s)" in result.output
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "part-0.jsonl",
        "part-1.jsonl",
        "part-2.jsonl",
        "part-3.parquet",
    ]
    for k in range(3):  # JSONL shards: the serial run's bytes
        assert (tmp_path / "p" / f"part-{k}.jsonl").read_bytes() == serial[k].read_bytes()
    # The Parquet shard: the serial run's records over the same articles.
    _write_jsonl(tmp_path / "part-3.jsonl", _articles(3, 4))
    out = tmp_path / "serial-3.jsonl"
    assert (
        runner.invoke(
            app, ["preannotate", str(tmp_path / "part-3.jsonl"), "-o", str(out)]
        ).exit_code
        == 0
    )
    expected = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    got = [rec for _w, rec in read_predictions(str(tmp_path / "p" / "part-3.parquet"))]
    assert got == expected
    assert any(r["entities"] for r in got) and any(r["stances"] for r in got)


def test_each_worker_builds_the_preannotator_once(two_workers: Client, tmp_path: Path) -> None:
    for k in range(6):
        _write_jsonl(tmp_path / f"s{k}.jsonl", _articles(k, 3))
    address = two_workers.scheduler.address
    labels = load_labelset()
    for run in range(2):  # the second run reuses what the workers built
        summary = cluster.preannotate_shards(
            [str(tmp_path / "s*.jsonl")],
            str(tmp_path / f"out{run}"),
            labels,
            address,
            fmt="parquet",
        )
        assert (summary.shards, summary.articles) == (6, 18)
    name = cluster.PreAnnotatorPlugin(labels, None, summary.model_version).name

    def built(dask_worker) -> tuple[int, int]:
        from annotate.preannotate import model

        return dask_worker.plugins[name].builds, model._cached.cache_info().misses

    assert list(two_workers.run(built).values()) == [(1, 1), (1, 1)]
    assert len(list((tmp_path / "out1").iterdir())) == 6


def test_a_bad_shard_line_is_one_error_naming_file_and_line(
    two_workers: Client, tmp_path: Path
) -> None:
    _write_jsonl(tmp_path / "good.jsonl", _articles(0, 2))
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "text": "Oslo."}\n{"id": "b"}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2: expected an object with a string `text`"):
        cluster.preannotate_shards(
            [str(tmp_path / "*.jsonl")],
            str(tmp_path / "out"),
            load_labelset(),
            two_workers.scheduler.address,
        )
    assert not (tmp_path / "out" / "bad.jsonl").exists()


def test_shards_at_an_fsspec_url() -> None:
    """Shards are read and written through fsspec: here its in-memory filesystem."""
    import fsspec

    with fsspec.open("memory://in/a.jsonl", "w") as fh:
        fh.write(json.dumps({"id": 7, "text": "Oslo."}) + "\n")
    assert expand(["memory://in/*"]) == ["memory:///in/a.jsonl"]
    assert list(read_shard("memory:///in/a.jsonl")) == [("7", "Oslo.")]
    records = [{"id": "m1", "model_version": "v", "entities": [], "stances": []}]
    assert write_shard(records, "memory://preds/m.parquet", "parquet") == 1
    assert [r for _w, r in read_predictions("memory://preds/m.parquet")] == records
    assert fsspec.filesystem("memory").ls("/preds", detail=False) == ["/preds/m.parquet"]


def test_scheduler_specs_and_unreachable_schedulers(tmp_path: Path) -> None:
    assert cluster.parse_scheduler("local:3") == 3
    assert cluster.parse_scheduler("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:x", "10.0.0.5:8786"):
        with pytest.raises(UsageError, match="tcp://HOST:PORT or local:N"):
            cluster.parse_scheduler(bad)
    _write_jsonl(tmp_path / "a.jsonl", _articles(0, 1))
    with pytest.raises(ClusterError, match="no Dask scheduler answered"):
        cluster.preannotate_shards(
            [str(tmp_path / "a.jsonl")],
            str(tmp_path / "out"),
            load_labelset(),
            "tcp://127.0.0.1:9",
            timeout=1,
        )


def test_the_cli_refuses_mixed_modes_and_clobbering(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "a.jsonl", _articles(0, 1))
    result = runner.invoke(
        app, ["preannotate", str(tmp_path / "a.jsonl"), "--scheduler", "local:1"]
    )
    assert result.exit_code == 1 and "-o DIR" in result.output
    result = runner.invoke(
        app,
        ["preannotate", str(tmp_path / "a.jsonl"), "--scheduler", "local:1", "-o", str(tmp_path)],
    )
    assert result.exit_code == 1 and "would be overwritten" in result.output
    result = runner.invoke(
        app, ["preannotate", str(tmp_path / "none*.jsonl"), "--scheduler", "local:1", "-o", "x"]
    )
    assert result.exit_code == 1 and "no .jsonl or .parquet shard matches" in result.output
