"""The `precert` command, run through click's CliRunner against a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from precert.app import create_app
from precert.cli import main
from precert.config import Settings
from tests.conftest import TODAY, npi

PARTICIPANTS_HEADER = (
    "participant_id,first_name,last_name,birth_date,eligibility_start,eligibility_end\n"
)
PROVIDERS_HEADER = "npi,name,provider_type,enrollment_start,enrollment_end\n"

GOOD_PARTICIPANTS = PARTICIPANTS_HEADER + (
    "10000001,Alex,Test,1980-04-12,2020-01-01,\n"
    "10000002,Jordan,Test,1975-09-30,2020-01-01,2022-06-30\n"
    "10000002,Jordan,Test,1975-09-30,2024-01-01,\n"
)
GOOD_PROVIDERS = PROVIDERS_HEADER + (
    f"{npi(1)},Dr. One,physician,2020-01-01,\n"
    f"{npi(11)},PT Clinic,physical_therapist,2020-01-01,\n"
    f"{npi(13)},Chiro Clinic,chiropractor,2020-01-01,2030-12-31\n"
)


class Cli:
    """Runs `precert` with PRECERT_DATABASE_URL pointing at one SQLite file."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.runner = CliRunner()

    def __call__(self, *args: str, expect: int | None = 0, **env: str) -> Result:
        result = self.runner.invoke(
            main, list(args), env={"PRECERT_DATABASE_URL": self.url, **env}, catch_exceptions=False
        )
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    def file(self, name: str, content: str) -> str:
        path = self.tmp_path / name
        path.write_text(content, encoding="utf-8")
        return str(path)

    def count(self, table: str) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def api(self, today: date = TODAY) -> TestClient:
        return TestClient(create_app(Settings(database_url=self.url, today=today)))


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    runner = Cli(f"sqlite:///{tmp_path / 'precert.db'}", tmp_path)
    result = runner("db", "upgrade")
    assert "head" in result.output
    yield runner


def token_of(result: Result) -> str:
    """Return the last line of the output: the token, alone."""
    return result.output.rstrip("\n").splitlines()[-1]


# -- db ----------------------------------------------------------------------------------------


def test_db_upgrade_is_idempotent(cli: Cli) -> None:
    cli("db", "upgrade")
    assert cli.count("participants") == 0


# -- load participants -------------------------------------------------------------------------


def test_good_participant_file_loads(cli: Cli) -> None:
    result = cli("load", "participants", cli.file("p.csv", GOOD_PARTICIPANTS))
    assert "2 added" in result.output
    assert cli.count("participants") == 2
    assert cli.count("eligibility_spans") == 3


def test_loading_the_same_participant_file_twice_changes_nothing(cli: Cli) -> None:
    path = cli.file("p.csv", GOOD_PARTICIPANTS)
    cli("load", "participants", path)
    before = cli.rows("SELECT * FROM eligibility_spans ORDER BY id")
    result = cli("load", "participants", path)
    assert "2 unchanged" in result.output
    assert "0 added" in result.output and "0 updated" in result.output
    assert cli.count("participants") == 2
    assert cli.rows("SELECT * FROM eligibility_spans ORDER BY id") == before


def test_reimport_replaces_a_participants_spans(cli: Cli) -> None:
    cli("load", "participants", cli.file("p.csv", GOOD_PARTICIPANTS))
    revised = PARTICIPANTS_HEADER + (
        "10000001,Alex,Test,1980-04-12,2020-01-01,2025-12-31\n"
        "10000001,Alex,Test,1980-04-12,2026-02-01,\n"
    )
    result = cli("load", "participants", cli.file("q.csv", revised))
    assert "1 updated" in result.output
    spans = cli.rows(
        "SELECT start_date, end_date FROM eligibility_spans "
        "WHERE participant_id = '10000001' ORDER BY start_date"
    )
    assert [(str(a), b if b is None else str(b)) for a, b in spans] == [
        ("2020-01-01", "2025-12-31"),
        ("2026-02-01", None),
    ]
    # The participant not in the second file keeps their spans.
    assert cli.count("eligibility_spans") == 4


