"""server-side dashboard sessions, disabled operators, failed-credential counts, audit trail

Revision ID: 0005_sessions_throttle_audit
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import PrimaryKey, Timestamp

revision = '0005_sessions_throttle_audit'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', Timestamp(), nullable=True))
    op.create_table('operator_sessions',
    sa.Column('id', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('owner_id', PrimaryKey(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('last_seen_at', Timestamp(), nullable=False),
    sa.Column('revoked_at', Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name='fk_operator_sessions_owner',
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    **TABLE_OPTIONS
    )
    op.create_index('uq_operator_sessions_hash', 'operator_sessions', ['id_hash'], unique=True)
    op.create_index('ix_operator_sessions_owner', 'operator_sessions', ['owner_id'], unique=False)
    op.create_table('auth_failures',
    sa.Column('id', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    **TABLE_OPTIONS
    )
    op.create_index('ix_auth_failures_key_at', 'auth_failures', ['scope', 'key_hash', 'at'],
                    unique=False)
    op.create_index('ix_auth_failures_at', 'auth_failures', ['at'], unique=False)
    op.create_table('audit_events',
    sa.Column('id', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('at', Timestamp(), nullable=False),
    sa.Column('actor', sa.String(length=150), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=140), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    **TABLE_OPTIONS
    )
    op.create_index('ix_audit_events_at', 'audit_events', ['at'], unique=False)
    op.create_index('ix_audit_events_actor_at', 'audit_events', ['actor', 'at'], unique=False)


def downgrade():
    op.drop_table('audit_events')
    op.drop_table('auth_failures')
    op.drop_table('operator_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
