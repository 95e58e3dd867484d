"""community work (issue 19): 支え合いの関係, 担い手, 地域活動, and the 地域課題 register's evidence

Revision ID: 0018
Revises: 0017

New synced tables: supporter (担い手; scope by district_id, council-wide when null),
community_activity (地域活動; scope by district_id), support_tie (支え合いの関係; scope through
household_id), community_issue_activity and community_issue_resource (evidence of a 地域課題),
supporter_target (a supporter target per fiscal year and district, or council-wide).
supporter.person_id / sheet_id and support_tie.contact_id are plain ids without a foreign key: they
may name a household outside a district laptop's scope (the supporter goes with the ties naming it).
community_issue gets status and response.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
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
    op.create_table('supporter',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kana', sa.String(length=200), nullable=False),
    sa.Column('district_id', sa.String(length=36), nullable=True),
    sa.Column('can_do', sa.Text(), nullable=False),
    sa.Column('contact_consent', sa.Boolean(), nullable=False),
    sa.Column('current_role', sa.String(length=200), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('sheet_id', sa.String(length=36), nullable=True),
    sa.Column('since', sa.Date(), nullable=True),
    *_synced(),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    )
    op.create_index('ix_supporter_district', 'supporter', ['district_id'], unique=False)
    op.create_table('community_activity',
    sa.Column('activity_type', sa.String(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('district_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.Column('organisations', sa.JSON(), nullable=False),
    sa.Column('raised', sa.Text(), nullable=False),
    sa.Column('followed', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    *_synced(),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    )
    op.create_index('ix_community_activity_district', 'community_activity', ['district_id', 'held_on'], unique=False)
    op.create_table('support_tie',
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('supporter_id', sa.String(length=36), nullable=True),
    sa.Column('supporter_name', sa.String(length=100), nullable=False),
    sa.Column('supporter_kind', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('frequency', sa.String(length=100), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('confirmed_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('contact_id', sa.String(length=36), nullable=True),
    sa.Column('activity_id', sa.String(length=36), nullable=True),
    *_synced(),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['supporter_id'], ['supporter.id'], ),
    sa.ForeignKeyConstraint(['activity_id'], ['community_activity.id'], ),
    )
    op.create_index('ix_support_tie_household', 'support_tie', ['household_id'], unique=False)
    op.create_index('ix_support_tie_supporter', 'support_tie', ['supporter_id'], unique=False)
    op.create_table('community_issue_activity',
    sa.Column('issue_id', sa.String(length=36), nullable=False),
    sa.Column('activity_id', sa.String(length=36), nullable=False),
    *_synced(),
    sa.ForeignKeyConstraint(['issue_id'], ['community_issue.id'], ),
    sa.ForeignKeyConstraint(['activity_id'], ['community_activity.id'], ),
    )
    op.create_index('ix_community_issue_activity_issue', 'community_issue_activity', ['issue_id'], unique=False)
    op.create_table('community_issue_resource',
    sa.Column('issue_id', sa.String(length=36), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    *_synced(),
    sa.ForeignKeyConstraint(['issue_id'], ['community_issue.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['missing_resource.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    )
    op.create_index('ix_community_issue_resource_issue', 'community_issue_resource', ['issue_id'], unique=False)
    op.create_table('supporter_target',
    sa.Column('district_id', sa.String(length=36), nullable=True),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    *_synced(),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    )
    op.add_column('community_issue', sa.Column('status', sa.String(length=20), nullable=False, server_default='把握'))
    op.add_column('community_issue', sa.Column('response', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('community_issue') as batch:
        batch.drop_column('response')
        batch.drop_column('status')
    for table in ('supporter_target', 'community_issue_resource', 'community_issue_activity', 'support_tie',
                  'community_activity', 'supporter'):
        op.drop_table(table)
