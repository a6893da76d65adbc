"""backups: drop two indexes that are leading prefixes of wider ones. (project_id,
time_stamp) is the start of ix_backups_project_time_sizes and (project_id, hostname) of
ix_backups_project_host_time: every range either answered, the wider one answers in the
same order, and each index costs every backup POST an insert (14 B-trees were written
per backup; bench/PROFILE.md round 6).

Revision ID: 0015_backup_prefix_indexes
Revises: 0014_import_marks
"""
from alembic import op

revision = '0015_backup_prefix_indexes'
down_revision = '0014_import_marks'
branch_labels = None
depends_on = None

DROPPED = {'ix_backups_project_time_stamp': ['project_id', 'time_stamp'],
           'ix_backups_project_hostname': ['project_id', 'hostname']}


def upgrade():
    with op.batch_alter_table('backups') as batch:
        for name in DROPPED:
            batch.drop_index(name)


def downgrade():
    with op.batch_alter_table('backups') as batch:
        for name, columns in DROPPED.items():
            batch.create_index(name, columns)
