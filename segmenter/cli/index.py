"""``segmenter index stats|export|prune``: look after a persistent dedup index."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError, IndexNotFoundError
from ..words import count
from .options import CONTEXT, library_errors
from .progress import progress_bar

_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_before(value: str, now: float | None = None) -> float:
    """``--before``: an age (``90d``, ``12h``, ``30m``, ``2w``), an ISO date or date-time (UTC
    unless it has an offset), or Unix seconds. Returns Unix seconds."""
    now = time.time() if now is None else now
    text = value.strip()
    age = _AGE.match(text)
    if age:
        return now - float(age.group(1)) * _UNIT_SECONDS[age.group(2)]
    if re.fullmatch(r"\d{9,}(?:\.\d+)?", text):
        return float(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--before {value!r}: use an age like 90d, 12h or 2w, an ISO date like 2024-06-01 "
            "or 2024-06-01T12:00:00+02:00, or Unix seconds"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def _open_existing(url: str) -> Any:
    from ..index import PersistentIndex, open_index

    if "://" not in url and not Path(url).is_file():
        raise IndexNotFoundError(f"no index at {url}: the file does not exist (check the path)")
    index = open_index(url, None)
    if not isinstance(index, PersistentIndex):
        raise ConfigError(f"{url!r} is not a persistent index; pass an SQLite path or redis:// URL")
    return index


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="seconds")


@click.group(context_settings=CONTEXT)
def index() -> None:
    """Inspect and prune a persistent dedup index (an SQLite file or redis://HOST:PORT/DB).

    \b
    segmenter index stats  INDEX            units, sources, sizes, parameters
    segmenter index export INDEX [-o OUT]   one JSONL record per indexed unit
    segmenter index prune  INDEX --before 90d | --source 'spider-*'

    `segmenter dedup --index INDEX` and `segmenter run --index INDEX` fill it.
    """


@index.command(context_settings=CONTEXT)
@click.argument("url", metavar="INDEX")
@click.option("--output-format", "out_format", type=click.Choice(["text", "json"]),
              default=None, help="text for people, json for scripts.  [default: text]")
@click.option("--json", "as_json", is_flag=True, help="Short for --output-format json.")
def stats(url: str, out_format: str | None, as_json: bool) -> None:
    """Units, sources, insertion times, size on disk and the recorded parameters."""
    if as_json and out_format not in (None, "json"):
        raise click.UsageError(f"--json conflicts with --output-format {out_format}")
    as_json = as_json or out_format == "json"
    with library_errors():
        ix = _open_existing(url)
        try:
            st = ix.stats()
        finally:
            ix.close()
    if as_json:
        click.echo(json.dumps(st, indent=2, sort_keys=True))
        return
    click.echo(f"index      {st.get('path') or st.get('url')} ({st['backend']})")
    click.echo(f"units      {st['units']}")
    click.echo(f"inserted   {_iso(st['first_inserted'])} .. {_iso(st['last_inserted'])}")
    size = st.get("bytes_used")
    if size is not None:
        per = st.get("bytes_per_unit")
        click.echo(f"size       {size / 1e6:.1f} MB used, {per} bytes per unit")
    params = ", ".join(f"{k}={v}" for k, v in sorted(st["meta"].items()))
    click.echo(f"parameters {params or '(none recorded yet)'}")
    for name, n in st["sources"].items():
        click.echo(f"source     {name or '(none)'}: {n}")


@index.command(context_settings=CONTEXT)
@click.argument("url", metavar="INDEX")
@click.option("-o", "--output", default="-", show_default=True,
              help="Output JSONL file (.gz/.zst compress), written atomically; '-' is stdout.")
@click.option("--signatures", is_flag=True,
              help="Add 'sig16': the stored low 16 bits of each signature value, as hex.")
def export(url: str, output: str, signatures: bool) -> None:
    """Write one JSONL record per indexed unit, in insertion order:
    {"key", "id", "digest", "source", "inserted", "length", "complete", "shingles", "run"}
    ("run": the run id that indexed it, null before run ids)."""
    from ..io import atomic_output, write_jsonl

    def records(ix: Any) -> Any:
        for u in ix.export():
            rec: dict[str, Any] = {
                "key": u.rowid,
                "id": u.id,
                "digest": f"{u.digest & 0xFFFFFFFFFFFFFFFF:016x}",
                "source": u.source,
                "inserted": _iso(u.time),
                "length": u.length,
                "complete": u.complete,
                "shingles": u.shingles,
                "run": u.run,
            }
            if signatures:
                rec["sig16"] = u.sig.astype("<u2").tobytes().hex()
            yield rec

    with library_errors():
        ix = _open_existing(url)
        try:
            units = ix.stats()["units"] if sys.stderr.isatty() else None
            n = 0
            with atomic_output(output) as out, \
                    progress_bar("index export", total=units, noun="units",
                                 position=lambda: n) as bar:
                for record in records(ix):
                    write_jsonl(out, [record])
                    n += 1
                    bar.update(n)
        finally:
            ix.close()
    click.echo(f"export: {count(n, 'unit')}", err=True)


@index.command(context_settings=CONTEXT)
@click.argument("url", metavar="INDEX")
@click.option("--before", default=None, metavar="AGE|DATE",
              help="Delete units inserted before this: an age (90d, 12h, 2w), an ISO date or "
              "date-time (UTC unless it has an offset), or Unix seconds.")
@click.option("--source", default=None, metavar="GLOB",
              help="Delete units whose source (input file, or spider name) matches this glob.")
@click.option("--vacuum", is_flag=True, help="Rebuild the SQLite file afterwards to free space.")
def prune(url: str, before: str | None, source: str | None, vacuum: bool) -> None:
    """Delete units (and their band entries) by insertion time and/or source. With both
    options, a unit must match both. Later runs no longer see the deleted units."""
    with library_errors():
        if before is None and source is None:
            raise ConfigError("prune needs --before AGE|DATE and/or --source GLOB")
        cutoff = parse_before(before) if before is not None else None
        ix = _open_existing(url)
        try:
            n = ix.prune(before=cutoff, source=source)
            if vacuum and hasattr(ix, "vacuum"):
                ix.vacuum()
        finally:
            ix.close()
    what = []
    if cutoff is not None:
        what.append(f"inserted before {_iso(cutoff)}")
    if source is not None:
        what.append(f"source matching {source!r}")
    click.echo(f"prune: deleted {count(n, 'unit')} ({' and '.join(what)})", err=True)
