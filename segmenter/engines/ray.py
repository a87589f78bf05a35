"""The same dedup on a Ray cluster: ``segmenter dedup --engine ray`` (``pip install
'segmenter[ray]'``).

Inputs are shards: JSONL files (optionally ``.gz``/``.zst``), ``.txt`` documents and Parquet
files, as local paths or any path ``pyarrow.fs`` understands (``s3://``, ``gs://``, ``hdfs://``,
``file://``). Each shard is read, cleaned, split and signed by one Ray task; LSH buckets,
candidate verification, the one-container rule and connected components (large-star /
small-star rounds) run as Ray tasks over hash partitions, so no task holds every edge; each
component with more than one unit is then replayed through the local ``Deduplicator`` so that
clusters, keepers, relations, similarities and evidence are the local engine's (see
:mod:`segmenter.engines._plan` for why that is exact). Outputs stream back to the driver in
input order, one group of shards at a time.

::

    from segmenter.engines.ray import ray_dedup_records, ray_run

    for record in ray_dedup_records(["s3://bucket/dump/"], config, split=False, address="auto"):
        ...
    report = ray_run(["shards/"], "out/", config, address="ray://head:10001")

Every worker needs segmenter installed (the same version as the driver), e.g. in the cluster's
image or with ``runtime_env={"pip": ["segmenter"]}``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ConfigError, SegmenterError
from ..io import RejectSink, write_jsonl
from ..model import Assignment
from ._driver import Plan, execute

__all__ = ["RayExecutor", "connect", "ray_dedup", "ray_dedup_records", "ray_run"]


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "the ray engine needs Ray: install segmenter[ray] (pip install 'segmenter[ray]')"
        ) from exc
    return ray


def connect(address: str | None = None, num_cpus: int | None = None,
            runtime_env: Mapping[str, Any] | None = None) -> bool:
    """Connect to Ray unless this process already is: ``address`` ``None`` starts a local
    runtime (``num_cpus`` workers), ``"auto"`` joins the cluster this machine belongs to,
    ``"ray://HOST:PORT"`` a remote one through Ray Client. Returns True when this call
    connected (the caller may then :func:`ray.shutdown`)."""
    ray = _ray()
    if ray.is_initialized():
        return False
    if num_cpus is not None and num_cpus < 1:
        raise ConfigError(f"num_cpus must be >= 1, got {num_cpus}")
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True}
    if runtime_env:
        kwargs["runtime_env"] = dict(runtime_env)
    if address is None:
        kwargs["num_cpus"] = num_cpus
    elif num_cpus is not None:
        raise ConfigError("num_cpus applies to a local Ray runtime only; the cluster at "
                          f"{address!r} has its own")
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot connect to Ray at {address or 'a new local runtime'}: {exc}"
                          ) from exc
    return True


class RayExecutor:
    """Runs the plan's tasks as Ray tasks; handles are ``ObjectRef``s."""

    def __init__(self, num_cpus_per_task: float = 1.0) -> None:
        self._ray = _ray()
        self._remote: dict[Callable[..., Any], Any] = {}
        self._cpus = num_cpus_per_task

    def submit(self, fn: Callable[..., Any], args: Sequence[Any], num_returns: int = 1,
               ) -> list[Any]:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=self._cpus)(fn)
        refs = remote.options(num_returns=num_returns).remote(*args)
        return [refs] if num_returns == 1 else list(refs)

    def get(self, handles: Sequence[Any]) -> list[Any]:
        try:
            return list(self._ray.get(list(handles)))
        except self._ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SegmenterError):
                raise cause from None
            raise


def _default_plan(parts: int | None) -> Plan:
    if parts is not None:
        return Plan(parts=parts)
    cpus = int(_ray().cluster_resources().get("CPU", 2))
    return Plan(parts=max(2, min(256, 2 * cpus)))


