"""The `precert` command: migrations, rosters, users, policy, serving, the demo."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from precert.config import Settings
from precert.db import make_engine, make_sessionmaker, transaction
from precert.errors import DomainError
from precert.policy.loader import PolicyError, default_policy_book, load_policy_book


def _settings() -> Settings:
    return Settings()


def _policies(settings: Settings) -> Any:
    return load_policy_book(settings.policy_dir) if settings.policy_dir else default_policy_book()


@click.group()
def main() -> None:
    """Pre-certification for MO HealthNet's chronic pain therapies."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations."""
    from precert.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {_safe_url(settings.database_url)} is at {revision}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (and the portal) with uvicorn."""
    _serve(host, port, workers)


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "precert.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


@main.group()
def load() -> None:
    """Load rosters from CSV files (all rows or none)."""


@load.command("participants")
@click.argument("file", type=click.Path(path_type=Path))
def load_participants_cmd(file: Path) -> None:
    """Load participants (one row per eligibility span).

    Columns: participant_id,first_name,last_name,birth_date,eligibility_start,eligibility_end.
    """
    from precert.participants.roster import load_participants

    _load(lambda session: load_participants(session, file), file, "participants")


@load.command("providers")
@click.argument("file", type=click.Path(path_type=Path))
def load_providers_cmd(file: Path) -> None:
    """Load providers: npi,name,provider_type,enrollment_start,enrollment_end."""
    from precert.providers.roster import load_providers

    settings = _settings()
    kinds = _policies(settings).policies[-1].provider_types
    _load(lambda session: load_providers(session, file, provider_types=kinds), file, "providers")


def _load(run: Any, file: Path, what: str) -> None:
    settings = _settings()
    sessions = make_sessionmaker(make_engine(settings.database_url))
    with transaction(sessions) as session:
        counts, problems = run(session)
        if problems:
            session.rollback()
    if problems:
        click.echo(f"{file}: nothing loaded; {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    click.echo(f"{file}: {what} loaded ({summary})")


@main.group()
def users() -> None:
    """Users and their API tokens."""


@users.command("add")
@click.option("--role", required=True, help="physician, provider, staff or admin")
@click.option("--name", required=True)
@click.option("--npi", default=None, help="required for physician and provider users")
@click.option("--username", default=None, help="portal sign-in name (optional)")
@click.option("--password", default=None, help="portal password (optional)")
def users_add(
    role: str, name: str, npi: str | None, username: str | None, password: str | None
) -> None:
    """Create a user and print its bearer token alone on the last line."""
    from precert.users.service import add_user

    settings = _settings()
    sessions = make_sessionmaker(make_engine(settings.database_url))
    try:
        with transaction(sessions) as session:
            user, token = add_user(
                session,
                role=role,
                name=name,
                npi=npi,
                username=username,
                password_hash=_hash_password(password),
            )
            user_id = user.id
    except DomainError as exc:
        for problem in exc.fields:
            click.echo(f"error: {problem.field}: {problem.message}", err=True)
        sys.exit(2)
    click.echo(f"created user {user_id} ({role}{', NPI ' + npi if npi else ''}); bearer token:")
    click.echo(token)


def _hash_password(password: str | None) -> str | None:
    if password is None:
        return None
    from precert.users.sign_in import hash_password

    return hash_password(password)


@main.group()
def policy() -> None:
    """The policy in effect."""


@policy.command("show")
@click.argument("day", required=False, metavar="[DATE]")
@click.option(
    "--on", "--date", "on", default=None, help="date (YYYY-MM-DD); default today in Missouri"
)
@click.option("--json", "as_json", is_flag=True, help="print the policy as JSON")
def policy_show(day: str | None, on: str | None, as_json: bool) -> None:
    """Print the policy in effect on DATE (or --on DATE; default today in Missouri)."""
    settings = _settings()
    when = _date_option(on or day, settings)
    try:
        current = _policies(settings).in_effect(when)
    except (LookupError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(current.model_dump(mode="json"), indent=2))
        return
    from precert.policy.show import render

    click.echo(render(current, when))


@policy.command("lint")
@click.option("--on", "on", default=None, help="date (YYYY-MM-DD); default today in Missouri")
def policy_lint(on: str | None) -> None:
    """Warn about codes that are no longer billable (warnings, never a failure)."""
    from precert.policy.lint import lint_policy

    settings = _settings()
    day = _date_option(on, settings)
    try:
        books = _policies(settings)
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    for current in books.policies:
        warnings = lint_policy(current, today=day)
        click.echo(
            f"policy {current.version} (from {current.effective_from}): {len(warnings)} warning(s)"
        )
        for warning in warnings:
            click.echo(f"  {warning}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="load the demo data and exit")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Load synthetic demo rosters and users (printing their tokens) and serve."""
    from precert.demo.load import load_demo
    from precert.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    for line in load_demo(settings, _policies(settings)):
        click.echo(line)
    if not no_serve:
        base = f"http://{host}:{port}"
        click.echo(f"serving on {base}  (API docs: {base}/docs)")
        click.echo(
            f"FHIR (Da Vinci PAS, DTR): {base}/fhir/metadata  CRD: {base}/cds-services  "
            f"X12 278: POST {base}/x12/278"
        )
        _serve(host, port, 1)


