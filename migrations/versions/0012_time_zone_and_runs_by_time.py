"""the operator's time zone (users.time_zone, NULL: not chosen yet, shown in UTC); a
project's runs by start time (the fleet activity timeline reads a time range per project)

Revision ID: 0012_time_zone_and_runs_by_time
Revises: 0011_session_rounds
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_time_zone_and_runs_by_time'
down_revision = '0011_session_rounds'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('time_zone', sa.String(64), nullable=True))
    op.create_index('ix_runs_project_started', 'runs', ['project_id', 'started_at'])


def downgrade():
    op.drop_index('ix_runs_project_started', table_name='runs')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('time_zone')
