"""What a command imports before it works: ftfy, the splitter's features and numpy take ~0.2 s
together, so a process loads them only where it uses them (and ``--jobs`` workers get them from
the fork server, imported there once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from segmenter.cli.options import start_workers_early
from segmenter.config import Config
from segmenter.engines import pool
from segmenter.engines.stagework import StageTask, clean_lines, split_lines

from .conftest import ROOT


def _loaded(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_the_dedup_parent_loads_no_cleaner_nor_splitter() -> None:
    """The process that dedups (``--jobs 2``) cleans and splits nothing itself."""
    loaded = _loaded("import segmenter.cli, segmenter.pipeline, segmenter.engines.local\n"
                     "from segmenter.stage import DocumentStage\n"
                     "DocumentStage(segmenter.config.Config(), clean=False, split=False)")
    assert "numpy" in loaded  # (the check sees what the pipeline loads)
    assert not {"ftfy", "segmenter.clean", "segmenter.split.features",
                "segmenter.split.rules"} & loaded


def test_split_and_clean_load_no_numpy_nor_signing() -> None:
    loaded = _loaded("import segmenter.cli, segmenter.engines.stagework\n"
                     "import segmenter.clean, segmenter.split.features, segmenter.split.rules")
    assert "ftfy" in loaded
    assert not {"numpy", "segmenter.signing", "segmenter.pipeline"} & loaded


def test_the_package_functions_stay_functions() -> None:
    """``segmenter.clean`` and ``segmenter.split`` are functions, imported on first use, even
    after their submodules are imported."""
    loaded = _loaded("import segmenter, segmenter.clean, segmenter.split.config\n"
                     "assert callable(segmenter.clean) and callable(segmenter.split)\n"
                     "from segmenter import clean, clean_text, split\n"
                     "assert clean.__module__ == 'segmenter.clean' == clean_text.__module__\n"
                     "assert split.__module__ == 'segmenter.split'")
    assert "ftfy" in loaded


def test_the_fork_server_preloads_what_the_work_needs() -> None:
    config = Config()
    dedup_only = set(pool._preload(StageTask(config, clean=False, split=False)))
    assert {"numpy", "segmenter.signing"} <= dedup_only
    assert not {"segmenter.clean", "segmenter.split.features"} & dedup_only
    everything = pool._preload(StageTask(config))
    assert {"segmenter.clean", "segmenter.split.features", "segmenter.signing"} <= set(everything)
    assert "numpy" not in pool._preload(split_lines(config))
    assert "segmenter.clean" in pool._preload(clean_lines(config))
    assert pool._preload(len)[0] == "segmenter.engines.stagework"


def test_an_early_fork_server_serves_the_pools() -> None:
    pool.start_fork_server(["segmenter.clean"])
    pool.start_fork_server()  # running already: nothing
    with pool.OrderedPool[list[int], int](sum, 2) as mapped:
        assert list(mapped.map([[1, 2], [3], [4, 5, 6]])) == [3, 3, 15]


def test_workers_start_early_only_for_more_than_a_batch_or_two(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(pool, "start_fork_server", lambda names: started.append(list(names)))
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_text("{}\n")
    big.write_bytes(b" " * (2 * pool.BATCH_CHARS))
    config = replace(Config(), read=replace(Config().read, jobs=2))
    start_workers_early((str(small),), {}, config, clean=False, split=False)
    start_workers_early((str(big),), {"engine": "ray"}, config, clean=False, split=False)
    one_job = replace(Config(), read=replace(Config().read, jobs=1))
    start_workers_early((str(big),), {}, one_job, clean=False, split=False)
    assert started == []
    start_workers_early((str(small), str(big)), {}, config, clean=False, split=False)
    start_workers_early(("-",), {}, config, clean=True, split=True)
    assert started[0] == ["numpy", "segmenter.signing"]
    assert "segmenter.split.features" in started[1]
