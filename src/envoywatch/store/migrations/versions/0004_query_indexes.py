"""indexes for the posts list at scale: country and technique filters read post ids from the index alone

Revision ID: 0004
Revises: 0003

The country filter (`target`) and the technique filter look up the ids of matching posts; with
post_id in the index those lookups never touch the table rows, which at a million posts is the
difference between a few milliseconds and a scan. They replace the (code, stance) and (kind, label)
indexes, which they cover. (kind, created_at) serves the kind filter newest first: without it, listing
quotes (1 row in 150) read half the posts table to count them. (lang) on annotations lists the
languages for the search form with one seek per language instead of a 12-second scan.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REPLACED = [  # (table, old name, old columns, new name, new columns)
    ("mentions", "ix_mentions_code_stance", ["code", "stance"],
     "ix_mentions_code_stance_post_id", ["code", "stance", "post_id"]),
    ("post_labels", "ix_post_labels_kind_label", ["kind", "label"],
     "ix_post_labels_kind_label_post_id", ["kind", "label", "post_id"]),
]


ADDED = [("posts", "ix_posts_kind_created_at", ["kind", "created_at"]),  # the kind filter, newest first
         ("annotations", "ix_annotations_lang", ["lang"])]  # the search form's list of languages


def upgrade() -> None:
    for table, old, _, new, cols in REPLACED:
        op.create_index(new, table, cols)
        op.drop_index(old, table_name=table)
    for table, name, cols in ADDED:
        op.create_index(name, table, cols)


def downgrade() -> None:
    for table, name, _ in ADDED:
        op.drop_index(name, table_name=table)
    for table, old, old_cols, new, _ in REPLACED:
        op.create_index(old, table, old_cols)
        op.drop_index(new, table_name=table)