def test_participant_file_with_bad_rows_loads_nothing_and_names_every_line(cli: Cli) -> None:
    bad = PARTICIPANTS_HEADER + (
        "10000001,Alex,Test,1980-04-12,2020-01-01,\n"  # line 2: good
        "1234,Bad,Id,1980-01-01,2020-01-01,\n"  # line 3
        "10000003,Bad,Date,1980-02-30,2020-01-01,\n"  # line 4
        "10000004,Bad,Span,1980-01-01,2024-01-01,2023-01-01\n"  # line 5
        "10000005,,Nameless,1980-01-01,2020-01-01,\n"  # line 6
        "10000006,Too,Few,1980-01-01\n"  # line 7
        "10000007,Fine,Person,1990-01-01,2020-01-01,\n"  # line 8: good
    )
    result = cli("load", "participants", cli.file("bad.csv", bad), expect=None)
    assert result.exit_code != 0
    out = result.output
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in out, out
    assert "line 2:" not in out and "line 8:" not in out
    assert "1234" in out
    assert "1980-02-30" in out
    assert "first_name" in out
    assert "nothing loaded" in out
    assert cli.count("participants") == 0
    assert cli.count("eligibility_spans") == 0


def test_bad_rows_do_not_touch_what_was_loaded_before(cli: Cli) -> None:
    cli("load", "participants", cli.file("p.csv", GOOD_PARTICIPANTS))
    before = cli.rows("SELECT * FROM eligibility_spans ORDER BY id")
    bad = PARTICIPANTS_HEADER + (
        "10000001,Alex,Test,1980-04-12,2021-01-01,\n10000009,X,Y,not-a-date,2020-01-01,\n"
    )
    result = cli("load", "participants", cli.file("bad.csv", bad), expect=None)
    assert result.exit_code != 0
    assert "line 3:" in result.output
    assert cli.rows("SELECT * FROM eligibility_spans ORDER BY id") == before


def test_participant_file_with_a_wrong_header_loads_nothing(cli: Cli) -> None:
    wrong = "id,first,last\n10000001,A,B\n"
    result = cli("load", "participants", cli.file("wrong.csv", wrong), expect=None)
    assert result.exit_code != 0
    assert "line 1:" in result.output
    assert cli.count("participants") == 0


def test_missing_file_is_a_clear_failure(cli: Cli) -> None:
    result = cli("load", "participants", str(cli.tmp_path / "absent.csv"), expect=None)
    assert result.exit_code != 0
    assert "absent.csv" in result.output


# -- load providers ----------------------------------------------------------------------------


def test_good_provider_file_loads_and_twice_changes_nothing(cli: Cli) -> None:
    path = cli.file("providers.csv", GOOD_PROVIDERS)
    first = cli("load", "providers", path)
    assert "3 added" in first.output
    before = cli.rows("SELECT * FROM enrollment_spans ORDER BY id")
    second = cli("load", "providers", path)
    assert "3 unchanged" in second.output
    assert cli.count("providers") == 3
    assert cli.rows("SELECT * FROM enrollment_spans ORDER BY id") == before


def test_provider_file_with_bad_rows_loads_nothing_and_names_every_line(cli: Cli) -> None:
    good = npi(11)
    broken = good[:-1] + str((int(good[-1]) + 1) % 10)
    bad = PROVIDERS_HEADER + (
        f"{npi(1)},Dr. One,physician,2020-01-01,\n"  # line 2: good
        f"{broken},Bad Check,physical_therapist,2020-01-01,\n"  # line 3
        f"{npi(12)},Bad Type,masseuse,2020-01-01,\n"  # line 4
        f"{npi(13)},No Start,chiropractor,,\n"  # line 5
        f"12345,Short,acupuncturist,2020-01-01,\n"  # line 6
        f"{npi(14)},Backwards,acupuncturist,2022-01-01,2021-01-01\n"  # line 7
    )
    result = cli("load", "providers", cli.file("bad.csv", bad), expect=None)
    assert result.exit_code != 0
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in result.output, result.output
    assert "line 2:" not in result.output
    assert "check digit" in result.output
    assert "masseuse" in result.output
    assert cli.count("providers") == 0
    assert cli.count("enrollment_spans") == 0


