"""dashboard history: backups carry their set key and sizes (from the metadata, backfilled
here), covering indexes for per-project, per-host and per-set time ranges, a job's backups
per project; runs indexed by (started_at, project_id, result) for the overview's 24 h / 7 d
totals; jobs by (project_id, last_success_at) for its jobs without a recent success

Revision ID: 0013_history_charts
Revises: 0012_time_zone_and_runs_by_time
"""
import json

from alembic import op
import sqlalchemy as sa

from app.models.backup import SET_KEY_LENGTH, _size, set_key
from app.models.types import IdString

revision = '0013_history_charts'
down_revision = '0012_time_zone_and_runs_by_time'
branch_labels = None
depends_on = None

BACKUP_INDEXES = {
    'ix_backups_project_time_sizes': ['project_id', 'time_stamp', 'size_compressed', 'size_uncompressed'],
    'ix_backups_project_host_time': ['project_id', 'hostname', 'time_stamp', 'size_compressed',
                                     'size_uncompressed'],
    'ix_backups_project_set': ['project_id', 'set_key', 'time_stamp', 'level', 'size_compressed',
                               'size_uncompressed'],
    'ix_backups_project_job': ['project_id', 'job_id', 'time_stamp'],
}
BATCH = 2000


def upgrade():
    with op.batch_alter_table('backups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_key', IdString(SET_KEY_LENGTH), nullable=True))
        batch_op.add_column(sa.Column('size_compressed', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('size_uncompressed', sa.Double(), nullable=True))
    _backfill()
    with op.batch_alter_table('backups', schema=None) as batch_op:
        for name, columns in BACKUP_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('runs', schema=None) as batch_op:
        # covering; replaces ix_runs_started_at (started_at), its prefix
        batch_op.create_index('ix_runs_started_project', ['started_at', 'project_id', 'result'],
                              unique=False)
        batch_op.drop_index('ix_runs_started_at')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_project_last_success', ['project_id', 'last_success_at'],
                              unique=False)


def _backfill():
    """The keys and sizes of the backups stored so far, computed as the model does."""
    bind = op.get_bind()
    backups = sa.table('backups', sa.column('pk'), sa.column('doc'), sa.column('hostname'),
                       sa.column('backup_name'), sa.column('container'), sa.column('set_key'),
                       sa.column('size_compressed'), sa.column('size_uncompressed'))
    last = 0
    while True:
        rows = bind.execute(sa.select(backups.c.pk, backups.c.doc, backups.c.hostname,
                                      backups.c.backup_name, backups.c.container)
                            .where(backups.c.pk > last).order_by(backups.c.pk).limit(BATCH)).all()
        if not rows:
            return
        for pk, doc, hostname, backup_name, container in rows:
            try:
                meta = (json.loads(doc) or {}).get("backup_metadata") or {}
            except (TypeError, ValueError, AttributeError):
                meta = {}
            meta = meta if isinstance(meta, dict) else {}
            bind.execute(backups.update().where(backups.c.pk == pk).values(
                set_key=set_key(hostname, backup_name, container),
                size_compressed=_size(meta.get("backup_size_compressed")),
                size_uncompressed=_size(meta.get("backup_size_uncompressed"))))
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_project_last_success')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index('ix_runs_started_at', ['started_at'], unique=False)
        batch_op.drop_index('ix_runs_started_project')
    with op.batch_alter_table('backups', schema=None) as batch_op:
        for name in BACKUP_INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_column('size_uncompressed')
        batch_op.drop_column('size_compressed')
        batch_op.drop_column('set_key')
