"""Lists answered by an index: an agency's lines by agency, the deadline sort's key, orders ending with the id

The agency page counts its executing tasks from its own lines (agency, task, the line's dates) instead of every
task of the plan; a task found by id reads its category and position from a narrow index; each list order
(appendix, deadline, due date, a section) has an index ending with the id (the one by due date also covers
the counts by category, replacing ix_task_plan_due_facts), so a page stops after its rows.
On PostgreSQL, joint statistics on an assignment's agency and role (see plan/models.py).

Revision ID: 594a1018eea3
Revises: 93e2a88b6e82
Create Date: 2026-12-06 02:31:40.889987

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '594a1018eea3'
down_revision = '93e2a88b6e82'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration keeps the text it shipped with.
DEADLINE_KEY_SQL = ("CASE WHEN schedule_kind IN ('ongoing', 'periodic', 'recurring') OR due_on IS NULL "
                    "THEN '9999-12-31' ELSE due_on END")


def upgrade():
    # The new index leads with agency_id: it serves the foreign key's checks the old one served.
    op.drop_index('ix_status_line_agency_id', table_name='status_line')
    op.create_index('ix_status_line_agency_task', 'status_line',
                    ['agency_id', 'task_id', 'status', 'started_on', 'completed_on'])

    # Computed by the database, so every writer of due_on keeps it right. Stored on PostgreSQL (before 18 it has
    # no other kind); virtual on SQLite, which cannot add a stored column to an existing table.
    stored = True if op.get_bind().dialect.name == 'postgresql' else None
    op.add_column('task', sa.Column('deadline_key', sa.Date(), sa.Computed(DEADLINE_KEY_SQL, persisted=stored),
                                    nullable=True))
    op.drop_index('ix_task_section_id', table_name='task')  # ix_task_section_position leads with section_id
    # One index by due date, in the overdue list's order and covering the counts: it replaces both before.
    op.drop_index('ix_task_plan_due', table_name='task')
    op.drop_index('ix_task_plan_due_facts', table_name='task')
    op.create_index('ix_task_plan_due', 'task',
                    ['plan_id', 'due_on', 'position', 'id', 'lines_done_on', 'lines_started_on', 'schedule_kind'])
    op.drop_index('ix_task_plan_position', table_name='task')
    op.create_index('ix_task_plan_position', 'task', ['plan_id', 'position', 'id'])
    op.create_index('ix_task_plan_deadline', 'task', ['plan_id', 'deadline_key', 'position', 'id'])
    op.create_index('ix_task_section_position', 'task', ['section_id', 'plan_id', 'position', 'id'])
    op.create_index('ix_task_id_facts', 'task',
                    ['id', 'plan_id', 'position', 'due_on', 'schedule_kind', 'lines_done_on', 'lines_started_on'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE STATISTICS st_assignment_agency_role (mcv) ON agency_id, role FROM assignment")
        op.execute("ANALYZE assignment")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP STATISTICS IF EXISTS st_assignment_agency_role")
    op.drop_index('ix_task_id_facts', table_name='task')
    op.drop_index('ix_task_section_position', table_name='task')
    op.drop_index('ix_task_plan_deadline', table_name='task')
    op.drop_index('ix_task_plan_position', table_name='task')
    op.create_index('ix_task_plan_position', 'task', ['plan_id', 'position'])
    op.drop_index('ix_task_plan_due', table_name='task')
    op.create_index('ix_task_plan_due', 'task', ['plan_id', 'due_on', 'position'])
    op.create_index('ix_task_plan_due_facts', 'task',
                    ['plan_id', 'due_on', 'lines_done_on', 'lines_started_on', 'schedule_kind'])
    op.create_index('ix_task_section_id', 'task', ['section_id'])
    with op.batch_alter_table('task') as batch_op:
        batch_op.drop_column('deadline_key')
    op.drop_index('ix_status_line_agency_task', table_name='status_line')
    op.create_index('ix_status_line_agency_id', 'status_line', ['agency_id'])
