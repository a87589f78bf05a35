"""``--jobs N``: worker processes give the output of one process, byte for byte; errors in a
worker name the file and line as in one process; Ctrl-C and SIGTERM stop every worker."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.config import ConfigError, DedupConfig, ReadConfig
from segmenter.engines import pool
from segmenter.engines.pool import OrderedPool, available_cores, batched, resolve_jobs
from segmenter.errors import InputError
from segmenter.signing import BatchSigner

from .conftest import FIXTURES, ROOT, story

SEED = (FIXTURES / "split" / "seed_dump.txt").read_text("utf-8")
MOJIBAKE = (FIXTURES / "clean" / "mojibake.txt").read_text("utf-8")


def _corpus(path: Path, n: int = 240) -> Path:
    """Pages with several stories, near and exact copies, truncated copies, mojibake, a
    repeated id and an empty text: every kind of decision the stage and dedup make."""
    rng = random.Random(7)
    news = [json.loads(line) for line in
            (FIXTURES / "dedup" / "news.jsonl").read_text("utf-8").splitlines()]
    rows = []
    for i in range(n):
        pick = i % 6
        if pick == 0:
            text = SEED
        elif pick == 1:
            text = story(i // 3, 150)
        elif pick == 2:
            words = story(i // 3, 150).split(" ")
            words[rng.randrange(len(words))] = "changed"
            text = " ".join(words[: rng.randrange(40, len(words))])
        elif pick == 3:
            text = news[i % len(news)]["text"]
        elif pick == 4:
            text = MOJIBAKE + "\n" + story(i, 60)
        else:
            text = story(i, 80) + "\n\n" + SEED[: 1500]
        rows.append({"id": f"d{i % 230}", "text": text if i != 11 else "", "n": i})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus(tmp_path_factory.mktemp("jobs") / "corpus.jsonl")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many batches from a small corpus (batches are cut in the parent process)."""
    monkeypatch.setattr(pool, "BATCH_DOCS", 16)


@pytest.mark.parametrize("command", [
    ["clean"], ["split"], ["split", "--explain", "--no-clean"], ["dedup"],
    ["dedup", "--no-split", "--explain"],
])
def test_stream_commands_same_output_for_every_jobs(corpus: Path, tmp_path: Path,
                                                    small_batches: None,
                                                    command: list[str]) -> None:
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        code, _, err = _invoke(*command, str(corpus), "-o", str(out), "--jobs", jobs)
        assert code == 0, err
        outputs.append((out.read_bytes(), err.replace(f"--jobs {jobs}", "")))
    assert outputs[0][0] == outputs[1][0]
    assert outputs[0][0].count(b"\n") >= 200
    assert outputs[0][1] == outputs[1][1]  # the summary line and the warnings


def _without_seconds(report: bytes) -> dict[str, object]:
    data = json.loads(report)
    data.pop("seconds")
    return dict(data)


@pytest.mark.parametrize("extra", [[], ["--no-split", "--compress", "gz"]])
def test_run_same_files_for_every_jobs(corpus: Path, tmp_path: Path, small_batches: None,
                                       extra: list[str]) -> None:
    folders = []
    for jobs in ("1", "2"):
        folder = tmp_path / f"run{jobs}"
        code, _, err = _invoke("run", str(corpus), "-o", str(folder), "--jobs", jobs, *extra)
        assert code == 0, err
        folders.append(folder)
    names = sorted(p.name for p in folders[0].iterdir())
    assert names == sorted(p.name for p in folders[1].iterdir())
    for name in names:
        a, b = (folders[0] / name).read_bytes(), (folders[1] / name).read_bytes()
        if name == "report.json":
            assert _without_seconds(a) == _without_seconds(b)
        else:
            assert a == b, name
    report = json.loads((folders[0] / "report.json").read_bytes())
    assert report["read"]["renamed_ids"] == 10
    assert sum(report["dedup"]["duplicates"].values()) > 20


