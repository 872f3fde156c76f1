"""`precert x12 278 FILE`: the same decisions as the API, with a token's user; exit 0 with a
278 response, 1 with a 999, 2 for a usage error, and never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from precert.cli import main
from tests.api.conftest import Scenario
from tests.interop.x12.client import hcr, stored
from tests.interop.x12.reading import check_278_response, find, pyx12_errors, segments
from tests.interop.x12.writer import request_278


def run(s: Scenario, *args: str, token: str | None = "staff", expect: int) -> Result:
    env = {"PRECERT_DATABASE_URL": s.world.url, "PRECERT_TODAY": "2026-03-02"}
    if token:
        env["PRECERT_TOKEN"] = s.headers[token]["Authorization"].split(" ", 1)[1]
    result = CliRunner().invoke(main, ["x12", "278", *args], env=env, catch_exceptions=False)
    assert result.exit_code == expect, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    return result


def test_a_request_file_is_decided_and_the_278_printed(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    file = tmp_path / "request.x12"
    file.write_text(request_278(physician_npi=s.npis["doc_a"], performer_npi=s.npis["pt"]))
    result = run(s, str(file), expect=0)
    number = hcr(check_278_response(result.stdout).one("2000E"))[2]
    assert (
        number.startswith("PC-") and hcr(check_278_response(result.stdout).one("2000E"))[1] == "A1"
    )
    assert f"pre-certification {number}" in result.stderr
    assert s.get(number).json()["status"] == "approved"


def test_out_writes_the_answer_to_a_file(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    file, out = tmp_path / "request.x12", tmp_path / "response.x12"
    file.write_text(request_278(physician_npi=s.npis["doc_a"]))
    result = run(s, str(file), "--out", str(out), token="doc_a", expect=0)
    assert result.stdout == ""
    assert hcr(check_278_response(out.read_text()).one("2000E"))[1] == "A4"


def test_a_business_rejection_is_a_278_with_aaa_and_exit_0(
    scenario: Scenario, tmp_path: Path
) -> None:
    s = scenario
    file = tmp_path / "request.x12"
    file.write_text(request_278(physician_npi=s.npis["doc_a"], member_id="10009999"))
    result = run(s, str(file), expect=0)
    assert find(check_278_response(result.stdout).one("2000C"), "AAA")[0][3] == "75"
    assert "2010C NM109: no MO HealthNet participant has ID 10009999 (AAA 75)" in result.stderr
    assert stored(s) == (0, 0)


def test_a_malformed_file_gets_a_999_and_exit_1(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    file = tmp_path / "request.x12"
    file.write_text(request_278(physician_npi=s.npis["doc_a"]).replace("SE*", "SE*1", 1))
    result = run(s, str(file), expect=1)
    assert pyx12_errors(result.stdout) == []
    assert find(segments(result.stdout), "IK3")[0][1] == "SE"
    assert "SE01 says" in result.stderr and "rejected with a 999" in result.stderr
    assert stored(s) == (0, 0)


def test_usage_errors_exit_2_with_a_clear_message(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    file = tmp_path / "request.x12"
    file.write_text(request_278(physician_npi=s.npis["doc_a"]))
    assert "--token or PRECERT_TOKEN" in run(s, str(file), token=None, expect=2).stderr
    bad = CliRunner().invoke(
        main,
        ["x12", "278", str(file), "--token", "pct_not-a-real-token"],
        env={"PRECERT_DATABASE_URL": s.world.url},
    )
    assert bad.exit_code == 2 and "the bearer token is not valid" in bad.stderr
    assert "cannot read" in run(s, str(tmp_path / "missing.x12"), expect=2).stderr
    out = tmp_path / "no-such-folder" / "response.x12"
    assert "--out: cannot write" in run(s, str(file), "--out", str(out), expect=2).stderr
    assert stored(s) == (0, 0)
