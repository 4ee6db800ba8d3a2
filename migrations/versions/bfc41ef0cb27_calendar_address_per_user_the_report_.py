"""calendar address per user; the report_returned reminder rule

Revision ID: bfc41ef0cb27
Revises: 8d25263b0c96
Create Date: 2026-11-30 00:52:37.039271

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bfc41ef0cb27'
down_revision = '8d25263b0c96'
branch_labels = None
depends_on = None


RULES_BEFORE = ["task_due_soon", "task_overdue", "round_due_soon", "round_overdue", "overdue_digest", "nudge"]
RULES_AFTER = [*RULES_BEFORE, "report_returned"]
RULE_TABLES = ("sent_reminder", "reminder_opt_out")


def _rules(table: str, words: list[str]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_rule"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_rule"),
                                         "rule IN (" + ", ".join(f"'{w}'" for w in words) + ")")


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_calendar_token_hash'), ['calendar_token_hash'])
    for table in RULE_TABLES:
        _rules(table, RULES_AFTER)


def downgrade():
    op.execute("DELETE FROM sent_reminder WHERE rule = 'report_returned'")
    op.execute("DELETE FROM reminder_opt_out WHERE rule = 'report_returned'")
    for table in RULE_TABLES:
        _rules(table, RULES_BEFORE)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_hash')
