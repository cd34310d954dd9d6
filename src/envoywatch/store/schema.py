"""The workspace schema, as SQLAlchemy Core tables; migrations build exactly this."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

actors = Table(
    "actors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("sending_country", String(2)),
    Column("host_country", String(2)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("handle", String(300)),  # lower-case, no leading '@'
    Column("platform_id", String(300)),
    Column("display_name", String(500)),
    Column("actor_id", Integer, ForeignKey("actors.id", ondelete="SET NULL")),
    Column("watched", Boolean, nullable=False, default=False),
    Column("url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "handle"),
    Index(None, "platform", "platform_id"),
    Index(None, "actor_id"),
    Index(None, "watched"),  # the watched few among accounts that only reply (0013)
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("platform_id", String(500), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True)),
    Column("text", Text, nullable=False),
    Column("lang", String(16)),  # as the platform reported it
    Column("kind", String(10), nullable=False),
    Column("in_reply_to", String(500)),  # platform id of the parent
    Column("in_reply_to_handle", String(300)),
    Column("conversation_id", String(500)),
    Column("quoted_id", String(500)),
    Column("reposted_id", String(500)),
    Column("url", Text),
    Column("edited_at", DateTime(timezone=True)),
    Column("metrics", JSON),
    Column("mentions", JSON),
    Column("hashtags", JSON),
    Column("has_media", Boolean, nullable=False, default=False),
    Column("edits", JSON),  # earlier versions: [{"text", "edited_at", "seen_at"}]
    Column("raw", Text),  # the source record as read (JSON text)
    Column("unmapped", JSON),
    Column("source_file", Text),
    Column("source_line", Integer),
    Column("source_offset", Integer),
    Column("importer", String(60)),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "platform_id"),
    Index(None, "account_id", "created_at"),
    Index(None, "platform", "in_reply_to"),
    Index(None, "created_at"),
    Index(None, "kind", "created_at"),  # the kind filter: quotes are 1 row in 150 (0004)
    # an account's own posts (not replies), counted from the index alone (0006)
    Index("ix_posts_own_account_id_created_at", "account_id", "created_at",
          sqlite_where=text("kind != 'reply'"), postgresql_where=text("kind != 'reply'")),
)

media = Table(
    "media",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(30), nullable=False),
    Column("url", Text),
    Index(None, "post_id"),
)

blocks = Table(
    "blocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("blocker_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("blocked_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True)),
    Column("uri", String(500)),
    Column("raw", Text),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "blocker_id", "blocked_id"),
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_file", Text, nullable=False),
    Column("line", Integer),
    Column("offset", Integer),
    Column("reason", Text, nullable=False),
    Column("raw", Text),
    Column("importer", String(60)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per ingested file (by content hash): how far a run got, for exact resume.
ingest_files = Table(
    "ingest_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("importer", String(60), nullable=False),
    Column("records_done", Integer, nullable=False, default=0),
    Column("complete", Boolean, nullable=False, default=False),
    Column("counts", JSON),  # running totals of the run that reached records_done
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

annotations = Table(
    "annotations",
    metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("version", String(300), nullable=False),
    Column("lang", String(16)),
    Column("propaganda", Boolean),
    Column("propaganda_score", Float),
    Column("undiplomatic", Float),
    Column("hostility", Float),
    Column("hostile", Boolean),
    Column("stance", String(10)),
    Column("block_claim", Boolean),
    Column("data", JSON, nullable=False),
    Column("annotated_at", DateTime(timezone=True), nullable=False),
    Index(None, "version"),
    Index(None, "lang"),  # the search form's languages, one seek each instead of a scan (0004)
)

# One row per country found in a post: who mentions, targets and veils whom.
mentions = Table(
    "mentions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(2)),  # null for an unresolved veiled reference
    Column("role", String(8)),
    Column("stance", String(10)),
    Column("veiled", Boolean, nullable=False, default=False),
    Column("confidence", Float),
    Index(None, "post_id"),
    Index(None, "code", "stance", "post_id"),  # the country filter reads post ids from the index (0004)
)

post_labels = Table(
    "post_labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(12), nullable=False),  # technique | topic
    Column("label", String(60), nullable=False),
    Column("score", Float),
    Index(None, "post_id"),
    Index(None, "kind", "label", "post_id"),  # the technique filter reads post ids from the index (0004)
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(80), nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float16 little-endian
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(30), nullable=False),
    Column("key", String(200), nullable=False, unique=True),  # stable identity for re-runs
    Column("account_id", Integer, ForeignKey("accounts.id")),
    Column("actor_id", Integer, ForeignKey("actors.id")),
    Column("start", DateTime(timezone=True)),
    Column("end", DateTime(timezone=True)),
    Column("score", Float),
    Column("summary", Text),
    Column("data", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),  # post ids (workspace ids)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "type", "start"),
    Index(None, "account_id"),
    Index(None, "actor_id"),  # a story's events: its accounts', its actor's (0006)
)

# The accounts each event concerns: its own and those its data lists (a cross-post's copies on other
# actors' accounts). A story finds them by index instead of reading every cross-post's data (0011).
event_accounts = Table(
    "event_accounts",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True, autoincrement=False),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),
    Index(None, "event_id"),
    sqlite_with_rowid=False,
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

collect_cursors = Table(
    "collect_cursors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collector", String(40), nullable=False),
    Column("account_key", String(300), nullable=False),
    Column("cursor", JSON),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("collector", "account_key"),
)

alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule", String(200), nullable=False),
    Column("event_key", String(200), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("rule", "event_key", "channel"),
)

# Indexes a bulk load dropped and has not rebuilt yet (a killed load leaves its rows): 0005.
deferred_indexes = Table(
    "deferred_indexes",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("dropped_at", DateTime(timezone=True), nullable=False),
)

# What the story counts of each annotated own post (not a reply, dated), kept by store.aggregates when
# annotations are written (0006). A row goes with its annotation (cascade), so a missing row is seen.
story_posts = Table(
    "story_posts",
    metadata,
    Column("post_id", Integer, ForeignKey("annotations.post_id", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),
    Column("account_id", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("week", String(10), nullable=False),  # the Monday of its UTC week, YYYY-MM-DD
    Column("lang", String),  # the annotation's language, else the platform's
    Column("veiled", Boolean, nullable=False),  # names a country only by allusion
    Column("veiled_hostile", Boolean, nullable=False),
    Column("forward", Boolean, nullable=False),  # the same account posted the same text up to 10 minutes before
    Index(None, "account_id", "created_at"),
    Index(None, "account_id", "veiled", "created_at"),
    Index(None, "account_id", "forward", "created_at"),
)

# Countries each of those posts names (`mentioned`) or attacks (`targeted`), one row per country.
story_countries = Table(
    "story_countries",
    metadata,
    Column("post_id", Integer, ForeignKey("story_posts.post_id", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),
    Column("code", String, primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("mentioned", Boolean, nullable=False),
    Column("targeted", Boolean, nullable=False),
    Index(None, "account_id", "code", "targeted", "created_at"),
)

# Per account and UTC week, how many of those posts carry each key (posts, a language, a country named
# or attacked, host relevance), and the first of them in time order (for the order of equal counts).
story_weeks = Table(
    "story_weeks",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("key", String, primary_key=True),
    Column("week", String(10), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("first_id", Integer, nullable=False),
    sqlite_with_rowid=False,  # rows stored in key order: an actor's weeks are read as one range
)

# The sending and host country each account's week figures were counted with (its actor's, upper case).
story_accounts = Table(
    "story_accounts",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("sender", String(2)),
    Column("host", String(2)),
)

# Replies by others to each account's posts (0007), for the actor page's reply and block-claim series: one
# row per linked reply (its parent's account differs from its own) with the flags it was counted with, and
# the sums per parent account and the reply's UTC week. `store.replies` keeps them; see it for the rule.
reply_links = Table(
    "reply_links",
    metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True,
           autoincrement=False),  # the reply
    Column("account_id", Integer, nullable=False),  # who replied
    Column("parent_account_id", Integer, nullable=False),  # whose post it answers
    Column("week", String(10), nullable=False),  # the Monday of the reply's UTC week; '' when undated
    Column("hostile", Boolean, nullable=False),
    Column("block_claim", Boolean, nullable=False),
    Index(None, "account_id", "parent_account_id"),
)

reply_weeks = Table(
    "reply_weeks",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),  # the parent posts' account
    Column("week", String(10), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("hostile", Integer, nullable=False),
    Column("blocks", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# How far each kept sum has caught up: every post with an id up to `upto` is counted in it.
aggregate_marks = Table(
    "aggregate_marks",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("upto", Integer, nullable=False),
)

# What the actor page counts of each account's posts per UTC week (0008; '' is the week of undated posts):
# own posts, analysed, undiplomatic scores; country mentions by stance (with the first post's date, which
# orders equal counts); propaganda techniques. `store.page_sums` keeps them; see it for the rule.
page_weeks = Table(
    "page_weeks",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("week", String(10), primary_key=True),
    Column("posts", Integer, nullable=False),
    Column("analysed", Integer, nullable=False),
    Column("und_n", Integer, nullable=False),
    Column("und_sum", Float, nullable=False),
    sqlite_with_rowid=False,
)

page_targets = Table(
    "page_targets",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("week", String(10), primary_key=True),
    Column("code", String, primary_key=True),
    Column("stance", String, primary_key=True),  # '' for a mention without one
    Column("n", Integer, nullable=False),
    Column("first_at", DateTime(timezone=True)),
    Column("veiled", Integer, nullable=False, server_default="0"),  # of n, veiled references (0012)
    Column("last_at", DateTime(timezone=True)),  # the country page's "latest" (0012)
    # a country's page reads its rows from this index alone (0012; 65,818 rows for the US at 6M posts)
    Index("ix_page_targets_country", "code", "account_id", "stance", "n", "veiled", "first_at", "last_at"),
    sqlite_with_rowid=False,
)

page_labels = Table(
    "page_labels",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("week", String(10), primary_key=True),
    Column("label", String, primary_key=True),
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# (account, week) pairs whose page rows wait for a recount (annotations written since).
page_dirty = Table(
    "page_dirty",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("week", String(10), primary_key=True),
    sqlite_with_rowid=False,
)
