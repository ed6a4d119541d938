"""slack posts (cards to update later) and slack threads (conversations in DMs and threads)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.String(length=64), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_posts")),
        sa.UniqueConstraint("channel", "ts", name="uq_slack_posts_channel_ts"),
    )
    op.create_index("ix_slack_posts_subject", "slack_posts", ["subject", "subject_id"])
    op.create_table(
        "slack_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("thread_ts", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_slack_threads_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_slack_threads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_threads")),
        sa.UniqueConstraint("channel", "thread_ts", name="uq_slack_threads_channel_ts"),
    )
    op.create_index(op.f("ix_slack_threads_conversation_id"), "slack_threads", ["conversation_id"])
    op.create_index(op.f("ix_slack_threads_user_id"), "slack_threads", ["user_id"])


def downgrade() -> None:
    op.drop_table("slack_threads")
    op.drop_table("slack_posts")
