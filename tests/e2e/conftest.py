"""A real server process for the end-to-end tests.

`live_server` migrates a fresh database (a SQLite file, or a new PostgreSQL database), seeds the
rosters and users with the `World` factory, starts `uvicorn precert.app:create_app --factory`
with two worker processes (so two processes really contend for the locks), waits until both
workers have started and `/healthz` answers, and kills the process group at teardown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from precert.migrate import upgrade
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL, World

SERVER_TODAY = "2026-03-02"
WORKERS = 2
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PARTICIPANTS = 12

# The performing provider type of each therapy, and a CPT code of that therapy.
THERAPIES = {
    "physical_therapy": ("physical_therapist", "97110"),
    "chiropractic": ("chiropractor", "98940"),
    "acupuncture": ("acupuncturist", "97810"),
}


@dataclass(frozen=True)
class Roster:
    """Who the seeded database knows: NPIs by provider type and a bearer header for each."""

    npis: dict[str, str]
    headers: dict[str, dict[str, str]]
    participants: tuple[str, ...]


@dataclass(frozen=True)
class LiveServer:
    backend: str
    base_url: str
    database_url: str
    log_path: Path
    roster: Roster

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def _tail(path: Path, lines: int) -> str:
    """Return the last lines of the log, without the frames of tracebacks."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    kept = [line for line in text.splitlines() if line and not line[0].isspace()]
    return "\n".join(kept[-lines:])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def e2e_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return the URL of a fresh database built by running the migrations."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'precert.db'}"
        upgrade(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    name = f"precert_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def seed(url: str) -> Roster:
    """Load a physician, one performing provider per therapy, staff, and some participants."""
    world = World(url)
    try:
        npis = {"physician": world.provider(1, "physician")}
        headers = {"physician": world.user("physician", npis["physician"])}
        for number, (kind, _) in enumerate(THERAPIES.values(), start=2):
            npis[kind] = world.provider(number, kind)
            headers[kind] = world.user("provider", npis[kind])
        headers["staff"] = world.user("staff")
        participants = tuple(world.participant(f"{20000001 + i}") for i in range(PARTICIPANTS))
    finally:
        world.close()
    return Roster(npis=npis, headers=headers, participants=participants)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    url: str, workdir: Path, *, workers: int = WORKERS
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start uvicorn in its own process group; return it, its base URL and its log file."""
    port = free_port()
    log_path = workdir / "server.log"
    env = {**os.environ, "PRECERT_DATABASE_URL": url, "PRECERT_TODAY": SERVER_TODAY}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "precert.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{port}", log_path


def wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, log_path: Path, *, workers: int = WORKERS
) -> None:
    """Wait (bounded) until every worker has started and /healthz answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {process.returncode}:\n{_tail(log_path, 40)}"
                )
            started = log_path.read_text(errors="replace").count("Application startup complete")
            if started >= workers:
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
    raise RuntimeError(
        f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s:\n{_tail(log_path, 40)}"
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group (the supervisor and its workers)."""
    if process.poll() is not None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The group is the server's own (start_new_session); its leader is not reaped yet.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


@pytest.fixture
def live_server(e2e_database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A running server with two workers on a freshly migrated and seeded database."""
    backend = make_url(e2e_database_url).get_backend_name()
    roster = seed(e2e_database_url)
    process, base_url, log_path = start_server(e2e_database_url, tmp_path)
    try:
        try:
            wait_until_ready(process, base_url, log_path)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield LiveServer(backend, base_url, e2e_database_url, log_path, roster)
    finally:
        stop_server(process)
