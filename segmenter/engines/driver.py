"""The driver of the distributed dedup: submits the plan's tasks (:mod:`.plan`) to an executor
and streams the results back in input order. Holds no edge and no text itself: only handles,
each shard's counters, and one group of shards' output at a time."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import ReadConfig
from ..counters import Counters
from ..dedup import sample_config
from ..errors import ConfigError
from ..io import InputFile, RejectSink, list_inputs
from ..stage import IdRenamer
from . import Assigned, Job, plan

__all__ = ["Plan", "execute", "list_shards"]


@dataclass(frozen=True, slots=True)
class Plan:
    """How wide the distributed stages are: ``parts`` hash partitions for the shuffles (at least
    2), and ``groups`` groups of consecutive shards the output is assembled in (0: one per
    shard, at least 2, at most 256)."""

    parts: int = 8
    groups: int = 0

    def __post_init__(self) -> None:
        if self.parts < 2 or (self.groups and self.groups < 2):
            raise ConfigError(f"parts must be >= 2 and groups 0 or >= 2, got {self.parts}, "
                              f"{self.groups}")


def execute(executor: plan.Executor, job: Job, layout: Plan | None = None
            ) -> Iterator[Assigned]:
    """Every unit's assignment (and, with ``job.records``, its stories.jsonl record without the
    cluster fields), in input order; the shards' counters are merged into ``job.counters``."""
    config, stats = job.config, job.counters
    clean, split, explain, want_records = job.clean, job.split, job.explain, job.records
    shards = list_shards(job.inputs, config.read)
    if len(shards) >= plan.MAX_SHARDS:
        raise ConfigError(f"too many input files ({len(shards)}); at most {plan.MAX_SHARDS - 1}")
    layout = layout or Plan()
    P = layout.parts
    n = len(shards)
    G = layout.groups or min(max(n, 2), 256)
    group_of_shard = np.asarray([i * G // max(n, 1) for i in range(n)], dtype=np.int64)
    members = [[s.index for s in shards if group_of_shard[s.index] == g] for g in range(G)]
    submit = executor.submit

    # 1. shards: read, clean, split, sign
    outs = [submit(plan.analyse_shard, (s, config, clean, split, explain, want_records, P),
                   4 + 3 * P) for s in shards]
    reports = executor.get([o[0] for o in outs])
    metas = [o[1] for o in outs]
    texts = [o[2] for o in outs]
    records = [o[3] for o in outs]
    _account(reports, stats, job.rejects)
    dedup_started = time.perf_counter()

    # duplicate document ids: renamed as the local reader does
    renamed = _renames(executor, metas, members, P, stats)

    # 2. buckets -> candidate pairs and exact-copy edges
    buckets = [submit(plan.bucket_pairs, (config.dedup.max_bucket, P,
                                         *(o[4 + q] for o in outs)), 2 * P) for q in range(P)]
    cfg = config.dedup
    pairs = [[b[q] for b in buckets] for q in range(P)]
    if cfg.block:  # block candidates: shared sampled fingerprints, by unit
        occ = [submit(plan.block_pairs, (sample_config(cfg).max_df, P,
                                         *(o[4 + 2 * P + q] for o in outs)), P)
               for q in range(P)]
        for q in range(P):
            pairs[q].append(submit(plan.block_select, (cfg, cfg.bands, *(oc[q] for oc in occ)),
                                   1)[0])
        del occ
    # 3. verify
    attached = [submit(plan.attach_sets, (cfg.bands, P, len(pairs[q]), *pairs[q],
                                          *(o[4 + P + q] for o in outs)), P) for q in range(P)]
    del pairs
    verified = [submit(plan.verify_pairs, (cfg, P, len(attached), *(a[q] for a in attached),
                                           *(o[4 + P + q] for o in outs)), 3 * P)
                for q in range(P)]
    del attached
    # 4. one container per contained unit
    resolved = [submit(plan.resolve_containers, (P, *(v[P + q] for v in verified)), 2 * P)
                for q in range(P)]
    # 5. connected components over exact, near and container edges
    edges = [[b[P + q] for q in range(P)] for b in buckets]  # producer-major
    edges += [[v[2 * P + q] for q in range(P)] for v in verified]
    edges += [[r[P + q] for q in range(P)] for r in resolved]
    del buckets
    while True:
        large = [submit(plan.star_step, (True, P, *(e[q] for e in edges)), 1 + P)
                 for q in range(P)]
        if all(executor.get([s[0] for s in large])):
            break
        small = [submit(plan.star_step, (False, P, *(s[1 + q] for s in large)), 1 + P)
                 for q in range(P)]
        edges = [s[1:] for s in small]
    labels = [submit(plan.labels_of, (group_of_shard, G, *(e[q] for e in edges)), 1 + G)
              for q in range(P)]
    del edges, large
    # 6. replay every component with more than one unit
    links = [submit(plan.route_links, (P, labels[q][0], *(v[q] for v in verified),
                                       *(r[q] for r in resolved)), P) for q in range(P)]
    del verified, resolved
    emitted = [submit(plan.emit_members, (P, {i: renamed.get(i, {}) for i in members[g]},
                                          len(labels), len(members[g]),
                                          *(lab[1 + g] for lab in labels),
                                          *(metas[i] for i in members[g]),
                                          *(texts[i] for i in members[g])), P)
               for g in range(G)]
    replayed = [submit(plan.replay_components, (config.dedup, G, group_of_shard, len(links),
                                                *(lk[q] for lk in links),
                                                *(e[q] for e in emitted)), G) for q in range(P)]
    del links, emitted, labels, texts
    # 7. assemble, group by group, in order
    assembled = [submit(plan.assemble_group, ({i: renamed.get(i, {}) for i in members[g]},
                                              len(members[g]), *(metas[i] for i in members[g]),
                                              *(records[i] for i in members[g]),
                                              *(r[g] for r in replayed)), 1)[0]
                 for g in range(G)]
    del replayed, outs
    for g in range(G):
        (rows,) = executor.get([assembled[g]])
        assembled[g] = None
        if g == 0:  # the distributed stages are done when the first group is
            stats.seconds["dedup"] = stats.seconds.get("dedup", 0.0) + (
                time.perf_counter() - dedup_started)
        yield from rows


def list_shards(inputs: Sequence[str], config: ReadConfig) -> list[InputFile]:
    """The input files, one shard each, in reading order (stdin cannot be shared out)."""
    if "-" in inputs:
        raise ConfigError("the ray engine reads files (local or URIs), not stdin ('-')")
    return list_inputs(inputs, config)


def _account(reports: Sequence[plan.ShardResult], stats: Counters,
             rejects: RejectSink | None) -> None:
    """Counters, rejects and warnings of every shard in input order; the first error raised."""
    for rep in reports:
        for category, message in rep.warnings:
            warnings.warn(message, category, stacklevel=4)
        for record in rep.rejects:
            if rejects is not None:
                rejects.add_record(record)
        stats.merge(rep.counters)
        if rep.error is not None:
            raise rep.error


def _renames(executor: plan.Executor, metas: list[Any], members: list[list[int]], P: int,
             stats: Counters) -> dict[int, dict[int, str]]:
    """``{shard: {doc: new id}}`` for documents whose id was seen before, renamed ``id~N`` in
    input order exactly as the local reader does (with the same warning)."""
    groups = [g for g in members if g]
    hashed = [executor.submit(plan.doc_id_hashes, (P, *(metas[i] for i in g)), P)
              for g in groups]
    repeated = executor.get([executor.submit(plan.repeated_hashes,
                                             tuple(h[q] for h in hashed), 1)[0]
                             for q in range(P)])
    wanted = np.concatenate(repeated) if repeated else np.empty(0, np.uint64)
    if len(wanted) == 0:
        return {}
    found = executor.get([executor.submit(plan.ids_at_risk, (wanted, *(metas[i] for i in g)),
                                          1)[0] for g in groups])
    docs = sorted(row for rows in found for row in rows)
    renamer = IdRenamer()
    out: dict[int, dict[int, str]] = {}
    for shard, d, doc_id, source, line in docs:
        new = renamer.rename(doc_id, source, line)
        if new is not None:
            out.setdefault(shard, {})[d] = new
            stats.renamed_ids += 1
    return out
