#!/usr/bin/env python3
"""Fit the splitter's boundary weights on the development sets (reproducible, no randomness).

    python bench/fit_split.py [--shared ../shared] [--train split-dev,split-real]
                              [--score split-dev,split-real] [--write]

1. Every story line of every training page is described by the named features of
   ``segmenter.split.rules.boundary_features``, with the story so far taken from the gold
   segmentation (teacher forcing); its label says whether a gold story starts there.
2. An L2-regularised logistic regression (Newton's method, numpy) over those binary features gives
   one weight per feature; each training set carries the same total weight, so no set dominates.
3. The decision threshold is chosen by running the real splitter on the training sets with the
   fitted weights and keeping the threshold with the best mean boundary F1 over the sets among
   those that keep every set at its gated minimum (``GATE_F1``, from bench/eval_baseline.json).
4. ``--write`` writes ``segmenter/split/weights.py``; ``--score`` prints the shared scorer's
   figures on other sets (the cross-source check: ``--train split-dev --score split-real``).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_split import records  # noqa: E402

from segmenter.split import SplitConfig  # noqa: E402
from segmenter.split.config import weight_field  # noqa: E402
from segmenter.split.features import line_features  # noqa: E402
from segmenter.split.rules import (  # noqa: E402
    FEATURES,
    Segment,
    boundary_features,
    next_body_index,
)

GATE_F1 = {"split-dev": 0.97}  # boundary F1 minimum that bench/eval_baseline.json gates
L2 = 0.1  # ridge penalty on the weights (not on the intercept)
THRESHOLDS = [round(0.025 * k, 3) for k in range(-40, 41)]  # offsets tried around -intercept


def load(shared: Path, name: str) -> list[dict[str, Any]]:
    path = shared / "data" / name / "gold.jsonl"
    return [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines() if raw]


def samples(doc: dict[str, Any], cfg: SplitConfig) -> tuple[list[list[str]], list[int]]:
    """Features and labels of every story line of ``doc``, the story so far taken from gold."""
    text = doc["text"]
    starts = {text.count("\n", 0, s["start"]) for s in doc["stories"][1:]}
    lines = line_features(text, cfg)
    follow = next_body_index(lines)
    xs: list[list[str]] = []
    ys: list[int] = []
    seg: Segment | None = None
    for i, line in enumerate(lines):
        gold_start = line.index in starts
        if seg is None or (gold_start and (line.boilerplate is not None or not seg.body)):
            seg = Segment([], 1.0, [])
        elif line.boilerplate is None and seg.body:
            feats, _ = boundary_features(seg, lines, i, cfg, follow)
            xs.append(feats)
            ys.append(int(gold_start))
            if gold_start:
                seg = Segment([], 1.0, [])
        elif gold_start:
            seg = Segment([], 1.0, [])
        seg.add(line, cfg)
    return xs, ys


def fit(sets: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, float], float]:
    """Weights per feature and the intercept of the logistic regression."""
    cfg = SplitConfig()
    col = {name: k for k, name in enumerate(FEATURES)}
    rows: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for docs in sets.values():
        xs: list[list[str]] = []
        ys: list[int] = []
        for doc in docs:
            x, y = samples(doc, cfg)
            xs += x
            ys += y
        m = np.zeros((len(xs), len(FEATURES) + 1))
        m[:, -1] = 1.0
        for r, feats in enumerate(xs):
            for f in feats:
                m[r, col[f]] = 1.0
        rows.append(m)
        labels.append(np.array(ys, dtype=float))
        weights.append(np.full(len(ys), 1.0 / max(1, len(ys))))
    mat = np.vstack(rows)
    target = np.concatenate(labels)
    sw = np.concatenate(weights) * len(target) / len(sets)
    beta = np.zeros(mat.shape[1])
    penalty = np.full(mat.shape[1], L2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(mat @ beta)))
        grad = mat.T @ (sw * (p - target)) + penalty * beta
        hess = (mat * (sw * p * (1 - p))[:, None]).T @ mat + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return {name: float(beta[k]) for name, k in col.items()}, float(beta[-1])


def scorer(shared: Path) -> Any:
    spec = importlib.util.spec_from_file_location("score_split", shared / "eval" / "score_split.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(docs: list[dict[str, Any]], cfg: SplitConfig, score: Any) -> dict[str, Any]:
    preds = [rec for d in docs for rec in records(d["id"], d["text"], cfg)]
    result, _ = score.score(docs, preds)
    return dict(result)


def config_of(w: dict[str, float], threshold: float) -> SplitConfig:
    """The splitter's config with weights ``w`` and ``threshold``, scaled so the threshold is 1."""
    values: dict[str, Any] = {weight_field(k): round(v / threshold, 3) for k, v in w.items()}
    return dataclasses.replace(SplitConfig(), boundary_threshold=1.0, **values)


