"""identity: operator accounts and API tokens

Revision ID: 0002
Revises: 0001
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

from app.models.types import IdString, JSONText, PrimaryKey, Timestamp  # noqa: F401

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    pass


def downgrade():
    pass
