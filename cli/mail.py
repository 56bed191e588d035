"""``psp-pipeline mail``: the mail accounts a data home fetches forms from, and fetching them.

Thin: each command builds the settings and calls ``pipeline.mailbox``. A password is read from
standard input (``--password-stdin``), never from an argument (which ``ps`` and shell histories
show), or named as an environment variable (``--password-env``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr, ValidationError

from cli.common import HomeOption, require_data_home, settings_from
from pipeline.errors import BadInputError, ExitCode
from pipeline.mailbox.accounts import Account, MailAccounts, Rule, Security

app = typer.Typer(help="Mail accounts the forms are fetched from (IMAP), and fetching them.", no_args_is_help=True)

Many = Annotated[list[str] | None, typer.Option(show_default=False)]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name for the account: lowercase letters, digits and -.")],
    host: Annotated[str, typer.Option(help="The IMAP server.")],
    user: Annotated[str, typer.Option(help="Who logs in.")],
    port: Annotated[int | None, typer.Option(help="Default: 993 for imaps, 143 otherwise.", show_default=False)] = None,
    security: Annotated[Security, typer.Option(help="imaps, starttls, or plain (loopback only).")] = Security.IMAPS,
    insecure_plain: Annotated[bool, typer.Option("--insecure-plain", help="Allow plain IMAP (no TLS) to the "
                                                 "loopback address, for a local test server.")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard "
                                                 "input; it is kept owner-only in the data home.")] = False,
    password_env: Annotated[str | None, typer.Option("--password-env", help="Read the password from this "
                                                     "environment variable at every fetch instead.")] = None,
    ca_file: Annotated[Path | None, typer.Option("--ca-file", help="A private CA's certificate (PEM) "
                                                 "the server's is signed by.")] = None,
    folder: Annotated[str, typer.Option(help="The folder forms arrive in (levels separated by /).")] = "INBOX",
    sender_domain: Many = None,
    subject_word: Many = None,
    processed: Annotated[str, typer.Option(help="Where a message goes once its documents are stored.")] = "PSP/Processed",
    failed: Annotated[str, typer.Option(help="Where a message goes when a person must look at it.")] = "PSP/Needs attention",
    acknowledge: Annotated[bool, typer.Option("--acknowledge", help="Send each sender of the rule's domains a "
                                              "receipt at once (the files received, when to expect an answer).")] = False,
    home: HomeOption = None,
) -> None:
    """Add a mail account (or replace the one of that name) with one rule: its folder, the sender
    domains and subject words it takes (none given: every message), and where messages go after.

    --sender-domain and --subject-word may be given more than once; --sender-domain cmhsp stands
    for every CMHSP's domains in the reference data (cmhsps.csv's domains column).
    """
    settings = settings_from(home)
    require_data_home(settings)
    if password_stdin == (password_env is not None):
        raise BadInputError("give exactly one of --password-stdin and --password-env.")
    password = SecretStr(sys.stdin.readline().rstrip("\r\n")) if password_stdin else None
    if password is not None and not password.get_secret_value():
        raise BadInputError("no password came on standard input.")
    try:
        rule = Rule(folder=folder, sender_domains=tuple(sender_domain or ()), subject_words=tuple(subject_word or ()),
                    processed_folder=processed, failed_folder=failed, acknowledge=acknowledge)
        account = Account(name=name, host=host, port=port or (993 if security is Security.IMAPS else 143), user=user,
                          security=security, insecure_plain=insecure_plain, password_env=password_env,
                          ca_file=ca_file.expanduser().absolute() if ca_file else None, rules=(rule,))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'account'}: {e['msg']}" for e in exc.errors())
        raise BadInputError(f"the mail account is not usable: {problems}.") from exc
    MailAccounts(settings.data_home.root).save(account, password)
    kept = f"${password_env}" if password_env else "kept owner-only in the data home"
    typer.echo(f"Mail account {name}: {account.security.value} to {host}:{account.port} as {user} (password {kept}).")


@app.command("list")
def list_accounts(home: HomeOption = None) -> None:
    """The mail accounts and their rules (never a password)."""
    accounts = MailAccounts(settings_from(home).data_home.root).all()
    if not accounts:
        typer.echo("No mail account. Add one with: psp-pipeline mail add NAME --host H --user U --password-stdin")
    for account in accounts:
        source = f"${account.password_env}" if account.password_env else "kept in the data home"
        typer.echo(f"{account.name}: {account.security.value} {account.host}:{account.port} as {account.user} "
                   f"(password {source})")
        for rule in account.rules:
            domains = ", ".join(rule.sender_domains) or "any sender"
            words = ", ".join(rule.subject_words) or "any subject"
            receipts = "; receipts sent" if rule.acknowledge else ""
            typer.echo(f"  {rule.folder}: {domains}; {words} -> {rule.processed_folder} | {rule.failed_folder}{receipts}")


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The account's name.")], home: HomeOption = None) -> None:
    """Forget a mail account and its kept password (its messages already fetched stay recorded)."""
    MailAccounts(settings_from(home).data_home.root).remove(name)
    typer.echo(f"Mail account {name} removed.")


@app.command("fetch")
def fetch(home: HomeOption = None) -> None:
    """Fetch new mail into the inbox now, and move on the server the messages whose documents are
    stored. A run does this itself before it takes the inbox. Exits 7 when an account's server
    could not be reached or refused (the others are fetched all the same)."""
    from pipeline.lock import RunLock
    from pipeline.mailbox.fetch import fetch_mail
    from pipeline.service import open_desk

    settings = settings_from(home)
    require_data_home(settings)
    lock = None if settings.claim_files else RunLock(settings.data_home.root)  # not while a run fetches
    if lock is not None:
        lock.acquire()
    try:
        desk = open_desk(settings)
        try:
            summary = fetch_mail(settings, desk.engine)
        finally:
            desk.close()
    finally:
        if lock is not None:
            lock.release()
    typer.echo(f"Mail: {summary.line()}.")
    for failure in summary.failures:
        typer.echo(f"psp-pipeline: {failure}", err=True)
    if summary.failures:
        raise typer.Exit(int(ExitCode.MAIL_SERVER))


@app.command("watch")
def watch(
    home: HomeOption = None,
    without_prefect: Annotated[bool, typer.Option("--without-prefect", help="Start each run without Prefect, "
                                                  "as `psp-pipeline run --without-prefect` does.")] = False,
) -> None:
    """Watch the mail accounts' folders and start a run (fetch first, as `psp-pipeline run`) when
    new mail came: IMAP IDLE where the server offers it, else a look every PSP_MAIL_POLL_SECONDS.
    A burst of mail is one run (PSP_MAIL_QUIET_SECONDS); a dropped connection is made again, with
    a growing wait. Runs until SIGINT or SIGTERM, which end it after the run in hand."""
    import threading

    from cli.one_run import one_run
    from pipeline.mailbox.watch import MailWatcher, stop_on_signals
    from pipeline.service import open_desk

    settings = settings_from(home)
    require_data_home(settings)

    def run_at_new_mail() -> None:
        run_id, report, _ = one_run(settings, without_prefect=without_prefect)  # as `psp-pipeline run`
        typer.echo(f"Run {run_id} done; report: {report}")

    stop = threading.Event()
    restore = stop_on_signals(stop)
    desk = open_desk(settings)
    try:
        typer.echo("Watching the mail accounts; Ctrl-C stops.")
        counts = MailWatcher(settings, desk.engine, run_at_new_mail, stop=stop).watch()
    finally:
        desk.close()
        restore()
    typer.echo(f"Stopped after {counts.runs} run(s).")


@app.command("receipts")
def receipts(
    home: HomeOption = None,
    resend: Annotated[int | None, typer.Option("--resend", help="Send this possibly sent receipt again (once you "
                                               "know it was not delivered).", show_default=False)] = None,
) -> None:
    """The acknowledgements of fetched mail (`mail add --acknowledge`) and where each stands; they
    go out after each fetch when PSP_SMTP_HOST is set, and with `psp-pipeline notices send`."""
    from pipeline.load.ownership import open_own_store
    from pipeline.mailbox import acknowledge

    engine = open_own_store(settings_from(home))
    try:
        if resend is not None:
            acknowledge.resend(engine, resend)
            typer.echo(f"Acknowledgement #{resend} is due again; the next fetch or `notices send` sends it.")
            return
        rows = acknowledge.listed(engine)
    finally:
        engine.dispose()
    for row in rows:
        error = f"; last try: {row.last_error}" if row.last_error and row.sent_at is None else ""
        typer.echo(f"#{row.id} {acknowledge.status(row)}: {row.to_address} ({len(row.files)} file(s), "
                   f"{row.attempts} tr{'y' if row.attempts == 1 else 'ies'}){error}")
    typer.echo(f"{len(rows)} acknowledgement(s).")
