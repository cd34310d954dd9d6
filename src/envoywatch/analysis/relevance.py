"""Host relevance and targets of an account or actor over a period, from annotated posts.

`summarize_targets` answers the analyst's first question about an embassy's feed: which
countries it attacks, how often, and how much of it concerns the country it is posted in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

EXAMPLES = 5  # example post ids kept per country as evidence


def _when(value: Any) -> datetime | None:
    """A timezone-aware datetime (naive values are taken as UTC), or None."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _codes(item: Mapping[str, Any]) -> set[str]:
    return {c["code"] for c in item.get("countries") or () if c.get("code")}


def summarize_targets(
    items: Iterable[Mapping[str, Any]], sender: str | None = None, host: str | None = None, top: int = 10
) -> dict[str, Any]:
    """Shares of posts mentioning and targeting each country, host relevance and top targets.

    `items` are annotated posts: dicts with `id`, `created_at`, `countries` and `targets`.
    Shares are fractions of all posts in `items`. A post "concerns the host" when it names the
    host (or the host is among its targets); it is "aimed at third countries" when it targets a
    country that is neither host nor sender.
    """
    sender, host = (sender or "").upper() or None, (host or "").upper() or None
    mentions: Counter[str] = Counter()
    targets: Counter[str] = Counter()
    examples: dict[str, list[tuple[str, str]]] = defaultdict(list)
    n = host_n = host_sender_n = third_n = veiled_n = targeted_n = 0
    first = last = None
    for item in items:
        n += 1
        codes = _codes(item)
        tg = set(item.get("targets") or ())
        mentions.update(sorted(codes))  # countries first named in the same post: alphabetical, not set order
        targets.update(sorted(tg))
        when = _when(item.get("created_at"))
        if when is not None:
            first = when if first is None or when < first else first
            last = when if last is None or when > last else last
        for code in tg:
            examples[code].append((when.isoformat() if when else "", str(item.get("id"))))
        concerns_host = bool(host) and (host in codes or host in tg)
        host_n += concerns_host
        host_sender_n += concerns_host or (bool(sender) and sender in codes)
        third_n += bool(tg - {host, sender})
        targeted_n += bool(tg)
        veiled_n += any(c.get("veiled") and c.get("stance") == "hostile" for c in item.get("countries") or ())
    share = (lambda k: round(k / n, 4)) if n else (lambda k: 0.0)
    return {
        "posts": n,
        "sender": sender,
        "host": host,
        "period": {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None},
        "mention_share": {c: share(k) for c, k in mentions.most_common()},
        "target_share": {c: share(k) for c, k in targets.most_common()},
        "host_relevance": {
            "host_share": share(host_n),
            "host_or_sender_share": share(host_sender_n),
            "third_country_target_share": share(third_n),
            "posts_with_targets_share": share(targeted_n),
        },
        "veiled_target_share": share(veiled_n),
        "top_targets": [
            {"code": c, "posts": k, "share": share(k),
             "examples": [pid for _, pid in sorted(examples[c], reverse=True)[:EXAMPLES]]}
            for c, k in targets.most_common(top)
        ],
    }



def post_keys(lang: str | None, countries: list, targets: list, sender: str | None, host: str | None) -> list[str]:
    """What one post adds to the sums `summarize_counts` reads (as `store.aggregates` counts it in SQL)."""
    codes = {c["code"] for c in countries or () if c.get("code")}
    tg = set(targets or ())
    concerns_host = bool(host) and (host in codes or host in tg)
    keys = ["n", f"l:{lang or 'und'}", *(f"m:{c}" for c in codes), *(f"t:{t}" for t in tg)]
    flags = {"tg": bool(tg), "h": concerns_host, "hs": concerns_host or (bool(sender) and sender in codes),
             "x": bool(tg - {host, sender}),
             "vh": any(c.get("veiled") and c.get("stance") == "hostile" for c in countries or ())}
    return keys + [k for k, on in flags.items() if on]


def summarize_counts(n: Mapping[str, int], ordered, examples: Mapping[str, list[str]], sender: str | None,
                     host: str | None, period: tuple, top: int = 10) -> dict[str, Any]:
    """`summarize_targets`' answer from sums: `n` per key of `post_keys`, `ordered(prefix)` giving (value, count)
    most first in order of first appearance, the example ids of each top target, and the first and last dates."""
    posts = n.get("n", 0)
    share = (lambda k: round(k / posts, 4)) if posts else (lambda k: 0.0)
    first, last = period
    targets = ordered("t:")
    return {
        "posts": posts, "sender": sender, "host": host,
        "period": {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None},
        "mention_share": {c: share(k) for c, k in ordered("m:")},
        "target_share": {c: share(k) for c, k in targets},
        "host_relevance": {
            "host_share": share(n.get("h", 0)),
            "host_or_sender_share": share(n.get("hs", 0)),
            "third_country_target_share": share(n.get("x", 0)),
            "posts_with_targets_share": share(n.get("tg", 0)),
        },
        "veiled_target_share": share(n.get("vh", 0)),
        "top_targets": [{"code": c, "posts": k, "share": share(k), "examples": list(examples.get(c, []))}
                        for c, k in targets[:top]],
    }
