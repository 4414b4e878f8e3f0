"""Bar-chart geometry for the report's inline SVG (no chart library, no network).

Python computes where each rectangle and label goes; `templates/_charts.html` turns
the geometry into SVG markup (so every label passes through Jinja's autoescape).
"""

from __future__ import annotations

import math


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp  # pragma: no cover


def ticks(top: float) -> list[float]:
    """Gridlines at round steps: 4 of them for a top of 2 × 10^k, else 5."""
    lead = top / 10 ** math.floor(math.log10(top))
    n = 4 if lead == 2 else 5
    return [top * i / n for i in range(n + 1)]


def count_max(value: float) -> float:
    """The axis top for counts: never below 5, so that the steps are whole numbers."""
    return max(nice_max(value), 5.0)


def stacked_rows(
    rows: list[dict], label_key: str, parts: list[tuple[str, str, str]], width: int = 720, row_h: int = 26,
    label_w: int = 130, value_w: int = 56,
) -> dict:
    """Horizontal stacked bars, one per row. `parts`: (key, legend label, css class)."""
    top = count_max(max((sum(r.get(k, 0) for k, _, _ in parts) for r in rows), default=0))
    plot_w = width - label_w - value_w
    head = 24
    bars = []
    for i, row in enumerate(rows):
        y = head + i * row_h
        x = label_w
        segments = []
        for key, legend, css in parts:
            n = row.get(key, 0)
            w = plot_w * n / top
            if n:
                segments.append({"x": round(x, 2), "w": round(max(w, 1), 2), "css": css, "value": n, "legend": legend})
            x += w
        total = sum(row.get(k, 0) for k, _, _ in parts)
        bars.append({"y": y, "h": row_h - 8, "label": row[label_key], "segments": segments,
                     "total": total, "total_x": round(x + 4, 2)})
    height = head + len(rows) * row_h + 22
    grid = [{"x": round(label_w + plot_w * t / top, 2), "text": _count(t)} for t in ticks(top)]
    legend = [{"x": label_w + i * 80, "label": legend, "css": css} for i, (_, legend, css) in enumerate(parts)]
    return {"width": width, "height": height, "bars": bars, "grid": grid, "grid_top": head - 4,
            "grid_bottom": height - 20, "legend": legend, "label_w": label_w}


def columns(items: list[dict], width: int = 720, height: int = 240, value_key: str = "value") -> dict:
    """Vertical bars: items have `label`, `value_key` (the bar height) and `text` (shown on top)."""
    biggest = max((it.get(value_key) or 0 for it in items), default=0)
    money = value_key == "balance"
    top = nice_max(biggest) if money else count_max(biggest)
    left, bottom, head = 70, 44, 22
    plot_w, plot_h = width - left - 10, height - bottom - head
    slot = plot_w / max(len(items), 1)
    bars = []
    for i, it in enumerate(items):
        v = it.get(value_key) or 0
        h = plot_h * v / top
        x = left + i * slot + slot * 0.15
        bars.append({
            "x": round(x, 2), "w": round(slot * 0.7, 2), "y": round(head + plot_h - h, 2), "h": round(h, 2),
            "cx": round(left + i * slot + slot / 2, 2), "label": it["label"], "text": it.get("text", ""),
            "sub": it.get("sub", ""), "css": it.get("css", "bar"),
        })
    grid = [{"y": round(head + plot_h - plot_h * t / top, 2), "text": it_text} for t, it_text in
            ((t, _money_tick(t, top) if money else _count(t)) for t in ticks(top))]
    return {"width": width, "height": height, "bars": bars, "grid": grid, "left": left, "right": width - 10, "empty": not biggest,
            "base": head + plot_h, "label_y": head + plot_h + 16, "sub_y": head + plot_h + 32}


def _count(v: float) -> str:
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


def _money_tick(v: float, top: float) -> str:
    """Axis money: in 万元 (the unit county reports use) from 10,000 up, else in 元."""
    if top < 10000 or v == 0:
        return _count(v)
    w = v / 10000
    return f"{w:,.0f}万" if w == int(w) else f"{w:,.1f}万"


# One colour per line: distinct on screen and in greyscale print (dash patterns too).
LINE_COLOURS = ("#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#ba4a00", "#566573",
                "#a93226", "#1f618d", "#b7950b", "#6c3483")
LINE_DASHES = ("", "6 3", "2 3", "8 3 2 3")


def lines(x_labels: list[str], series: list[dict], width: int = 720, height: int = 260, legend_row: int = 18) -> dict:
    """A line chart of counts: one x position per label; `series` items have `label` and
    `values` (one count per x label). Each line gets a colour and a dash pattern."""
    biggest = max((v for s in series for v in s["values"]), default=0)
    top = count_max(biggest)
    per_row = 3
    legend_rows = (len(series) + per_row - 1) // per_row
    left, right, head = 50, 20, 14
    plot_w, plot_h = width - left - right, height - head - 30 - 4
    total_h = height + legend_rows * legend_row
    n = len(x_labels)
    step = plot_w / max(n - 1, 1)

    def x_at(i: int) -> float:
        return round(left + (i * step if n > 1 else plot_w / 2), 2)

    def y_at(v: float) -> float:
        return round(head + plot_h - plot_h * v / top, 2)

    out = []
    for j, s in enumerate(series):
        pts = [{"x": x_at(i), "y": y_at(v), "value": v, "at": x_labels[i]} for i, v in enumerate(s["values"])]
        out.append({
            "label": s["label"], "colour": LINE_COLOURS[j % len(LINE_COLOURS)],
            "dash": LINE_DASHES[(j // len(LINE_COLOURS)) % len(LINE_DASHES)],  # past 12 lines: dashed
            "points": pts, "path": " ".join(f"{p['x']},{p['y']}" for p in pts), "last": pts[-1] if pts else None,
        })
    legend_w = (width - left) / per_row
    legend = [{"x": round(left + (j % per_row) * legend_w, 2), "y": height + (j // per_row) * legend_row,
               "label": s["label"], "colour": s["colour"], "dash": s["dash"]} for j, s in enumerate(out)]
    grid = [{"y": y_at(t), "text": _count(t)} for t in ticks(top)]
    xs = [{"x": x_at(i), "text": t} for i, t in enumerate(x_labels)]
    return {"width": width, "height": total_h, "series": out, "grid": grid, "xs": xs, "legend": legend,
            "left": left, "right": width - right, "base": head + plot_h, "x_label_y": head + plot_h + 16,
            "empty": not series}
