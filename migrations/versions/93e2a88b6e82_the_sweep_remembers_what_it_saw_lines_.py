"""The reminder sweep remembers what it saw; status lines are found by their last update

The next sweep builds on the last one and looks only at what changed since (see tracker/reminders/sweep.py).
With no row, the first sweep after this upgrade looks at everything, as before.

Revision ID: 93e2a88b6e82
Revises: 824646b1d65f
Create Date: 2026-12-06 02:18:35.848977

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93e2a88b6e82'
down_revision = '824646b1d65f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sweep_state',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('fingerprint', sa.String(length=64), nullable=False),
                    sa.Column('change_id', sa.Integer(), nullable=False),
                    sa.Column('line_id', sa.Integer(), nullable=False),
                    sa.Column('swept_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_state')))
    with op.batch_alter_table('status_line', schema=None) as batch_op:
        batch_op.create_index('ix_status_line_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('status_line', schema=None) as batch_op:
        batch_op.drop_index('ix_status_line_updated_at')
    op.drop_table('sweep_state')
