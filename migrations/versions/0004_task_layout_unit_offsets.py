"""the title is labelable: tasks.layout, stored offsets index title + blank line + body

Before this revision every stored offset indexed the article body; the title was a plain
heading. From now on they index the unit text (`annotate.spans.unit_text`). Predictions,
entity spans and stance triples of articles with a title move by len(title) + 2. Tasks
already in Label Studio still show the body: they get layout 'body', and pull moves their
results into the unit text (new tasks get 'unit').

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEPARATOR = 2  # len("\n\n"), annotate.spans.TITLE_SEPARATOR at this revision

articles = sa.table('articles', sa.column('id'), sa.column('title'))
predictions = sa.table(
    'predictions', sa.column('id'), sa.column('article_id'), sa.column('entities', sa.JSON),
    sa.column('stances', sa.JSON),
)
tasks = sa.table('tasks', sa.column('id'), sa.column('article_id'))
annotations = sa.table('annotations', sa.column('id'), sa.column('task_id'))
entity_spans = sa.table(
    'entity_spans', sa.column('id'), sa.column('annotation_id'), sa.column('start'),
    sa.column('end'),
)
stance_triples = sa.table(
    'stance_triples', sa.column('id'), sa.column('annotation_id'), sa.column('holder_start'),
    sa.column('holder_end'), sa.column('target_start'), sa.column('target_end'),
)


def _moved(off: Any, delta: int) -> Any:
    if not isinstance(off, dict) or not isinstance(off.get('start'), int):
        return off
    return {**off, 'start': off['start'] + delta, 'end': off['end'] + delta}


def _valid(off: Any) -> bool:
    return not isinstance(off, dict) or not isinstance(off.get('start'), int) or off['start'] >= 0


def _shift(sign: int) -> None:
    """Move every stored offset of titled articles by sign * (len(title) + 2); items that
    would fall before 0 (only on the way down: spans in a title) are dropped."""
    conn = op.get_bind()
    shifts = {
        a: len(t) + SEPARATOR
        for a, t in conn.execute(sa.select(articles.c.id, articles.c.title))
        if t
    }
    if not shifts:
        return
    for pid, art, ents, stances in conn.execute(
        sa.select(predictions.c.id, predictions.c.article_id, predictions.c.entities,
                  predictions.c.stances)
    ):
        if art not in shifts:
            continue
        d = sign * shifts[art]
        new_ents = [e for e in (_moved(e, d) for e in ents or []) if _valid(e)]
        new_st = []
        for st in stances or []:
            st = {**st, **{k: _moved(st.get(k), d) for k in ('holder', 'target_span', 'evidence')
                           if st.get(k) is not None}}
            if all(_valid(st.get(k)) for k in ('holder', 'target_span', 'evidence')):
                new_st.append(st)
        conn.execute(
            predictions.update().where(predictions.c.id == pid)
            .values(entities=new_ents, stances=new_st)
        )
    owner = (
        sa.select(annotations.c.id, tasks.c.article_id)
        .join(tasks, annotations.c.task_id == tasks.c.id)
    )
    by_annotation = {a: shifts[art] for a, art in conn.execute(owner) if art in shifts}
    for ann, delta in by_annotation.items():
        d = sign * delta
        conn.execute(
            entity_spans.update().where(entity_spans.c.annotation_id == ann)
            .values(start=entity_spans.c.start + d, end=entity_spans.c.end + d)
        )
        conn.execute(
            stance_triples.update().where(stance_triples.c.annotation_id == ann)
            .values(
                holder_start=stance_triples.c.holder_start + d,
                holder_end=stance_triples.c.holder_end + d,
                target_start=stance_triples.c.target_start + d,
                target_end=stance_triples.c.target_end + d,
            )
        )
    if sign < 0:
        conn.execute(entity_spans.delete().where(entity_spans.c.start < 0))
        conn.execute(
            stance_triples.delete().where(
                (stance_triples.c.holder_start < 0) | (stance_triples.c.target_start < 0)
            )
        )


# Plain ADD/DROP COLUMN, never a batch table copy: on SQLite, dropping the copied tasks table
# would cascade to every annotation (foreign keys are on).


def upgrade() -> None:
    op.add_column(
        'tasks', sa.Column('layout', sa.String(length=16), nullable=False, server_default='unit')
    )
    op.execute(sa.text("UPDATE tasks SET layout = 'body'"))
    _shift(+1)


def downgrade() -> None:
    _shift(-1)
    op.drop_column('tasks', 'layout')
