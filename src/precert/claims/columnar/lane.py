"""What a whole import in the lane shares: the reader's checks, the recorder, and the
policy's facts by date of service, procedure code and diagnosis list."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from precert.claims import batch
from precert.claims.columnar.reading import Values
from precert.policy.loader import PolicyBook


class Lane:
    """What a whole import shares: the policy's facts by day and code, and the recorder."""

    def __init__(self, policies: PolicyBook) -> None:
        self.policies = policies
        self.values = Values(policies)
        self.recorder = batch.Recorder(policies)
        self.rolling = self.recorder.rolling
        self._days: dict[str, tuple[Any, ...]] = {}
        self._codes: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._diagnoses: dict[tuple[str, str], tuple[Any, ...]] = {}

    def day_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = []
        for iso in rows["date_of_service"].unique().to_list():
            facts = self._days.get(iso)
            if facts is None:
                day = self.values.days[iso]
                facts = self._days[iso] = (
                    iso,
                    day.key,
                    day.year[0].isoformat(),
                    day.year[1].isoformat(),
                    day.policy.annual_unit_limit,
                )
            found.append(facts)
        return pl.DataFrame(
            found,
            schema={
                "date_of_service": pl.String,
                "year_key": pl.String,
                "year_start": pl.String,
                "year_end": pl.String,
                "limit": pl.Int64,
            },
            orient="row",
        )

    def code_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = []
        for iso, code in rows.select("date_of_service", "procedure_code").unique().iter_rows():
            facts = self._codes.get((iso, code))
            if facts is None:
                therapy = self.values.days[iso].policy.procedure_index.get(code)
                facts = self._codes[(iso, code)] = (
                    iso,
                    code,
                    therapy.key if therapy else None,
                    therapy.label if therapy else None,
                )
            found.append(facts)
        return pl.DataFrame(
            found,
            schema={
                "date_of_service": pl.String,
                "procedure_code": pl.String,
                "therapy": pl.String,
                "therapy_label": pl.String,
            },
            orient="row",
        )

    def diagnosis_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = []
        for iso, stored in rows.select("date_of_service", "diagnosis_codes").unique().iter_rows():
            facts = self._diagnoses.get((iso, stored))
            if facts is None:
                primary = json.loads(stored)[0]
                facts = self._diagnoses[(iso, stored)] = (
                    iso,
                    stored,
                    primary,
                    primary in self.values.days[iso].approved,
                )
            found.append(facts)
        return pl.DataFrame(
            found,
            schema={
                "date_of_service": pl.String,
                "diagnosis_codes": pl.String,
                "primary": pl.String,
                "dx_approved": pl.Boolean,
            },
            orient="row",
        )
