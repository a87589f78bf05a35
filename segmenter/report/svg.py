"""Small inline SVG charts (no JavaScript, no network). Every label is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["hbar_chart", "stacked_columns"]

FONT = 13
CHAR_EM = 0.65  # the width of a character in ems, generous (DejaVu Sans digits are 0.64)


def _width(text: str, size: float) -> float:
    """How wide ``text`` may be drawn at font ``size``: what labels are fitted with."""
    return len(text) * CHAR_EM * size


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else "\u2026" + label[-(limit - 1):]


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_e(title)}</title>" + "".join(body) + "</svg>"
    )


def hbar_chart(
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    color: str = "#3b6ea5",
    max_value: float | None = None,
    label_chars: int = 64,
) -> str:
    """Horizontal bars, each under its label: ``rows`` of (label, value, text shown after the
    bar). Narrow enough to stay readable on a phone."""
    width = 420
    if not rows:
        return _svg(width, 40, title, [f'<text x="4" y="24" font-size="{FONT}">no data</text>'])
    label_h, bar_h, gap = 16, 14, 8
    value_w = min(240, max(_width(r[2], FONT) for r in rows) + 10)
    plot_w = width - value_w - 4
    label_chars = min(label_chars, int(width / _width("x", FONT)))
    top = max_value if max_value is not None else max(r[1] for r in rows)
    top = top or 1.0
    body = []
    row_h = label_h + bar_h + gap
    for i, (label, value, shown) in enumerate(rows):
        y = 2 + i * row_h
        w = max(0.0, min(1.0, value / top)) * plot_w
        body.append(
            f'<g><title>{_e(label)}: {_e(shown)}</title>'
            f'<text x="0" y="{y + 12}" font-size="{FONT}">{_e(_short(label, label_chars))}</text>'
            f'<rect x="0" y="{y + label_h}" width="{plot_w:.1f}" height="{bar_h}" '
            f'fill="#eef0f3"/>'
            f'<rect x="0" y="{y + label_h}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>'
            f'<text x="{plot_w + 6:.1f}" y="{y + label_h + 11}" font-size="{FONT}">'
            f"{_e(shown)}</text></g>"
        )
    return _svg(width, 4 + len(rows) * row_h, title, body)


def stacked_columns(
    title: str,
    columns: Sequence[tuple[str, Mapping[str, int]]],
    colors: Mapping[str, str],
    *,
    x_label: str = "",
    label_every: int = 1,
) -> str:
    """Vertical stacked columns: ``columns`` of (x label, {series: count}); a legend of the
    series that occur, in ``colors`` order."""
    width, height = 420, 220
    totals = [sum(c.values()) for _, c in columns]
    peak = max(totals, default=0)
    body = []
    if not columns or peak == 0:
        body.append(f'<text x="34" y="46" font-size="{FONT}">no data</text>')
        return _svg(width, 60, title, body)
    # y axis: 0 and the peak, and a middle line; the margin fits the widest label
    ticks = [(frac, f"{peak * frac:,.0f}")
             for frac in ((0.0, 0.5, 1.0) if peak % 2 == 0 else (0.0, 1.0))]
    left = max(34, round(max(_width(t, FONT - 1) for _, t in ticks)) + 8)
    right, top, bottom = 6, 26, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    for frac, shown in ticks:
        y = top + plot_h * (1 - frac)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="#ccc" stroke-width="1"/>'
                    f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="{FONT - 1}" '
                    f'text-anchor="end">{_e(shown)}</text>')
    slot = plot_w / len(columns)
    bar_w = min(40.0, max(2.0, slot * 0.8))
    for i, (label, counts) in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        parts = [f"{k}: {v}" for k, v in counts.items() if v]
        tip = f"{label}: " + (", ".join(parts) if parts else "0")
        body.append(f"<g><title>{_e(tip)}</title>")
        for series in colors:
            n = counts.get(series, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                        f'fill="{colors[series]}"/>')
        body.append("</g>")
        if i % max(1, label_every) == 0:
            body.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" '
                        f'font-size="{FONT - 1}" text-anchor="middle">{_e(label)}</text>')
    if x_label:
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="{FONT}" '
                    f'text-anchor="middle">{_e(x_label)}</text>')
    used = [s for s in colors if any(c.get(s) for _, c in columns)]
    lx = left
    for s in used:
        body.append(f'<rect x="{lx}" y="6" width="12" height="12" fill="{colors[s]}"/>'
                    f'<text x="{lx + 16}" y="16" font-size="{FONT}">{_e(s)}</text>')
        lx += 24 + round(_width(s, FONT))
    return _svg(width, height, title, body)
