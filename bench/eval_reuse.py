#!/usr/bin/env python3
"""Evaluate block containment (issue 13) before it is wired into the deduplicator.

A standalone streaming dedup over whole documents that makes the calls the deduplicator will
make: shingles in text order, MinHash ``full`` (and optionally ``head``) LSH tables, block
candidates (:mod:`segmenter.blockindex`), verification on exact shingles (Jaccard for ``near``,
the shared-block rule of :mod:`segmenter.containment` for ``contained``), the one-container
rule, the roundup guard, union-find clusters. It writes the dedup prediction format and scores
it with the shared scorers:

    python bench/eval_reuse.py                       # both dev sets, default design
    python bench/eval_reuse.py --tables full,head --sample 16 --min-shared 2 --copy-share 0.44
    python bench/eval_reuse.py --speed 30000         # docs/s on a make_corpus.py corpus

Options measured for the note are listed by ``--sweep``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmenter.blockindex import SampleConfig  # noqa: E402
from segmenter.containment import BlockRule, SharedBlock  # noqa: E402
from segmenter.dedup import verify  # noqa: E402
from segmenter.dedup.clusters import ClusterState  # noqa: E402
from segmenter.fingerprint import Signer, shingle_batch  # noqa: E402
from segmenter.index import LSHParams, open_index  # noqa: E402
from segmenter.reuse import BlockReuse, block_inputs  # noqa: E402
from segmenter.signing import text_digest  # noqa: E402

SETS = ("dedup-reuse", "dedup-dev")


@dataclass(frozen=True)
class Design:
    tables: tuple[str, ...] = ("full",)
    block: bool = True
    sample: SampleConfig = field(default_factory=SampleConfig)
    rule: BlockRule = field(default_factory=BlockRule)
    threshold: float = 0.5  # Jaccard for near
    legacy_containment: float = 0.0  # > 0: today's set-containment rule instead of blocks
    roundup_guard: bool = True
    prose: bool = True  # story content = prose lines (else every shingle counts)
    batch: int = 512


class BlockDedup:
    """The streaming loop of the deduplicator with block containment (measurement only):
    today's calls (``full`` and ``head`` LSH tables, exact verification) plus those of
    :class:`segmenter.reuse.BlockReuse`."""

    def __init__(self, design: Design) -> None:
        self.d = design
        self.signer = Signer(128, 1)
        self.index = open_index(None, LSHParams())
        self.reuse = None if design.legacy_containment else BlockReuse(
            design.rule, design.sample, lines=design.prose)
        self.ids: list[str] = []
        self.sets: list[np.ndarray] = []
        self.clusters = ClusterState()
        self.digests: dict[bytes, int] = {}
        self.candidates = 0

    def add_batch(self, docs: Sequence[tuple[str, str]]) -> None:
        base = len(self.ids)
        texts = [t for _, t in docs]
        sb = shingle_batch(texts, lines=self.reuse is not None)
        head = 32 if "head" in self.d.tables else 0
        full, heads = self.signer.sign(sb, head)
        fresh = []
        for i, (doc_id, text) in enumerate(docs):
            o = base + i
            self.ids.append(doc_id)
            self.clusters.add()
            self.sets.append(np.unique(sb.unit(i)))
            dg = text_digest(text)
            if dg in self.digests:
                self.clusters.union(o, self.digests[dg])
            else:
                self.digests[dg] = o
                fresh.append(i)
        cands: list[set[int]] = [set() for _ in docs]
        rows = np.asarray(fresh, dtype=np.int64)
        keys = [base + i for i in fresh]
        for name, sigs in (("full", full), ("head", heads)):
            if name in self.d.tables and sigs is not None:
                for j, got in enumerate(self.index.query_insert(name, keys, sigs[rows])):
                    cands[fresh[j]].update(got)
        if self.reuse is not None:
            block = self.reuse.add_batch(range(base, base + len(docs)), block_inputs(
                texts, sb, self.reuse.candidates.config))
            if self.d.block:
                for i, got in enumerate(block):
                    cands[i].update(got)
        for i in fresh:
            if len(self.sets[base + i]):
                self.judge(base + i, sorted(cands[i]))

    def judge(self, o: int, cands: list[int]) -> None:
        d = self.d
        best: tuple[float, int, int, Any] | None = None
        for c in cands:
            if c == o or not len(self.sets[c]):
                continue
            self.candidates += 1
            v = verify(self.sets[o], self.sets[c])
            if v.jaccard >= d.threshold:
                self.clusters.union(o, c)
                continue
            block = None
            if self.reuse is None:
                ok = v.containment >= d.legacy_containment and min(
                    len(self.sets[o]), len(self.sets[c])) >= 8
                o_short, share = len(self.sets[o]) <= len(self.sets[c]), v.containment
            else:
                block = self.reuse.judge(o, c, self.sets[o], self.sets[c], v.shared)
                ok, o_short = block.is_copy, block.shorter == "a"
                share = block.story_coverage or block.coverage
            if not ok:
                continue
            if o_short:  # o is a copy contained in c: keep the best container
                key = (share, len(self.sets[c]), -c, block)
                if best is None or key[:3] > best[:3]:
                    best = key
            elif c not in self.clusters.container:  # earlier unit c is contained in o
                self.link(c, o, block)
        if best is not None and o not in self.clusters.container:
            self.link(o, -best[2], best[3])

    def link(self, copy: int, container: int, block: SharedBlock | None) -> None:
        self.clusters.container[copy] = container
        guard = self.reuse is not None and self.d.roundup_guard
        if not guard or self.reuse.link(copy, container, block):  # type: ignore[union-attr]
            self.clusters.union(copy, container)

    def predictions(self) -> Iterator[dict[str, Any]]:
        for o, doc_id in enumerate(self.ids):
            yield {"id": doc_id, "cluster": self.ids[self.clusters.find(o)]}


def read_docs(path: Path, limit: int | None = None) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            rec = json.loads(line)
            yield str(rec["id"]), rec["text"]


def run(design: Design, path: Path, limit: int | None = None) -> tuple[BlockDedup, float]:
    dd = BlockDedup(design)
    t0 = time.perf_counter()
    batch: list[tuple[str, str]] = []
    for doc in read_docs(path, limit):
        batch.append(doc)
        if len(batch) >= design.batch:
            dd.add_batch(batch)
            batch = []
    if batch:
        dd.add_batch(batch)
    return dd, time.perf_counter() - t0


def score(shared: Path, name: str, pred: Path) -> dict[str, Any]:
    base = shared / "data" / name
    out = subprocess.run(
        [sys.executable, str(shared / "eval" / "score_dedup.py"), "--gold",
         str(base / "gold.jsonl"), "--pred", str(pred), "--pairs", str(base / "pairs.jsonl"),
         "--json"],
        check=True, capture_output=True, text=True).stdout
    res = json.loads(out)
    rel = res["by_relation"]
    row = {"f1": res["overall"]["pairwise_f1"]}
    for r in ("contained", "near", "partial", "hard_negative", "indirect"):
        if r in rel:
            row[r] = rel[r]["together_rate"]
    if name == "dedup-reuse":
        row.update(share_recall(base, pred))
    return row


def share_recall(base: Path, pred_path: Path) -> dict[str, float]:
    pred = {p["id"]: p["cluster"] for p in map(json.loads, open(pred_path, encoding="utf-8"))}
    out = {}
    pairs = [json.loads(line) for line in open(base / "pairs.jsonl", encoding="utf-8")]
    for lo in (0.5, 0.7):
        sel = [p for p in pairs if p["relation"] == "contained" and p["share"] >= lo]
        hit = sum(pred.get(p["a"]) == pred.get(p["b"]) is not None for p in sel)
        out[f"share>={lo}"] = hit / len(sel)
    return out


def evaluate(design: Design, shared: Path, out_dir: Path, tag: str) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for name in SETS:
        dd, secs = run(design, shared / "data" / name / "docs.jsonl")
        pred = out_dir / f"{tag}-{name}.jsonl"
        with open(pred, "w", encoding="utf-8") as fh:
            for p in dd.predictions():
                fh.write(json.dumps(p) + "\n")
        row = score(shared, name, pred)
        row["cand/unit"] = dd.candidates / len(dd.ids)
        row["block_MB"] = dd.reuse.nbytes / 2**20 if dd.reuse else 0.0
        res[name] = row
    return res


def show(tag: str, res: dict[str, Any]) -> None:
    parts = []
    for name, row in res.items():
        cells = " ".join(f"{k}={v:.3f}" for k, v in row.items() if k != "block_MB")
        parts.append(f"{name}: {cells}")
    print(f"{tag:30s} " + " | ".join(parts), flush=True)


FH = ("full", "head")
SWEEP: dict[str, Design] = {
    "today: full+head, c>=0.7": Design(tables=FH, block=False, legacy_containment=0.7,
                                       roundup_guard=False, prose=False),
    "full+head, block rule": Design(tables=FH, block=False),
    "full+head+block16": Design(tables=FH, sample=SampleConfig(sample=16, anchors=0)),
    "full+block16": Design(sample=SampleConfig(sample=16, anchors=0)),
    "full+block8": Design(sample=SampleConfig(sample=8, anchors=0)),
    "full+block16+anchors": Design(sample=SampleConfig(sample=16)),
    "full+block32+anchors (chosen)": Design(),
    "  no roundup guard": Design(roundup_guard=False),
    "  no prose/paragraph rule": Design(prose=False),
    "  share filter 0 (count only)": Design(sample=SampleConfig(share=0.0)),
    "  copy_share 0.40": Design(rule=BlockRule(copy_share=0.40)),
    "  copy_share 0.50": Design(rule=BlockRule(copy_share=0.50)),
    "  min_block 8": Design(rule=BlockRule(min_block=8)),
    "  min_block 20": Design(rule=BlockRule(min_block=20)),
}


def speed(design: Design, shared: Path, n: int, path: Path | None = None) -> None:
    """CPU time per document (``time.process_time``, best of two; the machine may be shared)
    of the standalone loop as today's design (full + head LSH, set containment, no lines) and
    as ``design``, and of today's :class:`~segmenter.dedup.Deduplicator`."""
    from segmenter.config import DedupConfig
    from segmenter.dedup import Deduplicator
    from segmenter.model import Unit

    if path is None:
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_dedup import corpus  # type: ignore[import-not-found]

        path = corpus(shared, n)
    docs = list(read_docs(path, n))
    mb = sum(len(t.encode()) for _, t in docs) / 2**20
    today = Design(tables=("full", "head"), block=False, legacy_containment=0.7,
                   roundup_guard=False, prose=False)
    for tag, dz in (("standalone, today's design", today), ("standalone, this design", design)):
        best = float("inf")
        for _ in range(2):
            t0 = time.process_time()
            dd = BlockDedup(dz)
            for i in range(0, len(docs), dz.batch):
                dd.add_batch(docs[i : i + dz.batch])
            best = min(best, time.process_time() - t0)
        print(f"{tag:28s} {best / len(docs) * 1e6:6.1f} us/doc  {mb / best:5.1f} MB/s  "
              f"candidates/unit {dd.candidates / len(docs):.2f}  block state "
              f"{dd.reuse.nbytes / len(docs) if dd.reuse else 0:.0f} B/unit")
    best = float("inf")
    for _ in range(2):
        t0 = time.process_time()
        dedup = Deduplicator(DedupConfig(split=False))
        dedup.add_many(Unit(i, t) for i, t in docs)
        dedup.finish()
        best = min(best, time.process_time() - t0)
    per_doc = best / len(docs) * 1e6
    print(f"{'Deduplicator (today)':28s} {per_doc:6.1f} us/doc  {mb / best:5.1f} MB/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=Path("/tmp/segmenter-eval-reuse"))
    ap.add_argument("--sweep", action="store_true", help="measure every design of SWEEP")
    ap.add_argument("--speed", type=int, default=0, help="docs/s on N make_corpus.py docs")
    ap.add_argument("--corpus", type=Path, help="with --speed: this JSONL instead of generating")
    ap.add_argument("--tables", default="full")
    ap.add_argument("--no-block", action="store_true")
    ap.add_argument("--sample", type=int, default=32)
    ap.add_argument("--anchors", type=int, default=3)
    ap.add_argument("--min-shared", type=int, default=2)
    ap.add_argument("--copy-share", type=float, default=BlockRule().copy_share)
    ap.add_argument("--min-block", type=int, default=BlockRule().min_block)
    ap.add_argument("--no-guard", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    design = Design(
        tables=tuple(args.tables.split(",")),
        block=not args.no_block,
        sample=SampleConfig(sample=args.sample, min_shared=args.min_shared, anchors=args.anchors),
        rule=BlockRule(copy_share=args.copy_share, min_block=args.min_block),
        roundup_guard=not args.no_guard,
    )
    if args.speed:
        speed(design, args.shared, args.speed, args.corpus)
        return
    designs = SWEEP if args.sweep else {"design": design}
    for tag, dz in designs.items():
        name = "".join(ch if ch.isalnum() else "_" for ch in tag.strip())
        show(tag, evaluate(dz, args.shared, args.out, name))
    if not args.sweep:
        print(f"predictions in {args.out}/design-<set>.jsonl; "
              f"reuse_report.py --set <shared>/data/dedup-reuse --pred ...")


if __name__ == "__main__":
    main()
