"""Write a story as prose sections with evidence: for a terminal, as Markdown, or as escaped HTML."""

from __future__ import annotations

import textwrap

from envoywatch.events.shifts import COUNTRY_NAMES


def _country(code: str | None) -> str:
    if not code:
        return "a country it does not name"
    if code in COUNTRY_NAMES:
        return COUNTRY_NAMES[code]
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return getattr(found, "common_name", None) or getattr(found, "name", code)


def _pct(v: float | None) -> str:
    """A share as a whole percentage; a share that exists but rounds to 0 reads "<1%"."""
    v = v or 0
    return "<1%" if 0 < v < 0.005 else f"{round(100 * v)}%"


def _para(text: str, evidence: list | None = None, quote: str | None = None) -> dict:
    """One statement, the posts that prove it, and optionally a short quote from one of them."""
    q = " ".join((quote or "").split())
    return {"text": text, "evidence": [e for e in (evidence or []) if isinstance(e, dict)][:8],
            "quote": (q[:277] + "...") if len(q) > 280 else q or None}


def _posting(s: dict) -> list[dict]:
    f = s["frequency"]
    if not f["posts"]:
        return [_para("No posts in this period.")]
    accs = ", ".join(f"{k} ({v})" for k, v in f["by_account"].items())
    langs = ", ".join(f"{k} {v}" for k, v in f["by_language"].items())
    return [_para(f"{f['posts']} posts, about {f['per_week']} a week, on {accs}. Languages: {langs}. "
                  f"Busiest week: {f['busiest_week']['week']} ({f['busiest_week']['posts']} posts).")]


def _targets(s: dict) -> list[dict]:
    t = s["targets"]
    tops = t.get("top_targets") or []
    if not tops:
        return [_para("No post attacks another country.")]
    out = [_para(f"{_pct(x['share'])} of posts ({x['posts']}) attack {_country(x['code'])}.", x.get("evidence"))
           for x in tops[:4]]
    hr, host = t.get("host_relevance") or {}, t.get("host")
    if hr and host:
        out.append(_para(f"Relevance to the host country ({_country(host)}): {_pct(hr.get('host_share'))} of "
                         f"posts concern it, while {_pct(hr.get('third_country_target_share'))} attack a third "
                         "country."))
    return out


VEILED_CITED = 5  # veiled posts the narrative quotes (a page showing it reads only these: see build_story)


def _veiled(s: dict) -> list[dict]:
    out = []
    for v in s["veiled"][:VEILED_CITED]:
        clues = "; ".join(f"“{c}”" for c in (v["clues"] or [])[:5]) or "no clue recorded"
        read = (f"read as {_country(v['inferred_target'])} (confidence {v['confidence'] or 0:.2f})"
                if v["inferred_target"] else "its target not inferred")
        out.append(_para(f"{(v['date'] or '')[:10]}: a post about an unnamed country, {read}. "
                         f"Clues: {clues}.", [v["post"]], v["text"]))
    return out or [_para("No veiled post found.")]


def _crossposts(s: dict) -> list[dict]:
    out = []
    for e in s["crossposts"][:8]:
        copies = "; ".join(f"{c['account']} ({c['match']}, {c['lang'] or '?'}, +{c['lag_hours']} h)"
                           for c in e.get("copies", []))
        out.append(_para(f"{(e['start'] or '')[:10]}: {e['origin']['account']}'s post reappeared on {copies}.",
                         e["evidence"], e["origin"].get("text")))
    return out or [_para("No cross-post found.")]


def _backlash(s: dict) -> list[dict]:
    out = []
    for e in s["backlash"]:
        themes = ", ".join(t["theme"] for t in e.get("themes", [])[:4])
        langs = ", ".join(f"{k} {v}" for k, v in list(e.get("reply_languages", {}).items())[:4])
        big = " It is the largest wave in the account's history." if e.get("unprecedented") else ""
        out.append(_para(f"{(e['start'] or '')[:10]} to {(e['end'] or '')[:10]}: {e['replies']} replies to "
                         f"{e['account']}, {e['ratio_to_baseline']} times its usual "
                         f"{e['baseline_replies_per_post']} per post; {_pct(e['hostile_share'])} hostile "
                         f"(usually {_pct(e['baseline_hostile_share'])}). Languages: {langs}. "
                         f"Themes: {themes}.{big}", e["evidence"],
                         (e.get("hostile_examples") or [{}])[0].get("text")))
    return out or [_para("No backlash wave found.")]


