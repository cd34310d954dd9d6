"""initial workspace schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 00:31:24.003249
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('actors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('sending_country', sa.String(length=2), nullable=True),
    sa.Column('host_country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actors')),
    sa.UniqueConstraint('name', name=op.f('uq_actors_name'))
    )
    op.create_table('alerts_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('event_key', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts_sent')),
    sa.UniqueConstraint('rule', 'event_key', 'channel', name=op.f('uq_alerts_sent_rule_event_key_channel'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('collect_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collector', sa.String(length=40), nullable=False),
    sa.Column('account_key', sa.String(length=300), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collect_cursors')),
    sa.UniqueConstraint('collector', 'account_key', name=op.f('uq_collect_cursors_collector_account_key'))
    )
    op.create_table('ingest_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('importer', sa.String(length=60), nullable=False),
    sa.Column('records_done', sa.Integer(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_files')),
    sa.UniqueConstraint('sha256', name=op.f('uq_ingest_files_sha256'))
    )
    op.create_table('rejects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file', sa.Text(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('offset', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('importer', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejects'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('handle', sa.String(length=300), nullable=True),
    sa.Column('platform_id', sa.String(length=300), nullable=True),
    sa.Column('display_name', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('watched', sa.Boolean(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_accounts_actor_id_actors'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('platform', 'handle', name=op.f('uq_accounts_platform_handle'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_platform_platform_id'), ['platform', 'platform_id'], unique=False)

    op.create_table('blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uri', sa.String(length=500), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['accounts.id'], name=op.f('fk_blocks_blocked_id_accounts')),
    sa.ForeignKeyConstraint(['blocker_id'], ['accounts.id'], name=op.f('fk_blocks_blocker_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocks')),
    sa.UniqueConstraint('platform', 'blocker_id', 'blocked_id', name=op.f('uq_blocks_platform_blocker_id_blocked_id'))
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_events_account_id_accounts')),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_events_actor_id_actors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('key', name=op.f('uq_events_key'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_type_start'), ['type', 'start'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('platform_id', sa.String(length=500), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('in_reply_to', sa.String(length=500), nullable=True),
    sa.Column('in_reply_to_handle', sa.String(length=300), nullable=True),
    sa.Column('conversation_id', sa.String(length=500), nullable=True),
    sa.Column('quoted_id', sa.String(length=500), nullable=True),
    sa.Column('reposted_id', sa.String(length=500), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.Column('mentions', sa.JSON(), nullable=True),
    sa.Column('hashtags', sa.JSON(), nullable=True),
    sa.Column('has_media', sa.Boolean(), nullable=False),
    sa.Column('edits', sa.JSON(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('unmapped', sa.JSON(), nullable=True),
    sa.Column('source_file', sa.Text(), nullable=True),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('source_offset', sa.Integer(), nullable=True),
    sa.Column('importer', sa.String(length=60), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_posts_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('platform', 'platform_id', name=op.f('uq_posts_platform_platform_id'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posts_account_id_created_at'), ['account_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_posts_platform_in_reply_to'), ['platform', 'in_reply_to'], unique=False)

    op.create_table('annotations',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=300), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=True),
    sa.Column('propaganda', sa.Boolean(), nullable=True),
    sa.Column('propaganda_score', sa.Float(), nullable=True),
    sa.Column('undiplomatic', sa.Float(), nullable=True),
    sa.Column('hostility', sa.Float(), nullable=True),
    sa.Column('hostile', sa.Boolean(), nullable=True),
    sa.Column('stance', sa.String(length=10), nullable=True),
    sa.Column('block_claim', sa.Boolean(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('annotated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_annotations_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_annotations'))
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotations_version'), ['version'], unique=False)

    op.create_table('embeddings',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_embeddings_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_embeddings'))
    )
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_media_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_post_id'), ['post_id'], unique=False)

    op.create_table('mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=True),
    sa.Column('role', sa.String(length=8), nullable=True),
    sa.Column('stance', sa.String(length=10), nullable=True),
    sa.Column('veiled', sa.Boolean(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_mentions_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentions'))
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentions_code_stance'), ['code', 'stance'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentions_post_id'), ['post_id'], unique=False)

    op.create_table('post_labels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_labels_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_labels'))
    )
    with op.batch_alter_table('post_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_labels_kind_label'), ['kind', 'label'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_labels_post_id'), ['post_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('post_labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_labels_post_id'))
        batch_op.drop_index(batch_op.f('ix_post_labels_kind_label'))

    op.drop_table('post_labels')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentions_post_id'))
        batch_op.drop_index(batch_op.f('ix_mentions_code_stance'))

    op.drop_table('mentions')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_post_id'))

    op.drop_table('media')
    op.drop_table('embeddings')
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotations_version'))

    op.drop_table('annotations')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posts_platform_in_reply_to'))
        batch_op.drop_index(batch_op.f('ix_posts_created_at'))
        batch_op.drop_index(batch_op.f('ix_posts_account_id_created_at'))

    op.drop_table('posts')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_type_start'))
        batch_op.drop_index(batch_op.f('ix_events_account_id'))

    op.drop_table('events')
    op.drop_table('blocks')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_platform_platform_id'))
        batch_op.drop_index(batch_op.f('ix_accounts_actor_id'))

    op.drop_table('accounts')
    op.drop_table('rejects')
    op.drop_table('ingest_files')
    op.drop_table('collect_cursors')
    op.drop_table('api_tokens')
    op.drop_table('alerts_sent')
    op.drop_table('actors')
    
