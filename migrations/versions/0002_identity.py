"""identity: operator accounts and API tokens

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import IdString, PrimaryKey, Timestamp

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table('users',
    sa.Column('id', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('username', IdString(150), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    **TABLE_OPTIONS
    )
    op.create_index('uq_users_user_id', 'users', ['user_id'], unique=True)
    op.create_index('uq_users_username', 'users', ['username'], unique=True)

    op.create_table('api_tokens',
    sa.Column('id', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('owner_id', PrimaryKey(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('last_used_at', Timestamp(), nullable=True),
    sa.Column('revoked_at', Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name='fk_api_tokens_owner',
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    **TABLE_OPTIONS
    )
    op.create_index('ix_api_tokens_owner', 'api_tokens', ['owner_id'], unique=False)
    op.create_index('uq_api_tokens_hash', 'api_tokens', ['token_hash'], unique=True)


def downgrade():
    op.drop_table('api_tokens')
    op.drop_table('users')