def test_reimport_replaces_a_providers_spans(cli: Cli) -> None:
    cli("load", "providers", cli.file("a.csv", GOOD_PROVIDERS))
    revised = PROVIDERS_HEADER + f"{npi(11)},PT Clinic,physical_therapist,2020-01-01,2026-06-30\n"
    assert "1 updated" in cli("load", "providers", cli.file("b.csv", revised)).output
    spans = cli.rows(f"SELECT end_date FROM enrollment_spans WHERE npi = '{npi(11)}'")
    assert [str(end) for (end,) in spans] == ["2026-06-30"]


# -- users -------------------------------------------------------------------------------------


def test_users_add_prints_a_token_that_works_against_the_api(cli: Cli) -> None:
    result = cli("users", "add", "--role", "staff", "--name", "Phone Unit")
    token = token_of(result)
    assert token and " " not in token
    with cli.api() as client:
        r = client.get("/api/v1/precerts", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        r = client.get("/api/v1/precerts", headers={"Authorization": f"Bearer {token}x"})
        assert r.status_code == 401


def test_only_a_hash_of_the_token_is_stored(cli: Cli) -> None:
    token = token_of(cli("users", "add", "--role", "admin", "--name", "Root"))
    stored = cli.rows("SELECT * FROM users")
    assert len(stored) == 1
    assert all(token not in str(value) for value in stored[0])


def test_physician_token_acts_with_its_npi(cli: Cli) -> None:
    cli("load", "participants", cli.file("p.csv", GOOD_PARTICIPANTS))
    cli("load", "providers", cli.file("providers.csv", GOOD_PROVIDERS))
    result = cli("users", "add", "--role", "physician", "--npi", npi(1), "--name", "Dr. One")
    assert npi(1) in result.output
    headers = {"Authorization": f"Bearer {token_of(result)}"}
    body = {
        "participant_id": "10000001",
        "prescriber_npi": npi(1),
        "therapy": "physical_therapy",
        "diagnosis_codes": ["M54.50"],
        "plan_of_care_date": "2026-03-02",
        "start_date": "2026-03-10",
    }
    with cli.api() as client:
        r = client.post("/api/v1/precerts", headers=headers, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "awaiting_provider"
        other = {**body, "prescriber_npi": npi(2)}
        assert client.post("/api/v1/precerts", headers=headers, json=other).status_code == 403


@pytest.mark.parametrize("role", ["physician", "provider"])
def test_clinical_user_without_an_npi_fails_clearly(cli: Cli, role: str) -> None:
    result = cli("users", "add", "--role", role, "--name", "Dr. Nobody", expect=None)
    assert result.exit_code != 0
    assert "npi" in result.output.lower()
    assert f"a {role} user needs an NPI" in result.output
    assert cli.count("users") == 0


def test_users_add_rejects_a_bad_npi_and_an_unknown_role(cli: Cli) -> None:
    result = cli(
        "users", "add", "--role", "physician", "--npi", "1234567890", "--name", "X", expect=None
    )
    assert result.exit_code != 0
    assert "check digit" in result.output
    result = cli("users", "add", "--role", "wizard", "--name", "X", expect=None)
    assert result.exit_code != 0
    assert "wizard" in result.output
    assert cli.count("users") == 0


# -- policy ------------------------------------------------------------------------------------


def diagnosis_mark(output: str, code: str) -> str:
    """Return 'approved' or 'not approved' for `code` as `policy show` lists it."""
    for line in output.splitlines():
        words = line.split()
        if words[:1] == [code]:
            return "approved"
        if words[:2] == ["x", code]:
            return "not approved"
    raise AssertionError(f"{code} not listed:\n{output}")


def test_policy_show_before_the_icd10_change(cli: Cli) -> None:
    out = cli("policy", "show", "--on", "2021-09-30").output
    assert diagnosis_mark(out, "M54.5") == "approved"
    assert diagnosis_mark(out, "M54.50") == "not approved"
    assert "120" in out and "21" in out


def test_policy_show_after_the_icd10_change(cli: Cli) -> None:
    out = cli("policy", "show", "--on", "2021-10-01").output
    assert diagnosis_mark(out, "M54.5") == "not approved"
    assert diagnosis_mark(out, "M54.50") == "approved"
    assert diagnosis_mark(out, "M54.59") == "approved"


@pytest.mark.parametrize("how", [["2021-10-01"], ["--date", "2021-10-01"]])
def test_policy_show_takes_the_date_as_an_argument_or_date_option(cli: Cli, how: list[str]) -> None:
    out = cli("policy", "show", *how).output
    assert "shown for 2021-10-01" in out
    assert diagnosis_mark(out, "M54.5") == "not approved"


def test_policy_show_json(cli: Cli) -> None:
    import json

    data = json.loads(cli("policy", "show", "--on", "2026-03-02", "--json").output)
    assert data["annual_unit_limit"] == 120
    assert data["minimum_age"] == 21


def test_policy_show_rejects_a_bad_date(cli: Cli) -> None:
    result = cli("policy", "show", "--on", "2021-02-30", expect=None)
    assert result.exit_code != 0
    assert "2021-02-30" in result.output


def test_policy_lint_warns_and_exits_zero(cli: Cli) -> None:
    out = cli("policy", "lint").output
    for code in ("M54.5", "G96.8", "M51.36", "M51.37", "99201"):
        assert f"warning: {code}:" in out, out
    assert "warning: M54.50:" not in out
    assert "warning: 97110:" not in out


# -- demo and expiry ---------------------------------------------------------------------------


def test_demo_no_serve_loads_rosters_and_prints_working_tokens(cli: Cli) -> None:
    out = cli("demo", "--no-serve").output
    tokens = [line.split("token ")[-1].strip() for line in out.splitlines() if "token pct_" in line]
    assert len(tokens) >= 5
    assert "serving" not in out
    assert cli.count("participants") > 0 and cli.count("providers") > 0
    staff = next(line for line in out.splitlines() if line.strip().startswith("staff"))
    with cli.api() as client:
        headers = {"Authorization": f"Bearer {staff.split('token ')[-1].strip()}"}
        assert client.get("/api/v1/participants/10000001/units", headers=headers).status_code == 200


def test_demo_twice_keeps_the_rosters_and_renews_the_tokens(cli: Cli) -> None:
    first = cli("demo", "--no-serve").output
    users = cli.count("users")
    participants = cli.count("participants")
    second = cli("demo", "--no-serve").output
    assert cli.count("users") == users
    assert cli.count("participants") == participants
    old = {line.split("token ")[-1] for line in first.splitlines() if "token pct_" in line}
    new = {line.split("token ")[-1] for line in second.splitlines() if "token pct_" in line}
    assert old.isdisjoint(new)


def test_expire_records_the_expiry_of_overdue_requests(cli: Cli) -> None:
    out = cli("demo", "--no-serve").output
    line = next(line for line in out.splitlines() if "1000000012" in line and "token" in line)
    headers = {"Authorization": f"Bearer {line.split('token ')[-1].strip()}"}
    body = {
        "participant_id": "10000001",
        "prescriber_npi": "1000000012",
        "therapy": "acupuncture",
        "diagnosis_codes": ["G89.21"],
        "plan_of_care_date": "2026-03-02",
        "start_date": "2026-03-02",
    }
    with cli.api() as client:
        r = client.post("/api/v1/precerts", headers=headers, json=body)
        assert r.status_code == 201, r.text
        precert_id = r.json()["id"]
    assert "0 request(s) expired" in cli("expire", PRECERT_TODAY="2026-05-31").output
    assert "1 request(s) expired" in cli("expire", PRECERT_TODAY="2026-06-01").output
    with cli.api(date(2026, 6, 1)) as client:
        r = client.get(f"/api/v1/precerts/{precert_id}", headers=headers)
        assert r.json()["status"] == "expired"
        assert [e["action"] for e in r.json()["history"]] == ["referral", "expiry"]
