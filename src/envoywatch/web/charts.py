"""Altair chart specs for the actor page, the overview sparklines and the report."""

from __future__ import annotations

from collections import Counter
from typing import Any

import altair as alt

WIDTH = "container"
WEEK = alt.X("yearweek(week):T", title="week", axis=alt.Axis(format="%b %d %Y", labelOverlap=True))  # bars span their week
SERIES = 10  # colours in the default categorical palette
MARK_COLORS = {"backlash": "#c0392b", "shift": "#8e44ad", "block_reports": "#d35400", "crosspost": "#2471a3"}


def _spec(chart: alt.TopLevelMixin, width: Any = WIDTH, height: int = 180) -> dict[str, Any]:
    spec = chart.properties(width=width, height=height).to_dict(validate=False)
    spec.setdefault("config", {}).update({"view": {"stroke": None}, "axis": {"labelFontSize": 11},
                                          "font": "system-ui, sans-serif"})
    return spec


def event_marks(events: list[dict[str, Any]], types: tuple[str, ...]) -> list[dict[str, Any]]:
    """Dates of events to draw as vertical rules (type names only, never user text)."""
    return [{"date": e["start"][:10], "type": e["type"]} for e in events
            if e.get("start") and e["type"] in types]


def _rules(marks: list[dict[str, Any]]) -> alt.Chart:
    domain = sorted({m["type"] for m in marks}) or ["shift"]
    return (alt.Chart(alt.Data(values=marks)).mark_rule(strokeDash=[4, 3], strokeWidth=2)
            .encode(x="date:T", color=alt.Color("type:N", title="event",
                                                scale=alt.Scale(domain=domain,
                                                                range=[MARK_COLORS.get(d, "#555") for d in domain])),
                    tooltip=[alt.Tooltip("type:N"), alt.Tooltip("date:T")]))


def _with_marks(chart: alt.Chart, marks: list[dict[str, Any]]) -> alt.TopLevelMixin:
    return alt.layer(chart, _rules(marks)).resolve_scale(color="independent") if marks else chart


def posts_per_week(rows: list[dict], marks: list[dict], width: Any = WIDTH) -> dict[str, Any]:
    bars = (alt.Chart(alt.Data(values=rows)).mark_bar(color="#4c78a8")
            .encode(x=WEEK, y=alt.Y("posts:Q", title="posts"),
                    tooltip=["week:T", "posts:Q"]))
    return _spec(_with_marks(bars, marks), width)


def targets_stacked(rows: list[dict], marks: list[dict], width: Any = WIDTH) -> dict[str, Any]:
    bars = (alt.Chart(alt.Data(values=rows)).mark_bar()
            .encode(x=WEEK, y=alt.Y("posts:Q", stack="zero", title="hostile posts"),
                    color=alt.Color("country:N", title="target"), tooltip=["week:T", "country:N", "posts:Q"]))
    return _spec(_with_marks(bars, marks), width)


def undiplomatic(rows: list[dict], marks: list[dict], width: Any = WIDTH) -> dict[str, Any]:
    line = (alt.Chart(alt.Data(values=rows)).mark_line(point=True, color="#e45756")
            .encode(x=alt.X("week:T", title="week"),
                    y=alt.Y("undiplomatic:Q", title="mean undiplomatic score", scale=alt.Scale(domain=[0, 1])),
                    tooltip=["week:T", "undiplomatic:Q", "posts:Q"]))
    return _spec(_with_marks(line, marks), width)


def techniques(rows: list[dict], marks: list[dict], width: Any = WIDTH) -> dict[str, Any]:
    bars = (alt.Chart(alt.Data(values=rows)).mark_bar()
            .encode(x=WEEK, y=alt.Y("posts:Q", stack="zero", title="posts"),
                    color=alt.Color("technique:N", title="technique"),
                    tooltip=["week:T", "technique:N", "posts:Q"]))
    return _spec(_with_marks(bars, marks), width)


def replies(rows: list[dict], marks: list[dict], width: Any = WIDTH) -> dict[str, Any]:
    base = alt.Chart(alt.Data(values=rows)).encode(x=WEEK)
    bars = base.mark_bar(color="#9ecae9").encode(y=alt.Y("replies:Q", title="replies"),
                                                 tooltip=["week:T", "replies:Q", "hostile:Q", "hostile_share:Q"])
    share = base.mark_line(color="#c0392b", point=True).encode(
        y=alt.Y("hostile_share:Q", title="hostile share", scale=alt.Scale(domain=[0, 1])))
    layered = alt.layer(bars, share).resolve_scale(y="independent")
    if marks:
        layered = alt.layer(bars, share, _rules(marks)).resolve_scale(y="independent", color="independent")
    return _spec(layered, width)


