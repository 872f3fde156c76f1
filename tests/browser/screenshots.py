"""Capture a screenshot of each main portal page into docs/screenshots/ (`make screenshots`).

Loads the synthetic demo data into a fresh SQLite database, serves it with a real uvicorn
process and drives Debian's Chromium through the pages by their accessible names.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.conftest import SERVER_TODAY, start_server, stop_server, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def demo(url: str, workdir: Path) -> dict[str, str]:
    """Load the demo data; return each demo user's password."""
    env = {**os.environ, "PRECERT_DATABASE_URL": url, "PRECERT_TODAY": SERVER_TODAY}
    printed = subprocess.run(
        [sys.executable, "-m", "precert.cli", "demo", "--no-serve"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(re.findall(r"^\s+\w+\s+(\S+)\s+password (\S+)", printed, re.MULTILINE))


def signed_in(browser: Browser, base: str, username: str, password: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 860}, base_url=base)
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    print(f"docs/screenshots/{name}.png")


def capture(browser: Browser, base: str, passwords: dict[str, str]) -> None:
    login = browser.new_page(viewport={"width": 1280, "height": 700}, base_url=base)
    login.goto("/login")
    shoot(login, "01-sign-in")

    doctor = signed_in(browser, base, "avery", passwords["avery"])
    shoot(doctor, "02-physician-requests")
    doctor.get_by_role("link", name="New request").click()
    doctor.get_by_label("Participant ID").fill("10000007")
    doctor.get_by_role("button", name="Look up participant").click()
    doctor.get_by_label("Therapy").select_option("acupuncture")
    doctor.get_by_label("Search diagnoses").fill("low back")
    doctor.get_by_role("button", name="Find").click()
    doctor.get_by_role("button", name="Add M54.50").click()
    doctor.get_by_label("Plan of care date").fill(SERVER_TODAY)
    doctor.get_by_label("Start date").fill(SERVER_TODAY)
    shoot(doctor, "03-new-request")
    doctor.get_by_role("button", name="Submit request").click()
    shoot(doctor, "04-request-awaiting-provider")

    therapist = signed_in(browser, base, "gateway-acu", passwords["gateway-acu"])
    therapist.get_by_role("link", name="Find requests").click()
    therapist.get_by_label("Participant ID").fill("10000007")
    therapist.get_by_role("button", name="Search").click()
    shoot(therapist, "05-find-requests")
    therapist.get_by_role("link", name="Complete").first.click()
    therapist.get_by_label("97810").check()
    therapist.get_by_label("97811").check()
    therapist.get_by_label("Units", exact=True).fill("8")
    shoot(therapist, "06-complete-request")
    therapist.get_by_role("button", name="Complete request").click()
    shoot(therapist, "07-decision-approved")
    therapist.emulate_media(media="print")
    shoot(therapist, "08-decision-printed")

    staff = signed_in(browser, base, "pcu-staff", passwords["pcu-staff"])
    shoot(staff, "09-staff-work-queue")
    staff.locator("table a").first.click()
    shoot(staff, "10-staff-review")
    staff.get_by_role("link", name="Participants").click()
    staff.get_by_label("Participant ID").fill("10000001")
    staff.get_by_role("button", name="Search").click()
    shoot(staff, "11-participant-units-chart")

    admin = signed_in(browser, base, "admin", passwords["admin"])
    admin.get_by_role("link", name="Users").click()
    shoot(admin, "12-admin-users")
    admin.get_by_role("link", name="Roster upload").click()
    bad = OUT.parent / "bad-roster.csv"
    bad.write_text(
        "participant_id,first_name,last_name,birth_date,eligibility_start,eligibility_end\n"
        "1234,Pat,Synth,1980-02-30,2020-01-01,\n"
        "10000099,Lee,Synth,1979-05-05,,\n"
    )
    try:
        admin.get_by_label("CSV file").set_input_files(str(bad))
        admin.get_by_role("button", name="Upload").click()
    finally:
        bad.unlink()
    shoot(admin, "13-admin-roster-report")
    admin.get_by_role("link", name="Policy").click()
    shoot(admin, "14-admin-policy")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        url = f"sqlite:///{workdir / 'demo.db'}"
        passwords = demo(url, workdir)
        process, base, log = start_server(url, workdir, workers=1)
        try:
            wait_until_ready(process, base, log, workers=1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    capture(browser, base, passwords)
                finally:
                    browser.close()
        finally:
            stop_server(process)


if __name__ == "__main__":
    main()
