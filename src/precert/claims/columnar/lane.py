"""What a whole import in the lane shares: the reader's checks, the recorder, and the
policy's facts by date of service, procedure code and diagnosis list."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import polars as pl

from precert.claims import batch
from precert.claims.columnar.reading import Values
from precert.policy.loader import PolicyBook

Facts = Callable[..., tuple[Any, ...]]


class Lane:
    """What a whole import shares: the policy's facts by day and code, and the recorder."""

    def __init__(self, policies: PolicyBook) -> None:
        self.policies = policies
        self.values = Values(policies)
        self.recorder = batch.Recorder(policies)
        self.rolling = self.recorder.rolling
        self._known: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def _facts(
        self, rows: pl.DataFrame, keys: dict[str, Any], found: dict[str, Any], of: Facts
    ) -> pl.DataFrame:
        """One row per distinct `keys` of `rows`: the keys, then `of(*keys)` (as `found`
        names them), each computed once per import."""
        kind = tuple(keys)
        table = []
        for key in rows.select(*keys).unique().iter_rows():
            facts = self._known.get((kind, *key))
            if facts is None:
                facts = self._known[(kind, *key)] = (*key, *of(*key))
            table.append(facts)
        return pl.DataFrame(table, schema={**keys, **found}, orient="row")

    def day_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        def of(iso: str) -> tuple[Any, ...]:
            day = self.values.days[iso]
            first, last = day.year
            return day.key, first.isoformat(), last.isoformat(), day.policy.annual_unit_limit

        return self._facts(
            rows,
            {"date_of_service": pl.String},
            {
                "year_key": pl.String,
                "year_start": pl.String,
                "year_end": pl.String,
                "limit": pl.Int64,
            },
            of,
        )

    def code_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        def of(iso: str, code: str) -> tuple[Any, ...]:
            therapy = self.values.days[iso].policy.procedure_index.get(code)
            return (therapy.key, therapy.label) if therapy else (None, None)

        return self._facts(
            rows,
            {"date_of_service": pl.String, "procedure_code": pl.String},
            {"therapy": pl.String, "therapy_label": pl.String},
            of,
        )

    def diagnosis_facts(self, rows: pl.DataFrame) -> pl.DataFrame:
        def of(iso: str, stored: str) -> tuple[Any, ...]:
            primary = json.loads(stored)[0]
            return primary, primary in self.values.days[iso].approved

        return self._facts(
            rows,
            {"date_of_service": pl.String, "diagnosis_codes": pl.String},
            {"primary": pl.String, "dx_approved": pl.Boolean},
            of,
        )
