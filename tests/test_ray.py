"""The Ray engine gives the local engine's clusters, keepers and output files.

Plan-level tests run the distributed plan with the in-process executor (no Ray needed); tests
marked ``ray`` start one local Ray runtime for the module (``ray.init(num_cpus=2)``).
"""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from segmenter.config import Config, DedupConfig, ReadConfig
from segmenter.engines import Job, plan
from segmenter.engines.driver import Plan, execute
from segmenter.errors import ConfigError, InputError
from segmenter.index import LSHParams
from segmenter.index.memory import MemoryIndex
from segmenter.pipeline import dedup_records
from segmenter.pipeline import run as local_run
from segmenter.records import assignment_fields
from segmenter.stage import DuplicateIdWarning

from .conftest import ROOT, SHARED, need

# Ray's own deprecation and resource warnings are not ours, and `filterwarnings = error` would
# turn them into failures of unrelated tests; only Ray's modules are filtered, ours stay errors.
# pytest runs with `filterwarnings = error`. Ray (2.9 - 2.4x) warns about its own deprecated
# internals and dependencies (DeprecationWarning / FutureWarning raised inside `ray.*` modules);
# those are not ours and would fail every test on an older Ray. Only warnings attributed to Ray's
# modules are ignored; warnings from segmenter (duplicate ids, decoding) stay errors.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::FutureWarning:ray.*"),
]

SMALL = Plan(parts=3, groups=2)
DEV = SHARED / "data" / "dedup-dev" / "docs.jsonl"
MAKE_CORPUS = SHARED / "eval" / "make_corpus.py"


# --------------------------------------------------------------------------- corpora
def _sentence(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 16))).capitalize() + "."


