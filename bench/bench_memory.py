"""Memory: peak RSS of `segmenter clean` and `segmenter split` on 100 MB and 1 GB inputs, of
`segmenter run` on one 25 MB document, and what dedup holds per unit.

The inputs are make_corpus.py corpora (cached under /tmp/segmenter-bench/), the outputs go to
/dev/null or a temporary folder. Peak RSS is the child process's own maximum (os.wait4), so it
includes the Python interpreter and the libraries (~45 MB); flat means the 1 GB run peaks where
the 100 MB run does.

* one document (issue 14: "a 25 MB single document through `run` peaks below 250 MB RSS"):
  make_corpus texts, one paragraph a line, concatenated into one ``.txt`` of ``--doc-mb`` MB,
  through ``segmenter run --jobs 1`` and with the default ``--jobs``;
* per unit: ``--state-docs`` make_corpus documents fed to a :class:`Deduplicator` in one process
  (whole documents, as ``dedup --no-split``); the resident memory it holds once every unit is
  in, divided by the units (``make bench-scale`` measures 1M documents through ``run``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/segmenter-bench")


def corpus(shared: Path, megabytes: int) -> Path:
    """A JSONL corpus of about ``megabytes`` MB (2.7 KB documents)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"memory-{megabytes}mb.jsonl"
    if not path.exists():
        n = int(megabytes * 1e6 / 2_650)
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(shared / "eval" / "make_corpus.py"), "--n", str(n),
                        "--seed", "3", "--out", str(tmp)], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(path)
    return path


def measure(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed with exit {proc.returncode}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def documents(shared: Path, n: int) -> Path:
    """The ``n``-document make_corpus corpus the dedup benchmarks use (bench_dedup.corpus)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_dedup import corpus as dedup_corpus

    return dedup_corpus(shared, n)


def big_document(shared: Path, megabytes: int) -> Path:
    """One ``.txt`` document of about ``megabytes`` MB: make_corpus texts (one paragraph a line)
    one after another, a blank line between them."""
    path = CACHE / f"memory-doc-{megabytes}mb.txt"
    if not path.exists():
        source = documents(shared, 30_000)
        tmp = path.with_suffix(".tmp")
        size = 0
        with open(source, encoding="utf-8") as fh, open(tmp, "w", encoding="utf-8") as out:
            for line in fh:
                text = json.loads(line)["text"].strip() + "\n\n"
                out.write(text)
                size += len(text.encode("utf-8"))
                if size >= megabytes * 1e6:
                    break
        tmp.rename(path)
    return path


def state_child(path: Path, docs: int) -> None:
    """(In a child process.) Feed ``docs`` documents of ``path`` to a Deduplicator as whole
    units; print the units and the resident bytes before and after as JSON."""
    import gc

    from segmenter.dedup import Deduplicator
    from segmenter.model import Unit

    def rss() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    dedup = Deduplicator()
    dedup.add(Unit("warm-up", "a few words to import and warm every part up"))
    dedup.finish()
    gc.collect()
    before = rss()
    dedup = Deduplicator()
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if n >= docs:
                break
            record = json.loads(line)
            dedup.add(Unit(record["id"], record["text"]))
            n += 1
    gc.collect()
    print(json.dumps({"units": len(dedup), "before": before, "after": rss()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sizes", default="100,1000", help="input sizes in MB")
    parser.add_argument("--doc-mb", type=int, default=25, help="the one document's size (MB)")
    parser.add_argument("--state-docs", type=int, default=200_000,
                        help="documents for the per-unit figure (0: skip)")
    parser.add_argument("--state-child", nargs=2, help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.state_child:
        state_child(Path(args.state_child[0]), int(args.state_child[1]))
        return
    if not (args.shared / "eval" / "make_corpus.py").exists():
        print(f"bench_memory: {args.shared}/eval/make_corpus.py not found; skipped")
        return
    exe = [sys.executable, "-m", "segmenter"]
    print(f"{'command':8} {'input':>9} {'seconds':>8} {'MB/s':>7} {'peak RSS':>9}")
    for mb in (int(x) for x in args.sizes.split(",") if x):
        path = corpus(args.shared, mb)
        size = path.stat().st_size / 1e6
        for command in ("clean", "split"):
            seconds, rss = measure([*exe, command, str(path), "-o", "/dev/null"])
            print(f"{command:8} {size:7.0f}MB {seconds:8.1f} {size / seconds:7.1f} "
                  f"{rss:7.0f}MB", flush=True)
    if args.doc_mb:
        doc = big_document(args.shared, args.doc_mb)
        size = doc.stat().st_size / 1e6
        for jobs in ("1", "0"):
            with tempfile.TemporaryDirectory(dir=CACHE) as out:
                seconds, rss = measure([*exe, "run", "--jobs", jobs, str(doc), "-o",
                                        str(Path(out) / "run")])
            name = f"run --jobs {jobs if jobs != '0' else 'default'}"
            ok = "ok" if rss < 250 else "MISSED"
            print(f"one {size:.0f} MB document, {name}: {seconds:.1f} s, peak RSS {rss:.0f} MB "
                  f"({rss / size:.1f}x its size; target < 250 MB: {ok})", flush=True)
    if args.state_docs:
        path = documents(args.shared, args.state_docs)
        proc = subprocess.run([sys.executable, __file__, "--state-child", str(path),
                               str(args.state_docs)], check=True, capture_output=True, text=True)
        got = json.loads(proc.stdout)
        per = (got["after"] - got["before"]) / max(1, got["units"])
        print(f"dedup state: {per:,.0f} B/unit resident after {got['units']:,} whole-document "
              f"units (in memory, block containment on)", flush=True)


if __name__ == "__main__":
    main()
