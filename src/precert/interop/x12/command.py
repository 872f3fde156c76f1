"""`precert x12 278 FILE`: decide a 278 request file as the API would, with a token's user.

Exit codes: 0 with a 278 response (also one carrying AAA rejections), 1 with a 999 (the
interchange was rejected), 2 for a usage error (no token, a token that is not valid, a file
that cannot be read or written, a database that is not migrated). Messages go to stderr.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from precert.common.context import Context
from precert.db import make_engine, make_sessionmaker, transaction
from precert.interop.x12.service import Answer, Rejected, decide, read
from precert.users.service import actor_for_token

OK, REJECTED, USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the command was called; its message says what to do."""


def run(file: Path, token: str | None, out: Path | None, settings: Any, policies: Any) -> int:
    """Decide `file`; write the answer to `out` or stdout; return the exit code."""
    try:
        _check_writable(out)  # before anything is decided: a decision is never lost
        answer = _answer(file, token, settings, policies)
        _write(answer.text, out)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    for problem in answer.problems:
        print(f"{file}: {problem}", file=sys.stderr)
    if answer.kind == "999":
        print(f"{file}: rejected with a 999 ({len(answer.problems)} problem(s))", file=sys.stderr)
        return REJECTED
    if answer.precert_id:
        print(f"{file}: decided; pre-certification {answer.precert_id}", file=sys.stderr)
    return OK


def _answer(file: Path, token: str | None, settings: Any, policies: Any) -> Answer:
    if not token:
        raise UsageError("give a bearer token with --token or PRECERT_TOKEN")
    try:
        raw = file.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    parsed = read(raw, datetime.now(UTC))
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        with transaction(sessions, write=not isinstance(parsed, Answer)) as session:
            actor = actor_for_token(session, token.strip())
            if actor is None:
                raise UsageError("the bearer token is not valid")
            if isinstance(parsed, Answer):
                return parsed
            ctx = Context(
                session=session,
                actor=actor,
                policies=policies,
                today=settings.current_date(),
                now=datetime.now(UTC),
            )
            return decide(ctx, parsed, raw)
    except Rejected as rejected:
        return rejected.answer
    except DBAPIError as exc:
        raise UsageError(
            f"cannot use the database ({type(exc.orig).__name__}); is it migrated? "
            "Run `precert db upgrade`."
        ) from None
    finally:
        engine.dispose()


def _check_writable(out: Path | None) -> None:
    if out is None:
        return
    folder = out.parent
    if not (folder.is_dir() and os.access(folder, os.W_OK)) or out.is_dir():
        raise UsageError(f"--out: cannot write {out} (no such folder, or no right to)")
    if out.exists() and not os.access(out, os.W_OK):
        raise UsageError(f"--out: cannot write {out} (no right to)")


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out: cannot write {out}: {exc.strerror or exc}") from None
