"""conferences, consent and the handout register

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of the model defaults at this revision (a migration never imports the models):
# rows that exist before the upgrade get exactly what a new row would get.
CONFIDENTIALITY_NOTICE = (
    "この資料は支援会議の資料です。支援会議の事務に従事する者及び従事していた者は、"
    "正当な理由なく、支援会議の事務に関して知り得た秘密を漏らしてはなりません"
    "（社会福祉法第106条の6第5項、生活困窮者自立支援法第9条第5項）。"
    "これに違反した者は、1年以下の拘禁刑又は100万円以下の罰金に処せられます。"
    "資料は会議の終了後に回収します。複写・撮影・持ち出しはしないでください。"
)
HANDOUT_RETENTION_DAYS = 30


def _synced_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    ]


def upgrade() -> None:
    # Plain ADD COLUMN (a constant default is allowed): batch mode would copy and drop these
    # tables, and dropping household or contact checks every foreign key that points at them —
    # over ten minutes on large-town.
    op.add_column("council", sa.Column("confidentiality_notice", sa.Text(), nullable=False,
                                       server_default=CONFIDENTIALITY_NOTICE))
    op.add_column("council", sa.Column("handout_retention_days", sa.Integer(), nullable=False,
                                       server_default=str(HANDOUT_RETENTION_DAYS)))
    op.add_column("household", sa.Column("tax_note", sa.Text(), nullable=False, server_default=""))
    op.add_column("contact", sa.Column("tax_derived", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "consent",
        sa.Column("person_id", sa.String(length=36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("meeting_types", sa.JSON(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=36), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        *_synced_columns(),
    )
    op.create_index("ix_consent_person", "consent", ["person_id"])
    op.create_table(
        "conference",
        sa.Column("meeting_type", sa.String(length=20), nullable=False),
        sa.Column("legal_basis", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("convenor", sa.String(length=200), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("disclosures", sa.JSON(), nullable=False),
        *_synced_columns(),
    )
    op.create_index("ix_conference_held_on", "conference", ["held_on"])
    op.create_table(
        "conference_member",
        sa.Column("conference_id", sa.String(length=36), sa.ForeignKey("conference.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("confidentiality_acknowledged_on", sa.Date(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        *_synced_columns(),
    )
    op.create_index("ix_conference_member_conference", "conference_member", ["conference_id"])
    op.create_table(
        "conference_case",
        sa.Column("conference_id", sa.String(length=36), sa.ForeignKey("conference.id"), nullable=False),
        sa.Column("household_id", sa.String(length=36), sa.ForeignKey("household.id"), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("support_policy", sa.Text(), nullable=False),
        sa.Column("lead_agency", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        *_synced_columns(),
    )
    op.create_index("ix_conference_case_conference", "conference_case", ["conference_id"])
    op.create_index("ix_conference_case_household", "conference_case", ["household_id"])
    op.create_table(
        "handout_copy",
        sa.Column("conference_id", sa.String(length=36), sa.ForeignKey("conference.id"), nullable=False),
        sa.Column("copy_number", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("member_id", sa.String(length=36), sa.ForeignKey("conference_member.id"), nullable=True),
        sa.Column("made_by", sa.String(length=36), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=True),
        sa.Column("destroyed_on", sa.Date(), nullable=True),
        *_synced_columns(),
    )
    op.create_index("ix_handout_copy_conference", "handout_copy", ["conference_id"])


def downgrade() -> None:
    for name in ("handout_copy", "conference_case", "conference_member", "conference", "consent"):
        op.drop_table(name)
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("tax_derived")
    with op.batch_alter_table("household") as batch:
        batch.drop_column("tax_note")
    with op.batch_alter_table("council") as batch:
        batch.drop_column("handout_retention_days")
        batch.drop_column("confidentiality_notice")
