from datetime import date

from tests.conftest import World


def test_two_steps_approve(world: World, client) -> None:
    pid = world.participant()
    doc = world.provider(1, "physician")
    pt = world.provider(2, "physical_therapist")
    h_doc = world.user("physician", doc)
    h_pt = world.user("provider", pt)
    r = client.post(
        "/api/v1/precerts",
        headers=h_doc,
        json={
            "participant_id": pid,
            "prescriber_npi": doc,
            "therapy": "physical_therapy",
            "diagnosis_codes": ["m5450 "],
            "plan_of_care_date": "2026-03-01",
            "start_date": "2026-03-10",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "awaiting_provider"
    assert body["diagnosis_codes"] == ["M54.50"]
    r = client.post(
        f"/api/v1/precerts/{body['id']}/completion",
        headers=h_pt,
        json={
            "provider_npi": pt,
            "procedure_codes": ["97110"],
            "units": 8,
            "start_date": "2026-03-10",
        },
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "approved"
    assert done["approved_units"] == 8
    assert done["end_date"] == "2027-03-09"
    assert [e["action"] for e in done["history"]] == ["referral", "completion"]
    r = client.get(f"/api/v1/participants/{pid}/units", headers=h_pt)
    assert r.json()["authorized"] == 8 and r.json()["remaining"] == 112
    assert date(2026, 1, 1).isoformat() == r.json()["benefit_year"]["start"]


def test_answers_match_the_schemas_openapi_publishes(world: World, client) -> None:
    from precert.precerts.schemas import PrecertList, PrecertOut

    pid = world.participant()
    doc = world.provider(1, "physician")
    staff = world.user("staff")
    body = {
        "participant_id": pid,
        "prescriber_npi": doc,
        "therapy": "acupuncture",
        "diagnosis_codes": ["M54.2"],
        "plan_of_care_date": "2026-03-01",
        "start_date": "2026-03-10",
    }
    created = client.post("/api/v1/precerts", headers=staff, json=body)
    assert created.status_code == 201
    PrecertOut.model_validate(created.json())
    found = client.get("/api/v1/precerts", headers=staff).json()
    assert PrecertList.model_validate(found).total == 1
