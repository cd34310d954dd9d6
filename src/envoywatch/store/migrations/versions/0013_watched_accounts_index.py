"""an index of which accounts are watched

Revision ID: 0013
Revises: 0012

A few hundred watched accounts among hundreds of thousands of accounts that only reply: every page
that counts watched accounts' posts (a country's page, the overview, the new-target alerts) first
lists them, and that read every account (23-24 ms at 200,500 accounts on either engine).
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_accounts_watched", "accounts", ["watched"])


def downgrade() -> None:
    op.drop_index("ix_accounts_watched", table_name="accounts")
