"""`python -m bench`: run every phase once and print one table (exit 0 even when targets miss)."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.claims import ClaimsResult, run_claims
from bench.engine import EngineResult, run_engine
from bench.load import LoadResult
from bench.scenario import (
    DatabaseResult,
    postgres_database,
    postgres_reachable,
    run_database,
    sqlite_database,
)
from bench.server import ROOT

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Targets of issue 4: a million lines decided and recorded, and /claims/check latency.
CLAIMS_SECONDS_TARGET = {"sqlite": 20.0, "postgresql": 60.0}
CHECK_P99_TARGET_MS = 50.0

# Targets of issue 2, section 8.
ENGINE_TARGET = 100_000
RATIO_TARGET = {"sqlite": 0.25, "postgresql": 0.20}
P99_TARGET_MS = 100.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="server to create the bench database on (default: PRECERT_TEST_POSTGRES_URL, "
        f"else {LOCAL_POSTGRES} if it answers)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument(
        "--participants",
        type=int,
        default=2000,
        help="participants, each with one request per therapy to complete (2000)",
    )
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument(
        "--claims-lines", type=int, default=1_000_000, help="claim lines to import (1,000,000)"
    )
    parser.add_argument(
        "--claims-participants", type=int, default=100_000, help="participants (100,000)"
    )
    parser.add_argument("--no-claims", action="store_true", help="skip the claims phase")
    parser.add_argument("--no-api", action="store_true", help="skip the step 1/step 2 phase")
    parser.add_argument("--engine-seconds", type=float, default=2.0)
    return parser.parse_args(argv)


def _postgres_url(args: argparse.Namespace) -> tuple[str | None, str]:
    """Return the PostgreSQL URL to use, or None and why it is skipped."""
    if args.no_postgres:
        return None, "skipped (--no-postgres)"
    url = args.postgres_url or os.environ.get("PRECERT_TEST_POSTGRES_URL")
    if url:
        problem = postgres_reachable(url)
        return (url, "") if problem is None else (None, f"skipped: {url} unreachable: {problem}")
    if postgres_reachable(LOCAL_POSTGRES) is None:
        return LOCAL_POSTGRES, ""
    return None, (
        "skipped: set PRECERT_TEST_POSTGRES_URL or pass --postgres-url "
        f"({LOCAL_POSTGRES} does not answer)"
    )


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    began = time.perf_counter()
    print(_header(args), flush=True)

    print(f"engine: {args.engine_seconds:g} s per decision kind ...", flush=True)
    engine = run_engine(args.engine_seconds)

    databases: list[DatabaseResult] = []
    notes: list[str] = []
    pg_url, pg_note = _postgres_url(args)
    runs: list[tuple[str, str | None]] = [("sqlite", None)]
    if pg_url:
        runs.append(("postgresql", pg_url))
    else:
        notes.append(f"PostgreSQL {pg_note}")
    claims: list[ClaimsResult] = []
    for name, admin_url in runs:
        if not args.no_claims:
            print(
                f"{name}: claims: seeding {args.claims_participants:,} participants, importing "
                f"{args.claims_lines:,} lines (with a tenth and a quarter), then /claims/check ...",
                flush=True,
            )
            with tempfile.TemporaryDirectory(prefix=f"precert-claims-{name}-") as tmp:
                database = (
                    sqlite_database(Path(tmp))
                    if admin_url is None
                    else postgres_database(admin_url)
                )
                try:
                    with database as url:
                        claims.append(
                            run_claims(
                                name,
                                url,
                                Path(tmp),
                                lines=args.claims_lines,
                                participants=args.claims_participants,
                                clients=args.clients,
                            )
                        )
                except Exception as exc:  # report and go on
                    notes.append(f"{name} claims failed: {exc}")
        if args.no_api:
            continue
        print(
            f"{name}: seeding {args.participants} participants, then the ceiling, "
            f"{3 * args.participants} step-1 and {3 * args.participants} step-2 requests ...",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix=f"precert-bench-{name}-") as tmp:
            workdir = Path(tmp)
            database = (
                sqlite_database(workdir) if admin_url is None else postgres_database(admin_url)
            )
            try:
                with database as url:
                    databases.append(
                        run_database(
                            name,
                            url,
                            workdir,
                            participants=args.participants,
                            clients=args.clients,
                            ceiling_seconds=args.ceiling_seconds,
                        )
                    )
            except Exception as exc:  # report and go on: a benchmark never fails the build
                notes.append(f"{name} failed: {exc}")
    print()
    print(report(engine, databases, args.clients))
    if claims:
        print()
        print(claims_report(claims, args.clients))
    for note in notes:
        print(f"note: {note}")
    print(f"\nbench finished in {time.perf_counter() - began:.0f} s")
    return 0


def _header(args: argparse.Namespace) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return (
        f"precert bench  commit {commit or '?'}  Python {platform.python_version()}  "
        f"{os.cpu_count()} CPUs  {args.clients} clients  1 uvicorn worker  ({sys.platform})"
    )


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(engine: list[EngineResult], databases: list[DatabaseResult], clients: int) -> str:
    lines = ["Pure decision engine, one core"]
    for result in engine:
        lines.append(
            f"  {result.name:<20} {result.per_second:>12,.0f} decisions/s   "
            f"target >= {ENGINE_TARGET:,}  {_verdict(result.per_second >= ENGINE_TARGET)}"
        )
    if not databases:
        return "\n".join(lines)
    names = [d.name for d in databases]
    width = 22
    lines += ["", f"HTTP, {clients} keep-alive clients, one uvicorn worker"]
    lines.append(f"  {'':<34}" + "".join(f"{n:>{width}}" for n in names))

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"  {label:<34}" + "".join(f"{c:>{width}}" for c in cells))

    def latency(result: LoadResult) -> str:
        return f"{result.percentile(50):.1f} / {result.percentile(99):.1f}"

    row("bare ceiling, req/s", [f"{d.ceiling.rate:,.0f}" for d in databases])
    row("  p50 / p99 ms", [latency(d.ceiling) for d in databases])
    row("  load generator CPU", [f"{d.ceiling.client_cpu_share:.0%}" for d in databases])
    row("skeleton (auth + write tx), req/s", [f"{d.skeleton.rate:,.0f}" for d in databases])
    row("  p50 / p99 ms", [latency(d.skeleton) for d in databases])
    row("step 1 referrals, req/s", [f"{d.referrals.rate:,.0f}" for d in databases])
    row("  p50 / p99 ms", [latency(d.referrals) for d in databases])
    row("step 2 completions, req/s", [f"{d.completions.rate:,.0f}" for d in databases])
    row("  p50 / p99 ms", [latency(d.completions) for d in databases])
    row("  load generator CPU", [f"{d.completions.client_cpu_share:.0%}" for d in databases])
    row(
        "  answers",
        [", ".join(f"{k} {v}" for k, v in sorted(d.outcomes.items())) for d in databases],
    )
    row("  server errors logged", [str(d.server_errors) for d in databases])
    lines.append("")
    lines.append("Targets")
    for d in databases:
        ratio = d.completions.rate / d.ceiling.rate if d.ceiling.rate else 0.0
        target = RATIO_TARGET.get(d.name, 0.25)
        p99 = d.completions.percentile(99)
        clean = d.outcomes.get("approved", 0) == d.completions.requests
        lines.append(
            f"  {d.name:<11} completions/ceiling {ratio:6.1%} (>= {target:.0%}) "
            f"{_verdict(ratio >= target):<7}  p99 {p99:6.1f} ms (< {P99_TARGET_MS:.0f}) "
            f"{_verdict(p99 < P99_TARGET_MS):<7}  all approved {_verdict(clean)}"
        )
    return "\n".join(lines)


def claims_report(results: list[ClaimsResult], clients: int) -> str:
    lines = ["Claims (precert claims import; the ratio to reading and parsing is the figure)"]
    for r in results:
        target = CLAIMS_SECONDS_TARGET.get(r.name, 60.0) * r.lines / 1_000_000
        check = r.check
        p99 = check.percentile(99) if check else float("nan")
        lines += [
            f"  {r.name}: {r.lines:,} lines against {r.participants:,} participants",
            f"    csv.reader alone            {r.csv_rate:>12,.0f} lines/s",
            f"    csv + read_line (parse)     {r.parse_rate:>12,.0f} lines/s",
            f"    import (decide + record)    {r.import_rate:>12,.0f} lines/s  "
            f"{r.import_seconds:.1f} s  (target < {target:.0f} s  "
            f"{_verdict(r.import_seconds < target)})  ratio to parse {r.ratio:.1%}",
            f"    peak memory                 {r.peak_rss_mb:>9,.0f} MB for {r.lines:,} lines, "
            f"{r.quarter_peak_rss_mb:,.0f} MB for {r.quarter_lines:,}, "
            f"{r.small_peak_rss_mb:,.0f} MB for {r.small_lines:,}",
            f"    {r.outcome_line}",
        ]
        if check:
            lines.append(
                f"    /claims/check, {clients} clients: {check.rate:,.0f} req/s, p50 "
                f"{check.percentile(50):.1f} ms, p99 {p99:.1f} ms (< {CHECK_P99_TARGET_MS:.0f} "
                f"{_verdict(p99 < CHECK_P99_TARGET_MS)}), answers {dict(check.statuses)}"
            )
    return "\n".join(lines)