def summary(name: str, r: dict[str, Any]) -> str:
    o = r["overall"]
    only = r["by_case"].get("article_only", {})
    return (
        f"{name:11} boundary P {o['boundary_precision']:.3f} R {o['boundary_recall']:.3f} "
        f"F1 {o['boundary_f1']:.3f}  Pk {o['pk']:.3f}  teaser F1 {o['teaser_f1']:.3f}  "
        f"boilerplate F1 {o['boilerplate_f1']:.3f}  article_only split "
        f"{round(only.get('docs', 0) * (1 - only.get('story_count_accuracy', 1.0)))}"
    )


def write(w: dict[str, float], threshold: float, train: list[str]) -> None:
    lines = [
        '"""Evidence weights of the story splitter, written by ``bench/fit_split.py`` '
        "(do not edit by hand).",
        "",
        "A logistic regression over the named boundary features of ``rules.FEATURES``, fit on",
        f"{', '.join(train)}; ``THRESHOLD`` is the decision threshold chosen on the same sets.",
        '"""',
        "",
        f"THRESHOLD = {threshold:.3f}",
        "WEIGHTS: dict[str, float] = {",
        *[f'    "{name}": {w[name]:.3f},' for name in FEATURES],
        "}",
        "",
    ]
    (ROOT / "segmenter" / "split" / "weights.py").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--train", default="split-dev,split-real", help="sets to fit on")
    ap.add_argument("--score", default="", help="other sets to score with the fitted weights")
    ap.add_argument("--write", action="store_true", help="write segmenter/split/weights.py")
    args = ap.parse_args(argv)
    train = [t for t in args.train.split(",") if t]
    sets = {name: load(args.shared, name) for name in train}
    w, intercept = fit(sets)
    score = scorer(args.shared)
    best: tuple[float, float] = (-9.0, 0.0)
    for offset in THRESHOLDS:
        threshold = -intercept + offset
        if threshold <= 0.0:
            continue
        cfg = config_of(w, threshold)
        f1 = {name: evaluate(d, cfg, score)["overall"]["boundary_f1"] for name, d in sets.items()}
        short = sum(max(0.0, GATE_F1.get(name, 0.0) - v) for name, v in f1.items())
        value = sum(f1.values()) / len(f1) - 100.0 * short
        if value > best[0] + 1e-9:
            best = (value, threshold)
    # Scale so the threshold is 1 (same decisions; weights read as shares of the threshold).
    w = {name: v / best[1] for name, v in w.items()}
    threshold = 1.0
    print(f"intercept {intercept:.3f}  threshold {best[1]:.3f} (scaled to 1)")
    for name in FEATURES:
        print(f"  {name:24} {w[name]:+.3f}")
    cfg = config_of(w, threshold)
    for name in [*train, *[s for s in args.score.split(",") if s and s not in train]]:
        docs = sets.get(name) or load(args.shared, name)
        print(("fit   " if name in train else "score ") + summary(name, evaluate(docs, cfg, score)))
    if args.write:
        write({k: round(v, 3) for k, v in w.items()}, threshold, train)
    return 0 if not math.isnan(threshold) else 1


if __name__ == "__main__":
    raise SystemExit(main())
