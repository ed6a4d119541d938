"""live chats (a prospect talking to an SDR through Slack) and follow-up requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('waiting', 'live')")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "live_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("ended_by", sa.String(length=320), nullable=True),
        sa.Column("resume_step", sa.String(length=100), nullable=True),
        sa.Column("source_page", sa.String(length=2000), nullable=True),
        sa.Column("start_seq", sa.Integer(), nullable=False),
        sa.Column("relayed_seq", sa.Integer(), nullable=False),
        sa.Column("relay_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slack_channel", sa.String(length=64), nullable=True),
        sa.Column("slack_ts", sa.String(length=64), nullable=True),
        _fk("live_chats", "conversation_id", "conversations"),
        _fk("live_chats", "lead_id", "leads"),
        _fk("live_chats", "owner_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_chats")),
    )
    op.create_index(op.f("ix_live_chats_conversation_id"), "live_chats", ["conversation_id"])
    op.create_index(op.f("ix_live_chats_lead_id"), "live_chats", ["lead_id"])
    op.create_index("ix_live_chats_status_answer_by", "live_chats", ["status", "answer_by"])
    op.create_index("ix_live_chats_slack_thread", "live_chats", ["slack_channel", "slack_ts"])
    op.create_index(
        "uq_live_chats_open",
        "live_chats",
        ["conversation_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("live_chat_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        _fk("follow_ups", "lead_id", "leads"),
        _fk("follow_ups", "conversation_id", "conversations"),
        _fk("follow_ups", "live_chat_id", "live_chats"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    op.create_index(op.f("ix_follow_ups_lead_id"), "follow_ups", ["lead_id"])


def downgrade() -> None:
    op.drop_table("follow_ups")
    op.drop_index("uq_live_chats_open", table_name="live_chats")
    op.drop_table("live_chats")
