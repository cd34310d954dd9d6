"""the accounts each event concerns, for finding an account's events by index

Revision ID: 0011
Revises: 0010

A story finds the cross-posts that name its accounts among their copies. It read the data of every
cross-post of the workspace to do so (3,000 at a million posts: 11 ms of each story, and more with
every cross-post found). `event_accounts` lists each event's own account and the accounts its data
names; `events.base.save_events` keeps it, and it is filled here from the events already found.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_accounts",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_event_accounts_account_id_accounts")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_accounts_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "event_id", name=op.f("pk_event_accounts")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_event_accounts_event_id"), "event_accounts", ["event_id"])
    from envoywatch.events.base import link_accounts
    from envoywatch.store.schema import events

    conn = op.get_bind()
    found = [(i, a, d) for i, a, d in conn.execute(sa.select(events.c.id, events.c.account_id, events.c.data))]
    for part in range(0, len(found), 5000):
        link_accounts(conn, found[part:part + 5000])


def downgrade() -> None:
    op.drop_index(op.f("ix_event_accounts_event_id"), table_name="event_accounts")
    op.drop_table("event_accounts")
