"""A client's observations: a CSV file read, checked and matched to simulated values.

One row per observation (``docs/calibration.md``)::

    day,metric,department,value,n,se,window_days
    90,engagement_share,,0.31,80,,
    90,csat,,0.72,450,,
    90,csat,support,0.64,160,,
    180,churn_rate,,0.21,,0.04,60

* ``day`` (days after the warm-up: intervention day, the first day after it is 0) or
  ``date`` (with ``start_date``, the date of day 0);
* ``metric``: a daily metric of ``docs/metrics.md`` (aliases: ``engagement`` for
  ``engagement_mean``, ``burnout`` for ``burnout_share``, ``turnover`` for
  ``turnover_rate``); with a ``department``, one of the per-department fields;
* ``department``: optional, empty for the whole organisation;
* ``value``: the observed mean of the metric over the ``window_days`` (default 30) days
  ending on ``day``;
* ``se`` (standard error) or ``n`` (sample size): required for survey metrics (shares of
  answers or of people surveyed, and NPS), where ``n`` gives a binomial standard error;
  optional for records of the whole population (churn and turnover rates, revenue,
  headcount...): empty means recorded exactly (the model's own variation between
  realisations is then the only error; ``n`` is not used for them).

:func:`read_observations` checks everything before any run and raises one
:class:`ParameterError` listing every bad row, one line each, naming the row, the column
and the problem. :func:`window_values` computes a run's counterparts of the observations.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxsim.core.parameters import Config, ParameterError, show_value
from cxsim.core.structure import Structure
from cxsim.core.validation import suggest
from cxsim.engine.metrics import DAILY_METRICS, DEPARTMENT_FIELDS

#: Metrics an observation of the whole organisation may name (``result.daily`` columns).
ORGANISATION_METRICS: tuple[str, ...] = tuple(m for m in DAILY_METRICS
                                              if m not in ("day", "intervention_day"))
#: Metrics an observation of one department may name (``result.departments`` columns).
DEPARTMENT_METRICS: tuple[str, ...] = DEPARTMENT_FIELDS
#: Other names accepted in the ``metric`` column, and the metric they mean.
ALIASES: dict[str, str] = {"engagement": "engagement_mean", "burnout": "burnout_share",
                           "turnover": "turnover_rate", "churn": "churn_rate"}
#: Shares of people or answers: ``n`` gives a binomial standard error.
PROPORTIONS = frozenset({"csat", "fcr", "engagement_share", "burnout_share", "promoter_share",
                         "detractor_share", "training_completion"})
#: Survey metrics: they need ``se`` or ``n`` (the others default to an exact record).
SURVEYS = PROPORTIONS | {"nps"}
#: Value ranges other than ">= 0".
RANGES: dict[str, tuple[float, float]] = {
    **{m: (0.0, 1.0) for m in PROPORTIONS | {
        "consistency", "quality_mean", "engagement_mean", "strain_mean", "skill_mean",
        "empowerment_mean", "centricity_mean", "silo_effective"}},
    **{m: (0.0, 0.5) for m in ("quality_std", "touchpoint_spread", "department_spread")},
    "nps": (-100.0, 100.0),
    "intervention_cost": (-math.inf, math.inf),
}
#: Ratio metrics pooled over a window with these weights (as the summary pools them).
WEIGHTS: dict[str, str] = {"csat": "responses", "nps": "responses", "fcr": "first_contacts",
                           "quality_mean": "contacts"}
#: Default and largest window (days).
DEFAULT_WINDOW = 30
MAX_WINDOW = 3650
#: Largest observations file read (bytes) and most rows.
MAX_FILE_BYTES = 10_000_000
MAX_ROWS = 10_000
REQUIRED = ("metric", "value")
COLUMNS = ("day", "date", "metric", "department", "value", "n", "se", "window_days")


class ObservationRow(BaseModel):
    """One row of an observations file, as typed values (``None`` for an empty cell)."""

    model_config = ConfigDict(extra="forbid")

    day: int | None = Field(default=None, ge=-3650, le=3650)
    date: dt.date | None = None
    metric: str = Field(min_length=1, max_length=100)
    department: str | None = Field(default=None, max_length=200)
    value: float = Field(allow_inf_nan=False)
    n: int | None = Field(default=None, ge=1, le=10**12)
    se: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    window_days: int = Field(default=DEFAULT_WINDOW, ge=1, le=MAX_WINDOW)

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, str):
            return dt.date.fromisoformat(value.strip())  # ValueError: reported per row
        return value


@dataclass(frozen=True)
class Observations:
    """Checked observations: :attr:`frame` has one row per observation with ``row`` (its
    row in the file, from 1), ``day``, ``metric`` (canonical name), ``department`` (empty
    for the whole organisation), ``value``, ``se``, ``window_days``, ``first_day`` and
    ``label`` (``metric`` or ``metric@department``)."""

    frame: pd.DataFrame
    source: str = "observations"

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def windows(self) -> tuple[tuple[str, str, int, int], ...]:
        """``(metric, department, first day, last day)`` of each observation."""
        return tuple((m, d, int(a), int(b)) for m, d, a, b in zip(
            self.frame["metric"], self.frame["department"], self.frame["first_day"],
            self.frame["day"]))

    @property
    def needs_departments(self) -> bool:
        """Whether any observation is of one department (runs record that frame)."""
        return bool((self.frame["department"] != "").any())

    def records(self) -> list[dict[str, Any]]:
        """The checked rows as plain JSON-ready dicts (what identifies the data)."""
        columns = ["row", "day", "metric", "department", "value", "se", "window_days"]
        return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in self.frame[columns].to_dict("records")]


# --------------------------------------------------------------------------- reading


def read_observations(source: str | os.PathLike | pd.DataFrame, config: Config,
                      structure: Structure, start_date: str | dt.date | None = None
                      ) -> Observations:
    """Read and check observations (a CSV path or a DataFrame of its columns) against the
    run ``config`` (warm-up and horizon) and ``structure`` (departments).

    Raises:
        ParameterError: every problem at once, one line each, naming the row (from 1, the
            header not counted), the column and the problem.
    """
    name = "observations" if isinstance(source, pd.DataFrame) else os.fspath(source)
    if isinstance(source, pd.DataFrame):
        table = source.copy()
    elif isinstance(source, (str, os.PathLike)):
        table = _read_csv(Path(source))
    else:
        raise ParameterError(f"observations = {show_value(source)} is not allowed: expected "
                             "a CSV file's path or a pandas DataFrame")
    try:
        return Observations(_check_table(table, config, structure, start_date), name)
    except ParameterError as error:
        raise error.prefixed(f"{name}: ") from None


def _read_csv(path: Path) -> pd.DataFrame:
    where = str(path)
    if not path.exists():
        raise ParameterError(f"observations file {where!r} does not exist")
    if not path.is_file():
        raise ParameterError(f"observations file {where!r} is not a regular file: expected "
                             "a CSV file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ParameterError(f"observations file {where!r} is larger than "
                             f"{MAX_FILE_BYTES:,} bytes: expected a CSV of observations")
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterError(f"{where}: not UTF-8 text: save the file as UTF-8 CSV") from None
    if "\x00" in text:
        raise ParameterError(f"{where}: not a text file (it contains NUL bytes): expected a "
                             "CSV file")
    if not text.strip():
        raise ParameterError(f"{where}: the file is empty: expected a header line "
                             "(day,metric,department,value,n,se) and one row per observation")
    from io import StringIO

    try:
        return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False,
                           skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as error:
        line = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise ParameterError(f"{where}: not a valid CSV file ({line})") from None


def _check_table(table: pd.DataFrame, config: Config, structure: Structure,
                 start_date: str | dt.date | None) -> pd.DataFrame:
    table.columns = [str(c).strip() for c in table.columns]
    errors = _column_errors(list(table.columns), start_date)
    if errors:
        raise ParameterError(errors)
    if len(table) == 0:
        raise ParameterError("no observations: expected at least one row after the header")
    if len(table) > MAX_ROWS:
        raise ParameterError(f"{len(table):,} rows are not allowed: expected at most "
                             f"{MAX_ROWS:,} observations")
    start = _start_date(start_date) if "date" in table.columns else None
    departments = structure.department_names
    first_allowed, last_allowed = -config.burn_in_days, config.days - 1
    rows: list[dict[str, Any]] = []
    for index, cells in enumerate(table.to_dict("records"), 1):
        problems, row = _check_row(index, cells, start, departments,
                                   (first_allowed, last_allowed), config)
        errors += problems
        if row is not None:
            rows.append(row)
    if errors:
        raise ParameterError(errors)
    frame = pd.DataFrame(rows)
    frame["label"] = [m if not d else f"{m}@{d}" for m, d in zip(frame.metric, frame.department)]
    return frame


def _column_errors(columns: list[str], start_date: Any) -> list[str]:
    errors = []
    for column in columns:
        if column not in COLUMNS:
            errors.append(f"column {show_value(column)} is not allowed: unknown column; "
                          + suggest(column, list(COLUMNS)))
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        errors.append(f"column {show_value(twice[0])} is not allowed: it appears twice; "
                      "expected each column once")
    for column in REQUIRED:
        if column not in columns:
            errors.append(f"column {column!r} is missing: expected the columns day (or date), "
                          "metric, value and n or se (department and window_days optional)")
    if "day" in columns and "date" in columns:
        errors.append("columns 'day' and 'date' are not allowed together: expected one of them")
    elif "day" not in columns and "date" not in columns:
        errors.append("column 'day' is missing: expected day (days after the warm-up) or date "
                      "(with a start date)")
    elif "date" in columns and start_date is None:
        errors.append("column 'date' needs a start date: give --start-date YYYY-MM-DD (the "
                      "date of the first day after the warm-up), or use a day column")
    return errors


def _start_date(value: str | dt.date | None) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"--start-date = {show_value(value)} is not allowed: expected a "
                             "date YYYY-MM-DD") from None


def _check_row(index: int, cells: Mapping[str, Any], start: dt.date | None,
               departments: list[str], allowed_days: tuple[int, int], config: Config
               ) -> tuple[list[str], dict[str, Any] | None]:
    where = f"row {index}"
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in cells.items()}
    data = {k: v for k, v in data.items() if not (v == "" or v is None
                                                 or (isinstance(v, float) and math.isnan(v)))}
    try:
        row = ObservationRow.model_validate(data)
    except ValidationError as error:
        return [_row_error_line(where, e, data) for e in error.errors()], None
    errors: list[str] = []
    metric = ALIASES.get(row.metric, row.metric)
    department = row.department or ""
    allowed = DEPARTMENT_METRICS if department else ORGANISATION_METRICS
    if department and department not in departments:
        errors.append(f"{where}, column department: {show_value(department)} is not a "
                      "department of the scenario; " + suggest(department, departments))
    if metric not in allowed:
        kind = "per-department" if department else "daily"
        errors.append(f"{where}, column metric: unknown {kind} metric {show_value(row.metric)}; "
                      + suggest(row.metric, list(allowed)))
        return errors, None
    low, high = RANGES.get(metric, (0.0, math.inf))
    if not low <= row.value <= high:
        errors.append(f"{where}, column value: {show_value(row.value)} is out of range for "
                      f"{metric}; expected {low:g} to {high:g}")
    day = row.day if row.date is None else (row.date - start).days
    column = "day" if row.date is None else "date"
    first, last = allowed_days
    if day > last:
        errors.append(f"{where}, column {column}: day {day} is after the run's last day "
                      f"{last} (run.days = {config.days}); expected a day from "
                      f"{first + row.window_days - 1} to {last}")
    elif day - row.window_days + 1 < first:
        errors.append(f"{where}, column {column}: the {row.window_days}-day window ending on "
                      f"day {day} starts before the run (its first day is {first}, "
                      f"run.burn_in_days = {config.burn_in_days}); expected a day from "
                      f"{first + row.window_days - 1} to {last}")
    se = row.se
    if se is None and metric in SURVEYS:
        if row.n is None:
            errors.append(f"{where}, columns n and se: both empty; {metric} is a survey "
                          "metric: expected a standard error (se > 0) or a sample size "
                          "(n >= 1)")
        else:
            se = standard_error(metric, row.value, row.n)
    elif se is None:
        se = 0.0  # a record of the whole population: the model's realisations vary
    if errors:
        return errors, None
    return [], {"row": index, "day": int(day), "metric": metric, "department": department,
                "value": float(row.value), "se": float(se), "window_days": row.window_days,
                "first_day": int(day - row.window_days + 1)}


def _row_error_line(where: str, error: Any, data: Mapping[str, Any]) -> str:
    loc = error["loc"]
    column = str(loc[0]) if loc else "?"
    if error["type"] == "missing":
        return f"{where}, column {column}: empty; expected a value"
    shown = show_value(data.get(column))
    message = error.get("msg", "invalid")
    if column == "date":
        message = "not a date; expected YYYY-MM-DD"
    elif column in ("day", "n", "window_days") and error["type"].startswith("int"):
        message = "expected a whole number"
    elif column in ("value", "se") and error["type"].startswith("float"):
        message = "expected a finite number"
    return f"{where}, column {column}: {shown} is not allowed: {message}"


def standard_error(metric: str, value: float, n: int) -> float | None:
    """The standard error a survey of ``n`` implies, or None for a metric that is not a
    survey: binomial for shares (``value`` clipped away from 0 and 1 by half an answer),
    ``100 sqrt((1 - (nps/100)^2) / n)`` for NPS (its largest value for that mean)."""
    if metric in PROPORTIONS:
        p = min(max(value, 0.5 / n), 1 - 0.5 / n)
        return math.sqrt(p * (1 - p) / n)
    if metric == "nps":
        share = min(abs(value) / 100, 1 - 0.5 / n)
        return 100 * math.sqrt((1 - share * share) / n)
    return None


# --------------------------------------------------------------------------- simulated


def window_values(daily: pd.DataFrame, departments: pd.DataFrame | None,
                  windows: tuple[tuple[str, str, int, int], ...]) -> list[float]:
    """A run's counterpart of each observation window ``(metric, department, first day,
    last day)``: the mean of the metric over the rows whose ``intervention_day`` lies in
    the window (ratios pooled with :data:`WEIGHTS`, as the summary pools them; days with
    NaN skipped; NaN if no day has a value)."""
    values = []
    for metric, department, first, last in windows:
        if department:
            frame = departments[departments["department"] == department]
        else:
            frame = daily
        days = frame["intervention_day"].to_numpy()
        rows = frame[(days >= first) & (days <= last)]
        x = rows[metric].to_numpy(dtype=float)
        weight_column = WEIGHTS.get(metric)
        w = (rows[weight_column].to_numpy(dtype=float) if weight_column in rows.columns
             else np.ones_like(x))
        keep = np.isfinite(x) & (w > 0)
        values.append(float(np.sum(x[keep] * w[keep]) / np.sum(w[keep])) if keep.any()
                      else math.nan)
    return values
