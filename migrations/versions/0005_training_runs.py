"""training_runs: each model `annotate train` fitted, its data size and cross-validated F1

One row per model version (the same data gives the same version, so a retrain updates its
row): what the report's learning curve draws.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('training_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('out_dir', sa.Text(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('rules_version', sa.String(length=128), nullable=False),
    sa.Column('articles', sa.Integer(), nullable=False),
    sa.Column('tokens', sa.Integer(), nullable=False),
    sa.Column('spans', sa.Integer(), nullable=False),
    sa.Column('folds', sa.Integer(), nullable=False),
    sa.Column('entity_f1', sa.Float(), nullable=True),
    sa.Column('rules_entity_f1', sa.Float(), nullable=True),
    sa.Column('stance_f1', sa.Float(), nullable=True),
    sa.Column('rules_stance_f1', sa.Float(), nullable=True),
    sa.Column('training_seconds', sa.Float(), nullable=False),
    sa.Column('cross_validation', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_version')
    )


def downgrade() -> None:
    op.drop_table('training_runs')
