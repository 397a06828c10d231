"""`annotate db`: schema migrations of the store."""

import typer

from annotate.cli.common import HELP_MARKUP, State, console

app = typer.Typer(
    help="Manage the store's schema (Alembic migrations).\n\nExample: annotate db upgrade",
    no_args_is_help=True,
    rich_markup_mode=HELP_MARKUP,
)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations to the store.

    Example: annotate --db postgresql://user@127.0.0.1/annotate db upgrade
    """
    from annotate.store.migrate import current_revision
    from annotate.store.migrate import upgrade as run_upgrade

    state: State = ctx.obj
    engine = state.engine(migrate=False)
    before = current_revision(engine)
    run_upgrade(engine)
    after = current_revision(engine)
    console.print(f"database at revision {after} (was {before or 'empty'})")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the store's migration revision.

    Example: annotate db current
    """
    from annotate.store.migrate import current_revision, head_revision

    engine = ctx.obj.engine(migrate=False, read_only=True)
    rev = current_revision(engine)
    head = head_revision(engine)
    console.print(f"{rev or 'empty'} (code head: {head})")
