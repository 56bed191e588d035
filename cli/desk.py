"""``psp-pipeline desk`` serves the review desk; ``psp-pipeline users add`` makes its accounts.
Thin: the app is ``pipeline.desk.app``, the accounts ``pipeline.desk.auth``."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from cli.common import HomeOption, settings_from
from pipeline.errors import BadInputError
from pipeline.load.roles import Role

users_app = typer.Typer(help="The review desk's accounts.", no_args_is_help=True)


def desk(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="The address to listen on; keep 127.0.0.1 and put a TLS reverse "
                                      "proxy in front for a team.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8080,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", help="Mark cookies Secure: the desk is reached over HTTPS through a proxy.")] = False,
) -> None:
    """Serve the review desk: the queue, documents beside their originals, decisions."""
    import uvicorn

    from pipeline.desk.app import create_app
    from pipeline.service import open_desk

    opened = open_desk(settings_from(home))
    try:
        typer.echo(f"The review desk is at http://{host}:{port}/ (Ctrl-C stops it).")
        # Behind a proxy on this machine, its X-Forwarded-Proto says whether the browser used HTTPS.
        uvicorn.run(create_app(opened, secure_cookies=secure_cookies), host=host, port=port,
                    proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_level="warning")
    finally:
        opened.close()


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The account's name, typed at sign-in.")],
    role: Annotated[Role, typer.Option("--role", help="reviewer (decides) or coordinator (also sends notices, "
                                       "manages accounts).", case_sensitive=False)],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first "
                                                 "line of standard input (else it is asked for).")] = False,
    home: HomeOption = None,
) -> None:
    """Make an account of the review desk; its password is kept as an argon2 hash."""
    from pipeline.desk.auth import add_user
    from pipeline.load.ownership import open_own_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise BadInputError("the two passwords differ.", hint="Run the command again.")
    engine = open_own_store(settings_from(home))
    try:
        account = add_user(engine, name, role, password, by=getpass.getuser())
    finally:
        engine.dispose()
    typer.echo(f"Account {account.name} ({account.role.value}) added.")
