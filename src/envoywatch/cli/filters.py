"""The post filter options shared by `posts` and `export`, so both read the same flags the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from envoywatch.domain import PLATFORMS

SearchOpt = Annotated[str | None, typer.Option("--q", "--search", help="Full-text search.")]
AccountOpt = Annotated[str | None, typer.Option(help="platform:handle, handle or actor name.")]
PlatformOpt = Annotated[str | None, typer.Option(help=f"One of {', '.join(PLATFORMS)}.")]
LangOpt = Annotated[str | None, typer.Option(help="Language code of the post: kk, ru, en, zh, …")]
TargetOpt = Annotated[str | None, typer.Option(help="ISO code the post is hostile to.")]
TechniqueOpt = Annotated[str | None, typer.Option(help="DIPROMATS technique label.")]
KindOpt = Annotated[str | None, typer.Option(help="original, reply, repost or quote.")]
FromOpt = Annotated[datetime | None, typer.Option("--from", help="From this date (UTC), inclusive.")]
ToOpt = Annotated[datetime | None, typer.Option("--to", help="Up to this date (UTC), exclusive.")]
