"""jobs.next_run_at: the stored next fire time, indexed per owner; settings table

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import Timestamp

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table('settings',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('name'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_run_at', Timestamp(), nullable=True))
        batch_op.create_index('ix_jobs_user_next_run', ['user_id', 'next_run_at'], unique=False)
    # Backfill through the app's own rule (services/forecast.py), 500 jobs per statement
    # batch, in SCHEDULE_TIMEZONE as configured for this run, which is then recorded.
    from app.services import forecast
    connection = op.get_bind()
    last = 0
    while last is not None:
        last = forecast.refresh_batch(connection, last)
    forecast.record_zone(connection)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_user_next_run')
        batch_op.drop_column('next_run_at')
    op.drop_table('settings')
