"""session_rounds: a session's past rounds (tag, start, end, result, its jobs' entries),
kept as each ends; the session document holds only its current round. Nothing to backfill:
rounds before this were never kept

Revision ID: 0011_session_rounds
Revises: 0010_action_library
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import IdString, JSONText, PrimaryKey

revision = '0011_session_rounds'
down_revision = '0010_action_library'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'session_rounds',
        sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
        sa.Column('user_id', IdString(255), nullable=False),
        sa.Column('project_id', IdString(255), nullable=False),
        sa.Column('session_id', IdString(255), nullable=False),
        sa.Column('session_tag', sa.BigInteger(), nullable=False),
        sa.Column('started_at', sa.BigInteger(), nullable=True),
        sa.Column('ended_at', sa.BigInteger(), nullable=True),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('jobs', JSONText(), nullable=False),
        sa.PrimaryKeyConstraint('pk'))
    with op.batch_alter_table('session_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_session_rounds_project_session',
                              ['project_id', 'session_id', 'pk'], unique=False)


def downgrade():
    op.drop_table('session_rounds')
