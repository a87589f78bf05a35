"""The Scrapy DedupPipeline in a real crawl: `scrapy runspider` in a child process against pages
served from 127.0.0.1 by this test (bounded: one index page, six links, a close timeout)."""

from __future__ import annotations

import http.server
import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from .conftest import FIXTURES, need

pytestmark = pytest.mark.scrapy

WORDS = (
    "bank market shares oil prices government minister said year company percent trade "
    "talks union workers court police election party vote economy growth bonds dollar"
).split()


def paragraphs(seed: int, n: int = 8) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) + str(rng.randrange(40)) for _ in range(30)) + "."
            for _ in range(n)]


PAGES = {
    "a.html": paragraphs(1),
    "a-copy.html": paragraphs(1),  # exact copy
    "a-near.html": paragraphs(1)[:-1] + [paragraphs(1)[-1].rsplit(" ", 4)[0] + "."],  # near
    "a-teaser.html": paragraphs(1)[:2],  # contained in a
    "b.html": paragraphs(2),
    "c.html": paragraphs(3),
}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    links = "".join(f'<a href="{name}">{name}</a>' for name in PAGES)
    (root / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
    for name, paras in PAGES.items():
        body = "".join(f"<p>{p}</p>" for p in paras)
        (root / name).write_text(f"<html><body><h1>{name}</h1>{body}</body></html>", "utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def crawl(start: str, index: str, tmp_path: Path, tag: str) -> tuple[list[dict], dict, str]:
    items = tmp_path / f"items-{tag}.jsonl"
    stats = tmp_path / f"stats-{tag}.json"
    cmd = [
        sys.executable, "-m", "scrapy", "runspider", str(FIXTURES / "scrapy" / "news_spider.py"),
        "-a", f"start={start}", "-a", f"stats={stats}", "-O", f"{items}:jsonlines",
        "-s", "ITEM_PIPELINES={\"segmenter.integrations.scrapy.DedupPipeline\": 300}",
        "-s", f"SEGMENTER_INDEX={index}", "-s", "SEGMENTER_TEXT_FIELD=text",
        "-s", "SEGMENTER_ID_FIELD=url",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = [json.loads(line) for line in items.read_text("utf-8").splitlines() if line]
    return got, json.loads(stats.read_text("utf-8")), proc.stderr


def test_crawl_drops_duplicates_and_a_second_crawl_drops_everything(site: str,
                                                                    tmp_path: Path) -> None:
    try:
        import scrapy  # noqa: F401
    except ImportError:
        need(False, "scrapy is not installed (pip install 'segmenter[scrapy]')")
    index = str(tmp_path / "crawl.db")
    items, stats, log = crawl(site, index, tmp_path, "1")
    kept = sorted(Path(i["url"]).name for i in items)
    assert kept == ["a.html", "b.html", "c.html"]
    assert stats["segmenter/kept"] == 3 and stats["segmenter/dropped"] == 3
    assert stats["segmenter/dropped/exact"] == 1
    assert stats["segmenter/dropped/near"] == 1
    assert stats["segmenter/dropped/contained"] == 1
    assert "a-teaser.html is a contained duplicate of" in log  # the logged reason
    items, stats, log = crawl(site, index, tmp_path, "2")
    assert items == []
    assert stats["segmenter/dropped"] == 6 and "segmenter/kept" not in stats
    # every item of the first crawl is seen again: the three kept, the near copy, the teaser,
    # and the exact copy (its text is indexed under a.html's id; the index knows its id too)
    assert stats["segmenter/dropped/already_indexed"] == 6
    assert "segmenter/dropped/exact" not in stats
    assert "was indexed by an earlier crawl" in log
