"""The bench server: the real application plus two bare endpoints, and the process serving it.

`create_bench_app` is what uvicorn runs (`--factory`): the application exactly as `precert serve`
builds it, with two more routes:

- `POST /bench/constant` parses a 15-field JSON body and returns a constant. Its rate on the same
  server is the ceiling the completions are held against.
- `POST /bench/skeleton` takes the same dependencies as the API's write routes (a write
  transaction, the bearer token looked up) and returns a constant: what a completion costs
  before it does any work of its own. A diagnostic, not a target.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from types import TracebackType

from fastapi import FastAPI, Request
from pydantic import BaseModel

from precert.api import in_transaction
from precert.app import create_app

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-03-02"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class ConstantIn(BaseModel):
    """Fifteen fields, about the size and shape of a step-2 body with its context."""

    participant_id: str
    prescriber_npi: str
    provider_npi: str
    therapy: str
    diagnosis_codes: list[str]
    procedure_codes: list[str]
    units: int
    plan_of_care_date: date
    start_date: date
    channel: str
    priority: str
    note: str
    first_name: str
    last_name: str
    birth_date: date


CONSTANT = {"status": "ok"}

CONSTANT_BODY = {
    "participant_id": "10000001",
    "prescriber_npi": "1000000012",
    "provider_npi": "1000000020",
    "therapy": "physical_therapy",
    "diagnosis_codes": ["M54.50"],
    "procedure_codes": ["97110"],
    "units": 8,
    "plan_of_care_date": "2026-03-01",
    "start_date": "2026-03-10",
    "channel": "api",
    "priority": "routine",
    "note": "bench",
    "first_name": "Test",
    "last_name": "Participant",
    "birth_date": "1980-01-01",
}


def create_bench_app() -> FastAPI:
    """The application with `POST /bench/constant` added (settings from PRECERT_* variables)."""
    app = create_app()

    @app.post("/bench/constant", include_in_schema=False)
    async def constant(body: ConstantIn) -> dict[str, str]:
        return CONSTANT

    @app.post("/bench/skeleton", include_in_schema=False)
    async def skeleton(request: Request) -> dict[str, str]:
        await request.body()
        return await in_transaction(request, lambda ctx: CONSTANT)

    return app


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """`uvicorn bench.server:create_bench_app --factory` in its own process group."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 1) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.workers = workers
        self.port = free_port()
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        env = {**os.environ, "PRECERT_DATABASE_URL": self.database_url, "PRECERT_TODAY": TODAY}
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.server:create_bench_app",
            "--factory",
            "--app-dir",
            str(ROOT),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                opener.open(f"{self.base_url}/healthz", timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"no answer on /healthz within {STARTUP_TIMEOUT:.0f} s")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def logged_errors(self) -> int:
        """Count the errors the server logged (one line per failed request)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return sum(1 for line in text.splitlines() if " ERROR " in line or "ERROR:" in line)
