"""field records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:25:48.303480
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('place',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('district_id', sa.String(length=36), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('salon',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('district_id', sa.String(length=36), nullable=True),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('organiser', sa.String(length=20), nullable=False),
    sa.Column('schedule', sa.String(length=200), nullable=False),
    sa.Column('fee_yen', sa.Integer(), nullable=True),
    sa.Column('transport', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('contact',
    sa.Column('contact_date', sa.Date(), nullable=False),
    sa.Column('contact_time', sa.String(length=5), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=True),
    sa.Column('companions', sa.JSON(), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=True),
    sa.Column('place_id', sa.String(length=36), nullable=True),
    sa.Column('seen_heard', sa.Text(), nullable=False),
    sa.Column('concerns', sa.JSON(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('isolation', sa.String(length=20), nullable=False),
    sa.Column('next_action', sa.Text(), nullable=False),
    sa.Column('next_contact_date', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index('ix_contact_order', ['contact_date', 'contact_time', 'created_at'], unique=False)
        batch_op.create_index('ix_contact_household_date', ['household_id', 'contact_date'], unique=False)

    op.create_table('salon_session',
    sa.Column('salon_id', sa.String(length=36), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('activities', sa.Text(), nullable=False),
    sa.Column('helpers', sa.Text(), nullable=False),
    sa.Column('unnamed_count', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['salon_id'], ['salon.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('salon_session', schema=None) as batch_op:
        batch_op.create_index('ix_salon_session_salon_date', ['salon_id', 'session_date'], unique=False)

    op.create_table('attendance',
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['salon_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_person', ['person_id'], unique=False)
        batch_op.create_index('ix_attendance_session', ['session_id'], unique=False)

    op.create_table('concern_sheet',
    sa.Column('noticed_on', sa.Date(), nullable=False),
    sa.Column('noticed_by', sa.String(length=36), nullable=True),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('setting', sa.String(length=50), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=True),
    sa.Column('household_hint', sa.String(length=300), nullable=False),
    sa.Column('person_of_concern', sa.String(length=200), nullable=False),
    sa.Column('concerns', sa.JSON(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('connected_agencies', sa.JSON(), nullable=False),
    sa.Column('wish_for_help', sa.String(length=10), nullable=False),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('strengths', sa.Text(), nullable=False),
    sa.Column('possible_supporter', sa.Text(), nullable=False),
    sa.Column('suggested_handoff', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('from_contact_id', sa.String(length=36), nullable=True),
    sa.Column('from_remark_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['from_contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['noticed_by'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('concern_sheet', schema=None) as batch_op:
        batch_op.create_index('ix_sheet_household', ['household_id'], unique=False)
        batch_op.create_index('ix_sheet_status', ['status'], unique=False)

    op.create_table('salon_regular',
    sa.Column('salon_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['salon_id'], ['salon.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('salon_regular', schema=None) as batch_op:
        batch_op.create_index('ix_salon_regular_salon', ['salon_id'], unique=False)

    op.create_table('referral',
    sa.Column('household_id', sa.String(length=36), nullable=True),
    sa.Column('sheet_id', sa.String(length=36), nullable=True),
    sa.Column('agency_id', sa.String(length=36), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['sheet_id'], ['concern_sheet.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_follow_up', ['follow_up_on'], unique=False)
        batch_op.create_index('ix_referral_household', ['household_id'], unique=False)

    op.create_table('remark',
    sa.Column('session_id', sa.String(length=36), nullable=True),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sheet_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['salon_session.id'], ),
    sa.ForeignKeyConstraint(['sheet_id'], ['concern_sheet.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remark', schema=None) as batch_op:
        batch_op.create_index('ix_remark_session', ['session_id'], unique=False)

    op.create_table('sheet_status_change',
    sa.Column('sheet_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('agency_id', sa.String(length=36), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['sheet_id'], ['concern_sheet.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sheet_status_change', schema=None) as batch_op:
        batch_op.create_index('ix_sheet_status_change_sheet', ['sheet_id'], unique=False)

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('watch_interval_months', sa.Integer(), nullable=True))

    # Changes of one entity in order: the version an editor saw, and check's replay.
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity')
        batch_op.create_index('ix_change_log_entity_order', ['entity', 'entity_id', 'hlc'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity_order')
        batch_op.create_index('ix_change_log_entity', ['entity_id'], unique=False)
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('watch_interval_months')

    with op.batch_alter_table('sheet_status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_sheet_status_change_sheet')

    op.drop_table('sheet_status_change')
    with op.batch_alter_table('remark', schema=None) as batch_op:
        batch_op.drop_index('ix_remark_session')

    op.drop_table('remark')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_household')
        batch_op.drop_index('ix_referral_follow_up')

    op.drop_table('referral')
    with op.batch_alter_table('salon_regular', schema=None) as batch_op:
        batch_op.drop_index('ix_salon_regular_salon')

    op.drop_table('salon_regular')
    with op.batch_alter_table('concern_sheet', schema=None) as batch_op:
        batch_op.drop_index('ix_sheet_status')
        batch_op.drop_index('ix_sheet_household')

    op.drop_table('concern_sheet')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_session')
        batch_op.drop_index('ix_attendance_person')

    op.drop_table('attendance')
    with op.batch_alter_table('salon_session', schema=None) as batch_op:
        batch_op.drop_index('ix_salon_session_salon_date')

    op.drop_table('salon_session')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_household_date')
        batch_op.drop_index('ix_contact_order')

    op.drop_table('contact')
    op.drop_table('salon')
    op.drop_table('place')
