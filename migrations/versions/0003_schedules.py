"""schedules: run history

Revision ID: 0003
Revises: 0002
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

from app.models.types import IdString, JSONText, PrimaryKey, Timestamp  # noqa: F401

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table('runs',
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('job_id', IdString(255), nullable=False),
    sa.Column('client_id', IdString(255), nullable=True),
    sa.Column('started_at', Timestamp(), nullable=False),
    sa.Column('ended_at', Timestamp(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('backup_count', sa.Integer(), nullable=False),
    sa.Column('backups', JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index('ix_runs_user_job', ['user_id', 'job_id', 'pk'], unique=False)
        batch_op.create_index('ix_runs_user_job_result', ['user_id', 'job_id', 'result'], unique=False)
        batch_op.create_index('ix_runs_started_at', ['started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_started_at')
        batch_op.drop_index('ix_runs_user_job_result')
        batch_op.drop_index('ix_runs_user_job')

    op.drop_table('runs')
