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
    pass


def downgrade():
    pass
