"""The same dedup on a Ray cluster: ``segmenter dedup --engine ray`` (``pip install
'segmenter[ray]'``).

Inputs are shards: JSONL files (optionally ``.gz``/``.zst``), ``.txt`` documents and Parquet
files, as local paths or any path ``pyarrow.fs`` understands (``s3://``, ``gs://``, ``hdfs://``,
``file://``). Each shard is read, cleaned, split and signed by one Ray task; LSH buckets,
candidate verification, the one-container rule and connected components (large-star /
small-star rounds) run as Ray tasks over hash partitions, so no task holds every edge; each
component with more than one unit is then replayed through the local ``Deduplicator`` so that
clusters, keepers, relations, similarities and evidence are the local engine's (see
:mod:`segmenter.engines.plan` for why that is exact). Outputs stream back to the driver in
input order, one group of shards at a time.

::

    from segmenter.engines.ray import RayEngine
    from segmenter.pipeline import dedup_records, run

    for record in dedup_records(["s3://bucket/dump/"], config, split=False,
                                engine=RayEngine("auto")):
        ...
    report = run(["shards/"], "out/", config, engine=RayEngine("ray://head:10001"))

Every worker needs segmenter installed (the same version as the driver), e.g. in the cluster's
image or with ``runtime_env={"pip": ["segmenter"]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import ConfigError, SegmenterError
from . import Assigned, Job
from .driver import Plan, execute

__all__ = ["RayEngine", "RayExecutor", "connect"]


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
        """Submit ``fn(*args)`` as a Ray task; its ``num_returns`` ``ObjectRef``s."""
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(num_cpus=self._cpus)(fn)
        refs = remote.options(num_returns=num_returns).remote(*args)
        return [refs] if num_returns == 1 else list(refs)

    def get(self, handles: Sequence[Any]) -> list[Any]:
        """The values of ``handles``; a task's ``SegmenterError`` is raised as itself."""
        try:
            return list(self._ray.get(list(handles)))
        except self._ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, SegmenterError):
                raise cause from None
            raise


class RayEngine:
    """The engine on a Ray cluster: ``address`` ``None`` starts a local runtime (``num_cpus``
    workers), ``"auto"`` joins this machine's cluster, ``"ray://HOST:PORT"`` a remote one;
    ``parts`` hash partitions for the shuffles (default: twice the cluster's CPUs, 2 to 256).
    Connects when :meth:`assign` starts and, if it connected, shuts Ray down at the end."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 parts: int | None = None, runtime_env: Mapping[str, Any] | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.parts = parts
        self.runtime_env = runtime_env

    def assign(self, job: Job) -> Iterator[Assigned]:
        """Each unit's assignment (and record), in input order, computed on Ray."""
        if job.observe is not None:
            raise ConfigError("the ray engine analyses documents in its workers; it cannot "
                              "hand each one to an observer (use the local engine)")
        started = connect(self.address, self.num_cpus, self.runtime_env)
        try:
            yield from execute(RayExecutor(), job, _default_plan(self.parts))
        finally:
            if started:
                _ray().shutdown()


def _default_plan(parts: int | None) -> Plan:
    if parts is not None:
        return Plan(parts=parts)
    cpus = int(_ray().cluster_resources().get("CPU", 2))
    return Plan(parts=max(2, min(256, 2 * cpus)))