def ray_execute(
    inputs: Iterable[str] | str,
    config: Config | None = None,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    want_records: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    parts: int | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    stats: Any = None,
    rejects: RejectSink | None = None,
) -> Iterator[tuple[Assignment, dict[str, Any] | None]]:
    """Assignments (and, with ``want_records``, each unit's stories.jsonl record without the
    cluster fields) in input order. The other functions of this module are built on it."""
    config = config or Config()
    items = [inputs] if isinstance(inputs, str) else list(inputs)
    started = connect(address, num_cpus, runtime_env)
    try:
        yield from execute(RayExecutor(), items, config, clean=clean, split=split,
                           explain=explain, want_records=want_records,
                           layout=_default_plan(parts), stats=stats, rejects=rejects)
    finally:
        if started:
            _ray().shutdown()


def ray_dedup(
    inputs: Iterable[str] | str,
    config: Config | None = None,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    parts: int | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    stats: Any = None,
    rejects: RejectSink | None = None,
) -> Iterator[Assignment]:
    """One :class:`Assignment` per unit, in input order: what ``Deduplicator.results()`` gives
    for the units of ``pipeline.analyse`` + ``pipeline.units_of`` on the same inputs."""
    for a, _ in ray_execute(inputs, config, clean=clean, split=split, explain=explain,
                            address=address, num_cpus=num_cpus, parts=parts,
                            runtime_env=runtime_env, stats=stats, rejects=rejects):
        yield a


def ray_dedup_records(
    inputs: Iterable[str] | str,
    config: Config | None = None,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    parts: int | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    stats: Any = None,
    rejects: RejectSink | None = None,
) -> Iterator[dict[str, Any]]:
    """``segmenter dedup --engine ray``: the records of ``pipeline.dedup_records`` (same
    arguments, plus where to run), with ``stats`` (a ``pipeline.RunStats``) filled the same."""
    from ..pipeline import RunStats, _assignment_fields

    stats = stats if stats is not None else RunStats()
    clusters: set[str] = set()
    for a in ray_dedup(inputs, config, clean=clean, split=split, explain=explain,
                       address=address, num_cpus=num_cpus, parts=parts, runtime_env=runtime_env,
                       stats=stats, rejects=rejects):
        _count(stats, a, clusters)
        yield {"id": a.id, **_assignment_fields(a, explain)}
    stats.clusters = len(clusters)


def _count(stats: Any, a: Assignment, clusters: set[str]) -> None:
    if a.relation is not None and a.duplicate_of is not None:
        stats.duplicates[a.relation] = stats.duplicates.get(a.relation, 0) + 1
        clusters.add(a.cluster)
    else:
        stats.unique += 1


def ray_run(
    inputs: Iterable[str] | str,
    out_dir: str | os.PathLike[str],
    config: Config | None = None,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    rejects: RejectSink | None = None,
    progress: Callable[[Any], None] | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    parts: int | None = None,
    runtime_env: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``segmenter run --engine ray``: writes ``stories.jsonl``, ``unique.jsonl`` and
    ``report.json`` into ``out_dir`` exactly as ``pipeline.run`` does (same records, same
    order; the report's seconds are this run's) and returns the report."""
    from ..io import staged_folder
    from ..pipeline import RunStats, _assignment_fields, write_run_report

    config = config or Config()
    items = [inputs] if isinstance(inputs, str) else list(inputs)
    out = Path(out_dir)
    stats = RunStats()
    started = time.perf_counter()
    clusters: set[str] = set()
    with staged_folder(out) as stage:
        with open(stage / "stories.jsonl", "w", encoding="utf-8") as stories_out, \
                open(stage / "unique.jsonl", "w", encoding="utf-8") as unique_out:
            rows = ray_execute(items, config, clean=clean, split=split, explain=explain,
                               want_records=True, address=address, num_cpus=num_cpus,
                               parts=parts, runtime_env=runtime_env, stats=stats,
                               rejects=rejects)
            for n, (a, record) in enumerate(rows, 1):
                t0 = time.perf_counter()
                assert record is not None
                _count(stats, a, clusters)
                record.update(_assignment_fields(a, explain))
                write_jsonl(stories_out, [record])
                if a.duplicate_of is None:
                    write_jsonl(unique_out, [record])
                stats.seconds["write"] += time.perf_counter() - t0
                if progress is not None and n % 10_000 == 0:
                    progress(stats)
        stats.clusters = len(clusters)
        report = write_run_report(stage, stats, config, items, clean=clean, split=split,
                                  started=started)
    return report
