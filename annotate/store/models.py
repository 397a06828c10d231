"""SQLAlchemy 2 models of the store. Schema changes go through an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from annotate.judgement import public_article_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Article(Base):
    """One article, identified by the hash of its normalized text."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(512), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(512))
    published: Mapped[str | None] = mapped_column(String(64))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    predictions: Mapped[list[Prediction]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )

    @property
    def article_id(self) -> str:
        """The public id: the caller's own id when given, else a prefix of the content hash."""
        return public_article_id(self.external_id, self.content_hash)


class Prediction(Base):
    """A pre-annotation of one article by one model version, in the public prediction format."""

    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("article_id", "model_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    entities: Mapped[list[Any]] = mapped_column(default=list)
    stances: Mapped[list[Any]] = mapped_column(default=list)

    article: Mapped[Article] = relationship(back_populates="predictions")


class Project(Base):
    """A Label Studio project the store syncs with, its pull cursor and overlap.

    A review project (`review_of_id` set) holds one task per disputed article of another
    project; its annotations are the reviewer's resolutions.
    """

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    ls_url: Mapped[str] = mapped_column(Text)
    ls_project_id: Mapped[int] = mapped_column(BigInteger)
    label_config_hash: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(128))
    overlap: Mapped[int] = mapped_column(Integer, default=1)
    pull_cursor: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set on a `<name>-review` project: its annotations adjudicate the articles of this one.
    review_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE", name="fk_projects_review_of_id_projects"),
        index=True,
    )

    tasks: Mapped[list[Task]] = relationship(back_populates="project")


class Task(Base):
    """An article pushed to a project as one Label Studio task."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "article_id"),
        UniqueConstraint("project_id", "ls_task_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    ls_task_id: Mapped[int] = mapped_column(BigInteger)
    model_versions: Mapped[list[Any]] = mapped_column(default=list)
    pushed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The text the task shows (`spans.task_text`): tasks pushed before revision 0004 show
    # the body only, and their results are moved into the unit text when pulled.
    layout: Mapped[str] = mapped_column(String(16), default="unit", server_default="unit")

    project: Mapped[Project] = relationship(back_populates="tasks")
    article: Mapped[Article] = relationship()
    annotations: Mapped[list[Annotation]] = relationship(back_populates="task")


class Annotation(Base):
    """One annotator's annotation of one task (or of a duplicate task of its article, see
    `ls_task_id`), as last seen in Label Studio."""

    __tablename__ = "annotations"
    __table_args__ = (UniqueConstraint("task_id", "ls_annotation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    ls_annotation_id: Mapped[int] = mapped_column(BigInteger)
    # Set when the annotation was made on a duplicate task of the article (two pushes at
    # once, a task imported by hand): the Label Studio task it came from, adopted here.
    ls_task_id: Mapped[int | None] = mapped_column(BigInteger)
    annotator: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    ground_truth: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_time: Mapped[float | None] = mapped_column(Float)
    result: Mapped[list[Any]] = mapped_column(default=list)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    pulled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    task: Mapped[Task] = relationship(back_populates="annotations")
    entities: Mapped[list[EntitySpan]] = relationship(
        back_populates="annotation", cascade="all, delete-orphan", order_by="EntitySpan.start"
    )
    stances: Mapped[list[StanceTriple]] = relationship(
        back_populates="annotation", cascade="all, delete-orphan"
    )


class EntitySpan(Base):
    """A normalized entity span of an annotation (end exclusive, code point offsets)."""

    __tablename__ = "entity_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)

    annotation: Mapped[Annotation] = relationship(back_populates="entities")


class StanceTriple(Base):
    """A normalized stance (holder span -> target -> label) of an annotation."""

    __tablename__ = "stance_triples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    holder_start: Mapped[int] = mapped_column(Integer)
    holder_end: Mapped[int] = mapped_column(Integer)
    holder_label: Mapped[str] = mapped_column(String(64))
    holder_text: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(128))
    target_start: Mapped[int | None] = mapped_column(Integer)
    target_end: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(32))

    annotation: Mapped[Annotation] = relationship(back_populates="stances")


class ExportRun(Base):
    """One `annotate export`: where it went, with which options, and its manifest."""

    __tablename__ = "export_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    project: Mapped[str | None] = mapped_column(String(255))
    out_dir: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TrainingRun(Base):
    """One model `annotate train` fitted: its training data's size and cross-validated F1.

    Keyed by model version: training again on the same data gives the same version and
    updates this row (`runs` counts the trainings), so the learning curve has one point
    per model, never one per repeat.
    """

    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    out_dir: Mapped[str] = mapped_column(Text)
    sources: Mapped[dict[str, Any]] = mapped_column(default=dict)  # projects, sources, policy
    rules_version: Mapped[str] = mapped_column(String(128))
    articles: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[int] = mapped_column(Integer)
    spans: Mapped[int] = mapped_column(Integer)
    folds: Mapped[int] = mapped_column(Integer)  # 0: not cross-validated, no F1 below
    entity_f1: Mapped[float | None] = mapped_column(Float)  # micro, learned layer
    rules_entity_f1: Mapped[float | None] = mapped_column(Float)  # the rules, same articles
    stance_f1: Mapped[float | None] = mapped_column(Float)
    rules_stance_f1: Mapped[float | None] = mapped_column(Float)
    training_seconds: Mapped[float] = mapped_column(Float)
    cross_validation: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the manifest's
