"""notifications per project: rules, channels, incidents, notices and the outbox keyed by
project (backfilled with the owner's project, as 0007_projects does), the watcher's
indexes per project; one index for a tick's live incidents (rule_id, recovery_sent)

Revision ID: 0008_notify_by_project
Revises: 0007_projects
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401

from app.models.types import IdString

revision = '0008_notify_by_project'
down_revision = '0007_projects'
branch_labels = None
depends_on = None

OWNER_PROJECT = ("COALESCE((SELECT u.project_id FROM users u WHERE u.user_id = {t}.user_id), "
                 "{t}.user_id)")
# table: (index dropped, index created, its columns)
INDEXES = {
    'notify_channels': [('ix_notify_channels_user', 'ix_notify_channels_project', ['project_id', 'pk'])],
    'notify_rules': [('ix_notify_rules_user', 'ix_notify_rules_project', ['project_id', 'kind'])],
    'notify_incidents': [
        ('ix_notify_incidents_user_open', 'ix_notify_incidents_project_open', ['project_id', 'cleared_at']),
        ('ix_notify_incidents_rule', 'ix_notify_incidents_live', ['rule_id', 'recovery_sent'])],
    'notify_notices': [('ix_notify_notices_user', 'ix_notify_notices_project', ['project_id', 'pk'])],
    'jobs': [('ix_jobs_user_due', 'ix_jobs_project_due', ['project_id', 'due_at']),
             ('ix_jobs_user_run_started', 'ix_jobs_project_run_started', ['project_id', 'run_started_at'])],
    'sessions': [('ix_sessions_user_round', 'ix_sessions_project_round', ['project_id', 'round_started_at'])],
    # in the model since 0007_projects, created by no migration until this one
    'clients': [('ix_clients_user_last_seen', 'ix_clients_project_last_seen', ['project_id', 'last_seen'])],
}
NOTIFY_TABLES = ('notify_channels', 'notify_rules', 'notify_incidents', 'notify_notices',
                 'notify_outbox')


def upgrade():
    for table in NOTIFY_TABLES:
        op.execute(f"UPDATE {table} SET project_id = {OWNER_PROJECT.format(t=table)} "
                   "WHERE project_id IS NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('project_id', existing_type=IdString(255), nullable=False)
    for table, changes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for old, new, columns in changes:
                if new:
                    batch_op.create_index(new, columns, unique=False)
                batch_op.drop_index(old)


OLD_COLUMNS = {'ix_notify_channels_user': ['user_id', 'pk'], 'ix_notify_rules_user': ['user_id', 'kind'],
               'ix_notify_incidents_user_open': ['user_id', 'cleared_at'],
               'ix_notify_incidents_rule': ['rule_id', 'cleared_at', 'recovery_sent'],
               'ix_notify_notices_user': ['user_id', 'pk'], 'ix_jobs_user_due': ['user_id', 'due_at'],
               'ix_jobs_user_run_started': ['user_id', 'run_started_at'],
               'ix_sessions_user_round': ['user_id', 'round_started_at'],
               'ix_clients_user_last_seen': ['user_id', 'last_seen']}


def downgrade():
    for table, changes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for old, new, _columns in changes:
                batch_op.create_index(old, OLD_COLUMNS[old], unique=False)
                if new:
                    batch_op.drop_index(new)
    for table in NOTIFY_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('project_id', existing_type=IdString(255), nullable=True)
