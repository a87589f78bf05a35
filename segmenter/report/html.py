"""The report page: summary cards, charts, and the largest clusters side by side."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from ..words import count
from .data import SIMILARITY_BINS, ClusterView, Member, RunData
from .highlight import highlight_shared
from .svg import hbar_chart, stacked_columns

__all__ = ["render"]

MAX_TEXT = 4000  # characters of a member shown
MAX_SOURCES = 25  # files in the per-file duplicate chart

KIND_COLORS = {"article": "#3b6ea5", "teaser": "#e0a030", "document": "#5b8c5a"}
RELATION_COLORS = {"exact": "#b03a2e", "near": "#e67e22", "contained": "#8e44ad",
                   "unknown": "#7f8c8d"}

CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d232a;background:#f5f6f8}
header,main{max-width:1400px;margin:0 auto;padding:0 16px}
header{padding-top:18px}
h1{font-size:1.5rem;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:28px 0 10px}
h3{font-size:1rem;margin:0 0 8px;overflow-wrap:anywhere}
.sub{color:#56606b;margin:0 0 12px;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0002}
.card b{display:block;font-size:1.45rem;line-height:1.2}
.card span{color:#56606b;font-size:.85rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30rem),1fr));gap:14px}
figure{margin:0;background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0002;
min-width:0}
figcaption{font-weight:600;margin-bottom:6px}
svg.chart{width:100%;max-width:600px;height:auto;display:block;font-family:inherit;
fill:#1d232a}
.cluster{background:#fff;border-radius:8px;padding:12px;margin:0 0 16px;
box-shadow:0 1px 2px #0002}
.members{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,19rem),1fr));
gap:10px}
.member{border:1px solid #d8dde3;border-radius:6px;padding:8px 10px;min-width:0;
display:flex;flex-direction:column}
.member.keeper{border-color:#3b6ea5;border-width:2px}
.meta{font-size:.82rem;color:#56606b;margin-bottom:6px;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:4px;padding:0 6px;margin-right:4px;color:#fff;
font-size:.78rem;font-weight:600}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font:inherit;font-size:.92rem;
max-height:26rem;overflow:auto}
mark{background:#ffe37a;color:inherit;padding:0 1px;border-radius:2px}
.more{color:#56606b;font-size:.85rem;margin:6px 0 0}
details{margin:18px 0 40px}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;padding:10px;
border-radius:8px;font-size:.8rem}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.9rem}
td,th{padding:4px 8px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _get(data: Mapping[str, Any], *path: str, default: Any = 0) -> Any:
    cur: Any = data
    for key in path:
        if not isinstance(cur, Mapping) or key not in cur:
            return default
        cur = cur[key]
    return cur


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _e(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _cards(data: RunData) -> str:
    r = data.report
    docs = _get(r, "documents")
    stories = _get(r, "split", "stories_total", default=data.units)
    dups = _get(r, "dedup", "duplicates_total")
    units = _get(r, "dedup", "units", default=data.units) or 0
    rate = dups / units if isinstance(dups, (int, float)) and units else 0.0
    items = [
        (docs, "documents"),
        (stories, "stories"),
        (_get(r, "dedup", "unique"), "unique stories"),
        (dups, "duplicates"),
        (f"{rate:.1%}", "duplicate rate"),
        (_get(r, "dedup", "clusters"), "clusters"),
        (_get(r, "clean", "repaired"), "repaired by ftfy"),
        (_get(r, "read", "rejected"), "rejected records"),
        (_get(r, "split", "boilerplate_lines"), "boilerplate lines"),
        (f"{_get(r, 'seconds', 'total', default=0) or 0:.2f} s", "run time"),
    ]
    cards = "".join(f'<div class="card"><b>{_num(v)}</b><span>{_e(label)}</span></div>'
                    for v, label in items)
    return f'<section class="cards" aria-label="summary">{cards}</section>'


def _charts(data: RunData) -> str:
    kinds = sorted(data.kinds.items(), key=lambda kv: -kv[1])
    total = sum(data.kinds.values()) or 1
    kind_chart = hbar_chart(
        "Story kinds",
        [(k, v, f"{v:,} ({v / total:.0%})") for k, v in kinds],
        color=KIND_COLORS["article"],
    )
    step = 1.0 / SIMILARITY_BINS
    columns = [(f"{i * step:.2f}", counts) for i, counts in enumerate(data.similarity_bins)]
    sim_chart = stacked_columns("Similarity of duplicates to their kept copy", columns,
                                RELATION_COLORS, x_label="similarity", label_every=4)
    shown = data.sources[:MAX_SOURCES]
    src_chart = hbar_chart(
        "Duplicate rate per source file",
        [(s.source, s.rate, f"{s.rate:.1%} ({s.duplicates:,}/{s.units:,})") for s in shown],
        color=RELATION_COLORS["exact"], max_value=1.0,
    )
    more = (f'<p class="more">{len(data.sources) - len(shown):,} more files not shown.</p>'
            if len(data.sources) > len(shown) else "")
    size_cols = [(str(size), {"clusters": n}) for size, n in data.cluster_sizes.items()]
    size_chart = stacked_columns("Cluster sizes", size_cols, {"clusters": "#3b6ea5"},
                                 x_label="stories per cluster",
                                 label_every=max(1, len(size_cols) // 12))
    figs = [
        ("Story kinds", kind_chart, ""),
        ("Similarity of duplicates to their kept copy", sim_chart, ""),
        ("Duplicate rate per source file", src_chart, more),
        ("Cluster sizes (clusters of two or more stories)", size_chart, ""),
    ]
    return '<section class="charts">' + "".join(
        f"<figure><figcaption>{_e(cap)}</figcaption>{svg}{extra}</figure>"
        for cap, svg, extra in figs) + "</section>"


def _badge(text: str, color: str) -> str:
    return f'<span class="badge" style="background:{color}">{_e(text)}</span>'


def _member(m: Member, others: list[str]) -> str:
    badges = []
    if m.keeper:
        badges.append(_badge("kept", "#3b6ea5"))
    elif m.relation:
        sim = f" {m.similarity:.2f}" if m.similarity is not None else ""
        badges.append(_badge(f"{m.relation}{sim}", RELATION_COLORS.get(m.relation, "#7f8c8d")))
    if m.kind:
        badges.append(_badge(m.kind, KIND_COLORS.get(m.kind, "#5b8c5a")))
    if m.truncated:
        badges.append(_badge("truncated", "#7f8c8d"))
    meta = [f"<b>{_e(m.id)}</b>"]
    if m.source:
        meta.append(_e(m.source))
    if m.kicker:
        meta.append(f"kicker: {_e(m.kicker)}")
    if m.duplicate_of:
        meta.append(f"duplicate of {_e(m.duplicate_of)}")
    body = highlight_shared(m.text, others, MAX_TEXT)
    cut = (f'<p class="more">{len(m.text) - MAX_TEXT:,} more characters not shown.</p>'
           if len(m.text) > MAX_TEXT else "")
    keeper = "true" if m.keeper else "false"
    return (f'<article class="member{" keeper" if m.keeper else ""}" data-id="{_e(m.id)}" '
            f'data-keeper="{keeper}"><div class="meta">{"".join(badges)}<br>'
            f'{" · ".join(meta)}</div><div class="text">{body}</div>{cut}</article>')


def _cluster(view: ClusterView, rank: int) -> str:
    texts = [m.text for m in view.members]
    keeper_text = next((m.text for m in view.members if m.keeper), None)
    parts = []
    for i, m in enumerate(view.members):
        if m.keeper:
            others = texts[:i] + texts[i + 1:]
        else:
            others = [keeper_text] if keeper_text is not None else texts[:i] + texts[i + 1:]
        parts.append(_member(m, others))
    hidden = view.size - len(view.members)
    more = (f'<p class="more">{hidden:,} more member{"s" if hidden != 1 else ""} not shown.</p>'
            if hidden > 0 else "")
    return (f'<section class="cluster" data-cluster="{_e(view.id)}" data-size="{view.size}">'
            f"<h3>#{rank} cluster {_e(view.id)}: {count(view.size, 'story')}</h3>"
            f'<div class="members">{"".join(parts)}</div>{more}</section>')


def _clusters(data: RunData) -> str:
    if not data.clusters:
        return "<h2>Clusters</h2><p>No duplicates were found.</p>"
    head = (f"<h2>The {len(data.clusters)} largest of {data.clusters_total:,} clusters</h2>"
            '<p class="sub">The kept copy first (blue border); '
            "<mark>highlighted</mark> text is shared with the kept copy (in the kept copy: "
            "with any other member shown).</p>")
    return head + "".join(_cluster(v, i + 1) for i, v in enumerate(data.clusters))


def _details(data: RunData) -> str:
    r = data.report
    rows = []
    for key in ("inputs", "config"):
        if key in r:
            rows.append(f"<tr><th>{_e(key)}</th><td>{_e(json.dumps(r[key], ensure_ascii=False))}"
                        "</td></tr>")
    steps = _get(r, "clean", "steps", default={})
    if isinstance(steps, Mapping) and steps:
        shown = ", ".join(f"{k}: {v}" for k, v in steps.items())
        rows.append(f"<tr><th>ftfy steps</th><td>{_e(shown)}</td></tr>")
    labels = _get(r, "split", "boilerplate_labels", default={})
    if isinstance(labels, Mapping) and labels:
        shown = ", ".join(f"{k}: {v}" for k, v in labels.items())
        rows.append(f"<tr><th>boilerplate</th><td>{_e(shown)}</td></tr>")
    table = f"<table>{''.join(rows)}</table>" if rows else ""
    raw = _e(json.dumps(r, indent=2, ensure_ascii=False))
    return (f"<h2>Details</h2>{table}<details><summary>report.json</summary>"
            f"<pre>{raw}</pre></details>")


def render(data: RunData, title: str = "segmenter report") -> str:
    """The whole page as a string."""
    r = data.report
    inputs = r.get("inputs") if isinstance(r.get("inputs"), list) else []
    sub = f"{len(inputs)} input{'s' if len(inputs) != 1 else ''}: " + ", ".join(
        str(i) for i in inputs[:5]) + (" …" if len(inputs) > 5 else "") if inputs else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="segmenter">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p class=\"sub\">{_e(sub)}</p></header><main>"
        f"{_cards(data)}<h2>Charts</h2>{_charts(data)}{_clusters(data)}{_details(data)}"
        "</main></body></html>\n"
    )
