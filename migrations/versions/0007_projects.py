"""projects: project_id on every document, run and account; ids unique per project

Documents written before projects get the project of the account with that user id, else
the user id itself (DECISIONS.md "Projects and v2"); every account starts in a project of
its own (its user id).

Revision ID: 0007_projects
Revises: 0006_notifications
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import IdString

revision = '0007_projects'
down_revision = '0006_notifications'
branch_labels = None
depends_on = None

# table: (unique id index per user -> per project, id columns, new per-project indexes)
DOCUMENTS = {
    'actions': ('uq_actions_user_action', 'uq_actions_project_action', 'ix_actions_user_action',
                ['action_id'], {}),
    'backups': ('uq_backups_user_id_hash', 'uq_backups_project_id_hash', 'ix_backups_user_id_hash',
                ['id_hash'], {'ix_backups_project_time_stamp': ['project_id', 'time_stamp'],
                              'ix_backups_project_hostname': ['project_id', 'hostname']}),
    'clients': ('uq_clients_user_client', 'uq_clients_project_client', 'ix_clients_user_client',
                ['client_id'], {'ix_clients_central': ['is_central']}),
    'jobs': ('uq_jobs_user_job', 'uq_jobs_project_job', 'ix_jobs_user_job', ['job_id'],
             {'ix_jobs_project_client': ['project_id', 'client_id'],
              'ix_jobs_project_status': ['project_id', 'status'],
              'ix_jobs_project_session': ['project_id', 'session_id'],
              'ix_jobs_project_next_run': ['project_id', 'next_run_at']}),
    'sessions': ('uq_sessions_user_session', 'uq_sessions_project_session',
                 'ix_sessions_user_session', ['session_id'],
                 {'ix_sessions_project_status': ['project_id', 'status']}),
}
OWNER_PROJECT = ("COALESCE((SELECT u.project_id FROM users u WHERE u.user_id = {t}.user_id), "
                 "{t}.user_id)")


def _add_project(table):
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(sa.Column('project_id', IdString(255), nullable=True))
    op.execute(f"UPDATE {table} SET project_id = {OWNER_PROJECT.format(t=table)}")
    with op.batch_alter_table(table) as batch_op:
        batch_op.alter_column('project_id', existing_type=IdString(255), nullable=False)


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('project_id', IdString(255), nullable=True))
    op.execute("UPDATE users SET project_id = user_id")
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('project_id', existing_type=IdString(255), nullable=False)
        batch_op.create_index('ix_users_project', ['project_id'], unique=False)

    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('is_central', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    for table, (old_unique, new_unique, by_user, ids, extra) in DOCUMENTS.items():
        _add_project(table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(old_unique)
            batch_op.create_index(new_unique, ['project_id', *ids], unique=True)
            batch_op.create_index(by_user, ['user_id', *ids], unique=False)
            for name, columns in extra.items():
                batch_op.create_index(name, columns, unique=False)

    _add_project('runs')
    with op.batch_alter_table('runs') as batch_op:
        batch_op.drop_index('ix_runs_user_job')
        batch_op.drop_index('ix_runs_user_job_result')
        batch_op.create_index('ix_runs_project_job', ['project_id', 'job_id', 'pk'], unique=False)
        batch_op.create_index('ix_runs_project_job_result', ['project_id', 'job_id', 'result'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('runs') as batch_op:
        batch_op.drop_index('ix_runs_project_job_result')
        batch_op.drop_index('ix_runs_project_job')
        batch_op.create_index('ix_runs_user_job', ['user_id', 'job_id', 'pk'], unique=False)
        batch_op.create_index('ix_runs_user_job_result', ['user_id', 'job_id', 'result'],
                              unique=False)
        batch_op.drop_column('project_id')
    for table, (old_unique, new_unique, by_user, ids, extra) in DOCUMENTS.items():
        with op.batch_alter_table(table) as batch_op:
            for name in extra:
                batch_op.drop_index(name)
            batch_op.drop_index(by_user)
            batch_op.drop_index(new_unique)
            batch_op.create_index(old_unique, ['user_id', *ids], unique=True)
            batch_op.drop_column('project_id')
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('is_central')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_index('ix_users_project')
        batch_op.drop_column('project_id')
