"""add interop messages, questionnaire answers, FHIR subscriptions and deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 01:28:39.222876
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "fhir_subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=True),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column(
            "resource",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_fhir_subscriptions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_subscriptions")),
    )
    with op.batch_alter_table("fhir_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fhir_subscriptions_npi"), ["npi"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fhir_subscriptions_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "fhir_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("precert_id", sa.String(length=20), nullable=False),
        sa.Column("event_number", sa.Integer(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["precert_id"], ["precerts.id"], name=op.f("fk_fhir_deliveries_precert_id_precerts")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["fhir_subscriptions.id"],
            name=op.f("fk_fhir_deliveries_subscription_id_fhir_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_deliveries")),
    )
    with op.batch_alter_table("fhir_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fhir_deliveries_due", ["delivered_at", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fhir_deliveries_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "interop_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("precert_id", sa.String(length=20), nullable=False),
        sa.Column("standard", sa.String(length=10), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["precert_id"], ["precerts.id"], name=op.f("fk_interop_messages_precert_id_precerts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_interop_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interop_messages")),
    )
    with op.batch_alter_table("interop_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interop_messages_precert_id"), ["precert_id"], unique=False
        )
        batch_op.create_index(
            "ix_interop_messages_source", ["standard", "source_system", "source_id"], unique=False
        )

    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("precert_id", sa.String(length=20), nullable=False),
        sa.Column("questionnaire", sa.String(length=300), nullable=False),
        sa.Column(
            "resource",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["precert_id"],
            ["precerts.id"],
            name=op.f("fk_questionnaire_answers_precert_id_precerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_answers")),
    )
    with op.batch_alter_table("questionnaire_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_answers_precert_id"), ["precert_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("questionnaire_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_answers_precert_id"))

    op.drop_table("questionnaire_answers")
    with op.batch_alter_table("interop_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_interop_messages_source")
        batch_op.drop_index(batch_op.f("ix_interop_messages_precert_id"))

    op.drop_table("interop_messages")
    with op.batch_alter_table("fhir_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_deliveries_subscription_id"))
        batch_op.drop_index("ix_fhir_deliveries_due")

    op.drop_table("fhir_deliveries")
    with op.batch_alter_table("fhir_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_subscriptions_user_id"))
        batch_op.drop_index(batch_op.f("ix_fhir_subscriptions_npi"))

    op.drop_table("fhir_subscriptions")
