"""`annotate studio`: the local Label Studio server of this workspace."""

import json
from typing import Annotated

import typer

from annotate.cli.common import HELP_MARKUP, JsonOpt, State, command, console, fail

app = typer.Typer(
    help="Run the embedded Label Studio (127.0.0.1 only, data in $ANNOTATE_HOME/studio).\n\n"
    "Example: annotate studio start --port 8080",
    no_args_is_help=True,
    rich_markup_mode=HELP_MARKUP,
)


def _studio(ctx: typer.Context):
    from annotate.studio.server import LocalStudio

    state: State = ctx.obj
    return LocalStudio(state.settings.home)


@app.command()
def start(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8080,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for /health.")] = 180.0,
) -> None:
    """Start Label Studio (or find it running) and wait until it is healthy.

    The first start creates the admin login; `annotate studio credentials` shows it.

    Example: annotate studio start --port 8080
    """
    studio = _studio(ctx)
    with console.status("starting Label Studio (the first start takes ~30 s)..."):
        url, started = studio.start(port=port, timeout=timeout)
    creds = studio.credentials()
    verb = "started" if started else "already running"
    console.print(f"Label Studio {verb} at {url}", highlight=False)
    if creds is not None:
        console.print(
            f"login: {creds.username} (password: {command('studio', 'credentials')})",
            highlight=False,
        )


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the Label Studio this workspace started (its pid file), nothing else.

    Example: annotate studio stop
    """
    pid = _studio(ctx).stop()
    console.print(f"stopped Label Studio (pid {pid})" if pid else "Label Studio was not running")


@app.command()
def status(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """Tell whether the workspace's Label Studio runs, where, and its pid.

    Example: annotate studio status --json
    """
    st = _studio(ctx).status()
    if as_json:
        typer.echo(json.dumps({"url": st.url, "running": st.running, "pid": st.pid}))
        return
    state = f"running (pid {st.pid})" if st.running else "not running"
    console.print(f"Label Studio at {st.url}: {state}", highlight=False)


@app.command()
def credentials(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """Reveal the admin login of the local Label Studio (the only command that does).

    JSON keys: url, username, password, token.

    Example: annotate studio credentials --json
    """
    studio = _studio(ctx)
    creds = studio.credentials()
    if creds is None:
        fail("no credentials yet: run `annotate studio start` first")
    url = studio.status().url
    data = {
        "url": url,
        "username": creds.username,
        "password": creds.password,
        "token": creds.token,
    }
    if as_json:
        typer.echo(json.dumps(data))
        return
    for key, value in data.items():
        typer.echo(f"{key}: {value}")


def _client(ctx: typer.Context):
    from annotate.studio.client import connect

    state: State = ctx.obj
    return connect(state.settings.home)


@app.command()
def invite(
    ctx: typer.Context,
    reset: Annotated[
        bool, typer.Option(help="Make a new link; the old one stops working.")
    ] = False,
) -> None:
    """Print the organisation's invite link: annotators sign up with it (open sign-up is closed).

    Works with the local server or a remote one (LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY).
    Anyone holding the link can create an account: share it privately, `--reset` to revoke.

    Example: annotate studio invite
    """
    link = _client(ctx).invite(reset=reset)
    typer.echo(link)


@app.command("add-user")
def add_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The annotator's e-mail (their login).")],
    first_name: Annotated[str, typer.Option(help="First name shown in Label Studio.")] = "",
    last_name: Annotated[str, typer.Option(help="Last name shown in Label Studio.")] = "",
    show_password: Annotated[
        bool, typer.Option(help="Also print the generated password (to hand it over).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create an annotator account with a generated password, kept in a 0600 workspace file.

    The account is signed up through the invite link, so it can log in at once. The
    password is printed only with --show-password; otherwise the output says which file
    holds it. Re-running for an account this workspace created changes nothing.

    Example: annotate studio add-user ana@example.org --first-name Ana
    """
    from annotate.studio.team import add_user as run_add_user

    state: State = ctx.obj
    added = run_add_user(
        _client(ctx), state.settings.home, email, first_name=first_name, last_name=last_name
    )
    data = {
        "email": added.email,
        "user_id": added.user_id,
        "url": added.url,
        "created": added.created,
        "password_file": str(added.password_file),
    }
    if show_password:
        data["password"] = added.password
    if as_json:
        typer.echo(json.dumps(data))
        return
    verb = "created" if added.created else "already exists:"
    console.print(
        f"{verb} annotator {added.email} (Label Studio user {added.user_id}) at {added.url}; "
        f"log in at {added.url}/user/login/",
        highlight=False,
        soft_wrap=True,
    )
    if show_password:
        typer.echo(f"password: {added.password}")
    else:
        console.print(
            f"password kept in {added.password_file} (mode 0600); print it with --show-password",
            highlight=False,
            soft_wrap=True,
        )
