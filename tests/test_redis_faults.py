"""Redis going away mid-run: a clear error, no corruption, and a re-run finishes.

Starts its own redis-server (append-only file in a temporary folder) on a free port, kills it
part-way through a `dedup --index redis://...` run, restarts it from its AOF, and runs again.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from .conftest import need
from .test_faults import corpus

pytestmark = [pytest.mark.redis, pytest.mark.hardening, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def keys(self) -> int:
        import redis

        return int(redis.Redis(port=self.port).dbsize())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    try:
        import redis  # noqa: F401
    except ImportError:
        need(False, "the redis client is not installed (pip install 'segmenter[redis]')")
    folder = tmp_path / "redis"
    folder.mkdir()
    srv = RedisServer(folder)
    srv.start()
    yield srv
    if srv.proc is not None and srv.proc.poll() is None:
        srv.kill()


def test_redis_going_away_mid_run(server: RedisServer, tmp_path: Path) -> None:
    src = corpus(tmp_path / "in.jsonl", 30_000, seed=11)
    out = tmp_path / "out.jsonl"
    url = f"redis://127.0.0.1:{server.port}/0"
    cmd = [sys.executable, "-m", "segmenter", "dedup", "--no-split", str(src), "--index", url,
           "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while server.keys() == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)  # wait until the run has committed something
    assert proc.poll() is None, "the run ended before Redis could be stopped: make it longer"
    server.kill()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    message = err.decode()
    assert "Redis" in message and "Traceback" not in message
    assert not out.exists()  # no partial output

    server.start()  # from its append-only file: only whole batches are there
    result = subprocess.run(cmd, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(records) == 30_000
    stats = subprocess.run([sys.executable, "-m", "segmenter", "index", "stats", url, "--json"],
                           capture_output=True, timeout=60, check=True)
    # consistent: every unit that is not an exact copy of another was indexed exactly once
    # (by the interrupted run's whole batches or by the re-run), and nothing twice
    units = json.loads(stats.stdout)["units"]
    assert units == sum(1 for r in records if r["relation"] != "exact")


def test_every_index_call_names_redis_when_it_goes_away(server: RedisServer) -> None:
    """Not only the batch add: a lookup of earlier units (fetch), the size, the metadata, the
    stats and an export raise the library's IndexError_ naming the index, never redis's own
    ConnectionError (which the CLI would show as a traceback)."""
    from segmenter.errors import SegmenterError
    from segmenter.index.redis import RedisIndex

    index = RedisIndex(f"redis://127.0.0.1:{server.port}/0")
    server.kill()
    calls = {"fetch": lambda: index.fetch([1, 2]), "len": lambda: len(index),
             "meta": index.meta, "stats": index.stats, "export": lambda: list(index.export()),
             "query": lambda: index.query("b0", np.zeros((1, 128), dtype=np.uint64))}
    for name, call in calls.items():
        with pytest.raises(SegmenterError, match="Redis index") as info:
            call()
        assert "redis" in type(info.value.__cause__).__module__, name
