"""case work (issue 18): 支援ケース, assessment, versioned plans, monitoring, evaluation, 地域課題

Revision ID: 0016
Revises: 0015

New synced tables (store/models.py, "case work"), each row carrying its household_id; the
地域課題 register (community_issue) names no household and outlives the cases. concern_sheet
gets its 担当 (assignee_id), a plain column: SQLite adds no column with a foreign key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('community_issue',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('district_id', sa.String(length=36), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('support_case',
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('assignee_id', sa.String(length=36), nullable=True),
    sa.Column('lead_agency_id', sa.String(length=36), nullable=True),
    sa.Column('from_contact_id', sa.String(length=36), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['from_contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['lead_agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_support_case_household', 'support_case', ['household_id'], unique=False)
    op.create_index('ix_support_case_status', 'support_case', ['status'], unique=False)
    op.create_table('assessment_view',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('participant', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('strength', sa.Text(), nullable=False),
    sa.Column('wish', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_assessment_view_case', 'assessment_view', ['case_id'], unique=False)
    op.create_table('case_evaluation',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('worked', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_evaluation_case', 'case_evaluation', ['case_id'], unique=False)
    op.create_table('case_sheet',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('sheet_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['sheet_id'], ['concern_sheet.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_sheet_case', 'case_sheet', ['case_id'], unique=False)
    op.create_index('ix_case_sheet_sheet', 'case_sheet', ['sheet_id'], unique=False)
    op.create_table('case_status_change',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_status_change_case', 'case_status_change', ['case_id'], unique=False)
    op.create_table('community_issue_case',
    sa.Column('issue_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['issue_id'], ['community_issue.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_community_issue_case_issue', 'community_issue_case', ['issue_id'], unique=False)
    op.create_table('support_plan',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('made_on', sa.Date(), nullable=False),
    sa.Column('policy', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_support_plan_case', 'support_plan', ['case_id'], unique=False)
    op.create_table('missing_resource',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['support_plan.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_missing_resource_case', 'missing_resource', ['case_id'], unique=False)
    op.create_table('plan_goal',
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('from_goal_id', sa.String(length=36), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['support_plan.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_plan_goal_case', 'plan_goal', ['case_id'], unique=False)
    op.create_index('ix_plan_goal_plan', 'plan_goal', ['plan_id'], unique=False)
    op.create_table('monitoring',
    sa.Column('goal_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('monitored_on', sa.Date(), nullable=False),
    sa.Column('progress', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['goal_id'], ['plan_goal.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_monitoring_case', 'monitoring', ['case_id'], unique=False)
    op.create_index('ix_monitoring_goal', 'monitoring', ['goal_id'], unique=False)
    op.create_table('plan_action',
    sa.Column('goal_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('who_kind', sa.String(length=20), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=True),
    sa.Column('agency_id', sa.String(length=36), nullable=True),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hlc', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['support_case.id'], ),
    sa.ForeignKeyConstraint(['goal_id'], ['plan_goal.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_plan_action_goal', 'plan_action', ['goal_id'], unique=False)
    op.add_column('concern_sheet', sa.Column('assignee_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column('concern_sheet', 'assignee_id')
    op.drop_index('ix_plan_action_goal', table_name='plan_action')
    op.drop_table('plan_action')
    op.drop_index('ix_monitoring_goal', table_name='monitoring')
    op.drop_index('ix_monitoring_case', table_name='monitoring')
    op.drop_table('monitoring')
    op.drop_index('ix_plan_goal_plan', table_name='plan_goal')
    op.drop_index('ix_plan_goal_case', table_name='plan_goal')
    op.drop_table('plan_goal')
    op.drop_index('ix_missing_resource_case', table_name='missing_resource')
    op.drop_table('missing_resource')
    op.drop_index('ix_support_plan_case', table_name='support_plan')
    op.drop_table('support_plan')
    op.drop_index('ix_community_issue_case_issue', table_name='community_issue_case')
    op.drop_table('community_issue_case')
    op.drop_index('ix_case_status_change_case', table_name='case_status_change')
    op.drop_table('case_status_change')
    op.drop_index('ix_case_sheet_sheet', table_name='case_sheet')
    op.drop_index('ix_case_sheet_case', table_name='case_sheet')
    op.drop_table('case_sheet')
    op.drop_index('ix_case_evaluation_case', table_name='case_evaluation')
    op.drop_table('case_evaluation')
    op.drop_index('ix_assessment_view_case', table_name='assessment_view')
    op.drop_table('assessment_view')
    op.drop_index('ix_support_case_status', table_name='support_case')
    op.drop_index('ix_support_case_household', table_name='support_case')
    op.drop_table('support_case')
    op.drop_table('community_issue')
