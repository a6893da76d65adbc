"""runs: the backups a run lists are bounded. A run kept every backup posted with its job's
id while it was open in its `backups` list, which every further backup POST read and wrote
back whole: a run never closed (an agent that died mid-run) grew without end, and so did
the cost of each backup POST to it. The sizes its backups reported are now summed in two
columns, backup_size_compressed and backup_size_uncompressed, and the list keeps the first
100 (Run.BACKUPS_LISTED); backup_count still counts them all. Backfill: the totals from the
lists as stored, and lists longer than 100 cut to their first 100 (every backup is still
in the backups table, with its job_id).

Revision ID: 0016_run_backup_totals
Revises: 0015_backup_prefix_indexes
"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0016_run_backup_totals'
down_revision = '0015_backup_prefix_indexes'
branch_labels = None
depends_on = None

SIZE_KEYS = ('backup_size_compressed', 'backup_size_uncompressed')
LISTED = 100  # Run.BACKUPS_LISTED when this was written
BATCH = 2000


def upgrade():
    with op.batch_alter_table('runs', schema=None) as batch_op:
        for key in SIZE_KEYS:
            batch_op.add_column(sa.Column(key, sa.Double(), nullable=True))
    _backfill()


def _size(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _backfill():
    bind = op.get_bind()
    runs = sa.table('runs', sa.column('pk'), sa.column('backup_count'), sa.column('backups'),
                    *(sa.column(key) for key in SIZE_KEYS))
    last = 0
    while True:
        rows = bind.execute(sa.select(runs.c.pk, runs.c.backups)
                            .where(runs.c.pk > last, runs.c.backup_count > 0)
                            .order_by(runs.c.pk).limit(BATCH)).all()
        if not rows:
            return
        for pk, text in rows:
            try:
                listed = json.loads(text) if text else []
            except ValueError:
                listed = []
            listed = [b for b in listed if isinstance(b, dict)] if isinstance(listed, list) else []
            values = {}
            for key in SIZE_KEYS:
                sizes = [_size(b.get(key)) for b in listed]
                sizes = [s for s in sizes if s is not None]
                values[key] = sum(sizes) if sizes else None
            if len(listed) > LISTED:
                values['backups'] = json.dumps(listed[:LISTED], ensure_ascii=False, separators=(',', ':'))
            bind.execute(runs.update().where(runs.c.pk == pk).values(**values))
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('runs', schema=None) as batch_op:
        for key in SIZE_KEYS:
            batch_op.drop_column(key)