def block_claims(rows: list[dict], marks: list[dict], width: Any = WIDTH) -> dict[str, Any]:
    bars = (alt.Chart(alt.Data(values=rows)).mark_bar(color="#d35400")
            .encode(x=WEEK, y=alt.Y("block_claims:Q", title="block reports"),
                    tooltip=["week:T", "block_claims:Q"]))
    return _spec(_with_marks(bars, marks), width)


def _sparkline(rows: list[dict], _marks: list[dict], _width: Any) -> dict[str, Any]:
    line = (alt.Chart(alt.Data(values=rows)).mark_area(line={"color": "#4c78a8"}, color="#c6dbef")
            .encode(x=alt.X("week:T", axis=None), y=alt.Y("posts:Q", axis=None), tooltip=["week:T", "posts:Q"]))
    return _spec(line, width=160, height=32)


def sparkline(rows: list[dict]) -> dict[str, Any]:
    """An actor's posts per week as a small area chart (the overview draws one per actor)."""
    return _shaped(_sparkline, rows, [], 160)


_ROWS = {"__envoywatch_rows__": True}
_SHAPES: dict[tuple, dict[str, Any]] = {}


def _filled(spec: Any, rows: list[dict], marks: list[dict]) -> Any:
    """A copy of a stand-in spec with the real rows and event marks in place of the stand-ins."""
    if isinstance(spec, dict):
        vals = spec.get("values")
        if isinstance(vals, list) and vals and isinstance(vals[0], dict):
            if vals[0] is _ROWS or vals[0].get("__envoywatch_rows__"):
                return {**spec, "values": list(rows)}
            if vals[0].get("date") == "__envoywatch_marks__":
                return {**spec, "values": list(marks)}
        return {k: _filled(v, rows, marks) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_filled(v, rows, marks) for v in spec]
    return spec


def _shaped(fn, rows: list[dict], marks: list[dict], width: Any) -> dict[str, Any]:
    """`fn`'s spec, built by Altair once per chart shape with stand-in data, then filled with the data.

    Altair copies every data value while building a spec (seconds for a busy actor's years of weeks);
    the spec depends on the data only through the event types drawn, which are part of the shape.
    """
    domain = tuple(sorted({m["type"] for m in marks}))
    key = (fn.__name__, domain, str(width))
    if key not in _SHAPES:
        stand_in = [{"date": "__envoywatch_marks__", "type": t} for t in domain]
        _SHAPES[key] = fn([_ROWS], stand_in, width)
    return _filled(_SHAPES[key], rows, marks)


def _top(rows: list[dict], field: str, other: str, keep: int = SERIES - 1) -> list[dict]:
    """Rows of the `keep` largest series by total posts, the rest summed per week as `other`.

    A stacked chart has the palette's ten colours; an eleventh series would repeat one (and the busiest
    actor names forty countries), so the page draws the largest and folds the tail.
    """
    totals: Counter[str] = Counter()
    for r in rows:
        totals[r[field]] += r["posts"]
    if len(totals) <= keep + 1:
        return rows
    kept = {k for k, _ in totals.most_common(keep)}
    folded: Counter[str] = Counter()
    out = []
    for r in rows:
        if r[field] in kept:
            out.append(r)
        else:
            folded[r["week"]] += r["posts"]
    out += [{"week": w, field: other, "posts": n} for w, n in sorted(folded.items())]
    return out


def subject_charts(series: dict[str, Any], events: list[dict[str, Any]], width: Any = WIDTH) -> dict[str, dict]:
    """Every chart on an actor page, keyed by its element id; empty series give no chart."""
    shifts = event_marks(events, ("shift",))
    waves = event_marks(events, ("backlash", "shift"))
    blocks = event_marks(events, ("block_reports", "shift"))
    out = {}
    plan = (("posts", posts_per_week, "posts_per_week", shifts),
            ("targets", targets_stacked, "targets_per_week", shifts),
            ("undiplomatic", undiplomatic, "undiplomatic_per_week", shifts),
            ("techniques", techniques, "techniques_per_week", shifts),
            ("replies", replies, "replies_per_week", waves),
            ("blocks", block_claims, "block_claims_per_week", blocks))
    folds = {"targets_per_week": ("country", "other countries"),
             "techniques_per_week": ("technique", "other techniques")}
    for key, fn, field, marks in plan:
        if series.get(field):
            rows = _top(series[field], *folds[field]) if field in folds else series[field]
            out[key] = _shaped(fn, rows, marks, width)
    return out
