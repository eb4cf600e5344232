"""The ledger: append-only logs and their entries.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("private_key", sa.Text, nullable=True),
        sa.Column("created_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "log_entries",
        sa.Column("log_id", sa.Integer, sa.ForeignKey("logs.id"), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("appended_at", sa.String(24), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_entries")
    op.drop_table("logs")