def _blocks(s: dict) -> list[dict]:
    out = []
    if s["block_reports"]:
        out.append(_para(f"{s['blocked_people']} people said they were blocked."))
    m = s.get("blocked_people_mission") or {}
    if m.get("people", 0) > s["blocked_people"]:
        out.append(_para(f"Across the accounts of {_country(m['sending_country'])}'s mission in "
                         f"{_country(m['host_country'])} ({', '.join(m['accounts'])}), {m['people']} people "
                         "said they were blocked."))
    for e in s["block_reports"]:
        bsky = f" Bluesky shows {e['bluesky_block_records']} block records." if e.get("bluesky_block_records") else ""
        who = "1 person" if e["reporters"] == 1 else f"{e['reporters']} people"
        out.append(_para(f"{who} said {e['account']} blocked them, between "
                         f"{(e['start'] or '')[:10]} and {(e['end'] or '')[:10]}; {e['with_screenshot']} "
                         f"posted a screenshot.{bsky}", e["evidence"],
                         (e.get("people") or [{}])[0].get("text")))
    return out or [_para("Nobody said they were blocked.")]


def _shifts(s: dict) -> list[dict]:
    return [_para(e["summary"], e["evidence"]) for e in s["shifts"]] or [_para("No shift found.")]


def narrative(s: dict) -> list[dict]:
    """The story as titled sections of paragraphs, each paragraph with its evidence posts."""
    sections = [("How often it posts", _posting), ("Whom it attacks", _targets), ("Veiled posts", _veiled),
                ("Cross-posts", _crossposts), ("Backlash", _backlash), ("Blocked people", _blocks),
                ("Shifts", _shifts)]
    out = [{"title": t, "paragraphs": fn(s)} for t, fn in sections]
    out.append({"title": "Timeline", "paragraphs": [
        _para(f"{(e['start'] or '')[:10]}  {e['type']}: {e['summary']}", e["evidence"][:3]) for e in s["events"]]})
    return out


def _title(s: dict) -> str:
    who = (s.get("actor") or {}).get("name") or s["who"]
    p = s["period"]
    return f"{who}: {(p['from'] or '?')[:10]} to {(p['to'] or '?')[:10]}"


def _ref(e: dict) -> str:
    return e.get("url") or f"{e.get('account', 'post')}/{e.get('platform_id') or e.get('id')}"


def render_text(s: dict) -> str:
    lines = [_title(s), "=" * min(78, len(_title(s))), ""]
    for sec in s["narrative"]:
        lines += [sec["title"].upper()]
        for p in sec["paragraphs"]:
            lines += textwrap.wrap(p["text"], 78, initial_indent="  ", subsequent_indent="  ")
            if p.get("quote"):
                lines += textwrap.wrap(f"“{p['quote']}”", 78, initial_indent="    ", subsequent_indent="    ")
            if p["evidence"]:
                lines += textwrap.wrap("evidence: " + " ".join(_ref(e) for e in p["evidence"][:3]), 78,
                                       initial_indent="    ", subsequent_indent="      ")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)


def render_markdown(s: dict) -> str:
    out = [f"# {_md(_title(s))}", ""]
    for sec in s["narrative"]:
        out += [f"## {sec['title']}", ""]
        for p in sec["paragraphs"]:
            ev = " ".join(f"[{i + 1}](<{e['url']}>)" if e.get("url") else f"`{e.get('platform_id') or e.get('id')}`"
                          for i, e in enumerate(p["evidence"][:5]))
            out.append(f"- {_md(p['text'])}" + (f" (evidence: {ev})" if ev else ""))
            if p.get("quote"):
                out.append(f"  > {_md(p['quote'])}")
        out.append("")
    return "\n".join(out)


_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;line-height:1.5}
.ev{font-size:.85em;color:#555}</style></head><body><h1>{{ title }}</h1>
{% for sec in sections %}<h2>{{ sec.title }}</h2><ul>{% for p in sec.paragraphs %}<li>{{ p.text }}
{% if p.quote %}<blockquote>{{ p.quote }}</blockquote>{% endif %}
{% if p.evidence %}<span class="ev">evidence:{% for e in p.evidence[:5] %}
{% if e.url and (e.url.startswith('https://') or e.url.startswith('http://')) %}
<a href="{{ e.url }}" rel="nofollow noopener">{{ e.account or 'post' }} {{ e.platform_id }}</a>{% else %}
{{ e.account or 'post' }} {{ e.platform_id or e.id }}{% endif %}{% endfor %}</span>{% endif %}</li>
{% endfor %}</ul>{% endfor %}</body></html>"""


def render_html(s: dict) -> str:
    """A standalone page; Jinja2 autoescape escapes every piece of post text."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(title=_title(s), sections=s["narrative"])
