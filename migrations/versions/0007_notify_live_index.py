"""notify_incidents: one index for a tick's live incidents (rule_id, recovery_sent),
read in one statement for every rule, instead of (rule_id, cleared_at, recovery_sent)

Revision ID: 0007_notify_live_index
Revises: 0006_notifications
"""
from alembic import op

revision = '0007_notify_live_index'
down_revision = '0006_notifications'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notify_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_notify_incidents_live', ['rule_id', 'recovery_sent'], unique=False)
        batch_op.drop_index('ix_notify_incidents_rule')


def downgrade():
    with op.batch_alter_table('notify_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_notify_incidents_rule', ['rule_id', 'cleared_at', 'recovery_sent'], unique=False)
        batch_op.drop_index('ix_notify_incidents_live')
