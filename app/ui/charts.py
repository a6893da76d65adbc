"""Server-drawn SVG charts: geometry computed here, drawn by templates/_charts.html.

SVG with presentation attributes (x, y, width, fill via classes of app/static/charts.css)
renders under the Content-Security-Policy, which forbids inline style and script; no
JavaScript is needed, and every chart has a table of its figures behind it (screen
readers, tests). Coordinates are in the SVG's own viewBox units; the SVG scales to its box."""
from dataclasses import dataclass, field


@dataclass
class Chart:
    title: str
    width: int
    height: int
    bars: list = field(default_factory=list)      # {x, y, w, h, cls, label}
    points: list = field(default_factory=list)    # {x, y, cls, label}
    line: str = ""                                # polyline "x,y x,y"
    guides: list = field(default_factory=list)    # {y, cls, label}: average, trend ends
    trend: tuple | None = None                    # (x1, y1, x2, y2)
    labels: list = field(default_factory=list)    # {x, y, text, anchor}
    empty: bool = True


PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 8, 8, 18


def _scale(value, top, span, size):
    return size - (value / top) * span if top else size


def _top(values) -> float:
    values = [v for v in values if v is not None]
    top = max(values) if values else 0
    return top if top > 0 else 1


def number(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}".strip()


def sparkline(rates: list, width: int = 80, height: int = 20) -> Chart:
    """A success-rate line (values 0..1) across the box; one point when only one value."""
    chart = Chart("success rate", width, height, empty=not rates)
    if not rates:
        return chart
    step = (width - 4) / max(1, len(rates) - 1)
    coords = [(2 + i * step if len(rates) > 1 else width / 2, 2 + (1 - r) * (height - 4))
              for i, r in enumerate(rates)]
    chart.line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    last_x, last_y = coords[-1]
    chart.points = [{"x": round(last_x, 1), "y": round(last_y, 1),
                     "cls": "ok" if rates[-1] >= 0.999 else "bad", "label": ""}]
    return chart


def marks(results: list, size: int = 10, gap: int = 3) -> Chart:
    """The last runs as coloured squares, oldest left."""
    chart = Chart("last runs", max(1, len(results)) * (size + gap), size, empty=not results)
    chart.bars = [{"x": i * (size + gap), "y": 0, "w": size, "h": size,
                   "cls": _result_class(r.get("result")),
                   "label": f"{r.get('result') or 'no result'} {r.get('started_at') or ''}"}
                  for i, r in enumerate(results)]
    return chart


def _result_class(result) -> str:
    return {"success": "ok", "fail": "bad", "aborted": "warn", "running": "busy"}.get(result or "",
                                                                                    "none")


def series(title: str, values: list, classes: list | None = None, labels: list | None = None,
           unit: str = "", average: float | None = None, slope_per_point: float | None = None,
           width: int = 600, height: int = 160) -> Chart:
    """Points over time (evenly spaced, oldest left) joined by a line, each with a class
    (failed runs stand out), plus the average as a dashed guide and the trend line."""
    present = [v for v in values if v is not None]
    chart = Chart(title, width, height, empty=not present)
    if not present:
        return chart
    top = _top(values + [average])
    span_x = width - PAD_LEFT - PAD_RIGHT
    span_y = height - PAD_TOP - PAD_BOTTOM
    step = span_x / max(1, len(values) - 1)
    coords = []
    for i, value in enumerate(values):
        x = PAD_LEFT + (i * step if len(values) > 1 else span_x / 2)
        if value is None:
            continue
        y = PAD_TOP + _scale(value, top, span_y, span_y)
        coords.append((x, y))
        chart.points.append({"x": round(x, 1), "y": round(y, 1),
                             "cls": (classes or ["ok"] * len(values))[i],
                             "label": (labels or [""] * len(values))[i]})
    chart.line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    if average is not None:
        y = PAD_TOP + _scale(average, top, span_y, span_y)
        chart.guides.append({"y": round(y, 1), "cls": "average",
                             "label": f"average {number(average, unit)}"})
    if slope_per_point is not None and average is not None and len(values) > 1:
        # the least-squares line passes through (mean x, mean y)
        mid = (len(values) - 1) / 2
        y1 = average - slope_per_point * mid
        y2 = average + slope_per_point * mid
        clamp = lambda v: max(0.0, min(top, v))  # noqa: E731
        chart.trend = (PAD_LEFT, round(PAD_TOP + _scale(clamp(y1), top, span_y, span_y), 1),
                       PAD_LEFT + span_x, round(PAD_TOP + _scale(clamp(y2), top, span_y, span_y), 1))
    _axis(chart, top, unit, span_y)
    return chart


def bars(title: str, values: list, labels: list, unit: str = "", classes: list | None = None,
         width: int = 600, height: int = 140) -> Chart:
    """One bar per value (e.g. per day), labelled under the first, middle and last bar; a
    box under 120 wide is a sparkline: no axis, no labels."""
    chart = Chart(title, width, height, empty=not any(values))
    if not values:
        return chart
    compact = width < 120
    left, right, top_pad, bottom = (0, 0, 1, 1) if compact else \
        (PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM)
    top = _top(values)
    span_x = width - left - right
    span_y = height - top_pad - bottom
    slot = span_x / len(values)
    for i, value in enumerate(values):
        h = 0 if not value else max(1.0, (value / top) * span_y)
        chart.bars.append({"x": round(left + i * slot + slot * 0.1, 1),
                           "y": round(top_pad + span_y - h, 1), "w": round(slot * 0.8, 1),
                           "h": round(h, 1), "cls": (classes or ["ok"] * len(values))[i],
                           "label": f"{labels[i]}: {number(value, unit)}".lstrip(": ")})
    if compact:
        return chart
    for i in sorted({0, len(values) // 2, len(values) - 1}):
        chart.labels.append({"x": round(left + i * slot + slot / 2, 1), "y": height - 4,
                             "text": labels[i][5:] if len(labels[i]) == 10 else labels[i],
                             "anchor": "middle"})
    _axis(chart, top, unit, span_y)
    return chart


def _axis(chart: Chart, top: float, unit: str, span_y: float) -> None:
    chart.labels.append({"x": PAD_LEFT - 4, "y": PAD_TOP + 8, "text": number(top, unit),
                         "anchor": "end"})
    chart.labels.append({"x": PAD_LEFT - 4, "y": PAD_TOP + span_y, "text": "0", "anchor": "end"})


def init_app(app):
    app.jinja_env.filters["chart_number"] = number