def test_persistent_index_same_output_for_every_jobs(corpus: Path, tmp_path: Path,
                                                     small_batches: None) -> None:
    """Worker batches are the index's transactions (not index_batch_size): the verdicts are
    the same, on a new index and on the index a first run filled."""
    outputs = []
    for jobs in ("1", "2"):
        index = tmp_path / f"index{jobs}.db"
        for attempt in ("first", "again"):
            out = tmp_path / f"{attempt}{jobs}.jsonl"
            code, _, err = _invoke("dedup", str(corpus), "-o", str(out), "--index", str(index),
                                   "--jobs", jobs)
            assert code == 0, err
            outputs.append(out.read_bytes())
    assert outputs[0] == outputs[2]  # first runs, --jobs 1 and 2
    assert outputs[1] == outputs[3]  # runs against the filled index


@pytest.mark.parametrize("bad", [b'{"id": "x", "text": "cut off', b'{"id": "x", "text": 3}'])
def test_bad_line_parsed_in_a_worker_same_error(tmp_path: Path, small_batches: None,
                                                bad: bytes) -> None:
    good = _corpus(tmp_path / "good.jsonl", 100).read_bytes().splitlines(keepends=True)
    data = tmp_path / "in.jsonl"
    data.write_bytes(b"".join(good[:70]) + bad + b"\n" + b"".join(good[70:]))
    seen = []
    for jobs in ("1", "2"):
        code, _, err = _invoke("run", str(data), "-o", str(tmp_path / "out"), "--jobs", jobs)
        seen.append((code, err.strip().splitlines()[-1]))
    assert seen[0] == seen[1]
    assert seen[0][0] == 1 and f"{data}:71:" in seen[0][1]
    assert not (tmp_path / "out").exists()


def test_decode_warnings_same_for_every_jobs(tmp_path: Path, small_batches: None) -> None:
    good = _corpus(tmp_path / "good.jsonl", 100).read_bytes().splitlines(keepends=True)
    data = tmp_path / "in.jsonl"
    data.write_bytes(b"".join(good[:50]) + b'{"id": "bad", "text": "caf\xe9 au lait"}\n'
                     + b"".join(good[50:]))
    seen = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        code, _, err = _invoke("dedup", str(data), "-o", str(out), "--jobs", jobs)
        seen.append((code, err, out.read_bytes()))
    assert seen[0] == seen[1]
    assert f"{data}:51" in seen[0][1]


def test_check_same_findings_for_every_jobs(corpus: Path, small_batches: None) -> None:
    results = []
    for jobs in ("1", "2"):
        code, out, _ = _invoke("check", str(corpus), "--format", "json", "--jobs", jobs)
        data = json.loads(out)
        data.pop("seconds", None)
        results.append((code, data))
    assert results[0] == results[1]
    assert results[0][1]["metrics"]["documents"] == 240


def test_jobs_option_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_jobs(0) == available_cores() >= 1
    assert resolve_jobs(3) == 3
    with pytest.raises(ConfigError, match="jobs must be"):
        ReadConfig(jobs=-1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "segmenter.toml").write_text("[read]\njobs = -2\n")
    (tmp_path / "a.txt").write_text("Some text.\n")
    code, _, err = _invoke("clean", "a.txt")
    assert code == 2 and "jobs must be an integer >= 0" in err
    code, _, err = _invoke("clean", "a.txt", "--jobs", "-1")
    assert code == 2 and "--jobs" in err


def test_batches_are_bounded_and_ordered() -> None:
    sizes = [5, 1, 1, 9, 1, 1, 1, 1]
    got = list(batched(sizes, lambda x: x, max_items=3, max_size=6))
    assert got == [[5, 1], [1, 9], [1, 1, 1], [1]]
    assert [x for b in got for x in b] == sizes


def _square(xs: list[int]) -> list[int]:
    return [x * x for x in xs]


def test_ordered_pool_keeps_order_and_a_bounded_window() -> None:
    pulled: list[int] = []

    def source() -> object:
        for i in range(40):
            pulled.append(i)
            yield [i, i + 1]

    with OrderedPool(_square, 2, window=3) as p:
        results = p.map(source())
        first = next(results)
        assert first == [0, 1]
        assert len(pulled) <= 4  # the window (3) and the one consumed
        rest = list(results)
    assert [first, *rest] == [[i * i, (i + 1) * (i + 1)] for i in range(40)]


