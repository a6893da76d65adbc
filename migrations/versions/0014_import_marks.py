"""import marks: per document that `freezer-manage import --from URL` wrote, the version it
gave it and the digest of the source's content, so a rerun keeps what was changed here since

Revision ID: 0014_import_marks
Revises: 0013_history_charts
"""
from alembic import op
import sqlalchemy as sa

from app.models.types import IdString, PrimaryKey

revision = '0014_import_marks'
down_revision = '0013_history_charts'
branch_labels = None
depends_on = None

# InnoDB, utf8mb4 on MySQL/MariaDB; ignored elsewhere.
TABLE_OPTIONS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4', 'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'import_marks',
        sa.Column('pk', PrimaryKey(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('project_id', IdString(255), nullable=False),
        sa.Column('doc_id', IdString(1024), nullable=False),
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('source_digest', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('pk'),
        **TABLE_OPTIONS,
    )
    with op.batch_alter_table('import_marks', schema=None) as batch_op:
        batch_op.create_index('uq_import_marks_doc', ['kind', 'project_id', 'id_hash'],
                              unique=True)


def downgrade():
    with op.batch_alter_table('import_marks', schema=None) as batch_op:
        batch_op.drop_index('uq_import_marks_doc')
    op.drop_table('import_marks')
