"""Claims at batch scale: `precert claims import` of a synthetic file, against reading it.

Seeds participants with one approved pre-certification each (bulk inserts), writes a CSV of
claim lines against them, then measures, in one run:
- reading the file with `csv` alone, and reading and parsing every line (`read_line`);
- `precert claims import` of a tenth of the file first (so some pre-certifications are partly
  used), then of the whole file in a child process (wall time, peak memory), then of a quarter
  of it (on SQLite one full chunk of the columnar lane, which a tenth is not), so a flat memory
  shows as the same peak;
- the per-line latency of `POST /api/v1/claims/check` at N concurrent clients.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.load import LoadResult, encode, run_fixed
from bench.server import ServerProcess
from precert.claims.lines import FIELDS, read_line
from precert.db import make_engine, make_sessionmaker, transaction
from precert.migrate import upgrade
from precert.models import EligibilitySpan, EnrollmentSpan, Participant, Precert, Provider
from precert.rules.codes import npi_with_check_digit
from precert.users.service import add_user

START = date(2026, 1, 5)
END = date(2027, 1, 4)
THERAPIES = {
    "physical_therapy": ("physical_therapist", ["97110", "97530"]),
    "chiropractic": ("chiropractor", ["98940", "98941"]),
    "acupuncture": ("acupuncturist", ["97810", "97811"]),
}
APPROVED_UNITS = 24


@dataclass
class ClaimsResult:
    name: str
    lines: int
    participants: int
    csv_rate: float
    parse_rate: float
    import_seconds: float
    import_rate: float
    peak_rss_mb: float
    small_lines: int
    small_peak_rss_mb: float
    quarter_lines: int
    quarter_peak_rss_mb: float
    outcome_line: str
    check: LoadResult | None

    @property
    def ratio(self) -> float:
        return self.import_rate / self.parse_rate if self.parse_rate else 0.0


def seed(url: str, participants: int) -> tuple[dict[str, str], str]:
    """Bulk-insert participants, providers and one approved pre-certification each."""
    upgrade(url)
    npis = {
        kind: npi_with_check_digit(f"{n:09d}")
        for n, (kind, _) in enumerate(THERAPIES.values(), start=2)
    }
    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            conn = session.connection()
            conn.execute(
                insert(Provider),
                [
                    {"npi": npi, "name": f"Bench {kind}", "provider_type": kind}
                    for kind, npi in npis.items()
                ],
            )
            conn.execute(
                insert(EnrollmentSpan),
                [
                    {"npi": npi, "start_date": date(2020, 1, 1), "end_date": None}
                    for npi in npis.values()
                ],
            )
            therapies = list(THERAPIES)
            for first in range(0, participants, 20_000):
                ids = [f"{40000001 + i}" for i in range(first, min(first + 20_000, participants))]
                conn.execute(
                    insert(Participant),
                    [
                        {
                            "participant_id": pid,
                            "first_name": "Bench",
                            "last_name": pid,
                            "birth_date": date(1980, 1, 1),
                        }
                        for pid in ids
                    ],
                )
                conn.execute(
                    insert(EligibilitySpan),
                    [
                        {"participant_id": pid, "start_date": date(2020, 1, 1), "end_date": None}
                        for pid in ids
                    ],
                )
                rows = []
                for pid in ids:
                    therapy = therapies[int(pid) % 3]
                    kind, codes = THERAPIES[therapy]
                    rows.append(
                        {
                            "id": f"PC-B{pid}",
                            "status": "approved",
                            "priority": "standard",
                            "participant_id": pid,
                            "therapy": therapy,
                            "prescriber_npi": npi_with_check_digit("000000001"),
                            "provider_npi": npis[kind],
                            "diagnosis_codes": ["M54.50"],
                            "plan_of_care_date": START,
                            "referral_start_date": START,
                            "requested_procedure_codes": codes,
                            "procedure_codes": codes,
                            "requested_units": APPROVED_UNITS,
                            "approved_units": APPROVED_UNITS,
                            "used_units": 0,
                            "start_date": START,
                            "end_date": END,
                            "ledger_key": "calendar:2026-01-01",
                            "reasons": [],
                            "policy_version": "bench",
                            "created_on": START,
                            "expires_on": START + timedelta(days=90),
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                conn.execute(insert(Precert), rows)
            _, token = add_user(session, role="claims_system", name="bench claims")
    finally:
        engine.dispose()
    return npis, token


def write_lines(
    path: Path, lines: int, participants: int, npis: dict[str, str], *, prefix: str = "BC"
) -> None:
    """A synthetic batch: mostly covered, some billed by another NPI or past the units."""
    rng = random.Random(2026)
    therapies = list(THERAPIES)
    other = npi_with_check_digit("999999999")
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(FIELDS)
        for i in range(lines):
            pid = 40000001 + rng.randrange(participants)
            therapy = therapies[pid % 3]
            kind, codes = THERAPIES[therapy]
            billing = npis[kind] if rng.random() > 0.03 else other
            service = START + timedelta(days=rng.randrange(360))
            out.writerow(
                (
                    f"{prefix}{i:09d}",
                    1,
                    "original",
                    "",
                    pid,
                    billing,
                    billing,
                    codes[i % 2],
                    "M54.50",
                    service.isoformat(),
                    rng.randint(1, 4),
                )
            )


def read_rates(path: Path) -> tuple[float, float]:
    """Return lines/s of `csv` alone, and of `csv` plus `read_line` on every row."""
    began = time.perf_counter()
    with path.open(newline="") as handle:
        count = sum(1 for _ in csv.reader(handle)) - 1
    csv_rate = count / (time.perf_counter() - began)
    began = time.perf_counter()
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for values in reader:
            line, problems = read_line(dict(zip(header, values, strict=True)))
            assert line is not None, problems
    return csv_rate, count / (time.perf_counter() - began)


def run_import(url: str, path: Path, workdir: Path) -> tuple[float, float, str]:
    """Run `precert claims import` in a child process; return seconds, peak RSS (MB), summary."""
    env = {**os.environ, "PRECERT_DATABASE_URL": url, "PRECERT_TODAY": "2026-03-02"}
    began = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "precert.cli",
            "claims",
            "import",
            str(path),
            "--out",
            str(workdir / f"{path.stem}.results.csv"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    out = child.stdout.read() if child.stdout else ""
    err = child.stderr.read() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"claims import failed ({child.returncode}): {err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[-1] if out else ""


def run_check_latency(url: str, workdir: Path, token: str, lines: Path, clients: int) -> LoadResult:
    with lines.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [
            dict(zip(header, values, strict=True))
            for _, values in zip(range(4000), reader, strict=False)
        ]
    with ServerProcess(url, workdir, workers=1) as server:
        address = f"127.0.0.1:{server.port}"
        headers = {"Authorization": f"Bearer {token}"}
        requests = [
            encode(
                "POST",
                "/api/v1/claims/check",
                host=address,
                headers=headers,
                body={
                    "lines": [
                        {
                            **row,
                            "units": int(row["units"]),
                            "line_number": int(row["line_number"]),
                            "diagnosis_codes": [row["diagnosis_codes"]],
                        }
                    ]
                },
            )
            for row in rows
        ]
        run_fixed("127.0.0.1", server.port, requests[:200], clients=clients)  # warm up
        return run_fixed("127.0.0.1", server.port, requests, clients=clients)


def run_claims(
    name: str, url: str, workdir: Path, *, lines: int, participants: int, clients: int
) -> ClaimsResult:
    npis, token = seed(url, participants)
    small, quarter = max(lines // 10, 1), max(lines // 4, 1)
    big_file, small_file = workdir / "claims.csv", workdir / "claims-small.csv"
    quarter_file = workdir / "claims-quarter.csv"
    write_lines(big_file, lines, participants, npis)
    write_lines(small_file, small, participants, npis, prefix="SC")
    write_lines(quarter_file, quarter, participants, npis, prefix="QC")
    csv_rate, parse_rate = read_rates(big_file)
    _, small_rss, _ = run_import(url, small_file, workdir)
    seconds, rss, summary = run_import(url, big_file, workdir)
    _, quarter_rss, _ = run_import(url, quarter_file, workdir)
    check = run_check_latency(url, workdir, token, big_file, clients)
    return ClaimsResult(
        name,
        lines,
        participants,
        csv_rate,
        parse_rate,
        seconds,
        lines / seconds,
        rss,
        small,
        small_rss,
        quarter,
        quarter_rss,
        summary,
        check,
    )
