"""entity_spans and stance_triples: an index on annotation_id

Reading an annotation's spans or triples (the export, a pull's diff, a cascade delete)
scanned the whole table without one: an export's cost grew with the square of the store.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_entity_spans_annotation_id', 'entity_spans', ['annotation_id'])
    op.create_index('ix_stance_triples_annotation_id', 'stance_triples', ['annotation_id'])


def downgrade() -> None:
    op.drop_index('ix_stance_triples_annotation_id', table_name='stance_triples')
    op.drop_index('ix_entity_spans_annotation_id', table_name='entity_spans')