def synthetic_docs(n: int, seed: int = 7) -> list[dict[str, str]]:
    """Documents with exact, near, contained (teaser) copies, pages of several stories, a
    shared template paragraph, text without shingles and repeated ids."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(400)]
    template = "Subscribe to our newsletter for the latest news and offers every single day."
    originals: list[str] = []
    docs = []
    for i in range(n):
        r = rng.random()
        if originals and r < 0.12:
            text = rng.choice(originals)  # exact
        elif originals and r < 0.3:
            src = rng.choice(originals).split(" ")
            for _ in range(max(1, len(src) // 30)):
                src[rng.randrange(len(src))] = rng.choice(words)
            text = " ".join(src)  # near
        elif originals and r < 0.4:
            paras = rng.choice(originals).split("\n")
            text = "\n".join(paras[: max(1, len(paras) // 2)])  # contained
        elif r < 0.42:
            text = "!!! ... ???"  # no shingles
        else:
            paras = [" ".join(_sentence(rng, words) for _ in range(rng.randint(2, 5)))
                     for _ in range(rng.randint(2, 6))]
            if rng.random() < 0.3:
                paras.append(template)
            text = "\n".join(paras)
            originals.append(text)
        doc_id = f"d{i}" if rng.random() > 0.03 else f"d{rng.randrange(max(1, i))}"
        docs.append({"id": doc_id, "text": text})
    return docs


def reuse_docs(n: int, seed: int = 11) -> list[dict[str, str]]:
    """Stories and copies that are not prefixes (issue 13): an own lede over wire paragraphs,
    a quoted middle, a roundup of two stories, in any order, with shared template lines."""
    rng = random.Random(seed)
    words = [f"v{i}" for i in range(600)]
    stories: list[list[str]] = []
    docs = []
    for i in range(n):
        r = rng.random()
        if stories and r < 0.2:
            src = rng.choice(stories)
            own = [" ".join(_sentence(rng, words) for _ in range(3)) for _ in range(2)]
            paras = ["LOCAL NEWS", *own, *src[: max(2, len(src) - 3)]]  # own lede
        elif stories and r < 0.35:
            src = rng.choice(stories)
            paras = ["Quoted", *src[1:-1]]  # a quoted middle
        elif len(stories) > 1 and r < 0.45:
            one, two = rng.sample(stories, 2)
            paras = ["ROUNDUP", *one[:4], "ALSO TODAY", *two[:4]]  # a roundup
        else:
            paras = [" ".join(_sentence(rng, words) for _ in range(rng.randint(2, 4)))
                     for _ in range(rng.randint(5, 8))]
            stories.append(paras)
        docs.append({"id": f"r{i}", "text": "\n".join(paras)})
    rng.shuffle(docs)
    return docs


def write_shards(docs: list[dict[str, Any]], folder: Path, shards: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    size = -(-len(docs) // shards)
    for k in range(shards):
        path = folder / f"part-{k:03d}.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for d in docs[k * size : (k + 1) * size]:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        paths.append(str(path))
    return paths


def local_records(inputs: list[str], config: Config, split: bool) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateIdWarning)  # compared in the run test
        return list(dedup_records(inputs, config, split=split))


def plan_records(inputs: list[str], config: Config, split: bool,
                 layout: Plan = SMALL) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateIdWarning)
        rows = execute(plan.LocalExecutor(), Job(tuple(inputs), config, split=split), layout)
        return [{"id": a.id, **assignment_fields(a, False)} for a, _ in rows]


def _dedup(**changes: Any) -> Config:
    return dataclasses.replace(Config(), dedup=dataclasses.replace(DedupConfig(), **changes))


# --------------------------------------------------------------------------- plan, no Ray
def test_star_components_match_union_find() -> None:
    rng = np.random.default_rng(3)
    for trial in range(20):
        n = int(rng.integers(2, 300))
        m = int(rng.integers(1, 2 * n))
        a = rng.integers(0, n, m).astype(np.int64) * 1_000_003
        b = rng.integers(0, n, m).astype(np.int64) * 1_000_003
        parent = {int(v): int(v) for v in np.concatenate([a, b])}

        def find(v: int, parent: dict[int, int] = parent) -> int:
            while parent[v] != v:
                v = parent[v]
            return v

        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)
        parts = int(rng.integers(2, 5))
        edges = [plan._edges(a, b, parts)]
        for _ in range(100):
            large = [plan.star_step(True, parts, *(e[q] for e in edges)) for q in range(parts)]
            if all(s[0] for s in large):
                break
            small = [plan.star_step(False, parts, *(s[1 + q] for s in large))
                     for q in range(parts)]
            edges = [s[1:] for s in small]
        else:
            pytest.fail("large/small-star did not converge")
        got = {}
        for q in range(parts):
            (node, label), *_ = plan.labels_of(np.zeros(1, np.int64), 2, *(e[q] for e in edges))
            got.update(zip(node.tolist(), label.tolist(), strict=True))
        expected = {v: find(v) for v in parent if any(v != w and find(w) == find(v)
                                                        for w in parent)}
        assert got == expected, trial


def test_buckets_give_the_memory_index_candidates() -> None:
    """Candidates from grouped band rows == MemoryIndex.query_insert in ordinal order,
    including the max_bucket cap and exact copies that skip the index."""
    rng = np.random.default_rng(5)
    params = LSHParams(num_perm=16, bands=4, rows=2, max_bucket=3)
    base = rng.integers(0, 3, size=(40, 16)).astype(np.uint32)  # many collisions
    texts = rng.integers(0, 30, size=40)  # same text -> same signature (an exact copy)
    sigs = base.copy()
    first: dict[int, int] = {}
    for i, t in enumerate(texts.tolist()):
        sigs[i] = sigs[first.setdefault(t, i)]
    fresh = [i for i in range(40) if first[int(texts[i])] == i]
    index = MemoryIndex(params)
    want = dict(zip(fresh, index.query_insert("full", fresh, sigs[fresh]), strict=True))
    ords = np.arange(40, dtype=np.int64)
    dg = plan.band_digests(sigs, params)
    rows = (np.repeat(ords, 4), np.tile(np.arange(4, dtype=np.int32), 40), dg.reshape(-1),
            np.repeat(texts.astype(np.uint64), 4), np.zeros(160, np.uint64))
    out = plan.bucket_pairs(params.max_bucket, 2, rows)
    x, c, tb = (np.concatenate([p[i] for p in out[:2]]) for i in range(3))
    got: dict[int, list[tuple[int, int]]] = {}
    for xi, ci, ti in zip(x.tolist(), c.tolist(), tb.tolist(), strict=True):
        got.setdefault(xi, []).append((ti, ci))
    for o in fresh:
        best: dict[int, int] = {}
        for t, cc in got.get(o, []):
            best[cc] = min(best.get(cc, 99), t)
        assert [cc for _, cc in sorted((t, cc) for cc, t in best.items())] == want[o], o
    src = np.concatenate([p[0] for p in out[2:]])
    dst = np.concatenate([p[1] for p in out[2:]])
    copies = {(s, d) for s, d in zip(src.tolist(), dst.tolist(), strict=True) if s > d}
    assert copies == {(i, first[int(texts[i])]) for i in range(40) if first[int(texts[i])] != i}


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("changes", [{}, {"max_bucket": 2, "threshold": 0.3,
                                          "containment": 0.5, "keep": "longest"},
                                     {"keep": "first", "head": 0},
                                     {"block": False, "keep": "longest"}])
def test_plan_matches_local_engine_on_synthetic_shards(tmp_path: Path, split: bool,
                                                       changes: dict[str, Any]) -> None:
    inputs = write_shards(synthetic_docs(500), tmp_path, 4)
    config = _dedup(**changes)
    local = local_records(inputs, config, split)
    assert sum(r["duplicate_of"] is not None for r in local) > 50  # the test has teeth
    assert plan_records(inputs, config, split) == local


def test_plan_matches_local_engine_on_dev_set() -> None:
    need(DEV.exists(), f"dedup dev set missing: {DEV}")
    config = _dedup()
    local = local_records([str(DEV)], config, False)
    assert plan_records([str(DEV)], config, False, Plan(parts=5, groups=3)) == local


@pytest.mark.parametrize("split", [False, True])
def test_plan_matches_local_engine_with_block_containment(tmp_path: Path, split: bool) -> None:
    """Copies that are not prefixes, roundups (linked, not merged) and templates: the same
    clusters, keepers and relations through the plan (issue 13)."""
    inputs = write_shards(reuse_docs(400), tmp_path, 4)
    config = _dedup()
    local = local_records(inputs, config, split)
    off = local_records(inputs, _dedup(block=False), split)
    assert sum(a != b for a, b in zip(local, off, strict=True)) > 20  # blocks make a difference
    assert plan_records(inputs, config, split) == local


def test_ray_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from segmenter.engines import ray as engine

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"segmenter\[ray\]"):
        list(dedup_records(["x.jsonl"], Config(), engine=engine.RayEngine()))


def test_importing_segmenter_does_not_import_ray() -> None:
    code = ("import sys, segmenter, segmenter.engines, segmenter.engines.ray; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_stdin_is_refused() -> None:
    from segmenter.engines.driver import list_shards

    with pytest.raises(ConfigError, match="stdin"):
        list_shards(["-"], ReadConfig())


# --------------------------------------------------------------------------- on Ray
@pytest.fixture(scope="module")
def ray_runtime() -> Iterator[Any]:
    try:
        import ray
    except ImportError:
        ray = None
    need(ray is not None, "ray is not installed (pip install 'segmenter[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """2,000 documents from make_corpus.py in 4 shards."""
    need(MAKE_CORPUS.exists(), f"make_corpus.py missing: {MAKE_CORPUS}")
    folder = tmp_path_factory.mktemp("corpus")
    out = folder / "all.jsonl"
    subprocess.run([sys.executable, str(MAKE_CORPUS), "--n", "2000", "--seed", "3",
                    "--out", str(out)], check=True, capture_output=True)
    docs = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    out.unlink()
    return write_shards(docs, folder / "shards", 4)


def _ray_records(inputs: list[str], config: Config, split: bool, **kw: Any
                 ) -> list[dict[str, Any]]:
    from segmenter.engines.ray import RayEngine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateIdWarning)
        return list(dedup_records(inputs, config, split=split, engine=RayEngine(**kw)))


@pytest.mark.ray
def test_ray_dev_set_same_clusters_and_keepers(ray_runtime: Any) -> None:
    need(DEV.exists(), f"dedup dev set missing: {DEV}")
    local = local_records([str(DEV)], _dedup(), False)
    got = _ray_records([str(DEV)], _dedup(), False)
    assert sum(r["duplicate_of"] is not None for r in local) > 100
    assert got == local


@pytest.mark.ray
def test_ray_generated_corpus_same_clusters_and_keepers(ray_runtime: Any, corpus: list[str]
                                                        ) -> None:
    for split, config in ((False, _dedup()), (True, _dedup(max_bucket=4, keep="longest"))):
        local = local_records(corpus, config, split)
        assert sum(r["duplicate_of"] is not None for r in local) > 100
        assert _ray_records(corpus, config, split, parts=3) == local


@pytest.mark.ray
def test_ray_run_writes_the_local_files(ray_runtime: Any, tmp_path: Path) -> None:
    from segmenter.engines.ray import RayEngine

    inputs = write_shards(synthetic_docs(300, seed=11), tmp_path / "in", 3)
    with pytest.warns(UserWarning, match="duplicate id"):
        want = local_run(inputs, tmp_path / "local", _dedup(), explain=True)
    with pytest.warns(UserWarning, match="duplicate id"):
        got = local_run(inputs, tmp_path / "ray", _dedup(), explain=True, engine=RayEngine())
    for name in ("stories.jsonl", "unique.jsonl"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    want.pop("seconds")
    got.pop("seconds")
    assert got == want
    assert want["read"]["renamed_ids"] > 0 and want["dedup"]["duplicates_total"] > 20


@pytest.mark.ray
def test_ray_reads_parquet_and_uris(ray_runtime: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = synthetic_docs(300, seed=5)
    for i, d in enumerate(docs):
        d["id"] = f"p{i}"  # unique: Parquet rows and JSONL lines get the same ids
    jsonl = write_shards(docs, tmp_path / "j", 2)
    half = len(docs) // 2 + len(docs) % 2
    for k, chunk in enumerate((docs[:half], docs[half:])):
        pq.write_table(pa.Table.from_pylist(chunk), tmp_path / f"part-{k}.parquet")
    want = local_records(jsonl, _dedup(), False)
    got = _ray_records([f"file://{tmp_path}/part-0.parquet", str(tmp_path / "part-1.parquet")],
                       _dedup(), False)
    assert got == want
    uri = _ray_records([f"file://{tmp_path / 'j'}"], _dedup(), False)
    assert uri == want


@pytest.mark.ray
def test_ray_errors_name_file_and_line(ray_runtime: Any, tmp_path: Path) -> None:
    good = write_shards(synthetic_docs(20), tmp_path, 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "fine"}\n{not json\n', "utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        _ray_records([*good, str(bad)], _dedup(), False)
    with pytest.raises(InputError, match="no such file"):
        _ray_records([str(tmp_path / "missing.jsonl")], _dedup(), False)


@pytest.mark.ray
def test_cli_engine_ray_gives_the_local_records(ray_runtime: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from segmenter.cli import main

    news = str(ROOT / "fixtures" / "dedup" / "news.jsonl")
    local = CliRunner().invoke(main, ["dedup", news])
    remote = CliRunner().invoke(main, ["dedup", "--engine", "ray", news])
    assert local.exit_code == remote.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--engine", "ray", news, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert (out / "stories.jsonl").exists() and "5 documents" in result.stderr


def test_cli_engine_option_errors(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from segmenter.cli import main

    news = str(ROOT / "fixtures" / "dedup" / "news.jsonl")
    result = CliRunner().invoke(main, ["dedup", "--address", "auto", news])
    assert result.exit_code == 2 and "--address needs --engine ray" in result.stderr
    result = CliRunner().invoke(main, ["dedup", "--engine", "ray", "--index",
                                       str(tmp_path / "i.db"), news])
    assert result.exit_code == 2 and "--index works with the local engine only" in result.stderr
