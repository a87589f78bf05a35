"""The HTML report: contents match stories.jsonl, data is escaped, and headless Chromium renders it
(not blank, no console errors, the clusters of stories.jsonl) at phone and desktop widths."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.errors import InputError
from segmenter.pipeline import run
from segmenter.report import write_report
from segmenter.report.highlight import highlight_shared, shared_spans

from .conftest import FIXTURES, need

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    run([str(FIXTURES / "check" / "dirty"), str(FIXTURES / "dedup" / "news.jsonl")], out)
    return out


def expected_clusters(run_dir: Path, limit: int = 12) -> list[tuple[str, set[str]]]:
    """The largest clusters straight from stories.jsonl: (cluster, member ids)."""
    members: dict[str, list[str]] = {}
    first_dup: dict[str, int] = {}
    with open(run_dir / "stories.jsonl", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            r = json.loads(line)
            members.setdefault(r["cluster"], []).append(r["id"])
            if r["duplicate_of"] is not None:
                first_dup.setdefault(r["cluster"], n)
    dup = [c for c, ids in members.items() if len(ids) > 1]
    dup.sort(key=lambda c: (-len(members[c]), first_dup[c]))
    return [(c, set(members[c])) for c in dup[:limit]]


class Page(HTMLParser):
    """Collects the clusters, members and tags of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.clusters: list[tuple[str, int, list[tuple[str, bool]]]] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = {k: v or "" for k, v in attrs}
        self.attrs.extend(a.items())
        if "data-cluster" in a:
            self.clusters.append((a["data-cluster"], int(a["data-size"]), []))
        if "data-id" in a:
            self.clusters[-1][2].append((a["data-id"], a["data-keeper"] == "true"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def assert_clusters_match(page: Page, run_dir: Path) -> None:
    expected = expected_clusters(run_dir)
    assert expected, "the fixture run must have clusters"
    assert [c for c, _, _ in page.clusters] == [c for c, _ in expected]
    for (cid, size, shown), (_, ids) in zip(page.clusters, expected, strict=True):
        assert size == len(ids), cid
        assert {i for i, _ in shown} == ids, cid  # small clusters: every member is shown
        assert shown[0][1] and not any(k for _, k in shown[1:]), "keeper first, only one"


# --------------------------------------------------------------------------- without a browser


def test_report_shows_the_clusters_of_stories_jsonl(run_dir: Path, tmp_path: Path) -> None:
    out = write_report(run_dir, tmp_path / "r.html")
    html = out.read_text("utf-8")
    page = parse(html)
    assert_clusters_match(page, run_dir)
    assert html.count("<svg") == 4  # kinds, similarity, per file, cluster sizes
    text = " ".join(page.text)
    assert "Duplicate rate per source file" in text and "dirty/b.jsonl" in text


def test_report_is_self_contained(run_dir: Path, tmp_path: Path) -> None:
    html = write_report(run_dir, tmp_path / "r.html").read_text("utf-8")
    page = parse(html)
    assert not page.tags & {"script", "img", "link", "iframe", "object", "embed"}
    assert not [a for a in page.attrs if a[0] in ("src", "href") or a[0].startswith("on")]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "default-src 'none'" in html  # CSP: nothing can be loaded, even if injected


def hostile_run(folder: Path) -> Path:
    """A run folder whose data tries to inject markup everywhere it can."""
    folder.mkdir()
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    base = {"doc_id": "d", "story": 0, "kind": "article", "start": 0, "end": 10,
            "truncated": False, "kicker": None, "boilerplate": [], "score": 1.0, "reasons": [],
            "clean_steps": []}
    long = "https://example.invalid/" + "x" * 400  # one unbreakable word, wider than a phone
    text = f"The same words are shared by both stories here {evil} and more words follow. {long}"
    records = [
        {**base, "id": f"k{evil}", "text": text, "source": f"{evil}.jsonl", "cluster": f"c{evil}",
         "duplicate_of": None, "relation": None, "similarity": None, "keeper": True},
        {**base, "id": f"m{evil}", "text": text + " Extra.", "source": "b.jsonl",
         "cluster": f"c{evil}", "duplicate_of": f"k{evil}", "relation": "near",
         "similarity": 0.9, "keeper": False, "kicker": evil, "kind": f"teaser{evil}"},
    ]
    with open(folder / "stories.jsonl", "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    report = {"documents": 2, "inputs": [evil], "config": {"keep": evil},
              "clean": {"repaired": 0, "steps": {evil: 1}},
              "split": {"stories_total": 2, "boilerplate_labels": {evil: 1}},
              "dedup": {"units": 2, "duplicates_total": 1, "clusters": 1, "unique": 1},
              "seconds": {"total": 0.1}}
    (folder / "report.json").write_text(json.dumps(report), "utf-8")
    return folder


def test_report_escapes_all_data(tmp_path: Path) -> None:
    html = write_report(hostile_run(tmp_path / "run"), tmp_path / "r.html").read_text("utf-8")
    page = parse(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [a for a in page.attrs if a[0].startswith("on")]
    assert [c for c, _, _ in page.clusters] == ['c"><script>alert(1)</script><img src=x '
                                                'onerror=alert(2)>']
    assert "<script>alert(1)</script>" in " ".join(page.text)  # shown as text


def test_report_shows_the_first_members_of_a_large_cluster(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    text = "One story copied nine times, word for word, by nine different sites."
    with open(folder / "stories.jsonl", "w", encoding="utf-8") as fh:
        for i in range(9):
            fh.write(json.dumps({
                "id": f"s{i}#0", "doc_id": f"s{i}", "kind": "article", "text": text,
                "source": f"site{i % 3}.jsonl", "cluster": "s0#0", "keeper": i == 4,
                "duplicate_of": None if i == 4 else "s4#0",
                "relation": None if i == 4 else "exact",
                "similarity": None if i == 4 else 1.0}) + "\n")
    (folder / "report.json").write_text("{}", "utf-8")
    html = write_report(folder, tmp_path / "r.html", max_members=5).read_text("utf-8")
    ((cid, size, shown),) = parse(html).clusters
    assert (cid, size) == ("s0#0", 9)
    assert shown == [("s4#0", True), ("s0#0", False), ("s1#0", False), ("s2#0", False),
                     ("s3#0", False)]
    assert "4 more members not shown." in html
    assert "<mark>One story copied nine times" in html


def test_report_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no report.json"):
        write_report(tmp_path, tmp_path / "r.html")
    (tmp_path / "report.json").write_text("{}", "utf-8")
    (tmp_path / "stories.jsonl").write_text('{"id": "a"}\nnot json\n', "utf-8")
    with pytest.raises(InputError, match=r"stories.jsonl:2: malformed JSON"):
        write_report(tmp_path, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()  # nothing half-written


def test_report_command(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "report.html").is_file()
    assert f"report: {copy / 'report.html'}" in result.stderr
    result = CliRunner().invoke(main, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 1 and "no report.json" in result.output


def test_highlight_marks_shared_runs_only() -> None:
    keeper = "Alpha beta gamma delta epsilon. Something else entirely different here."
    member = "Intro words first. Alpha beta gamma delta epsilon!"
    spans = shared_spans(member, [keeper])
    assert [member[a:b] for a, b in spans] == ["Alpha beta gamma delta epsilon"]
    out = highlight_shared(member + " <b>", [keeper])
    assert out == ("Intro words first. <mark>Alpha beta gamma delta epsilon</mark>! &lt;b&gt;")
    assert shared_spans("no overlap at all in this one", [keeper]) == []
    assert highlight_shared(keeper, [member], limit=5) == "<mark>Alpha</mark>"


# --------------------------------------------------------------------------- headless Chromium


def chromium() -> str:
    found = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                         "google-chrome")) if p), None)
    need(found is not None, "headless Chromium is not installed (apt-get install chromium)")
    assert found is not None
    return found


def browse(page: Path, tmp_path: Path, *args: str) -> tuple[str, list[str]]:
    """Run headless Chromium on a file; return stdout and the page's console messages."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    proc = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=60, env={**os.environ, "LANG": "C.UTF-8"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    return proc.stdout, console


def screenshot(page: Path, tmp_path: Path, width: int, height: int) -> tuple[Any, list[str]]:
    need(importlib.util.find_spec("PIL") is not None, "Pillow is not installed (the dev extra)")
    from PIL import Image

    png = tmp_path / f"shot-{width}.png"
    _, console = browse(page, tmp_path, f"--window-size={width},{height}", f"--screenshot={png}")
    return Image.open(png).convert("RGB"), console


def ink(image: Any) -> float:
    """Share of pixels that differ from the most common (background) colour."""
    colors = image.getcolors(maxcolors=1 << 24)
    total = image.width * image.height
    return 1 - max(n for n, _ in colors) / total


@pytest.mark.browser
def test_console_errors_are_detected(tmp_path: Path) -> None:
    """The detector itself: a page that throws is caught (so a clean result means something)."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>throw new Error('boom')</script>", "utf-8")
    _, console = browse(bad, tmp_path, "--dump-dom")
    assert any("Uncaught Error: boom" in line for line in console)


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), [(1280, 2400), (390, 3000)])
def test_browser_renders_report(run_dir: Path, tmp_path: Path, width: int, height: int) -> None:
    page = write_report(run_dir, tmp_path / "report.html")
    image, console = screenshot(page, tmp_path, width, height)
    assert console == [], console
    assert image.size == (width, height)
    assert ink(image) > 0.03, "the screenshot is blank"
    # the top left shows the title: dark text on the light background
    top = image.crop((0, 0, min(width, 400), 60))
    darkest, _ = top.convert("L").getextrema()
    assert darkest < 80
    # nothing runs wider than the screen: the right margin is page background all the way down
    margin = image.crop((width - 6, 0, width, height)).getcolors(maxcolors=64)
    assert margin is not None and len(margin) == 1, "content overflows the page width"
    keep = os.environ.get("SEGMENTER_KEEP_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        image.save(Path(keep) / f"report-{width}.png")


@pytest.mark.browser
def test_browser_dom_clusters_match_stories(run_dir: Path, tmp_path: Path) -> None:
    page = write_report(run_dir, tmp_path / "report.html")
    dom, console = browse(page, tmp_path, "--dump-dom")
    assert console == [], console
    assert_clusters_match(parse(dom), run_dir)


@pytest.mark.browser
def test_browser_hostile_data_runs_nothing(tmp_path: Path) -> None:
    page = write_report(hostile_run(tmp_path / "run"), tmp_path / "report.html")
    dom, console = browse(page, tmp_path, "--dump-dom")
    assert console == [], console  # no script ran, nothing tried to load
    assert "<script>" not in dom and "<img" not in dom
    image, console = screenshot(page, tmp_path, 390, 1600)
    assert console == [], console
    margin = image.crop((384, 0, 390, 1600)).getcolors(maxcolors=64)
    assert margin is not None and len(margin) == 1, "long words overflow a phone screen"


def big_run(folder: Path) -> Path:
    """A run folder with large counts (18,970 near duplicates in one similarity bin, a cluster
    size seen 1,234 times) and long source file names: what cut the axis labels."""
    folder.mkdir(parents=True)
    rows = []
    long_name = "spiders/" + "www.a-very-long-news-site-name.example.co.uk/" * 2 + "page.jsonl"
    for i in range(18_970):
        rows.append({"id": f"d{i}#0", "doc_id": f"d{i}", "source": long_name, "kind": "article",
                     "text": "x", "cluster": "c0", "duplicate_of": "k#0", "relation": "near",
                     "similarity": 0.93, "keeper": False})
    for i in range(1_234):
        rows.append({"id": f"p{i}#0", "doc_id": f"p{i}", "source": f"s{i % 7}.jsonl",
                     "kind": "teaser", "text": "y", "cluster": f"q{i}", "duplicate_of": None,
                     "relation": None, "similarity": None, "keeper": True})
        rows.append({"id": f"p{i}b#0", "doc_id": f"p{i}b", "source": f"s{i % 7}.jsonl",
                     "kind": "teaser", "text": "y", "cluster": f"q{i}",
                     "duplicate_of": f"p{i}#0", "relation": "exact", "similarity": 1.0,
                     "keeper": False})
    rows.append({"id": "k#0", "doc_id": "k", "source": long_name, "kind": "article",
                 "text": "x", "cluster": "c0", "duplicate_of": None, "relation": None,
                 "similarity": None, "keeper": True})
    (folder / "stories.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    (folder / "report.json").write_text(json.dumps({"documents": len(rows)}), "utf-8")
    return folder


MEASURE = """<script>
const out = [];
for (const svg of document.querySelectorAll("svg")) {
  const box = svg.getBoundingClientRect();
  for (const text of svg.querySelectorAll("text")) {
    const r = text.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 ||
        r.bottom > box.bottom + 0.5) {
      out.push(text.textContent + " [" + Math.round(r.left - box.left) + ".." +
               Math.round(r.right - box.left) + " of " + Math.round(box.width) + "]");
    }
  }
}
const pre = document.createElement("pre");
pre.id = "cut";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_browser_every_chart_label_fits(tmp_path: Path, width: int) -> None:
    """Each chart's text lies inside its SVG as the browser lays it out (the report forbids
    scripts, so the charts are measured on a copy of the page without that policy)."""
    page = write_report(big_run(tmp_path / "run"), tmp_path / "report.html")
    html = page.read_text("utf-8")
    assert "18970" in html or "18,970" in html
    start = html.index('<meta http-equiv="Content-Security-Policy"')
    html = html[:start] + html[html.index(">", start) + 1:]
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", MEASURE + "</body>"), "utf-8")
    dom, console = browse(probe, tmp_path, f"--window-size={width},2000", "--dump-dom")
    assert console == [], console
    cut = json.loads(parse_between(dom, '<pre id="cut">', "</pre>"))
    assert cut == [], cut


def parse_between(text: str, start: str, end: str) -> str:
    i = text.index(start) + len(start)
    return text[i:text.index(end, i)].replace("&quot;", '"').replace("&amp;", "&")
