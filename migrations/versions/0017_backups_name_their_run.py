"""backups: a backup names the run it joined (backups.run_pk). A backup POST to a job with
an open run read the run, added itself to its count, sizes and list, and wrote the run back,
in a transaction with its INSERT; now the INSERT names the run and the run's row is not
written: an open run's backups are counted from those naming it, and its close keeps what
they were in its columns, as before.

Backfill: the backups of every run still open, those posted with its job's id since it
opened (the rule they joined it by). Runs closed before this keep their columns as they
are; their backups stay without a run_pk, which only an open run's count reads.
Downgrade: every open run's columns are counted from its backups first.

Revision ID: 0017_backups_name_their_run
Revises: 0016_run_backup_totals
"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0017_backups_name_their_run'
down_revision = '0016_run_backup_totals'
branch_labels = None
depends_on = None

LISTED = 100  # Run.BACKUPS_LISTED when this was written

runs = sa.table('runs', sa.column('pk'), sa.column('project_id'), sa.column('job_id'),
                sa.column('started_at'), sa.column('ended_at'), sa.column('backup_count'),
                sa.column('backups'), sa.column('backup_size_compressed'),
                sa.column('backup_size_uncompressed'))
backups = sa.table('backups', sa.column('pk'), sa.column('backup_id'), sa.column('project_id'),
                   sa.column('job_id'), sa.column('created_at'), sa.column('run_pk'),
                   sa.column('size_compressed'), sa.column('size_uncompressed'))


def _open_runs(bind):
    return bind.execute(sa.select(runs.c.pk, runs.c.project_id, runs.c.job_id,
                                  runs.c.started_at)
                        .where(runs.c.ended_at.is_(None)).order_by(runs.c.pk)).all()


def upgrade():
    with op.batch_alter_table('backups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_pk', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_backups_run', ['run_pk', 'size_compressed',
                                                 'size_uncompressed'], unique=False)
    bind = op.get_bind()
    for pk, project_id, job_id, started_at in _open_runs(bind):
        bind.execute(backups.update().where(
            backups.c.project_id == project_id, backups.c.job_id == job_id,
            backups.c.created_at >= started_at).values(run_pk=pk))


def downgrade():
    bind = op.get_bind()
    for pk, *_ in _open_runs(bind):
        count, compressed, uncompressed = bind.execute(
            sa.select(sa.func.count(), sa.func.sum(backups.c.size_compressed),
                      sa.func.sum(backups.c.size_uncompressed))
            .where(backups.c.run_pk == pk)).one()
        listed = bind.execute(
            sa.select(backups.c.backup_id, backups.c.size_compressed, backups.c.size_uncompressed)
            .where(backups.c.run_pk == pk).order_by(backups.c.pk).limit(LISTED)).all()
        bind.execute(runs.update().where(runs.c.pk == pk).values(
            backup_count=count, backup_size_compressed=compressed,
            backup_size_uncompressed=uncompressed,
            backups=json.dumps([{'backup_id': b, 'backup_size_compressed': c,
                                 'backup_size_uncompressed': u} for b, c, u in listed],
                               ensure_ascii=False, separators=(',', ':'))))
    with op.batch_alter_table('backups', schema=None) as batch_op:
        batch_op.drop_index('ix_backups_run')
        batch_op.drop_column('run_pk')
