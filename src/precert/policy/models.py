"""Frozen, validated models of a policy file."""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from precert.rules.codes import CPT_PATTERN, ICD10_PATTERN, normalize_icd10


class BenefitYearKind(StrEnum):
    CALENDAR = "calendar"
    STATE_FISCAL = "state_fiscal"
    ROLLING_12_MONTHS = "rolling_12_months"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProcedureCode(_Frozen):
    code: str = Field(pattern=CPT_PATTERN.pattern)
    deleted_on: date | None = None
    note: str | None = None


class Therapy(_Frozen):
    key: str
    label: str
    procedure_codes: tuple[ProcedureCode, ...]
    performing_provider_types: tuple[str, ...]

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.procedure_codes)


class DecisionHours(_Frozen):
    """How long the Pre-Certification Unit has to decide a pended request (CMS-0057-F)."""

    standard: int = Field(ge=1)
    expedited: int = Field(ge=1)

    def for_priority(self, priority: str) -> int:
        return self.expedited if priority == "expedited" else self.standard


class Documentation(_Frozen):
    """The DTR documentation questionnaire, and whether its answers can change a decision.

    Off by default: the seed's criteria are the diagnosis list and the limits. When on,
    answers that do not show chronic pain send a request to the Pre-Certification Unit.
    """

    questionnaire: str
    affects_decision: StrictBool = False
    chronic_pain_months: int = Field(default=3, ge=1)

    @field_validator("questionnaire")
    @classmethod
    def _canonical(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s|]+/Questionnaire/[^\s|/]+", value):
            raise ValueError(
                f"{value!r} is not a Questionnaire's canonical URL without a version "
                "(e.g. http://example.org/fhir/Questionnaire/name)"
            )
        return value


class Diagnosis(_Frozen):
    code: str
    description: str
    effective_from: date | None = None
    effective_to: date | None = None
    note: str | None = None

    @field_validator("code")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not ICD10_PATTERN.fullmatch(value) or normalize_icd10(value) != value:
            raise ValueError(f"{value!r} is not a normalised ICD-10-CM code (e.g. M54.50)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Diagnosis:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError(f"{self.code}: effective_to is before effective_from")
        return self

    def in_effect(self, on: date) -> bool:
        """Return whether the code is approved on `on`."""
        if self.effective_from is not None and on < self.effective_from:
            return False
        return self.effective_to is None or on <= self.effective_to


class Policy(_Frozen):
    program: str
    version: str
    effective_from: date
    effective_to: date | None = None
    minimum_age: int = Field(ge=0)
    approval_period_months: int = Field(ge=1)
    annual_unit_limit: int = Field(ge=1)
    minutes_per_unit: int = Field(ge=1)
    benefit_year: BenefitYearKind
    step1_expiry_days: int = Field(ge=1)
    decision_hours: DecisionHours
    max_units_per_request: int = Field(ge=1)
    max_diagnosis_codes: int = Field(ge=1)
    prescriber_types: tuple[str, ...]
    provider_types: tuple[str, ...]
    therapies: tuple[Therapy, ...]
    diagnoses: tuple[Diagnosis, ...]
    # Absent: no documentation is asked for and answers never change a decision.
    documentation: Documentation | None = None

    # Indexes built on first use and kept in the instance __dict__, so a decision never scans
    # the lists (a pydantic private attribute would cost a __getattr__ on every read).
    @cached_property
    def therapy_index(self) -> dict[str, Therapy]:
        return {t.key: t for t in self.therapies}

    @cached_property
    def diagnosis_epochs(self) -> tuple[list[date], list[frozenset[str]]]:
        """Return the dates the approved list changes on, and the list from each of them."""
        changes = {date.min}
        for d in self.diagnoses:
            if d.effective_from is not None:
                changes.add(d.effective_from)
            if d.effective_to is not None and d.effective_to < date.max:
                changes.add(d.effective_to + timedelta(days=1))
        epochs = sorted(changes)
        approved = [frozenset(d.code for d in self.diagnoses if d.in_effect(day)) for day in epochs]
        return epochs, approved

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        known = set(self.provider_types)
        for kind in self.prescriber_types:
            if kind not in known:
                raise ValueError(f"prescriber type {kind!r} is not in provider_types")
        seen_codes: dict[str, str] = {}
        for therapy in self.therapies:
            for kind in therapy.performing_provider_types:
                if kind not in known:
                    raise ValueError(f"{therapy.key}: provider type {kind!r} not in provider_types")
            for proc in therapy.procedure_codes:
                if proc.code in seen_codes:
                    raise ValueError(
                        f"CPT {proc.code} is listed under {seen_codes[proc.code]} and {therapy.key}"
                    )
                seen_codes[proc.code] = therapy.key
        keys = [t.key for t in self.therapies]
        if len(set(keys)) != len(keys):
            raise ValueError("therapy keys must be unique")
        diagnosis_keys = [(d.code, d.effective_from) for d in self.diagnoses]
        if len(set(diagnosis_keys)) != len(diagnosis_keys):
            raise ValueError("a diagnosis code is listed twice with the same effective_from")
        return self

    def therapy(self, key: str) -> Therapy | None:
        """Return the therapy named `key`, if the policy has one."""
        return self.therapy_index.get(key)

    @cached_property
    def procedure_index(self) -> dict[str, Therapy]:
        return {p.code: t for t in self.therapies for p in t.procedure_codes}

    def therapy_for_procedure(self, code: str) -> Therapy | None:
        """Return the therapy whose CPT list holds `code` (the lists do not overlap)."""
        return self.procedure_index.get(code)

    def approved_diagnoses(self, on: date) -> frozenset[str]:
        """Return the diagnosis codes approved on `on`."""
        epochs, approved = self.diagnosis_epochs
        return approved[bisect_right(epochs, on) - 1]

    def in_effect(self, on: date) -> bool:
        """Return whether this policy governs requests starting on `on`."""
        if on < self.effective_from:
            return False
        return self.effective_to is None or on <= self.effective_to
