"""meetings fed by requests (issue 18): 受付表, per-case members, 委嘱, a meeting's topic and body

Revision ID: 0017
Revises: 0016

New synced tables: meeting_request (a case put forward for a meeting type, carrying its
household_id like every case record), conference_case_member (who sits for which case; a case
without rows has every member; household_id for scope) and appointment (委嘱: a standing
confidentiality pledge for a period; names no household). conference gets topic (a 支援会議 on
地域資源 may have no household) and body (an existing body such as 地域ケア会議 held as this
meeting); conference_case gets case_id, person_id (the 本人 whose consent counts) and
request_id, plain columns: SQLite adds no column with a foreign key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _synced() -> list:
    return [sa.Column('id', sa.String(length=36), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('created_by', sa.String(length=36), nullable=True),
            sa.Column('updated_at', sa.DateTime(), nullable=True),
            sa.Column('deleted_at', sa.DateTime(), nullable=True),
            sa.Column('hlc', sa.String(length=64), nullable=False),
            sa.PrimaryKeyConstraint('id')]


def upgrade() -> None:
    op.create_table('meeting_request',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('meeting_type', sa.String(length=20), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('agencies_involved', sa.JSON(), nullable=False),
    sa.Column('agencies_needed', sa.JSON(), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('conference_id', sa.String(length=36), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    *_synced(),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], ),
    )
    op.create_index('ix_meeting_request_case', 'meeting_request', ['case_id'], unique=False)
    op.create_index('ix_meeting_request_type', 'meeting_request', ['meeting_type'], unique=False)
    op.create_table('conference_case_member',
    sa.Column('conference_id', sa.String(length=36), nullable=False),
    sa.Column('conference_case_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    *_synced(),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], ),
    sa.ForeignKeyConstraint(['conference_case_id'], ['conference_case.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['conference_member.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    )
    op.create_index('ix_conference_case_member_case', 'conference_case_member', ['conference_case_id'], unique=False)
    op.create_index('ix_conference_case_member_conference', 'conference_case_member', ['conference_id'],
                    unique=False)
    op.create_table('appointment',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('meeting_type', sa.String(length=20), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('pledge_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    *_synced(),
    )
    op.add_column('conference', sa.Column('topic', sa.Text(), nullable=False, server_default=''))
    op.add_column('conference', sa.Column('body', sa.String(length=200), nullable=False, server_default=''))
    op.add_column('conference_case', sa.Column('case_id', sa.String(length=36), nullable=True))
    op.add_column('conference_case', sa.Column('person_id', sa.String(length=36), nullable=True))
    op.add_column('conference_case', sa.Column('request_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conference_case') as batch:
        batch.drop_column('request_id')
        batch.drop_column('person_id')
        batch.drop_column('case_id')
    with op.batch_alter_table('conference') as batch:
        batch.drop_column('body')
        batch.drop_column('topic')
    op.drop_table('appointment')
    op.drop_index('ix_conference_case_member_conference', table_name='conference_case_member')
    op.drop_index('ix_conference_case_member_case', table_name='conference_case_member')
    op.drop_table('conference_case_member')
    op.drop_index('ix_meeting_request_type', table_name='meeting_request')
    op.drop_index('ix_meeting_request_case', table_name='meeting_request')
    op.drop_table('meeting_request')