def test_input_error_survives_the_process_boundary() -> None:
    import pickle

    exc = InputError("malformed JSON", "a.jsonl", 7, 12, reason="bad_json")
    back = pickle.loads(pickle.dumps(exc))
    assert (str(back), back.path, back.line, back.offset, back.reason) == (
        str(exc), "a.jsonl", 7, 12, "bad_json")


@pytest.mark.parametrize("blocks", [False, True])
def test_a_prepared_batch_is_what_dedup_compares(blocks: bool) -> None:
    import numpy as np

    from segmenter.blockindex import SampleConfig, block_rows
    from segmenter.containment import line_maps

    texts = [story(i, n) for i, n in enumerate([0, 3, 50, 200, 7, 120])] + ["", "x"]
    texts[3] = "KICKER: a b c d e f\n" + texts[3] + "\nPhoto: AFP"
    sample = SampleConfig(sample=8)
    signer = BatchSigner(DedupConfig())
    signed = signer.sign(texts, lines=blocks)
    sent = signer.prepare(texts, blocks=sample if blocks else None)
    assert len(sent.shingles.hashes) == 0 and (sent.blocks is None) != blocks
    for i, got in enumerate(sent.shingle_sets()):
        assert np.array_equal(got, np.unique(signed.shingles.unit(i)))
        assert np.array_equal(sent.shingle_set(i), got)
    assert np.array_equal(sent.full, signed.full) and sent.digests == signed.digests
    if sent.blocks is None:
        return
    # Any rows of a prepared batch are what those units alone give (the deduplicator takes
    # the rows that are not exact copies).
    for rows in ([0, 1, 2, 3, 4, 5, 6, 7], [5, 3, 7], [3], []):
        got = sent.blocks.take(rows)
        alone = signer.sign([texts[r] for r in rows], lines=True).shingles
        maps = line_maps([texts[r] for r in rows], alone)
        for j in range(len(rows)):
            assert np.array_equal(got.seq.unit(j), alone.unit(j))
            assert np.array_equal(got.maps.unit(j), maps[j])
        want, have = block_rows(alone, sample), got.block_rows()
        for name in ("fps", "row", "lines", "nfp", "one_line"):
            assert np.array_equal(getattr(have, name), getattr(want, name)), name


