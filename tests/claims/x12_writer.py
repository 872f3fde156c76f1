"""Build an 837P (005010X222A2) from claims-import rows, with x12sdk's models and writer.

The inverse of `precert.claims.x12.read_837p` for tests: lines are grouped by claim_id, claims
under one subscriber loop (2000B) per participant, subscribers under one billing provider loop
(2000A) per billing NPI. A claim's frequency, original claim and diagnoses come from its first
line. A rendering NPI other than the billing NPI is written at claim level (2310B) when every
line of the claim has it, else at line level (2420A). Each line is charged 10.00. Lines come
back from `read_837p` in the order of that grouping, so a round trip is exact for lines already
grouped that way.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from x12sdk.io import write_transactions
from x12sdk.support import count_segments
from x12sdk.v5010.segments import (
    ClmSegment,
    DmgSegment,
    HiSegment,
    N3Segment,
    N4Segment,
    SeSegment,
    Sv1Segment,
)
from x12sdk.v5010.x12_837_005010X222A2.loops import (
    Footer,
    Header,
    Loop1000A,
    Loop1000B,
    Loop2000A,
    Loop2000B,
    Loop2010Aa,
    Loop2010Ba,
    Loop2010Bb,
    Loop2300,
    Loop2310B,
    Loop2400,
    Loop2420A,
)
from x12sdk.v5010.x12_837_005010X222A2.segments import (
    HeaderBhtSegment,
    HeaderStSegment,
    Loop1000ANm1Segment,
    Loop1000APerSegment,
    Loop1000BNm1Segment,
    Loop2000AHlSegment,
    Loop2000BHlSegment,
    Loop2000BSbrSegment,
    Loop2010AaNm1Segment,
    Loop2010AaRefSegment,
    Loop2010BaNm1Segment,
    Loop2010BbNm1Segment,
    Loop2300RefSegment,
    Loop2310BNm1Segment,
    Loop2400DtpSegment,
    Loop2420ANm1Segment,
)
from x12sdk.v5010.x12_837_005010X222A2.transaction_set import HealthCareClaimProfessional

LINE_CHARGE = Decimal("10.00")
CONTROL = "0001"
CREATED = datetime.datetime(2026, 3, 15, 12, 0)


def write_837p(lines: list[dict[str, Any]]) -> str:
    """Return the X12 text (ISA..IEA, one segment a line) of an 837P holding `lines`."""
    if not lines:
        raise ValueError("an 837P needs at least one service line")
    claims: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        claims.setdefault(line["claim_id"], []).append(line)
    providers: dict[str, dict[str, list[list[dict[str, Any]]]]] = {}
    for claim_lines in claims.values():
        first = claim_lines[0]
        subscribers = providers.setdefault(first["billing_npi"], {})
        subscribers.setdefault(first["participant_id"], []).append(claim_lines)

    hl = 0
    loops_2000a = []
    for billing_npi, subscribers in providers.items():
        hl += 1
        provider_hl = str(hl)
        loops_2000b = []
        for participant_id, claim_groups in subscribers.items():
            hl += 1
            loops_2000b.append(_subscriber(str(hl), provider_hl, participant_id, claim_groups))
        loops_2000a.append(_billing_provider(provider_hl, billing_npi, loops_2000b))

    structure: dict[str, Any] = {
        "header": Header(
            st_segment=HeaderStSegment(
                transaction_set_identifier_code="837",
                transaction_set_control_number=CONTROL,
                implementation_convention_reference="005010X222A2",
            ),
            bht_segment=HeaderBhtSegment(
                hierarchical_structure_code="0019",
                transaction_set_purpose_code="00",
                submitter_transactional_identifier="0001",
                transaction_set_creation_date=CREATED.strftime("%Y%m%d"),
                transaction_set_creation_time=CREATED.strftime("%H%M"),
                transaction_type_code="CH",
            ),
        ),
        "loop_1000a": Loop1000A(
            nm1_segment=Loop1000ANm1Segment(
                entity_identifier_code="41",
                entity_type_qualifier="2",
                name_last_or_organization_name="SYNTHETIC SUBMITTER",
                identification_code_qualifier="46",
                identification_code="SUBMIT0001",
            ),
            per_segment=[
                Loop1000APerSegment(
                    contact_function_code="IC",
                    name="BILLING OFFICE",
                    communication_number_qualifier_1="TE",
                    communication_number_1="5555550100",
                )
            ],
        ),
        "loop_1000b": Loop1000B(
            nm1_segment=Loop1000BNm1Segment(
                entity_identifier_code="40",
                entity_type_qualifier="2",
                name_last_or_organization_name="MO HEALTHNET",
                identification_code_qualifier="46",
                identification_code="MOHEALTHNET",
            )
        ),
        "loop_2000a": loops_2000a,
    }
    # SE01 counts ST through SE: count with a stand-in footer, as x12sdk.generate does.
    stand_in = {
        "se_segment": {"transaction_segment_count": 1, "transaction_set_control_number": CONTROL}
    }
    count = count_segments(dict(structure, footer=stand_in))
    footer = SeSegment(transaction_segment_count=count, transaction_set_control_number=CONTROL)
    structure["footer"] = Footer(se_segment=footer)
    transaction = HealthCareClaimProfessional(**structure)
    return write_transactions(
        [transaction], sender_id="SUBMIT0001", receiver_id="MOHEALTHNET", created=CREATED
    )


def _billing_provider(hl: str, npi: str, subscribers: list[Loop2000B]) -> Loop2000A:
    return Loop2000A(
        hl_segment=Loop2000AHlSegment(
            hierarchical_id_number=hl, hierarchical_level_code="20", hierarchical_child_code="1"
        ),
        loop_2010aa=Loop2010Aa(
            nm1_segment=Loop2010AaNm1Segment(
                entity_identifier_code="85",
                entity_type_qualifier="2",
                name_last_or_organization_name=f"SYNTHETIC CLINIC {npi}",
                identification_code_qualifier="XX",
                identification_code=npi,
            ),
            n3_segment=N3Segment(address_information_1="100 TEST STREET"),
            n4_segment=N4Segment(
                city_name="JEFFERSON CITY", state_province_code="MO", postal_code="651010000"
            ),
            ref_segment=[
                Loop2010AaRefSegment(
                    reference_identification_qualifier="EI", reference_identification="000000001"
                )
            ],
        ),
        loop_2000b=subscribers,
    )


def _subscriber(
    hl: str, parent: str, participant_id: str, claims: list[list[dict[str, Any]]]
) -> Loop2000B:
    return Loop2000B(
        hl_segment=Loop2000BHlSegment(
            hierarchical_id_number=hl,
            hierarchical_parent_id_number=parent,
            hierarchical_level_code="22",
            hierarchical_child_code="0",
        ),
        sbr_segment=Loop2000BSbrSegment(
            payer_responsibility_code="P",
            individual_relationship_code="18",
            claim_filing_indicator_code="MC",
        ),
        loop_2010ba=Loop2010Ba(
            nm1_segment=Loop2010BaNm1Segment(
                entity_identifier_code="IL",
                entity_type_qualifier="1",
                name_last_or_organization_name="TESTPATIENT",
                name_first="ALEX",
                identification_code_qualifier="MI",
                identification_code=participant_id,
            ),
            dmg_segment=DmgSegment(
                date_time_period_format_qualifier="D8",
                date_time_period="19800101",
                gender_code="F",
            ),
        ),
        loop_2010bb=Loop2010Bb(
            nm1_segment=Loop2010BbNm1Segment(
                entity_identifier_code="PR",
                entity_type_qualifier="2",
                name_last_or_organization_name="MO HEALTHNET",
                identification_code_qualifier="PI",
                identification_code="MOHEALTHNET",
            )
        ),
        loop_2300=[_claim(claim_lines) for claim_lines in claims],
    )


def _claim(lines: list[dict[str, Any]]) -> Loop2300:
    first = lines[0]
    billing = first["billing_npi"]
    renderings = {line["rendering_npi"] for line in lines}
    claim_rendering = renderings.pop() if len(renderings) == 1 else billing
    codes = list(first["diagnosis_codes"])
    qualified = [["ABK", codes[0]]] + [["ABF", code] for code in codes[1:]]
    his = [
        HiSegment(
            **{f"health_care_code_{i + 1}": pair for i, pair in enumerate(qualified[n : n + 12])}
        )
        for n in range(0, len(qualified), 12)
    ]
    refs = None
    if first["original_claim_id"]:
        refs = [
            Loop2300RefSegment(
                reference_identification_qualifier="F8",
                reference_identification=first["original_claim_id"],
            )
        ]
    return Loop2300(
        clm_segment=ClmSegment(
            patient_control_number=first["claim_id"],
            total_claim_charge_amount=LINE_CHARGE * len(lines),
            health_care_service_location_information=f"11:B:{first['frequency']}",
            provider_or_supplier_signature_indicator="Y",
            provider_accept_assignment_code="A",
            benefit_assignment_certification_indicator="Y",
            release_of_information_code="Y",
        ),
        ref_segment=refs,
        hi_segment=his,
        loop_2310b=None
        if claim_rendering == billing
        else Loop2310B(nm1_segment=Loop2310BNm1Segment(**_provider_name(claim_rendering))),
        loop_2400=[_service_line(line, claim_rendering) for line in lines],
    )


def _service_line(line: dict[str, Any], claim_rendering: str) -> Loop2400:
    rendering = line["rendering_npi"]
    return Loop2400(
        lx_segment={"assigned_number": line["line_number"]},
        sv1_segment=Sv1Segment(
            product_service_id_qualifier=f"HC:{line['procedure_code']}",
            line_item_charge_amount=LINE_CHARGE,
            unit_basis_measurement_code="UN",
            service_unit_count=Decimal(line["units"]),
            composite_diagnosis_code_pointer="1",
        ),
        dtp_segment=[
            Loop2400DtpSegment(
                date_time_qualifier="472",
                date_time_period_format_qualifier="D8",
                date_time_period=line["date_of_service"].replace("-", ""),
            )
        ],
        loop_2420a=None
        if rendering == claim_rendering
        else Loop2420A(nm1_segment=Loop2420ANm1Segment(**_provider_name(rendering))),
    )


def _provider_name(npi: str) -> dict[str, str]:
    return {
        "entity_identifier_code": "82",
        "entity_type_qualifier": "1",
        "name_last_or_organization_name": "TESTRENDERER",
        "name_first": "SAM",
        "identification_code_qualifier": "XX",
        "identification_code": npi,
    }
