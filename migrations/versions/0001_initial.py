"""initial: backups, clients, actions, jobs, sessions

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 01:59:08.834847

"""
from alembic import op
import sqlalchemy as sa

from app.models.types import IdString, JSONText, PrimaryKey, Timestamp

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# InnoDB, utf8mb4 on MySQL/MariaDB; ignored elsewhere.
TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table('actions',
    sa.Column('action_id', IdString(255), nullable=False),
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index('uq_actions_user_action', ['user_id', 'action_id'], unique=True)

    op.create_table('backups',
    sa.Column('backup_id', sa.String(length=1024), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('container', IdString(255), nullable=True),
    sa.Column('hostname', IdString(255), nullable=True),
    sa.Column('backup_name', IdString(255), nullable=True),
    sa.Column('time_stamp', sa.BigInteger(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('job_id', IdString(255), nullable=True),
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('backups', schema=None) as batch_op:
        batch_op.create_index('ix_backups_user_backup_name', ['user_id', 'backup_name'], unique=False)
        batch_op.create_index('ix_backups_user_container_host', ['user_id', 'container', 'hostname'], unique=False)
        batch_op.create_index('ix_backups_user_hostname', ['user_id', 'hostname'], unique=False)
        batch_op.create_index('ix_backups_user_job', ['user_id', 'job_id'], unique=False)
        batch_op.create_index('ix_backups_user_time_stamp', ['user_id', 'time_stamp'], unique=False)
        batch_op.create_index('uq_backups_user_id_hash', ['user_id', 'id_hash'], unique=True)

    op.create_table('clients',
    sa.Column('client_id', IdString(255), nullable=False),
    sa.Column('hostname', IdString(255), nullable=True),
    sa.Column('last_seen', Timestamp(), nullable=True),
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index('uq_clients_user_client', ['user_id', 'client_id'], unique=True)

    op.create_table('jobs',
    sa.Column('job_id', IdString(255), nullable=False),
    sa.Column('client_id', IdString(255), nullable=True),
    sa.Column('session_id', IdString(255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('event', sa.String(length=16), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_user_client', ['user_id', 'client_id'], unique=False)
        batch_op.create_index('ix_jobs_user_session', ['user_id', 'session_id'], unique=False)
        batch_op.create_index('ix_jobs_user_status', ['user_id', 'status'], unique=False)
        batch_op.create_index('uq_jobs_user_job', ['user_id', 'job_id'], unique=True)

    op.create_table('sessions',
    sa.Column('session_id', IdString(255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
    sa.Column('user_id', IdString(255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', JSONText(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('pk'),
    **TABLE_OPTIONS
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_user_status', ['user_id', 'status'], unique=False)
        batch_op.create_index('uq_sessions_user_session', ['user_id', 'session_id'], unique=True)



def downgrade():
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_sessions_user_session')
        batch_op.drop_index('ix_sessions_user_status')

    op.drop_table('sessions')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_jobs_user_job')
        batch_op.drop_index('ix_jobs_user_status')
        batch_op.drop_index('ix_jobs_user_session')
        batch_op.drop_index('ix_jobs_user_client')

    op.drop_table('jobs')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('uq_clients_user_client')

    op.drop_table('clients')
    with op.batch_alter_table('backups', schema=None) as batch_op:
        batch_op.drop_index('uq_backups_user_id_hash')
        batch_op.drop_index('ix_backups_user_time_stamp')
        batch_op.drop_index('ix_backups_user_job')
        batch_op.drop_index('ix_backups_user_hostname')
        batch_op.drop_index('ix_backups_user_container_host')
        batch_op.drop_index('ix_backups_user_backup_name')

    op.drop_table('backups')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('uq_actions_user_action')

    op.drop_table('actions')
