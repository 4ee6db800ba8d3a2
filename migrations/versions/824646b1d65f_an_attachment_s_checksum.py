"""An attachment's SHA-256, checked before every download (files in an object store)

Existing rows keep NULL (their files were never hashed at upload); `flask files migrate` fills it in as it copies
them into a bucket.

Revision ID: 824646b1d65f
Revises: 70aa5c2fc762
Create Date: 2026-12-05 23:44:41.006476

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '824646b1d65f'
down_revision = '70aa5c2fc762'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checksum', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_column('checksum')
