"""One chunk of the lane, in one transaction: the lines of participants with one chain of
units decided as columns, the others by `batch.Recorder`."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy.orm import Session

from precert.claims import batch, repository
from precert.claims.columnar.findings import findings

if TYPE_CHECKING:
    from precert.claims.columnar.lane import Lane

_SLICE = 25_000  # lines per insert statement


class Chunk:
    """One chunk's decision, in one transaction: the lines decided as columns (`prepare`, which
    only reads), and the rest by `batch.Recorder` (`record`, which writes them all)."""

    def __init__(self, lane: Lane, rows: pl.DataFrame) -> None:
        self.lane = lane
        self.rows = rows.with_row_index("i")
        self.aside: set[str] = set()
        self.decided: pl.DataFrame | None = None

    def prepare(self, session: Session, *, exact: bool) -> None:
        """Decide the lines of the participants that one chain of units covers.

        Unless `exact`, the lines on record are those pass 1 found (`on_record`): right when
        no line of the file links two participants or comes twice, and no one else records
        one of its lines meanwhile (the insert then fails, and the chunk is decided again)."""
        rows = self.rows
        aside = self._entangled(session, rows) if exact else self._flagged(rows)
        plain = rows.filter(~pl.col("participant_id").is_in(list(aside)))
        decided = self._decide_plain(session, plain) if plain.height else None
        if decided is not None:
            chained = decided.filter(pl.col("complex"))["participant_id"].unique().to_list()
            aside |= set(chained)
            decided = decided.filter(~pl.col("complex"))
        self.aside, self.decided = aside, decided

    def record(self, session: Session, now: datetime) -> pl.DataFrame:
        """Store the prepared lines, decide and store the rest; return the results
        (`importer.RESULT_COLUMNS` and units, in file order)."""
        repository.tune_for_batches(session)
        results = []
        if self.decided is not None and self.decided.height:
            self._store(session, self.decided, now)
            results.append(self.decided.select(_RESULTS))
        if self.aside:
            results.append(self._recorded_aside(session, now))
        return pl.concat(results).sort("source_line")

    def _flagged(self, rows: pl.DataFrame) -> set[str]:
        """Participants with a correction, or a line on record before the import."""
        repeated = rows.select("claim_id", "line_number").is_duplicated()
        special = rows.filter(
            pl.col("original_claim_id").is_not_null() | pl.col("on_record") | repeated
        )
        return set(special["participant_id"].unique().to_list())

    def _entangled(self, session: Session, rows: pl.DataFrame) -> set[str]:
        """Participants with a correction, a retry or a repeated line, and those they link."""
        ids = pl.concat([rows["claim_id"], rows["original_claim_id"].drop_nulls()]).unique()
        recorded = recorded_of(session, ids)
        keyed = rows.select("claim_id", "line_number", "participant_id", "original_claim_id")
        repeated = keyed.select("claim_id", "line_number").is_duplicated()
        special = pl.concat(
            [
                keyed.filter(pl.col("original_claim_id").is_not_null() | repeated),
                keyed.join(recorded, on=["claim_id", "line_number"], how="semi"),
            ]
        )
        if not special.height:
            return set()
        keys = pl.concat(
            [
                special.select("claim_id", "line_number"),
                special.filter(pl.col("original_claim_id").is_not_null()).select(
                    pl.col("original_claim_id").alias("claim_id"), "line_number"
                ),
            ]
        ).unique()
        linked = pl.concat(
            [
                special.select("participant_id"),
                keyed.join(keys, on=["claim_id", "line_number"]).select("participant_id"),
                recorded.join(keys, on=["claim_id", "line_number"]).select("participant_id"),
            ]
        )
        return set(linked["participant_id"].unique().to_list())

    def _recorded_aside(self, session: Session, now: datetime) -> pl.DataFrame:
        """Decide the set-aside participants' lines through `batch.Recorder`, in file order."""
        picked = self.rows.filter(pl.col("participant_id").is_in(list(self.aside)))
        lines = [batch.Row._make(r) for r in picked.select(batch.Row._fields).iter_rows()]
        answers, writes = self.lane.recorder.decide(session, lines, now)
        writes.store(session)
        return pl.DataFrame(
            [
                (
                    line.source_line,
                    line.claim_id,
                    line.line_number,
                    answer.outcome,
                    answer.covered_units,
                    answer.precert_id or "",
                    " ".join(r["code"] for r in answer.reasons),
                    " | ".join(r["message"] for r in answer.reasons),
                    line.units,
                )
                for line, answer in zip(lines, answers, strict=True)
            ],
            schema=_RESULT_SCHEMA,
            orient="row",
        )

    def _facts(
        self, session: Session, participants: list[str]
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The participants' approved pre-certifications, eligibility and ledger rows."""
        held = pl.DataFrame(
            repository.held_rows(session, participants),
            schema={
                "precert_id": pl.String,
                "participant_id": pl.String,
                "held_therapy": pl.String,
                "provider_npi": pl.String,
                "codes": pl.String,
                "start": pl.String,
                "end": pl.String,
                "approved": pl.Int64,
                "used": pl.Int64,
            },
            orient="row",
        )
        spans = pl.DataFrame(
            repository.eligibility_rows(session, participants),
            schema={"participant_id": pl.String, "from": pl.String, "to": pl.String},
            orient="row",
        )
        ledgers = pl.DataFrame(
            repository.ledger_rows(session, participants),
            schema={"participant_id": pl.String, "year_key": pl.String, "year_used": pl.Int64},
            orient="row",
        )
        return held, spans, ledgers

    def _decide_plain(self, session: Session, rows: pl.DataFrame) -> pl.DataFrame:
        lane = self.lane
        participants = rows["participant_id"].unique().to_list()
        held, spans, ledgers = self._facts(session, participants)
        lines = (
            rows.join(lane.day_facts(rows), on="date_of_service", how="left")
            .join(lane.code_facts(rows), on=["date_of_service", "procedure_code"], how="left")
            .join(lane.diagnosis_facts(rows), on=["date_of_service", "diagnosis_codes"], how="left")
        )
        on = pl.col("date_of_service")
        eligible = (
            lines.select("i", "participant_id", "date_of_service")
            .join(spans, on="participant_id")
            .filter((pl.col("from") <= on) & (pl.col("to").is_null() | (on <= pl.col("to"))))
            .select("i")
            .unique()
        )
        covering = (
            lines.select("i", "participant_id", "therapy", "date_of_service")
            .join(held, on="participant_id")
            .filter(
                (pl.col("held_therapy") == pl.col("therapy"))
                & (pl.col("start") <= on)
                & (on <= pl.col("end"))
            )
        )
        cover = covering.group_by("i").agg(
            pl.len().alias("n_cover"),
            pl.first("precert_id"),
            pl.first("provider_npi"),
            pl.first("codes"),
            pl.first("approved"),
            pl.first("used"),
        )
        lines = (
            lines.join(cover, on="i", how="left")
            .join(ledgers, on=["participant_id", "year_key"], how="left")
            .with_columns(
                pl.col("i").is_in(eligible["i"].implode()).alias("eligible"),
                pl.col("n_cover").fill_null(0),
                pl.col("year_used").fill_null(0),
                pl.col("used").fill_null(0),
            )
            .with_columns(
                (pl.col("provider_npi") == pl.col("billing_npi")).fill_null(False).alias("own"),
                pl.col("codes")
                .str.contains(pl.format('"{}"', pl.col("procedure_code")), literal=True)
                .fill_null(False)
                .alias("authorized"),
            )
        )
        gated = ~pl.col("eligible") | ~pl.col("dx_approved")
        in_program = pl.col("therapy").is_not_null()
        lines = lines.sort("i").with_columns(
            (
                in_program
                & ~gated
                & (pl.col("n_cover") == 1)
                & pl.col("own")
                & pl.col("authorized")
            ).alias("draws")
        )
        return findings(self._units(lines))

    def _units(self, lines: pl.DataFrame) -> pl.DataFrame:
        """Covered units of the lines that draw on units: one chain per participant."""
        chains = (
            lines.filter(pl.col("draws"))
            .group_by("participant_id")
            .agg(pl.struct("precert_id", "year_key").n_unique().alias("chains"))
        )
        several = chains.filter(pl.col("chains") > 1)["participant_id"]
        choice = lines.filter(pl.col("n_cover") > 1)["participant_id"]
        lines = lines.with_columns(
            (
                pl.col("participant_id").is_in(several.implode())
                | pl.col("participant_id").is_in(choice.implode())
            ).alias("complex")
        )
        billed = pl.when(pl.col("draws")).then(pl.col("units")).otherwise(0)
        upto = billed.cum_sum().over("participant_id")  # the lines are in file order
        precert_left0 = pl.col("approved") - pl.col("used")
        year_left0 = pl.col("limit") - pl.col("year_used")
        cap = pl.max_horizontal(pl.min_horizontal(precert_left0, year_left0), pl.lit(0))
        before = pl.min_horizontal(upto - billed, cap)
        return lines.with_columns(
            pl.when(pl.col("draws"))
            .then(pl.min_horizontal(upto, cap) - before)
            .otherwise(0)
            .alias("covered_units"),
            pl.max_horizontal(precert_left0 - before, pl.lit(0)).alias("precert_left"),
            pl.max_horizontal(year_left0 - before, pl.lit(0)).alias("year_left"),
        )

    def _store(self, session: Session, decided: pl.DataFrame, now: datetime) -> None:
        """Insert the lines and add the units they used (one statement per table)."""
        table = decided.sort("i").select(  # in file order
            pl.col("stored_reasons").alias(name) if name == "reasons" else pl.col(name)
            for name in repository.ORIGINAL_COLUMNS
        )
        for first in range(0, table.height, _SLICE):
            part = table.slice(first, _SLICE)
            with _no_collection():  # tuples by the thousand: nothing for the collector to free
                columns = [column.to_list() for column in part.get_columns()]
                values = list(zip(*columns, strict=True))
            repository.insert_originals(session, values, now)
        drawn = decided.filter(pl.col("covered_units") > 0)
        precerts = drawn.group_by("precert_id").agg(pl.sum("covered_units"))
        ledgers = drawn.group_by("participant_id", "year_key").agg(pl.sum("covered_units"))
        repository.add_used(
            session,
            dict(precerts.iter_rows()),
            {(pid, key): n for pid, key, n in ledgers.iter_rows()},
        )


def recorded_of(session: Session, ids: pl.Series) -> pl.DataFrame:
    """The recorded lines of these claims: claim_id, line_number, participant_id. Read by the
    range of the IDs when it holds few lines (a tenth of the IDs), else ID by ID."""
    low, high = str(ids.min()), str(ids.max())
    found = repository.recorded_between(session, low, high, ids.len() // 10)
    if found is None:  # sorted, so that the lookups walk the claims' index in order
        found = repository.recorded_lines(session, ids.sort().to_list())
    return pl.DataFrame(
        found,
        schema={"claim_id": pl.String, "line_number": pl.Int64, "participant_id": pl.String},
        orient="row",
    ).filter(pl.col("claim_id").is_in(ids.implode()))


@contextmanager
def _no_collection() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_RESULT_SCHEMA = {
    "source_line": pl.Int64,
    "claim_id": pl.String,
    "line_number": pl.Int64,
    "outcome": pl.String,
    "covered_units": pl.Int64,
    "precert_id": pl.String,
    "reason_codes": pl.String,
    "reasons": pl.String,
    "units": pl.Int64,
}
_RESULTS = [
    "source_line",
    "claim_id",
    "line_number",
    "outcome",
    "covered_units",
    pl.col("precert_id").fill_null(""),
    "reason_codes",
    "reasons",
    "units",
]
