"""a version on notification rules and channels: the dashboard's edit forms refuse a save
from a stale tab (app/ui/versions.py); existing rows start at version 1

Revision ID: 0009_edit_versions
Revises: 0008_notify_by_project
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_edit_versions'
down_revision = '0008_notify_by_project'
branch_labels = None
depends_on = None

TABLES = ('notify_rules', 'notify_channels')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                          server_default='1'))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
