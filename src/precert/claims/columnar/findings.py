"""The lane's findings: `Finding.of(reason, ...).message` for whole columns, and outcomes.

Built from the `Reason` templates themselves, so the messages are the engine's word for word."""

from __future__ import annotations

import json
import string

import polars as pl

from precert.rules.claims import Outcome
from precert.rules.ledger import COVERING
from precert.rules.reasons import Reason


def _message(reason: Reason, **values: pl.Expr) -> pl.Expr:
    """`Finding.of(reason, ...).message` for whole columns (values are text columns)."""
    parts: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(reason.value):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            parts.append(values[name])
    return pl.concat_str(parts)


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String)


def _json_string(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        '"', '\\"', literal=True
    )


def findings(lines: pl.DataFrame) -> pl.DataFrame:
    """Each line's reasons (codes, messages and the JSON list stored) and outcome."""
    on = pl.col("date_of_service")
    units = _text(pl.col("units"))
    draws = pl.col("draws")
    in_program = pl.col("therapy").is_not_null()
    covers = pl.col("n_cover") == 1
    gated = ~pl.col("eligible") | ~pl.col("dx_approved")
    found: list[tuple[pl.Expr, Reason, dict[str, pl.Expr]]] = [
        (
            ~in_program,
            Reason.PROCEDURE_NOT_IN_PROGRAM,
            {"code": pl.col("procedure_code")},
        ),
        (in_program & ~pl.col("eligible"), Reason.PARTICIPANT_NOT_ELIGIBLE, {"on": on}),
        (
            in_program & ~pl.col("dx_approved"),
            Reason.DIAGNOSIS_NOT_APPROVED,
            {"codes": pl.col("primary"), "on": on},
        ),
        (
            in_program & ~covers,
            Reason.NO_PRECERT,
            {"therapy": pl.col("therapy_label"), "on": on},
        ),
        (
            in_program & covers & ~pl.col("own"),
            Reason.BILLING_PROVIDER_MISMATCH,
            {
                "billing_npi": pl.col("billing_npi"),
                "precert_id": pl.col("precert_id"),
                "provider_npi": pl.col("provider_npi"),
            },
        ),
        (
            in_program & covers & pl.col("own") & ~gated & ~pl.col("authorized"),
            Reason.PROCEDURE_NOT_AUTHORIZED,
            {
                "code": pl.col("procedure_code"),
                "precert_id": pl.col("precert_id"),
                "authorized": pl.col("authorized_list"),
            },
        ),
        (
            draws & (pl.col("precert_left") < pl.col("units")),
            Reason.PRECERT_UNITS_EXHAUSTED,
            {
                "billed": units,
                "precert_id": pl.col("precert_id"),
                "left": _text(pl.col("precert_left")),
                "approved": _text(pl.col("approved")),
                "covered": _text(pl.col("covered_units")),
            },
        ),
        (
            draws & (pl.col("year_left") == 0),
            Reason.ANNUAL_LIMIT_REACHED,
            {
                "year_start": pl.col("year_start"),
                "year_end": pl.col("year_end"),
                "limit": _text(pl.col("limit")),
                "counted": pl.lit(COVERING["counted"]),
            },
        ),
        (
            draws & (pl.col("year_left") > 0) & (pl.col("year_left") < pl.col("units")),
            Reason.UNITS_REDUCED_TO_LIMIT,
            {
                "requested": units,
                "remaining": _text(pl.col("year_left")),
                "limit": _text(pl.col("limit")),
                "asked": pl.lit(COVERING["asked"]),
                "granted": pl.lit(COVERING["granted"]),
                "year_start": pl.col("year_start"),
                "year_end": pl.col("year_end"),
            },
        ),
    ]
    covered = pl.col("covered_units")
    in_full = draws & (covered == pl.col("units"))  # a line with no finding
    clean = lines.filter(in_full).with_columns(
        pl.lit("").alias("reason_codes"),
        pl.lit("").alias("reasons"),
        pl.lit("[]").alias("stored_reasons"),
    )
    rest = lines.filter(~in_full)
    distinct = rest["codes"].drop_nulls().unique().to_list()
    # Each finding's message once (null where the line has not that finding), then the
    # codes, the messages and the stored JSON list from those.
    said = [f"_said_{n}" for n in range(len(found))]
    rest = (
        rest.with_columns(
            pl.col("codes")
            .replace_strict(
                distinct,
                [_authorized(c) for c in distinct],
                default=None,
                return_dtype=pl.String,
            )
            .alias("authorized_list")
        )
        .with_columns(
            pl.when(when).then(_message(reason, **values)).alias(name)
            for (when, reason, values), name in zip(found, said, strict=True)
        )
        .with_columns(
            pl.concat_str(
                [
                    pl.when(pl.col(name).is_not_null()).then(pl.lit(reason.name))
                    for (_, reason, _), name in zip(found, said, strict=True)
                ],
                separator=" ",
                ignore_nulls=True,
            ).alias("reason_codes"),
            pl.concat_str(said, separator=" | ", ignore_nulls=True).alias("reasons"),
            pl.concat_str(
                pl.lit("["),
                pl.concat_str(
                    [
                        pl.concat_str(
                            pl.lit(f'{{"code": "{reason.name}", "message": "'),
                            _json_string(pl.col(name)),
                            pl.lit('"}'),
                        )
                        for (_, reason, _), name in zip(found, said, strict=True)
                    ],
                    separator=", ",
                    ignore_nulls=True,
                ),
                pl.lit("]"),
            ).alias("stored_reasons"),
        )
        .drop("authorized_list", *said)
    )
    return pl.concat([clean, rest]).with_columns(
        pl.when(covered == 0)
        .then(pl.lit(Outcome.NOT_COVERED.value))
        .when(covered < pl.col("units"))
        .then(pl.lit(Outcome.REDUCED.value))
        .otherwise(pl.lit(Outcome.COVERED.value))
        .alias("outcome"),
        pl.when(in_program & covers).then(pl.col("precert_id")).alias("precert_id"),
        pl.when(in_program).then(pl.col("therapy")).alias("therapy"),
        pl.when(covered > 0).then(pl.col("year_key")).alias("year_key"),
    )


def _authorized(codes: str) -> str:
    return ", ".join(sorted(set(json.loads(codes)))) or "none"
