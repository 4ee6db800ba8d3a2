"""A user's language only when they chose one (else the browser's Accept-Language decides)

Revision ID: d4e6f8a0b2c3
Revises: c3d5e7a9b1f2
Create Date: 2026-12-04 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e6f8a0b2c3'
down_revision = 'c3d5e7a9b1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=5), nullable=True, server_default=None)
    # Every account held "vi" from its creation, chosen or not: only English was certainly a choice.
    op.execute("UPDATE \"user\" SET language = NULL WHERE language = 'vi'")


def downgrade():
    op.execute("UPDATE \"user\" SET language = 'vi' WHERE language IS NULL")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=5), nullable=False, server_default='vi')
