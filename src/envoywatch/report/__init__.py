"""The report on one actor or account: self-contained HTML (charts as images) and PDF via Chromium."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from envoywatch.queries import get_post
from envoywatch.store.db import Store
from envoywatch.timeutil import iso, utcnow
from envoywatch.web import charts
from envoywatch.web.app import _is_number
from envoywatch.web.queries import resolve_subject, subject_events, subject_series
from envoywatch.web.security import script_json
from envoywatch.web.views import safe_story_html, story_for

HERE = Path(__file__).parent
CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHART_WIDTH = 640
MAX_EVIDENCE = 300


class ReportError(RuntimeError):
    """The report cannot be written; the message says why."""


def chart_images(specs: dict[str, dict]) -> dict[str, str]:
    """Each Vega-Lite spec as an SVG data URI (vl-convert renders offline); {} when vl-convert is absent."""
    try:
        import vl_convert as vlc
    except ImportError:
        return {}
    out = {}
    for key, spec in specs.items():
        svg = vlc.vegalite_to_svg(spec)
        out[key] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return out


def evidence_posts(store: Store, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The posts the events cite, in time order, for the appendix."""
    ids: list[int] = []
    for e in events:
        ids += [ev["id"] for ev in e["evidence"] if ev["id"] not in ids]
    found = [p for p in (get_post(store, i) for i in ids[:MAX_EVIDENCE]) if p]
    return sorted(found, key=lambda p: (p["created_at"] or "", p["id"]))


def build_report(store: Store, who: str, date_from: datetime | None = None,
                 date_to: datetime | None = None) -> dict[str, Any]:
    """Everything the report shows, as data."""
    subj = resolve_subject(store, who)
    if subj is None:
        raise ReportError(f"no actor or account {who!r} in this workspace")
    series = subject_series(store, subj)
    evs = subject_events(store, subj)
    specs = charts.subject_charts(series, evs, width=CHART_WIDTH)
    try:
        story = story_for(store, subj.slug if subj.kind == "account" else subj.actor, date_from, date_to)
    except Exception as e:  # noqa: BLE001  the story belongs to another module; the report still has the rest
        story = {"error": f"{type(e).__name__}: {e}"}
    return {"subject": subj.as_dict(), "series": series, "events": evs, "charts": chart_images(specs),
            "story": story, "story_html": safe_story_html(story), "evidence": evidence_posts(store, evs),
            "generated_at": iso(utcnow())}


def render_report_html(data: dict[str, Any]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    env.filters["day"] = lambda s: (s or "")[:10]
    env.filters["pct"] = lambda x: "–" if not _is_number(x) else f"{100 * x:.0f}%"
    env.filters["num"] = lambda x, d=2: "–" if not _is_number(x) else f"{x:.{d}f}"
    env.filters["script_json"] = script_json
    return env.get_template("report.html").render(**data)


def find_chromium() -> str | None:
    for name in CHROMIUM:
        path = shutil.which(name) or (name if Path(name).exists() else None)
        if path:
            return path
    return None


def html_to_pdf(html: str, out: Path, timeout: int = 120) -> None:
    """Print the HTML to PDF with headless Chromium (offline; no network needed for a self-contained page)."""
    exe = find_chromium()
    if exe is None:
        raise ReportError("PDF needs Chromium (apt-get install chromium); write --html instead")
    with tempfile.TemporaryDirectory(prefix="envoywatch-report-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(html, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
               "--disable-background-networking", "--disable-component-update", "--no-pdf-header-footer",
               f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out.resolve()}", src.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if not out.exists() or out.stat().st_size == 0:
        raise ReportError(f"Chromium did not write the PDF (exit {proc.returncode}): "
                          f"{proc.stderr.decode(errors='replace')[-500:]}")


def write_report(store: Store, who: str, out: Path, fmt: str = "html", date_from: datetime | None = None,
                 date_to: datetime | None = None) -> dict[str, Any]:
    """Write the HTML or PDF report to `out`."""
    data = build_report(store, who, date_from, date_to)
    html = render_report_html(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.unlink(missing_ok=True)
        html_to_pdf(html, out)
    else:
        out.write_text(html, encoding="utf-8")
    return {"subject": data["subject"]["label"], "format": fmt, "output": str(out), "bytes": out.stat().st_size,
            "charts": len(data["charts"]), "events": len(data["events"]), "evidence_posts": len(data["evidence"])}
