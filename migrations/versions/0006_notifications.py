"""notifications: channels, rules, incidents, the outbox, notices; the indexed facts the
watcher's rules read (jobs.due_at, run_started_at, avg_duration, last_success_at,
last_failure_at; sessions.round_started_at; clients by last_seen)

Revision ID: 0006_notifications
Revises: 0005_sessions_throttle_audit
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import IdString, JSONText, PrimaryKey, Timestamp  # noqa: F401

revision = '0006_notifications'
down_revision = '0005_sessions_throttle_audit'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table('notify_channels',
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('project_id', IdString(255), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('config', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('notify_channels', schema=None) as batch_op:
        batch_op.create_index('ix_notify_channels_user', ['user_id', 'pk'], unique=False)

    op.create_table('notify_incidents',
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('project_id', IdString(255), nullable=True),
    sa.Column('rule_id', PrimaryKey(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', IdString(255), nullable=False),
    sa.Column('open_key', IdString(255), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('opened_at', Timestamp(), nullable=False),
    sa.Column('cleared_at', Timestamp(), nullable=True),
    sa.Column('notified_at', Timestamp(), nullable=True),
    sa.Column('recovery_sent', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('notify_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_notify_incidents_rule', ['rule_id', 'cleared_at', 'recovery_sent'], unique=False)
        batch_op.create_index('ix_notify_incidents_user_open', ['user_id', 'cleared_at'], unique=False)
        batch_op.create_index('uq_notify_incidents_open', ['rule_id', 'open_key'], unique=True)

    op.create_table('notify_notices',
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('project_id', IdString(255), nullable=True),
    sa.Column('channel_id', PrimaryKey(), nullable=True),
    sa.Column('rule_id', PrimaryKey(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('payload', JSONText(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', Timestamp(), nullable=False),
    sa.Column('claimed_until', Timestamp(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('sent_at', Timestamp(), nullable=True),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('notify_notices', schema=None) as batch_op:
        batch_op.create_index('ix_notify_notices_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_notify_notices_user', ['user_id', 'pk'], unique=False)
        batch_op.create_index('uq_notify_notices_key', ['key'], unique=True)

    op.create_table('notify_outbox',
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('project_id', IdString(255), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', IdString(255), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('detail', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    op.create_table('notify_rules',
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('project_id', IdString(255), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('factor', sa.Float(), nullable=False),
    sa.Column('remind_after', sa.Integer(), nullable=False),
    sa.Column('group_seconds', sa.Integer(), nullable=False),
    sa.Column('channel_ids', JSONText(), nullable=False),
    sa.Column('last_notice_at', Timestamp(), nullable=True),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('notify_rules', schema=None) as batch_op:
        batch_op.create_index('ix_notify_rules_user', ['user_id', 'kind'], unique=False)

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index('ix_clients_user_last_seen', ['user_id', 'last_seen'], unique=False)

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', Timestamp(), nullable=True))
        batch_op.add_column(sa.Column('run_started_at', Timestamp(), nullable=True))
        batch_op.add_column(sa.Column('avg_duration', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('last_success_at', Timestamp(), nullable=True))
        batch_op.add_column(sa.Column('last_failure_at', Timestamp(), nullable=True))
        batch_op.create_index('ix_jobs_user_due', ['user_id', 'due_at'], unique=False)
        batch_op.create_index('ix_jobs_user_run_started', ['user_id', 'run_started_at'], unique=False)

    # The facts as the existing rows give them: the due time is the stored next run; the
    # last outcomes and the open run come from the kept run history (once, here).
    op.execute("UPDATE jobs SET due_at = next_run_at")
    for column, condition in (("last_success_at", "runs.result = 'success'"),
                              ("last_failure_at", "runs.result IN ('fail', 'aborted')")):
        op.execute(f"UPDATE jobs SET {column} = (SELECT MAX(runs.ended_at) FROM runs "
                   f"WHERE runs.user_id = jobs.user_id AND runs.job_id = jobs.job_id "
                   f"AND {condition})")
    op.execute("UPDATE jobs SET run_started_at = (SELECT MAX(runs.started_at) FROM runs "
               "WHERE runs.user_id = jobs.user_id AND runs.job_id = jobs.job_id "
               "AND runs.ended_at IS NULL)")

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_started_at', Timestamp(), nullable=True))
        batch_op.create_index('ix_sessions_user_round', ['user_id', 'round_started_at'], unique=False)



def downgrade():
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_user_round')
        batch_op.drop_column('round_started_at')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_user_run_started')
        batch_op.drop_index('ix_jobs_user_due')
        batch_op.drop_column('last_failure_at')
        batch_op.drop_column('last_success_at')
        batch_op.drop_column('avg_duration')
        batch_op.drop_column('run_started_at')
        batch_op.drop_column('due_at')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('ix_clients_user_last_seen')

    with op.batch_alter_table('notify_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_rules_user')

    op.drop_table('notify_rules')
    op.drop_table('notify_outbox')
    with op.batch_alter_table('notify_notices', schema=None) as batch_op:
        batch_op.drop_index('uq_notify_notices_key')
        batch_op.drop_index('ix_notify_notices_user')
        batch_op.drop_index('ix_notify_notices_due')

    op.drop_table('notify_notices')
    with op.batch_alter_table('notify_incidents', schema=None) as batch_op:
        batch_op.drop_index('uq_notify_incidents_open')
        batch_op.drop_index('ix_notify_incidents_user_open')
        batch_op.drop_index('ix_notify_incidents_rule')

    op.drop_table('notify_incidents')
    with op.batch_alter_table('notify_channels', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_channels_user')

    op.drop_table('notify_channels')
