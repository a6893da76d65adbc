"""the actions library holds what operators put there: actions.in_library (an action created
as a library entry, not the copy stored for an action embedded in a job) and actions.name
(the name given in the dashboard). Backfill: an action is a job's copy when a job of its
project names it and the action was stored no earlier than a few seconds before that job
(the copy is made in the job's own transaction, or by a later edit of it); every other
action, also one no job names any more, stays in the library

Revision ID: 0010_action_library
Revises: 0009_edit_versions
"""
import json
from datetime import timedelta

from alembic import op
import sqlalchemy as sa

revision = '0010_action_library'
down_revision = '0009_edit_versions'
branch_labels = None
depends_on = None

# a job's copies are flushed just before the job, in one transaction
SAME_WRITE = timedelta(seconds=5)
CHUNK = 500


def _first_naming_job(conn) -> dict:
    """{(project_id, action_id): created_at of the oldest job naming it}"""
    named = {}
    result = conn.execution_options(stream_results=True).execute(
        sa.text("SELECT project_id, doc, created_at FROM jobs"))
    for project_id, doc, created_at in result:
        try:
            elements = (json.loads(doc) if isinstance(doc, str) else doc or {}).get("job_actions")
        except (ValueError, AttributeError):
            continue
        for element in elements if isinstance(elements, list) else []:
            if isinstance(element, dict) and isinstance(element.get("action_id"), str):
                key = (project_id, element["action_id"])
                if key not in named or created_at < named[key]:
                    named[key] = created_at
    return named


def upgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_library', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_actions_project_library', ['project_id', 'in_library', 'pk'],
                              unique=False)
    conn = op.get_bind()
    named = _first_naming_job(conn)
    library = []
    for pk, project_id, action_id, created_at in conn.execute(
            sa.text("SELECT pk, project_id, action_id, created_at FROM actions")):
        job_created = named.get((project_id, action_id))
        if job_created is None or created_at is None \
                or _as_datetime(created_at) < _as_datetime(job_created) - SAME_WRITE:
            library.append(pk)
    table = sa.table('actions', sa.column('pk'), sa.column('in_library'))
    for start in range(0, len(library), CHUNK):
        conn.execute(table.update().where(table.c.pk.in_(library[start:start + CHUNK]))
                     .values(in_library=True))


def _as_datetime(value):
    """SQLite hands timestamps back as text."""
    from datetime import datetime
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def downgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_project_library')
        batch_op.drop_column('name')
        batch_op.drop_column('in_library')
