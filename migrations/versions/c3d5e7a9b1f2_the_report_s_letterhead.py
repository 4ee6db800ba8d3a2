"""the quarterly report's letterhead: one row of settings the office edits

Revision ID: c3d5e7a9b1f2
Revises: 004d0a34fdd3
Create Date: 2026-12-04 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d5e7a9b1f2'
down_revision = '004d0a34fdd3'
branch_labels = None
depends_on = None


def upgrade():
    # No row is inserted: the app prints its defaults until the office saves the page once.
    op.create_table('letterhead_settings',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('parent_body', sa.String(length=200), nullable=False),
                    sa.Column('issuing_body', sa.String(length=200), nullable=False),
                    sa.Column('symbol', sa.String(length=30), nullable=False),
                    sa.Column('place', sa.String(length=60), nullable=False),
                    sa.Column('recipients', sa.Text(), nullable=False),
                    sa.Column('filing', sa.String(length=120), nullable=False),
                    sa.Column('authority', sa.String(length=80), nullable=False),
                    sa.Column('signer_title', sa.String(length=120), nullable=False),
                    sa.Column('signer_name', sa.String(length=120), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_letterhead_settings')))


def downgrade():
    op.drop_table('letterhead_settings')
