"""outbox: delivering and unconfirmed states; each reminder keeps its deadline

The deadline a reminder speaks of is kept so a queued message can be checked against the current one
just before it goes; rows from before this revision have none and are not checked.

Revision ID: 8d25263b0c96
Revises: 9a99521e0af2
Create Date: 2026-11-30 00:29:19.851610

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d25263b0c96'
down_revision = '9a99521e0af2'
branch_labels = None
depends_on = None


OLD = ["pending", "sending", "sent", "failed", "cancelled"]
NEW = ["pending", "sending", "delivering", "sent", "unconfirmed", "failed", "cancelled"]


def _status_check(words: list[str]) -> str:
    return "status IN (" + ", ".join(f"'{w}'" for w in words) + ")"


def upgrade():
    with op.batch_alter_table('sent_reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_message_status'), _status_check(NEW))


def downgrade():
    # The two new states have no place in the old schema: "delivering" was "sending", and an
    # unconfirmed message was left "sending" too.
    op.execute("UPDATE outbox_message SET status = 'sending' WHERE status IN ('delivering', 'unconfirmed')")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_message_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_message_status'), _status_check(OLD))
    with op.batch_alter_table('sent_reminder', schema=None) as batch_op:
        batch_op.drop_column('deadline')