@main.group()
def claims() -> None:
    """Claims-time checks."""


def _writable(out: Path) -> bool:
    """Whether the result file can be written (its folder, too: it is written beside it)."""
    folder = out.parent
    if not (folder.is_dir() and os.access(folder, os.W_OK)):
        return False
    return not out.exists() or (out.is_file() and os.access(out, os.W_OK))


@claims.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="result file (default: FILE.results.csv)",
)
@click.option(
    "--chunk",
    default=None,
    type=click.IntRange(1, 1_000_000),
    help="lines per transaction (default: 250,000 from a plain CSV file on SQLite, else 20,000)",
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 16),
    help="processes deciding on PostgreSQL (default: 2 for a large file, else 1)",
)
def claims_import(file: Path, out: Path | None, chunk: int | None, workers: int | None) -> None:
    """Decide and record claim lines from CSV or X12 837P (all rows or none)."""
    from precert.claims.importer import import_file
    from precert.claims.workers import PartFailed

    settings = _settings()
    sessions = make_sessionmaker(make_engine(settings.database_url))
    out = out or file.with_name(file.name + ".results.csv")
    if not _writable(out):  # checked before anything is recorded
        click.echo(
            f"--out: cannot write the result file {out} (no such folder, or no right to)",
            err=True,
        )
        sys.exit(2)
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if not sys.stderr.isatty():
            return
        if bar is None:
            bar = click.progressbar(length=total, label="recording", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        summary = import_file(
            file,
            out,
            sessions,
            _policies(settings),
            chunk=chunk,
            workers=workers,
            progress=progress,
        )
    except (DBAPIError, PartFailed) as exc:
        error = exc.error if isinstance(exc, PartFailed) else type(exc.orig).__name__
        click.echo(
            f"cannot use the database ({error}); is it migrated? Run `precert db upgrade`.",
            err=True,
        )
        sys.exit(2)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if summary.problems:
        shown = summary.problems[:1000]
        click.echo(f"{file}: nothing recorded; {len(summary.problems)} problem(s):", err=True)
        for problem in shown:
            click.echo(f"  {problem}", err=True)
        if len(summary.problems) > len(shown):
            click.echo(f"  ... and {len(summary.problems) - len(shown)} more", err=True)
        sys.exit(1)
    counts = ", ".join(f"{n} {k}" for k, n in summary.outcomes.items())
    click.echo(
        f"{file}: {summary.lines} lines recorded ({counts}); units billed "
        f"{summary.units_billed}, covered {summary.units_covered}; {summary.seconds:.1f} s "
        f"({summary.rate:,.0f} lines/s); results in {out}"
    )


@main.group()
def x12() -> None:
    """X12 278 (005010X217) prior-authorization requests."""


@x12.command("278")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--token", envvar="PRECERT_TOKEN", default=None, help="bearer token (or PRECERT_TOKEN)"
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="write the answer to this file (default: stdout)",
)
def x12_278(file: Path, token: str | None, out: Path | None) -> None:
    """Decide the 278 request in FILE as the token's user: a 278 response (exit 0) or a 999
    rejecting the interchange (exit 1); 2 for a usage error."""
    from precert.interop.x12.command import run

    settings = _settings()
    sys.exit(run(file, token, out, settings, _policies(settings)))


@main.command()
def expire() -> None:
    """Record the expiry of every request whose wait for step 2 is over."""
    from precert.precerts.expiry import expire_overdue

    settings = _settings()
    sessions = make_sessionmaker(make_engine(settings.database_url))
    with transaction(sessions) as session:
        count = expire_overdue(session, today=settings.current_date())
    click.echo(f"{count} request(s) expired")


def _date_option(value: str | None, settings: Settings) -> date:
    if value is None:
        return settings.current_date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date written YYYY-MM-DD", param_hint="--on"
        ) from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group()
def subscriptions() -> None:
    """FHIR subscription notifications (Da Vinci PAS results)."""


@subscriptions.command("deliver")
def subscriptions_deliver() -> None:
    """Deliver the notifications that are due now, once (the server's worker does it too)."""
    import asyncio

    from precert.interop.subscriptions.delivery import deliver_due

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        sent = asyncio.run(deliver_due(make_sessionmaker(engine), settings=settings))
    finally:
        engine.dispose()
    click.echo(f"{sent.delivered} delivered, {sent.failed} failed (kept for a later try)")


if __name__ == "__main__":  # pragma: no cover
    main()
