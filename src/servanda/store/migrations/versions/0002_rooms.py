"""The live server: accounts, credentials, stored scenarios, rooms, seats, members,
invitations and each party's confidential preferences.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("expires_at", sa.String(24), nullable=True),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("convener_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("log_id", sa.Integer, sa.ForeignKey("logs.id"), nullable=False, unique=True),
        sa.Column("scenario", sa.Text, nullable=False),
        sa.Column("protocol", sa.String(32), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "seats",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id"), primary_key=True),
        sa.Column("party", sa.String(200), primary_key=True),
        sa.Column("bot", sa.String(200), nullable=True),
    )
    op.create_table(
        "members",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id"), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(200), nullable=True),
        sa.Column("representative", sa.String(200), nullable=True),
        sa.Column("joined_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "invitations",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id"), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(200), nullable=True),
        sa.Column("representative", sa.String(200), nullable=True),
        sa.Column("created_at", sa.String(24), nullable=False),
        sa.Column("used_by", sa.Integer, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("used_at", sa.String(24), nullable=True),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "preferences",
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id"), primary_key=True),
        sa.Column("party", sa.String(200), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("mediator_may_read", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.String(24), nullable=False),
    )


def downgrade() -> None:
    for table in ("preferences", "scenarios", "invitations", "members", "seats", "rooms", "credentials", "accounts"):
        op.drop_table(table)