# --------------------------------------------------------------------------- processes
_DRIVER = """
import sys
import segmenter.clean

module = sys.modules["segmenter.clean"]  # (segmenter.clean is the function)
_clean_text = module.clean_text


def failing_clean(text, config=None):  # patched here and, through this module, in workers
    if "BOOM" in text:
        raise ValueError("the cleaner broke")
    if "DIE" in text:
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
    return _clean_text(text, config)


module.clean_text = failing_clean

if __name__ == "__main__":
    from segmenter.cli import main

    main(sys.argv[1:], prog_name="segmenter")
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _driver_and_corpus(tmp_path: Path, marker: str) -> tuple[Path, Path]:
    """The driver script, and 900 documents (several batches) of which line 701 holds
    ``marker``."""
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(_DRIVER))
    rows = [{"id": f"d{i}", "text": story(i, 60) + (f" {marker}" if i == 700 else "")}
            for i in range(900)]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return driver, data


@pytest.mark.parametrize("command", [["split"], ["run", "-o", "OUT"]])
def test_worker_error_names_file_and_line(tmp_path: Path, command: list[str]) -> None:
    driver, data = _driver_and_corpus(tmp_path, "BOOM")
    seen = []
    for jobs in ("1", "2"):
        args = [a.replace("OUT", str(tmp_path / f"out{jobs}")) for a in command]
        proc = subprocess.run([sys.executable, str(driver), *args, str(data), "--jobs", jobs],
                              capture_output=True, text=True, env=_env(), timeout=300)
        seen.append((proc.returncode, proc.stderr.strip().splitlines()[-1]))
    assert seen[0] == seen[1]
    assert seen[0][0] == 1
    assert f"{data}:701: document 'd700' could not be processed: ValueError: the cleaner " \
        "broke" in seen[0][1]


def test_a_dead_worker_stops_the_command(tmp_path: Path) -> None:
    driver, data = _driver_and_corpus(tmp_path, "DIE")
    proc = subprocess.run([sys.executable, str(driver), "run", str(data), "-o",
                           str(tmp_path / "out"), "--jobs", "2"],
                          capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 1
    assert "a worker process died" in proc.stderr
    assert not (tmp_path / "out").exists()


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                              (signal.SIGKILL, -9)])
def test_signal_stops_every_worker(tmp_path: Path, signum: int, code: int) -> None:
    data = _corpus(tmp_path / "in.jsonl", 6000)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "segmenter", "run", str(data), "-o", str(out),
                             "--jobs", "2"], env=_env(), stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    workers: list[psutil.Process] = []
    deadline = time.monotonic() + 120
    while len(workers) < 3 and time.monotonic() < deadline:  # the fork server and 2 workers
        time.sleep(0.2)
        workers = _descendants(proc.pid)
    assert len(workers) >= 3, "the workers did not start"
    time.sleep(0.5)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # Ctrl-C: the whole foreground process group
    else:
        proc.send_signal(signum)  # SIGTERM or SIGKILL to the parent alone
    _, err = proc.communicate(timeout=60)  # (stderr closes when the workers are gone too)
    assert proc.returncode == code, err
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, alive
    assert "Traceback" not in err
    if signum != signal.SIGKILL:
        assert "stopped; no output was replaced" in err
        assert not out.exists()



def _slow_sorted(batch: list[int]) -> list[int]:
    time.sleep(0.3)
    return sorted(batch)


def test_a_failure_waits_for_the_batches_in_flight_before_terminating(monkeypatch) -> None:
    # Pool.terminate kills workers; one killed while sending a result leaves the result pipe
    # with half a message and the pool waited for ever (a CI hang). So after a failure the
    # pool lets the batches in flight come back first, then terminates.
    import multiprocessing.pool as mp_pool

    ready_at_terminate: list[bool] = []
    terminate = mp_pool.Pool.terminate

    def checked(self):  # type: ignore[no-untyped-def]
        ready_at_terminate.append(all(r.ready() for r in in_flight))
        terminate(self)

    monkeypatch.setattr(mp_pool.Pool, "terminate", checked)
    in_flight: list[Any] = []
    p = OrderedPool(_slow_sorted, 2, window=4)
    with pytest.raises(RuntimeError), p:
        for _ in p.map([[3, 1], [2, 0], [5, 4], [7, 6], [9, 8]]):
            in_flight.extend(r for _, r in p._in_flight)  # still running when it fails
            raise RuntimeError("the consumer failed")
    assert in_flight  # batches were still running when the consumer failed
    assert ready_at_terminate == [True]


def test_the_cycle_collector_runs_less_often_during_a_run_only(tmp_path: Path) -> None:
    import gc

    from segmenter.config import Config
    from segmenter.engines import Job
    from segmenter.engines.local import LocalEngine

    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": f"d{i}", "text": story(i, 40)}) + "\n"
                            for i in range(20)))
    spool = tmp_path / "spool"
    spool.mkdir()
    before = gc.get_threshold()
    seen = set()
    job = Job((str(data),), Config(), records=True, spool=spool)
    for _ in LocalEngine(jobs=1).assign(job):
        seen.add(gc.get_threshold())
    assert seen == {(max(50_000, before[0]), *before[1:])}
    assert gc.get_threshold() == before
    assert list(spool.iterdir()) == []  # the spool folder is gone too


def test_records_the_workers_exchange_pickle_by_their_fields() -> None:
    import dataclasses
    import pickle

    from segmenter.io.parse import RawLine
    from segmenter.model import Unit, pickled_by_fields

    unit = Unit("d1#2", "", "teaser", True, "d1", 2, "in.jsonl")
    line = RawLine(b'{"id":"d1"}\n', "in.jsonl", 7, 120)
    for record in (unit, line):
        assert record.__reduce__()[0] is type(record)  # not dataclasses' __getstate__
        assert pickle.loads(pickle.dumps(record, protocol=5)) == record

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    with pytest.raises(TypeError, match="in __init__"):
        pickled_by_fields(Derived)
