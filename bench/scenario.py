"""One database's run: migrate, seed, serve, then the ceiling, step 1 and step 2 over HTTP."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.load import LoadResult, encode, run_fixed, run_timed
from bench.server import CONSTANT_BODY, ServerProcess
from precert.db import make_engine, make_sessionmaker, transaction
from precert.migrate import upgrade
from precert.participants.roster import load_participants
from precert.policy.loader import default_policy_book
from precert.providers.roster import load_providers
from precert.rules.codes import npi_with_check_digit
from precert.users.service import add_user

START = "2026-03-10"
UNITS = 8
# Each therapy's performing provider type and one CPT code on its list.
THERAPIES = {
    "physical_therapy": ("physical_therapist", "97110"),
    "chiropractic": ("chiropractor", "98940"),
    "acupuncture": ("acupuncturist", "97810"),
}


@dataclass(frozen=True)
class Seeded:
    npis: dict[str, str]
    tokens: dict[str, str]
    participants: list[str]


@dataclass
class DatabaseResult:
    name: str
    ceiling: LoadResult
    skeleton: LoadResult
    referrals: LoadResult
    completions: LoadResult
    outcomes: dict[str, int]
    server_errors: int


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create `precert_bench_<random>` next to `admin_url`'s database; drop it afterwards."""
    name = f"precert_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_reachable(url: str) -> str | None:
    """Return None if a connection to `url` works, else why not."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any driver or network failure means "skip, and say why"
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


def seed(url: str, workdir: Path, participants: int) -> Seeded:
    """Migrate, then load rosters (through the CSV loaders) and users in one transaction."""
    upgrade(url)
    ids = [f"{30000001 + i}" for i in range(participants)]
    npis = {"physician": npi_with_check_digit("000000001")}
    for number, (kind, _) in enumerate(THERAPIES.values(), start=2):
        npis[kind] = npi_with_check_digit(f"{number:09d}")
    people = workdir / "participants.csv"
    with people.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "participant_id",
                "first_name",
                "last_name",
                "birth_date",
                "eligibility_start",
                "eligibility_end",
            ]
        )
        out.writerows(
            [pid, "Bench", f"Participant {pid}", "1980-01-01", "2020-01-01", ""] for pid in ids
        )
    providers = workdir / "providers.csv"
    with providers.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["npi", "name", "provider_type", "enrollment_start", "enrollment_end"])
        out.writerows([npi, f"Bench {kind}", kind, "2020-01-01", ""] for kind, npi in npis.items())
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    try:
        with transaction(make_sessionmaker(engine)) as session:
            _, problems = load_participants(session, people)
            assert not problems, problems
            kinds = default_policy_book().policies[-1].provider_types
            _, problems = load_providers(session, providers, provider_types=kinds)
            assert not problems, problems
            for kind, npi in npis.items():
                role = "physician" if kind == "physician" else "provider"
                _, tokens[kind] = add_user(session, role=role, name=f"bench {kind}", npi=npi)
    finally:
        engine.dispose()
    return Seeded(npis, tokens, ids)


def run_database(
    name: str,
    url: str,
    workdir: Path,
    *,
    participants: int,
    clients: int,
    ceiling_seconds: float,
) -> DatabaseResult:
    """Seed `url`, serve it with one worker, and measure the ceiling, step 1 and step 2."""
    seeded = seed(url, workdir, participants)
    with ServerProcess(url, workdir, workers=1) as server:
        host, port = "127.0.0.1", server.port
        address = f"{host}:{port}"

        def auth(kind: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {seeded.tokens[kind]}"}

        constant = encode("POST", "/bench/constant", host=address, headers={}, body=CONSTANT_BODY)
        run_timed(host, port, constant, clients=clients, seconds=0.5)  # warm up
        ceiling = run_timed(host, port, constant, clients=clients, seconds=ceiling_seconds)
        bare = encode(
            "POST", "/bench/skeleton", host=address, headers=auth("physician"), body=CONSTANT_BODY
        )
        skeleton = run_timed(host, port, bare, clients=clients, seconds=ceiling_seconds / 2)

        plan = [(pid, therapy) for therapy in THERAPIES for pid in seeded.participants]
        referral_requests = [
            encode(
                "POST",
                "/api/v1/precerts",
                host=address,
                headers=auth("physician"),
                body={
                    "participant_id": pid,
                    "prescriber_npi": seeded.npis["physician"],
                    "therapy": therapy,
                    "diagnosis_codes": ["M54.50"],
                    "plan_of_care_date": "2026-03-01",
                    "start_date": START,
                },
            )
            for pid, therapy in plan
        ]
        referrals = run_fixed(host, port, referral_requests, clients=clients, keep_bodies=True)
        if referrals.statuses != {201: len(plan)}:
            raise RuntimeError(
                f"step 1 failed: {dict(referrals.statuses)}; first answers: "
                f"{[b[:300] for b in referrals.bodies[:3]]}\n{server.log_tail()}"
            )
        precert_ids = [json.loads(body)["id"] for body in referrals.bodies]

        completion_requests = []
        for (_, therapy), precert_id in zip(plan, precert_ids, strict=True):
            kind, code = THERAPIES[therapy]
            completion_requests.append(
                encode(
                    "POST",
                    f"/api/v1/precerts/{precert_id}/completion",
                    host=address,
                    headers=auth(kind),
                    body={
                        "provider_npi": seeded.npis[kind],
                        "procedure_codes": [code],
                        "units": UNITS,
                        "start_date": START,
                    },
                )
            )
        completions = run_fixed(host, port, completion_requests, clients=clients, keep_bodies=True)
        outcomes: dict[str, int] = {}
        for body in completions.bodies:
            try:
                answer = json.loads(body)
                outcome = str(answer.get("status") or answer.get("error"))
            except ValueError:
                outcome = "not JSON"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        server_errors = server.logged_errors()
    return DatabaseResult(name, ceiling, skeleton, referrals, completions, outcomes, server_errors)
