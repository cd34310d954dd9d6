"""Meta CSV exports: CrowdTangle Facebook and Instagram posts, and Meta Content Library posts."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from envoywatch.domain import AccountRef, Location, Media, Parsed, Post, Reject
from envoywatch.sources._util import (
    add_note,
    clean_text,
    csv_header,
    guarded,
    iter_csv,
    opt_str,
    parse_time,
    raw_text,
    to_int,
    unmapped_keys,
)
from envoywatch.sources.base import Sample, Source, source

FB_MARKERS = {"Page Name", "Facebook Id", "Post Created", "Message", "URL"}
IG_MARKERS = {"Account", "User Name", "Post Created", "Description", "URL"}
MCL_MARKERS = {"id", "creation_time", "text", "post_owner.name"}
CT_METRICS = (
    "Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad", "Angry", "Care",
    "Total Interactions", "Views", "Post Views", "Total Views", "Followers at Posting",
    "Likes at Posting",
)
CT_MAPPED = {"Page Name", "Account", "User Name", "Facebook Id", "Post Created",
             "Post Created Date", "Post Created Time", "Type", "Message", "Description", "Link",
             "URL", "Photo", *CT_METRICS}
MCL_MAPPED = {"id", "creation_time", "text", "lang", "post_owner.id", "post_owner.name",
              "post_owner.username", "url", "link_attachment.link", "multimedia", "platform"}
CT_MEDIA = {"photo": "photo", "album": "photo", "video": "video", "native video": "video",
            "live video": "video", "live video complete": "video", "igtv": "video",
            "youtube": "video", "link": "link", "carousel": "photo"}


def flavour(columns: set[str]) -> str | None:
    """Which export a header belongs to: facebook, instagram, mcl, or None."""
    if len(FB_MARKERS & columns) >= 4:
        return "facebook"
    if len(IG_MARKERS & columns) >= 4 and "Facebook Id" not in columns:
        return "instagram"
    if MCL_MARKERS <= columns:
        return "mcl"
    return None


@source
class CrowdTangleSource(Source):
    name = "crowdtangle"
    description = "CrowdTangle / Meta Content Library CSV exports of Facebook and Instagram posts"

    def detect(self, sample: Sample) -> float:
        text = sample.text.lstrip()
        if text.startswith(("{", "[")):
            return 0.0
        found = flavour(set(csv_header(text)))
        return {"facebook": 0.95, "instagram": 0.9, "mcl": 0.85}.get(found or "", 0.0)

    def read(self, path: Path, options: dict[str, str] | None = None) -> Iterator[Parsed | Reject]:
        path, options = Path(path), options or {}
        kind: str | None = None
        for number, offset, row, note in iter_csv(path, options):
            where = Location(str(path), number, offset)
            if isinstance(row, csv.Error):
                yield Reject(where, f"broken CSV row: {row}", "")
                continue
            kind = kind or flavour(set(row)) or "unknown"
            parsed = guarded(where, row, partial(map_row, kind=kind, options=options))
            yield add_note(parsed, note) if note else parsed


def map_row(row: dict[str, Any], where: Location, kind: str, options: dict[str, str]) -> Parsed | Reject:
    if kind == "mcl":
        return map_mcl(row, where, options)
    if kind not in ("facebook", "instagram"):
        return Reject(where, "CSV header is not a CrowdTangle or Meta Content Library export", raw_text(row))
    url = opt_str(row.get("URL"))
    if url is None:
        return Reject(where, "CrowdTangle row without URL (the post's identity)", raw_text(row))
    notes: list[str] = []
    text_column = "Message" if kind == "facebook" else "Description"
    created = parse_time(row.get("Post Created")) or parse_time(
        f"{row.get('Post Created Date', '')} {row.get('Post Created Time', '')}".strip())
    post = Post(
        platform=kind,
        platform_id=post_id(url),
        author=AccountRef(
            platform=kind,
            handle=opt_str(row.get("User Name")),
            platform_id=opt_str(row.get("Facebook Id")) if kind == "facebook" else None,
            display_name=opt_str(row.get("Page Name") if kind == "facebook" else row.get("Account")),
        ),
        text=clean_text(row.get(text_column), notes),
        created_at=created,
        url=url,
        metrics={k: v for k in CT_METRICS if (v := to_int(row.get(k))) is not None},
        media=ct_media(row),
        raw=row,
    )
    if created is None:
        notes.append(f"note: Post Created not understood: {str(row.get('Post Created'))[:40]!r}")
    post.unmapped = unmapped_keys(row, CT_MAPPED) + notes
    return Parsed(where=where, posts=[post], accounts=[post.author])


def post_id(url: str) -> str:
    """A stable post id from a CrowdTangle URL: an Instagram shortcode, else the URL's path."""
    code = re.search(r"instagram\.com/(?:p|reel|tv)/([A-Za-z0-9_-]+)", url)
    if code:
        return code.group(1)
    match = re.match(r"^https?://(?:www\.|m\.)?(?:facebook|instagram)\.com/(.+?)/?$", url)
    return match.group(1) if match else url


def ct_media(row: dict[str, Any]) -> list[Media]:
    media_type = CT_MEDIA.get(str(row.get("Type", "")).strip().lower())
    if media_type is None:
        return []
    url = opt_str(row.get("Link")) if media_type == "link" else opt_str(row.get("Photo"))
    return [Media(type=media_type, url=url or opt_str(row.get("Link")))]


def map_mcl(row: dict[str, Any], where: Location, options: dict[str, str]) -> Parsed | Reject:
    """Meta Content Library CSV: dotted columns (post_owner.*, statistics.*)."""
    pid = opt_str(row.get("id"))
    if pid is None:
        return Reject(where, "Content Library row without id", raw_text(row))
    url = opt_str(row.get("url")) or opt_str(row.get("link_attachment.link"))
    platform = options.get("platform") or opt_str(row.get("platform")) or (
        "instagram" if "instagram.com" in (url or "") or "statistics.like_count" in row else "facebook")
    notes: list[str] = []
    post = Post(
        platform=platform.lower(),
        platform_id=pid,
        author=AccountRef(platform.lower(), handle=opt_str(row.get("post_owner.username")),
                          platform_id=opt_str(row.get("post_owner.id")),
                          display_name=opt_str(row.get("post_owner.name"))),
        text=clean_text(row.get("text"), notes),
        created_at=parse_time(row.get("creation_time")),
        lang=opt_str(row.get("lang")),
        url=url,
        metrics={k.split(".", 1)[1]: v for k in row
                 if k.startswith("statistics.") and (v := to_int(row[k])) is not None},
        raw=row,
    )
    mapped = MCL_MAPPED | {k for k in row if k.startswith("statistics.")}
    post.unmapped = unmapped_keys(row, mapped) + notes
    return Parsed(where=where, posts=[post], accounts=[post.author])
