"""The 14 calibration patterns (P1-P14 of ``calibration-targets``), declared once as data,
and their measurement: ``cxsim validate`` (see ``docs/validation.md``).

Each :class:`Pattern` names its claim, cited source, target, the library scenarios it
uses, the metric and window, how the simulated value is computed and how pass or fail
is decided (:attr:`Pattern.test`), and the check that the pass comes from the mechanism
the pattern names (:attr:`Pattern.mechanism`). :func:`validate` runs every scenario the
chosen patterns need in as few :func:`~cxsim.experiments.comparisons.compare` calls as
possible (one for everything on the one-year horizon, sharing each seed's baseline
warm-up; one for P10's two-year horizon), with paired replicates and common random
numbers, then evaluates each pattern from the per-replicate values.

>>> from cxsim.experiments.patterns import validate
>>> report = validate(["P3", "P5"], replicates=20)              # doctest: +SKIP
>>> print(report.markdown())                                    # doctest: +SKIP

A relative change ("CSAT +15% to +25%") is computed per replicate as
``scenario / baseline - 1`` (same seed, same final window) and averaged over
replicates, with a 95% t-interval; it passes when the mean lies in the target range.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.enums import Level
from cxsim.core.parameters import ParameterError
from cxsim.engine.metrics import (
    COHORT_HORIZON_DAYS,
    CONTACT_OUTCOMES,
    DEPARTMENT_FIELDS,
    engagement_quadrants,
    unit_quadrants,
)
from cxsim.engine.model import CXModel
from cxsim.experiments.comparisons import (
    ComparisonResult,
    check_replicates,
    compare,
    t_interval,
    unique_labels,
)
from cxsim.experiments.output import write_atomically
from cxsim.experiments.scenarios import Scenario, library, load_scenario
from cxsim.results import Result

#: Default replicates (paired seeds) of the full validation and of ``--quick``.
FULL_REPLICATES = 20
QUICK_REPLICATES = 3
#: Baseline seeds of the full validation's at-rest test: the patterns' replicates plus
#: further seeds of the baseline alone. A year's drift of a rare-event rate (quits of
#: 400 employees in a quarter) needs about 2.5 times the patterns' 20 seeds before its CI
#: is narrower than the tolerance; the extra runs cost about 2 minutes.
REST_REPLICATES = 60
#: Seed of the first replicate (the library's seed); replicate r uses SEED + r.
SEED = 1
#: The library scenario every relative change is measured against.
BASELINE = "baseline"


@dataclass(frozen=True)
class Mode:
    """Organisation size and window of a validation run (everything else: defaults)."""

    name: str
    n_employees: int
    n_customers: int
    window_days: int
    replicates: int
    #: Further parameter overrides (tests shorten the horizon with them).
    extra: tuple[tuple[str, Any], ...] = ()
    #: Baseline seeds of the at-rest test (at least the patterns' replicates: 0 or fewer
    #: means just those; more runs the baseline alone on the following seeds).
    rest_replicates: int = 0

    @property
    def overrides(self) -> dict[str, Any]:
        """Parameter overrides applied to every scenario of the run."""
        return {"organisation.n_employees": self.n_employees,
                "customers.n_customers": self.n_customers,
                "run.summary_window_days": self.window_days} | dict(self.extra)

    @property
    def label(self) -> str:
        """How outputs name the mode (QUICK runs say they are not the validation)."""
        if self.name == "quick":
            return ("QUICK (a smoke test for CI: small organisation, few replicates; NOT "
                    "the validation)")
        return "full" if self.name == "full" else f"{self.name} (custom size; not the validation)"


#: The full validation: the size issue 8 measured at (400 employees x 40,000 customers;
#: the behavioural parameters at their defaults), final window the last 90 days.
FULL = Mode("full", n_employees=400, n_customers=40_000, window_days=90,
            replicates=FULL_REPLICATES, rest_replicates=REST_REPLICATES)
#: ``--quick``: a smoke test for CI.
QUICK = Mode("quick", n_employees=100, n_customers=10_000, window_days=90,
             replicates=QUICK_REPLICATES)


# ---------------------------------------------------------------------- measurements


#: Headline metrics whose drift over the year is measured on the baseline (at rest):
#: (metric, how the drift is expressed, tolerance). ``absolute``: last quarter minus
#: first quarter in the metric's unit (shares as fractions, NPS in points);
#: ``relative``: last quarter / first quarter - 1.
REST_METRICS: tuple[tuple[str, str, float], ...] = (
    ("csat", "absolute", 0.01),
    ("nps", "absolute", 2.0),
    ("fcr", "absolute", 0.01),
    ("engagement_share", "absolute", 0.01),
    ("engagement_mean", "absolute", 0.01),
    ("burnout_share", "absolute", 0.01),
    ("skill_mean", "relative", 0.02),
    ("churn_rate", "absolute", 0.01),
    ("turnover_rate", "absolute", 0.02),
    ("active_customers", "relative", 0.01),
    ("revenue", "relative", 0.01),
)
#: Metrics that are shares or rates (their differences are shown in percentage points).
SHARE_METRICS = frozenset({"csat", "fcr", "engagement_share", "burnout_share", "churn_rate",
                           "turnover_rate", "support_burnout_share", "support_turnover_rate",
                           "promoter_share"})
#: Days in a quarter of the drift measure (first vs last quarter of the intervention period).
QUARTER_DAYS = 90


def quarter_values(daily: pd.DataFrame) -> dict[str, float]:
    """Each :data:`REST_METRICS` metric over ``daily`` (one quarter): survey and service
    ratios pooled over the days, states as daily means, rates annualised."""
    s = daily.sum(numeric_only=True)
    days = len(daily)

    def ratio(a: float, b: float) -> float:
        return float(a / b) if b else math.nan

    mean_active = daily["active_customers"].mean()
    mean_heads = daily["headcount"].mean()
    return {
        "csat": ratio(s["csat_top2"], s["responses"]),
        "nps": 100.0 * ratio(s["nps_promoters"] - s["nps_detractors"], s["responses"]),
        "fcr": ratio(s["resolved_first"], s["first_contacts"]),
        "engagement_share": float(daily["engagement_share"].mean()),
        "engagement_mean": float(daily["engagement_mean"].mean()),
        "burnout_share": float(daily["burnout_share"].mean()),
        "skill_mean": float(daily["skill_mean"].mean()),
        "churn_rate": ratio(s["churned"] * 365.0 / days, mean_active),
        "turnover_rate": ratio(s["quits"] * 365.0 / days, mean_heads),
        "active_customers": float(mean_active),
        "revenue": float(daily["revenue"].mean()),
    }


def drift_values(daily: pd.DataFrame) -> dict[str, float]:
    """``drift_<metric>`` for each :data:`REST_METRICS` metric: its last quarter of the
    intervention period against its first (absolute or relative, as declared)."""
    period = daily[daily["intervention_day"] >= 0]
    if len(period) < 2 * QUARTER_DAYS:
        return {f"drift_{metric}": math.nan for metric, _, _ in REST_METRICS}
    first = quarter_values(period.iloc[:QUARTER_DAYS])
    last = quarter_values(period.iloc[-QUARTER_DAYS:])
    out = {}
    for metric, kind, _ in REST_METRICS:
        if kind == "relative":
            value = last[metric] / first[metric] - 1.0 if first[metric] else math.nan
        else:
            value = last[metric] - first[metric]
        out[f"drift_{metric}"] = value
    return out


def measure_drift(model: CXModel, result: Result) -> dict[str, float]:
    """Only the at-rest drift values (:func:`drift_values`): what the at-rest test's
    extra baseline seeds need (a ``measure`` for :func:`compare`)."""
    return drift_values(result.daily)


def measure_patterns(model: CXModel, result: Result) -> dict[str, float]:
    """Values the patterns need beyond the summary metrics, measured in the worker after
    each run (``compare(measure=...)``):

    * final-window means of ``quality_std``, ``engagement_mean``, ``skill_mean``,
      ``centricity_mean``, ``empowerment_mean``, ``defect_rate_mean``, ``silo_effective``;
    * by level on the final day: ``centricity_<level>``, ``engaged_<level>``,
      ``burnout_<level>``; by department and level: ``burnout_<department>_<level>``
      (share of filled positions with strain at or above the burnout threshold);
    * the support department's ``support_burnout_share`` (final-window mean) and
      ``support_turnover_rate`` (leavers per head per year over the intervention period);
    * ``drift_<metric>`` (:func:`drift_values`);
    * the outcome cohorts of the summary (``churn_90d_after_<outcome>``,
      ``cohort_contacts_<outcome>``).
    """
    summary = result.summary()
    window = result.window("final")
    out: dict[str, float] = {
        "quality_std": summary["quality_std"],
        "engagement_mean": summary["engagement_mean"],
    }
    for column in ("skill_mean", "centricity_mean", "empowerment_mean", "defect_rate_mean",
                   "silo_effective"):
        out[column] = float(window[column].mean())
    p = model.p
    active = model.active
    burnt = model.strain >= p.burnout_threshold
    engaged = model.engagement >= p.engaged_threshold
    names = model.structure.department_names
    for level in Level:
        at_level = active & (model.level == level)
        out[f"centricity_{level.label}"] = _mean(model.centricity[at_level])
        out[f"engaged_{level.label}"] = _mean(engaged[at_level])
        out[f"burnout_{level.label}"] = _mean(burnt[at_level])
        for d, name in enumerate(names):
            out[f"burnout_{name}_{level.label}"] = _mean(burnt[at_level & (model.department == d)])
    buffer = model.recorder.by_department
    support = model.support_department
    period = buffer[model.burn_in + 1:, support, :].astype(float)
    w = min(p.summary_window_days, len(period))
    column = DEPARTMENT_FIELDS.index
    out["support_burnout_share"] = float(np.nanmean(period[-w:, column("burnout_share")]))
    heads = float(np.nanmean(period[:, column("headcount")]))
    quits = float(np.nansum(period[:, column("quits")]))
    out["support_turnover_rate"] = quits / heads * 365.0 / len(period) if heads else math.nan
    out.update(drift_values(result.daily))
    if model.window_start is not None:
        out.update(engagement_quadrants(model, model.window_start))
    if model.unit_ledger is not None:
        out.update(unit_quadrants(model, model.window_start, model.unit_ledger))
    summary_keys = [f"churn_{COHORT_HORIZON_DAYS}d_after_{o}" for o in CONTACT_OUTCOMES]
    summary_keys += [f"cohort_contacts_{o}" for o in CONTACT_OUTCOMES]
    out.update({key: summary[key] for key in summary_keys})
    return out


#: The only per-group frame :func:`measure_patterns` reads (support's burnout and
#: turnover, P13): comparisons record no other (see ``comparisons.measured_frames``).
measure_patterns.frames = ("departments",)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


class Measurements:
    """Per-replicate values of every scenario's metrics, by library name, from the
    comparisons of one validation (replicates paired by seed across scenarios)."""

    def __init__(self, comparisons: Sequence[tuple[ComparisonResult, Mapping[str, str]]],
                 scenarios: Mapping[str, Scenario]):
        self._frames: dict[str, pd.DataFrame] = {}
        self._scenarios = dict(scenarios)
        for result, labels in comparisons:
            for name, label in labels.items():
                rows = result.runs[result.runs["scenario"] == label]
                self._frames[name] = rows.pivot(index="replicate", columns="metric",
                                                values="value")

    def parameter(self, scenario: str, name: str) -> float:
        """A parameter of ``scenario`` as its file sets it (e.g. a rung's silo strength)."""
        return float(self._scenarios[scenario].config[name])

    def has(self, scenario: str) -> bool:
        """Whether ``scenario`` (a library name) was run."""
        return scenario in self._frames

    def values(self, scenario: str, metric: str) -> np.ndarray:
        """The metric of each replicate of ``scenario`` (in replicate order)."""
        frame = self._frames[scenario]
        if metric not in frame.columns:
            return np.full(len(frame), math.nan)
        return frame[metric].to_numpy(dtype=float)

    def mean(self, scenario: str, metric: str) -> float:
        """Mean of the metric over replicates (NaNs dropped)."""
        values = self.values(scenario, metric)
        return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan

    def interval(self, scenario: str, metric: str) -> Estimate:
        """The metric's mean over replicates with its 95% t-interval."""
        return Estimate.of(self.values(scenario, metric))

    def relative(self, scenario: str, metric: str, base: str = BASELINE) -> Estimate:
        """Relative change ``scenario / base - 1`` per replicate, mean and 95% CI."""
        s, b = self.values(scenario, metric), self.values(base, metric)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Estimate.of(np.where(b != 0, s / b - 1.0, math.nan))

    def difference(self, scenario: str, metric: str, base: str = BASELINE) -> Estimate:
        """Paired difference ``scenario - base`` per replicate, mean and 95% CI."""
        return Estimate.of(self.values(scenario, metric) - self.values(base, metric))


@dataclass(frozen=True)
class Estimate:
    """A mean over replicates with its 95% confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Estimate:
        """Mean and 95% t-interval of ``values`` (NaNs dropped)."""
        return cls(*t_interval(values))

    def above(self, threshold: float = 0.0) -> bool:
        """Whether the whole interval lies above ``threshold``."""
        return bool(self.low > threshold and self.high > threshold)

    def below(self, threshold: float = 0.0) -> bool:
        """Whether the whole interval lies below ``threshold``."""
        return bool(self.low < threshold and self.high < threshold)

    def within(self, low: float, high: float) -> bool:
        """Whether the mean lies in [low, high]."""
        return bool(math.isfinite(self.mean) and low <= self.mean <= high)


# ---------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class Check:
    """One measured quantity of a pattern, as a row of the table."""

    quantity: str
    target: str
    estimate: Estimate | None
    unit: str
    passed: bool | None
    note: str = ""

    def value_text(self) -> str:
        """The simulated value with its 95% CI, in the quantity's unit."""
        if self.estimate is None:
            return self.note or "-"
        return format_estimate(self.estimate, self.unit)


@dataclass(frozen=True)
class Verdict:
    """A pattern's outcome: its checks, pass or fail (None: not measurable yet), and its
    mechanism check (None: reported, not tested)."""

    checks: tuple[Check, ...]
    passed: bool | None
    mechanism: str
    mechanism_passed: bool | None
    reason: str = ""


@dataclass(frozen=True)
class Pattern:
    """One calibration pattern, declared once.

    Attributes:
        id, claim, source, target: as in the calibration targets.
        scenarios: library scenarios measured (the baseline is always run).
        metric: the metric and how the simulated value is computed.
        window: the evaluation window.
        test: how pass or fail is decided.
        mechanism: the check that a pass comes from the mechanism the pattern names.
        evaluate: ``evaluate(measurements, mode) -> Verdict``.
    """

    id: str
    claim: str
    source: str
    target: str
    scenarios: tuple[str, ...]
    metric: str
    window: str
    test: str
    mechanism: str
    evaluate: Callable[[Measurements], Verdict]


FINAL_WINDOW = "final window (the last run.summary_window_days days of the intervention period)"
PERIOD = "the intervention period"


def _relative_check(m: Measurements, scenario: str, metric: str, low: float, high: float,
                    name: str | None = None) -> Check:
    estimate = m.relative(scenario, metric)
    levels = (f"mean {metric}: baseline {_level(metric, m.mean(BASELINE, metric))}, "
              f"scenario {_level(metric, m.mean(scenario, metric))}")
    return Check(quantity=f"{name or metric} change", target=f"{low:+.0%} to {high:+.0%}",
                 estimate=estimate, unit="relative", passed=estimate.within(low, high),
                 note=levels)


def _level(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if metric in SHARE_METRICS:
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"


def _difference_mechanism(m: Measurements, scenario: str, metric: str, sign: int,
                          text: str, base: str = BASELINE) -> tuple[str, bool]:
    estimate = m.difference(scenario, metric, base)
    passed = estimate.above() if sign > 0 else estimate.below()
    return f"{text}: {metric} {format_estimate(estimate, _unit(metric))}", passed


def _level_share(m: Measurements, metric: str, target: tuple[float, float],
                 quantity: str, mechanism: str) -> Verdict:
    estimate = m.interval(BASELINE, metric)
    check = Check(quantity=quantity, target=f"{target[0]:.0%} to {target[1]:.0%}",
                  estimate=estimate, unit="share", passed=estimate.within(*target))
    return Verdict((check,), check.passed, mechanism, None)


def _p1(m: Measurements) -> Verdict:
    levels = ", ".join(f"{level.label} {m.mean(BASELINE, f'engaged_{level.label}'):.0%}"
                       for level in Level)
    return _level_share(m, "engagement_share", (0.20, 0.35), "share engaged (baseline)",
                        f"reported: engaged share by level on the final day: {levels}")


def _p2(m: Measurements) -> Verdict:
    return _level_share(m, "promoter_share", (0.15, 0.35), "share of promoters (baseline)",
                        "reported: promoters are customers whose last NPS answer was 9-10 "
                        "(share of active customers, final day)")


def _csat_only(scenario: str, low: float, high: float, mechanism_metric: str, sign: int,
               text: str) -> Callable[[Measurements], Verdict]:
    def evaluate(m: Measurements) -> Verdict:
        check = _relative_check(m, scenario, "csat", low, high)
        mechanism, ok = _difference_mechanism(m, scenario, mechanism_metric, sign, text)
        return Verdict((check,), check.passed, mechanism, ok)

    return evaluate


def _p4(m: Measurements) -> Verdict:
    scenario = "p04_customer_centric_culture"
    engagement = _relative_check(m, scenario, "engagement_share", 0.15, 0.25,
                                 "engaged share")
    csat = _relative_check(m, scenario, "csat", 0.10, 0.20)
    mean = m.relative(scenario, "engagement_mean")
    mechanism, ok = _difference_mechanism(m, scenario, "centricity_mean", +1,
                                          "customer-centricity rises with the culture")
    mechanism += f"; mean engagement change {format_estimate(mean, 'relative')}"
    return Verdict((engagement, csat), engagement.passed and csat.passed, mechanism, ok)


def _p6(m: Measurements) -> Verdict:
    scenario = "p06_empowerment"
    csat = _relative_check(m, scenario, "csat", 0.12, 0.22)
    revenue = _relative_check(m, scenario, "revenue_per_day", 0.15, 0.30, name="revenue")
    retention = Estimate.of(
        (1.0 - m.values(scenario, "churn_rate")) / (1.0 - m.values(BASELINE, "churn_rate"))
        - 1.0)
    retained = Check(quantity="retention (1 - annual churn) change", target="+15% to +30%",
                     estimate=retention, unit="relative", passed=retention.within(0.15, 0.30))
    passed = csat.passed and (revenue.passed or retained.passed)
    mechanism, ok = _difference_mechanism(m, scenario, "fcr", +1,
                                          "empowered staff resolve at first contact")
    return Verdict((csat, revenue, retained), passed, mechanism, ok)


def _p9(m: Measurements) -> Verdict:
    alone, supported = "p09_empowerment_alone", "p09_empowerment_supported"
    spread = m.difference(alone, "quality_std", supported)
    check = Check(quantity="quality spread (std), alone - supported", target="> 0, CI excludes 0",
                  estimate=spread, unit="difference", passed=spread.above())
    authority = m.difference(supported, "empowerment_mean", alone)
    ok = bool(math.isfinite(authority.mean) and authority.mean >= -0.01)
    mechanism = ("the supported scenario keeps the authority (the spread falls through "
                 "guidelines and training, not less empowerment): empowerment_mean "
                 f"supported - alone {format_estimate(authority, 'difference')} (>= -0.01)")
    return Verdict((check,), check.passed, mechanism, ok)


def _p10(m: Measurements) -> Verdict:
    scenario = "p10_empowered_trained_informed"
    estimate = m.interval(scenario, "csat")
    check = Check(quantity="CSAT (level, 2-year horizon)", target="> 90%", estimate=estimate,
                  unit="share", passed=bool(estimate.mean > 0.90))
    parts = ", ".join(f"{metric} {m.mean(scenario, metric):.2f}" for metric in
                      ("engagement_share", "empowerment_mean", "skill_mean", "centricity_mean"))
    return Verdict((check,), check.passed, f"reported: final-window {parts}", None)


#: P11's context from Gallup's Q12 meta-analysis (Harter et al., 10th edition, 2020):
#: business units in the top quartile of their organisation on employee engagement
#: against the bottom quartile. Reported beside P11, never judged: a profit ratio of
#: 1.23x between quartiles of one dimension bounds what a both/neither split can give.
#: Each row: the outcome of :func:`~cxsim.engine.metrics.engagement_quartiles`, how the
#: report names it, and Gallup's figure.
GALLUP_QUARTILES: tuple[tuple[str, str, str], ...] = (
    ("profit", "operating profit per customer", "23% higher profitability, 1.23x"),
    ("revenue", "revenue per customer", "18% higher productivity in sales, 1.18x"),
    ("engaged_customers", "engaged-customer share",
     "10% higher customer loyalty and engagement, 1.10x"),
    ("turnover", "staff turnover (hires per head)", "18% to 43% lower turnover, 0.57x to 0.82x"))


def _p11(m: Measurements) -> Verdict:
    neither = m.values(BASELINE, "profit_neither")
    ratio = Estimate.of(m.values(BASELINE, "profit_both") / neither)
    checks = [Check(quantity="operating profit per customer ratio, units both engaged vs "
                    "neither", target="2.4x to 4.4x", estimate=ratio, unit="ratio",
                    passed=ratio.within(2.4, 4.4))]
    for name in ("customer_only", "employee_only"):
        estimate = Estimate.of(m.values(BASELINE, f"profit_{name}") / neither)
        between = bool(math.isfinite(estimate.mean) and 1.0 < estimate.mean < ratio.mean)
        checks.append(Check(quantity=f"profit ratio, units {name.replace('_', ' ')} vs "
                            "neither", target="between 1x and both", estimate=estimate,
                            unit="ratio", passed=between))
    passed = all(c.passed for c in checks)
    customers = Estimate.of(m.values(BASELINE, "revenue_both")
                            / m.values(BASELINE, "revenue_neither"))
    checks.append(Check(quantity="revenue per customer ratio, engaged customers of engaged "
                        "units vs neither (customer level)", target="reported",
                        estimate=customers, unit="ratio", passed=None))
    margin = Estimate.of(m.values(BASELINE, "operating_margin"))
    checks.append(Check(quantity="operating margin of the organisation (final window)",
                        target="reported", estimate=margin, unit="share", passed=None))
    for outcome, name, published in GALLUP_QUARTILES:
        top = m.values(BASELINE, f"{outcome}_employee_top")
        bottom = m.values(BASELINE, f"{outcome}_employee_bottom")
        with np.errstate(divide="ignore", invalid="ignore"):
            estimate = Estimate.of(np.where(bottom > 0, top / bottom, math.nan))
        checks.append(Check(quantity=f"{name} ratio, top vs bottom "
                            f"quartile of units on employee engagement (Gallup's Q12 "
                            f"meta-analysis: {published})", target="reported",
                            estimate=estimate, unit="ratio", passed=None))
    units = {q: m.mean(BASELINE, f"units_{q}") for q in ("both", "neither")}
    mechanism = ("reported: business units classified at the start of the final window "
                 "(above the run's median unit or not, on employee and on customer "
                 "engagement) and followed forward; about "
                 f"{units['both']:.1f} units both engaged and {units['neither']:.1f} "
                 "neither per run; profit differs through customers' spend and churn and "
                 "the units' hiring costs")
    return Verdict(tuple(checks), passed, mechanism, None)


#: P12: each metric and the direction it must move as silo strength rises.
SILO_METRICS: tuple[tuple[str, int], ...] = (
    ("csat", -1), ("nps", -1), ("fcr", -1), ("consistency", -1), ("engagement_share", -1),
    ("churn_rate", +1))
#: P12's rungs: silo strength in hundredths (library files ``silo_ladder_<level>``).
SILO_LEVELS = (10, 30, 50, 70, 90)
SILO_RUNGS = tuple(f"silo_ladder_{level}" for level in SILO_LEVELS)


def silo_trend(m: Measurements, metric: str, direction: int,
               levels: Sequence[float]) -> tuple[Estimate, list[Estimate]]:
    """P12's test statistics for one metric: the per-replicate least-squares slope of the
    metric on silo strength over the rungs (mean and CI over replicates), and the paired
    difference between each pair of adjacent rungs."""
    x = np.asarray(levels, dtype=float)
    y = np.column_stack([m.values(rung, metric) for rung in SILO_RUNGS])  # replicates x rungs
    xc = x - x.mean()
    slopes = (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
    steps = [Estimate.of(y[:, i + 1] - y[:, i]) for i in range(len(SILO_RUNGS) - 1)]
    return Estimate.of(slopes), steps


def _p12(m: Measurements) -> Verdict:
    levels = [m.parameter(rung, "silo_strength") for rung in SILO_RUNGS]
    checks = []
    for metric, direction in SILO_METRICS:
        slope, steps = silo_trend(m, metric, direction, levels)
        trend = slope.above() if direction > 0 else slope.below()
        reversed_steps = [i for i, step in enumerate(steps)
                          if (step.below() if direction > 0 else step.above())]
        note = ("no adjacent step significantly reversed" if not reversed_steps else
                "reversed: " + ", ".join(f"{levels[i]:.1f}->{levels[i + 1]:.1f}"
                                         for i in reversed_steps))
        means = [m.mean(rung, metric) for rung in SILO_RUNGS]
        note += "; rung means " + " ".join(_short(metric, v) for v in means)
        checks.append(Check(quantity=f"{metric} slope per unit silo strength",
                            target=("rises" if direction > 0 else "falls") + " monotonically",
                            estimate=slope, unit=_unit(metric),
                            passed=trend and not reversed_steps, note=note))
    silo = [m.mean(rung, "silo_effective") for rung in SILO_RUNGS]
    ok = bool(all(b > a for a, b in zip(silo, silo[1:])))
    mechanism = ("the ladder acts through the network: effective silo strength (share of "
                 "ties inside a department) by rung " + " ".join(f"{v:.2f}" for v in silo))
    return Verdict(tuple(checks), all(c.passed for c in checks), mechanism, ok)


def _short(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:+.1f}" if metric == "nps" else f"{value:.3f}"


def _unit(metric: str) -> str:
    """Display unit of a difference of ``metric``."""
    if metric in SHARE_METRICS or metric.startswith("burnout_"):
        return "pp"
    return "points" if metric == "nps" else "difference"


def _p13(m: Measurements) -> Verdict:
    alone, shared = "p13_cx_in_support", "p13_cx_shared"
    checks = []
    for metric, name in (("support_burnout_share", "support burnout share"),
                         ("support_turnover_rate", "support turnover (per year)")):
        estimate = m.difference(alone, metric, shared)
        checks.append(Check(quantity=f"{name}, in support - shared", target="> 0, CI excludes 0",
                            estimate=estimate, unit="pp", passed=estimate.above()))
    frontline = m.difference(alone, "burnout_support_frontline", shared)
    managers = m.difference(alone, "burnout_support_manager", shared)
    mechanism = ("burnout reaches support's frontline, not only its managers: support "
                 f"frontline burnout, in support - shared {format_estimate(frontline, 'pp')}"
                 f" (must exceed 0); support managers {format_estimate(managers, 'pp')}"
                 "; where burnout sits: see the table by level and department")
    return Verdict(tuple(checks), all(c.passed for c in checks), mechanism, frontline.above())


def _p14(m: Measurements) -> Verdict:
    alone, coached = "p14_commitment_alone", "p14_commitment_with_coaching"
    estimate = m.difference(coached, "centricity_frontline", alone)
    check = Check(quantity="frontline customer-centricity, with coaching - alone",
                  target="> 0, CI excludes 0", estimate=estimate, unit="difference",
                  passed=estimate.above())
    executives = m.difference(coached, "centricity_executive", alone)
    ok = bool(estimate.mean > executives.mean)
    mechanism = ("managers carry the signal down: the frontline gains more than executives "
                 f"(executives, with coaching - alone {format_estimate(executives, 'difference')})")
    return Verdict((check,), check.passed, mechanism, ok)


PATTERNS: tuple[Pattern, ...] = (
    Pattern("P1", "Baseline organisations have few engaged employees", "Gallup",
            "share engaged at baseline 20-35%", (),
            "engagement_share: share of filled positions with engagement >= "
            "culture.engaged_threshold, mean over the window", FINAL_WINDOW,
            "pass if the mean over replicates lies in [20%, 35%]",
            "reported: engaged share by level", _p1),
    Pattern("P2", "About a quarter of customers are fully engaged", "Gallup",
            "share of promoters at baseline 15-35%", (),
            "promoter_share: share of active customers who are promoters, final day",
            "final day of the intervention period",
            "pass if the mean over replicates lies in [15%, 35%]", "reported", _p2),
    Pattern("P3", "Engaging the whole workforce in CX raises customer satisfaction about 20%",
            "Gallup", "CSAT +15% to +25%", ("p03_whole_workforce_engaged",),
            "csat (top-two-box share of survey answers, pooled over the window): relative "
            "change against the baseline, per replicate", FINAL_WINDOW,
            "pass if the mean relative change lies in [+15%, +25%]",
            "the workforce is more engaged: engagement_share difference CI above 0",
            _csat_only("p03_whole_workforce_engaged", 0.15, 0.25, "engagement_share", +1,
                       "the workforce is more engaged")),
    Pattern("P4", "A customer-centric culture: +20% employee engagement, +15% satisfaction",
            "McKinsey", "engagement +15% to +25%; CSAT +10% to +20%",
            ("p04_customer_centric_culture",),
            "relative change of engagement_share (the P1 definition) and of csat; the "
            "change of mean engagement is reported beside", FINAL_WINDOW,
            "pass if both mean relative changes lie in their ranges",
            "customer-centricity rises (centricity_mean difference CI above 0)", _p4),
    Pattern("P5", "Regular CX training: 10-15% better customer satisfaction", "Gartner",
            "CSAT +8% to +17%", ("p05_training",), "csat relative change", FINAL_WINDOW,
            "pass if the mean relative change lies in [+8%, +17%]",
            "skill rises (skill_mean difference CI above 0)",
            _csat_only("p05_training", 0.08, 0.17, "skill_mean", +1, "training raises skill")),
    Pattern("P6", "Empowering employees: 15-20% more satisfaction; 20-25% more loyalty and "
            "revenue", "Forrester; Bain & Company",
            "CSAT +12% to +22%; retention or revenue +15% to +30%", ("p06_empowerment",),
            "csat and revenue (per day) relative change (final window); retention: "
            "1 - annual churn rate over the period, relative change",
            f"{FINAL_WINDOW}; churn over {PERIOD}",
            "pass if the CSAT change lies in range and the revenue or the retention change "
            "lies in [+15%, +30%]",
            "first-contact resolution rises (fcr difference CI above 0)", _p6),
    Pattern("P7", "Technology that empowers employees: about 20% better satisfaction",
            "Forrester", "CSAT +15% to +25%", ("p07_technology",), "csat relative change",
            FINAL_WINDOW, "pass if the mean relative change lies in [+15%, +25%]",
            "interaction quality rises (quality_mean difference CI above 0)",
            _csat_only("p07_technology", 0.15, 0.25, "quality_mean", +1,
                       "the tools raise interaction quality")),
    Pattern("P8", "Measuring employee impact on CX and acting on it: about 20% more "
            "satisfaction", "Harvard Business Review", "CSAT +15% to +25%",
            ("p08_measure_and_act",), "csat relative change", FINAL_WINDOW,
            "pass if the mean relative change lies in [+15%, +25%]",
            "root causes are fixed: defect_rate_mean difference CI below 0",
            _csat_only("p08_measure_and_act", 0.15, 0.25, "defect_rate_mean", -1,
                       "acting on feedback fixes root causes")),
    Pattern("P9", "Empowerment without training and guidelines makes experiences "
            "inconsistent", "Deloitte",
            "spread of interaction quality larger with empowerment alone than with "
            "empowerment + training + guidelines (CI excludes zero)",
            ("p09_empowerment_alone", "p09_empowerment_supported"),
            "quality_std: standard deviation of a day's interaction quality, mean over the "
            "window; paired difference alone - supported", FINAL_WINDOW,
            "pass if the 95% CI of the paired difference lies above 0",
            "the same authority in both (empowerment_mean supported - alone >= -0.01)", _p9),
    Pattern("P10", "An empowered, trained, well-informed workforce reaches CSAT over 90%",
            "case study (Southwest Airlines)", "CSAT > 90%",
            ("p10_empowered_trained_informed",),
            "csat level in the scenario (its own file sets a 730-day horizon, so it runs "
            "in a second comparison on its own)",
            f"{FINAL_WINDOW} of its 730-day horizon",
            "pass if the mean CSAT over replicates exceeds 90%", "reported", _p10),
    Pattern("P11", "Engaged employees and engaged customers together: 240% better outcomes",
            "Gallup", "profit ratio, business units both high vs both low, 2.4x to 4.4x, "
            "each alone in between", (),
            "baseline: each business unit at the start of the final window is high or low "
            "on employee engagement (mean engagement of its managers and frontline) and on "
            "customer engagement (share of its customers who would recommend and have "
            "loyalty >= 0.7), against the run's median unit; outcome: the unit's operating "
            "profit per customer over the window (revenue x (1 - cost_of_sales_share) - "
            "salaries - hiring - its share of the executives), annualised; ratio of the "
            "quadrants' customer-weighted means to 'neither', per replicate",
            f"{FINAL_WINDOW}, followed forward",
            "pass if the both/neither ratio's mean lies in [2.4, 4.4] and each alone lies "
            "between 1x and both; reported beside it, never judged: Gallup's Q12 "
            "meta-analysis comparison of the top and bottom quartile of units on employee "
            "engagement (profit and revenue per customer, engaged customers, turnover), "
            "which bounds what a profit ratio can reach (docs/ODD.md section 8, "
            "experiments/p11_bound.py)", "reported", _p11),
    Pattern("P12", "Silos cause inconsistent experiences, slower resolution, disengagement "
            "and churn", "practice consensus",
            "as silo_strength rises: CSAT, NPS, FCR, consistency and engagement fall, churn "
            "rises (monotone over at least 5 levels)", SILO_RUNGS,
            "csat, nps, fcr, consistency, engagement_share (final window) and churn_rate "
            f"(intervention period) on the {len(SILO_LEVELS)} rungs silo_strength "
            + ", ".join(f"{level / 100:g}" for level in SILO_LEVELS),
            f"{FINAL_WINDOW}; churn over {PERIOD}",
            "per metric: the per-replicate least-squares slope on silo strength has a 95% "
            "CI wholly on the stated side of 0, and no adjacent pair of rungs moves "
            "significantly the wrong way (paired 95% CI of the step excluding 0 on the "
            "wrong side); pass if all six metrics pass",
            "effective silo strength rises rung by rung", _p12),
    Pattern("P13", "When CX is left to a few, they burn out", "customer-service practice",
            "support's burnout and turnover higher when CX is concentrated in support than "
            "when shared", ("p13_cx_in_support", "p13_cx_shared"),
            "support_burnout_share (final-window mean of support's share burnt out) and "
            "support_turnover_rate (support leavers per head per year); paired difference "
            "in support - shared", f"{FINAL_WINDOW}; turnover over {PERIOD}",
            "pass if both paired differences have a 95% CI above 0",
            "burnout reaches support's frontline (support frontline burnout difference CI "
            "above 0); burnout by level and department is tabled", _p13),
    Pattern("P14", "CX responsibility sits at three levels: executives define, managers "
            "execute, employees align", "Forrester",
            "executive commitment with manager coaching moves frontline behaviour more than "
            "commitment alone", ("p14_commitment_alone", "p14_commitment_with_coaching"),
            "centricity_frontline: mean customer-centricity of frontline employees on the "
            "final day; paired difference with coaching - alone",
            "final day of the intervention period",
            "pass if the 95% CI of the paired difference lies above 0",
            "the frontline gains more than executives", _p14),
)
PATTERN_IDS: tuple[str, ...] = tuple(p.id for p in PATTERNS)
#: Scenarios run with their own horizon, in a comparison of their own (no baseline).
OWN_HORIZON = ("p10_empowered_trained_informed",)


def pattern_scenarios(pattern: Pattern) -> tuple[str, ...]:
    """The library scenarios a pattern's values come from (the baseline unless the
    pattern needs none or runs on a horizon of its own)."""
    if any(s in OWN_HORIZON for s in pattern.scenarios):
        return pattern.scenarios
    return (BASELINE,) + pattern.scenarios


def check_pattern_ids(ids: Iterable[str] | str | None) -> tuple[str, ...]:
    """The chosen pattern ids in table order (all when None), or ParameterError. A string
    is a comma-separated list (``"P3,P5"``); ids are case-insensitive."""
    if ids is None:
        return PATTERN_IDS
    if isinstance(ids, str):
        items = [item.strip() for item in ids.split(",")]
    else:
        try:
            items = [str(item).strip() if isinstance(item, str) else item for item in ids]
        except TypeError:
            raise ParameterError(f"patterns = {ids!r} is not allowed: expected pattern ids "
                                 f"such as P3,P5 (from {', '.join(PATTERN_IDS)})") from None
    chosen = set()
    for item in items:
        if not isinstance(item, str) or item.upper() not in PATTERN_IDS:
            raise ParameterError(f"patterns = {item!r} is not allowed: expected pattern ids "
                                 f"from {', '.join(PATTERN_IDS)} (comma-separated, e.g. P3,P5)")
        chosen.add(item.upper())
    if not chosen:
        raise ParameterError("patterns = '' is not allowed: expected at least one pattern id "
                             f"from {', '.join(PATTERN_IDS)}")
    return tuple(pid for pid in PATTERN_IDS if pid in chosen)


def check_validate_replicates(replicates: Any) -> int:
    """Replicates of a validation: an integer from 2 (the CIs need two) to 100,000."""
    value = check_replicates(replicates)
    if value < 2:
        raise ParameterError(f"replicates = {replicates!r} is not allowed: expected an integer "
                             ">= 2 (confidence intervals need two replicates)")
    return value


def needed_scenarios(patterns: Sequence[Pattern]) -> list[str]:
    """Library names the patterns need, the baseline first, each once."""
    names = [BASELINE]
    for pattern in patterns:
        names += [s for s in pattern.scenarios if s not in names]
    return names


def load_library_scenarios(names: Sequence[str],
                           owners: Mapping[str, str] | None = None) -> dict[str, Scenario]:
    """Load each named library scenario, or ParameterError naming the first missing one."""
    available = library()
    for name in names:
        if name not in available:
            who = f"pattern {owners[name]}: " if owners and name in owners else ""
            raise ParameterError(f"{who}scenario = {name!r} is not allowed: it is missing from "
                                 "the scenario library (cxsim/experiments/library); expected "
                                 f"{name}.toml there")
    return {name: load_scenario(available[name]) for name in names}


# ---------------------------------------------------------------------- the report


@dataclass
class ValidationReport:
    """Outcome of :func:`validate`: one :class:`Verdict` per pattern, the baseline's
    drift at rest, where burnout sits, and the per-replicate values."""

    mode: Mode
    replicates: int
    seeds: list[int]
    patterns: list[Pattern]
    verdicts: dict[str, Verdict]
    rest: list[Check]
    burnout: pd.DataFrame
    runs: pd.DataFrame
    command: str = "cxsim validate"
    #: Baseline seeds of the at-rest test (the replicates, or more: :data:`REST_REPLICATES`).
    rest_replicates: int = 0
    #: Warm-up and intervention days of each comparison's runs (P10's has its own).
    horizons: list[tuple[int, int]] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    scenario_files: dict[str, str] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per check (patterns, then the baseline at rest): the CSV."""
        rows = []
        for pattern in self.patterns:
            verdict = self.verdicts[pattern.id]
            for check in verdict.checks:
                rows.append(self._row(pattern.id, pattern.claim, pattern.source, check,
                                      verdict, ", ".join(pattern_scenarios(pattern)) or "-",
                                      pattern.window, pattern.metric, pattern.test,
                                      pattern.mechanism))
        tolerances = {f"drift {metric}": tol for metric, _, tol in REST_METRICS}
        for check in self.rest:
            row = self._row(f"rest:{check.quantity}", "baseline at rest: drift over the year "
                            "within tolerance", "issue 8", check, None, BASELINE,
                            f"first vs last {QUARTER_DAYS} days of {PERIOD}", check.note,
                            REST_TEST, "-")
            row["pattern_result"] = rest_status(check, tolerances.get(check.quantity, 0.0))
            rows.append(row)
        return pd.DataFrame(rows)

    def _row(self, pid, claim, source, check, verdict, scenarios, window, metric, test,
             mechanism) -> dict[str, Any]:
        e = check.estimate
        return {
            "id": pid, "pattern": claim, "source": source, "quantity": check.quantity,
            "target": check.target, "unit": check.unit,
            "value": e.mean if e else math.nan, "ci_low": e.low if e else math.nan,
            "ci_high": e.high if e else math.nan, "n": e.n if e else 0,
            "simulated": check.value_text(), "check": _check_text(check),
            "pattern_result": _verdict_text(verdict.passed) if verdict else
            _verdict_text(check.passed),
            "mechanism": verdict.mechanism if verdict else mechanism,
            "mechanism_result": _mechanism_text(verdict.mechanism_passed) if verdict else "-",
            "reason": verdict.reason if verdict else "",
            "scenarios": scenarios, "window": window, "metric": metric, "test": test,
            "mode": self.mode.name, "replicates": self.replicates,
            "n_employees": self.mode.n_employees, "n_customers": self.mode.n_customers,
        }

    def counts(self) -> tuple[int, int, int]:
        """Patterns passed, failed and not measurable."""
        results = [v.passed for v in self.verdicts.values()]
        return (sum(r is True for r in results), sum(r is False for r in results),
                sum(r is None for r in results))

    def markdown(self) -> str:
        """The report as Markdown (the content of ``docs/validation.md``)."""
        return format_markdown(self)


REST_TEST = ("at rest if the 95% CI of the mean drift over replicates lies within "
             "+-tolerance (an equivalence test); DRIFTS if the CI excludes 0 and reaches "
             "beyond the tolerance; otherwise UNDECIDED (too noisy to tell: more replicates)")


def _verdict_text(passed: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: "not measurable yet"}[passed]


def _check_text(check: Check) -> str:
    """A check's verdict; a quantity shown for information ("reported") is not judged."""
    return "reported" if check.target == "reported" else _verdict_text(check.passed)


def _mechanism_text(passed: bool | None) -> str:
    return {True: "holds", False: "DOES NOT HOLD", None: "reported"}[passed]


def format_estimate(e: Estimate, unit: str) -> str:
    """``mean [low, high]`` in the unit: ``relative`` (signed %), ``share`` (%), ``pp``
    (a difference of shares in percentage points), ``difference`` (signed, 4 decimals),
    ``points`` (signed, 2 decimals)."""
    def f(x: float) -> str:
        if not math.isfinite(x):
            return "-"
        if unit == "relative":
            return f"{x * 100:+.1f}%"
        if unit == "share":
            return f"{x * 100:.1f}%"
        if unit == "pp":
            return f"{x * 100:+.2f} pp"
        if unit == "points":
            return f"{x:+.2f}"
        if unit == "ratio":
            return f"{x:.2f}x"
        return f"{x:+.4f}"
    return f"{f(e.mean)} [{f(e.low)}, {f(e.high)}]"


def rest_checks(m: Measurements, extra: pd.DataFrame | None = None) -> list[Check]:
    """The baseline's drift over the year for each :data:`REST_METRICS` metric, over the
    patterns' baseline replicates and the ``extra`` baseline seeds (a frame with a
    ``drift_<metric>`` column each, one row per seed), if any."""
    checks = []
    for metric, kind, tolerance in REST_METRICS:
        values = m.values(BASELINE, f"drift_{metric}")
        if extra is not None and len(extra):
            values = np.concatenate([values, extra[f"drift_{metric}"].to_numpy(dtype=float)])
        estimate = Estimate.of(values)
        unit = "relative" if kind == "relative" else _unit(metric)
        passed = bool(math.isfinite(estimate.low) and -tolerance <= estimate.low
                      and estimate.high <= tolerance)
        if kind == "relative":
            shown = f"+-{tolerance:.0%}"
        elif unit == "pp":
            shown = f"+-{tolerance * 100:g} pp"
        else:
            shown = f"+-{tolerance:g}" + (" pts" if metric == "nps" else "")
        note = (f"{metric}: last {QUARTER_DAYS} days {'/' if kind == 'relative' else '-'} "
                f"first {QUARTER_DAYS} days" + (" - 1" if kind == "relative" else ""))
        checks.append(Check(quantity=f"drift {metric}", target=f"within {shown}",
                            estimate=estimate, unit=unit, passed=passed, note=note))
    return checks


def rest_status(check: Check, tolerance: float) -> str:
    """``at rest`` (the CI lies within +-tolerance), ``DRIFTS`` (the CI excludes 0 and
    reaches beyond the tolerance) or ``UNDECIDED`` (the CI is too wide to tell)."""
    e = check.estimate
    if check.passed:
        return "at rest"
    if e is not None and (e.above() or e.below()) and max(abs(e.low), abs(e.high)) > tolerance:
        return "DRIFTS"
    return "UNDECIDED (CI wider than the tolerance)"


def burnout_table(m: Measurements, scenarios: Sequence[str],
                  departments: Sequence[str]) -> pd.DataFrame:
    """Where burnout sits: mean over replicates of the final-day burnt-out share by
    department and level, one column per scenario."""
    rows = []
    for department in departments:
        for level in Level:
            metric = f"burnout_{department}_{level.label}"
            rows.append({"department": department, "level": level.label}
                        | {s: m.mean(s, metric) for s in scenarios if m.has(s)})
    return pd.DataFrame(rows)


def validate(patterns: Iterable[str] | str | None = None, *, replicates: int | None = None,
             quick: bool = False, mode: Mode | None = None, workers: int | None = None,
             progress: bool | Callable[[int, int], None] = False,
             command: str = "cxsim validate") -> ValidationReport:
    """Measure the chosen patterns (all by default) on the default calibration.

    Args:
        patterns: ids such as ``["P3", "P5"]`` or ``"P3,P5"``; None for all.
        replicates: paired seeds (>= 2); default 20, or 3 with ``quick``.
        quick: the smoke-test size (:data:`QUICK`), labelled QUICK in every output.
        mode: another :class:`Mode` (size, window, default replicates); overrides
            ``quick``. Used by tests; its name appears in every output.
        workers: worker processes (default: the machine's cores).
        progress: as in :func:`~cxsim.experiments.comparisons.compare`.
        command: the command line recorded in the report.

    Raises:
        ParameterError: an unknown pattern id, fewer than 2 replicates, a scenario
            missing from the library (before anything runs).
    """
    ids = check_pattern_ids(patterns)
    mode = mode if mode is not None else (QUICK if quick else FULL)
    replicates = mode.replicates if replicates is None else check_validate_replicates(replicates)
    chosen = [p for p in PATTERNS if p.id in ids]
    owners = {s: p.id for p in chosen for s in p.scenarios}
    names = needed_scenarios(chosen)
    scenarios = load_library_scenarios(names, owners)
    started = time.perf_counter()
    groups = [[n for n in names if n not in OWN_HORIZON]]
    groups += [[n] for n in names if n in OWN_HORIZON]
    comparisons = []
    for group in groups:
        base, rest = scenarios[group[0]], [scenarios[n] for n in group[1:]]
        result = compare(base, rest, replicates=replicates, workers=workers, seed=SEED,
                         overrides=mode.overrides, progress=progress, measure=measure_patterns,
                         series=False)
        labels = unique_labels([scenarios[n].name for n in group])
        comparisons.append((result, dict(zip(group, labels))))
    m = Measurements(comparisons, scenarios)
    rest_replicates, extra = replicates, None
    if BASELINE in names and mode.rest_replicates > replicates:
        rest_replicates = mode.rest_replicates
        more = compare(scenarios[BASELINE], [], replicates=rest_replicates - replicates,
                       workers=workers, seed=SEED + replicates, overrides=mode.overrides,
                       progress=progress, measure=measure_drift, series=False)
        extra = more.runs.pivot(index="replicate", columns="metric", values="value")
    verdicts = {p.id: p.evaluate(m) for p in chosen}
    runs = pd.concat([r.runs.assign(library_name=r.runs["scenario"].map(
        {label: name for name, label in labels.items()})) for r, labels in comparisons],
        ignore_index=True)
    if extra is not None:  # the at-rest seeds' drift values are results too: kept
        runs = pd.concat([runs, more.runs.assign(
            replicate=more.runs["replicate"] + replicates,
            library_name=f"{BASELINE} (at rest)")], ignore_index=True)
    departments = _department_names(scenarios[BASELINE])
    shown = [s for s in (BASELINE, "p13_cx_in_support", "p13_cx_shared") if m.has(s)]
    return ValidationReport(
        mode=mode, replicates=replicates, seeds=comparisons[0][0].seeds, patterns=chosen,
        verdicts=verdicts, rest=rest_checks(m, extra), rest_replicates=rest_replicates,
        burnout=burnout_table(m, shown, departments),
        runs=runs, command=command, elapsed_seconds=time.perf_counter() - started,
        horizons=[(r.config.burn_in_days, r.config.days) for r, _ in comparisons],
        scenario_files={n: f"cxsim/experiments/library/{n}.toml" for n in names})


def _department_names(scenario: Scenario) -> list[str]:
    return list(scenario.structure.department_names)


# ---------------------------------------------------------------------- Markdown


def _rest_seeds_text(report: ValidationReport) -> str:
    """Which baseline seeds the at-rest test used."""
    first, n = report.seeds[0], max(report.rest_replicates, report.replicates)
    if n <= report.replicates:
        return f"the {report.replicates} baseline replicates"
    return (f"{n} baseline seeds ({first}..{first + n - 1}: the {report.replicates} "
            f"replicates and {n - report.replicates} more runs of the baseline alone)")


def format_markdown(report: ValidationReport) -> str:
    """The report as Markdown: settings, the pattern table, the baseline at rest, where
    burnout sits, and how each value is computed and judged."""
    mode = report.mode
    passed, failed, unmeasurable = report.counts()
    seeds = report.seeds
    lines = [
        "# Validation: the calibration patterns P1-P14" + (" (QUICK)" if mode.name == "quick"
                                                         else ""),
        "",
        f"Generated by `{report.command}` ({report.elapsed_seconds / 60:.1f} min). "
        "Regenerate this page with exactly that command.",
        "",
        f"* Mode: **{mode.label}**.",
        f"* Default calibration (every behavioural parameter at its default) at "
        f"{mode.n_employees:,} employees x {mode.n_customers:,} customers, "
        + " / ".join(f"{b} warm-up days + {d} days" for b, d in report.horizons)
        + (" (the second: P10's own horizon)" if len(report.horizons) > 1 else "")
        + f"; final window: the last {mode.window_days} days.",
        f"* {report.replicates} paired replicates, seeds {seeds[0]}..{seeds[-1]}: common "
        "random numbers, every scenario of one seed forked from that seed's single warm-up "
        "(scenarios that change parameters run from scratch with the same seed).",
        "* Relative change = scenario / baseline - 1 per replicate, then mean and 95% "
        "t-interval over replicates; an interval target passes when the mean lies in it.",
        f"* Result: **{passed} pass, {failed} fail, {unmeasurable} not measurable yet** of "
        f"{len(report.patterns)} patterns.",
    ]
    if report.replicates < mode.replicates:
        lines.append(f"* **Fewer replicates than this mode's default ({report.replicates} "
                     f"instead of {mode.replicates})**: the intervals are wider than those of "
                     f"the default run, and a pass or fail near a bound may change with "
                     f"{mode.replicates}.")
    if len(report.patterns) < len(PATTERNS):
        lines.append("* Only some patterns were measured: "
                     + ", ".join(p.id for p in report.patterns) + ".")
    lines += [
        "",
        "## Patterns",
        "",
        "| id | pattern | target | quantity | simulated [95% CI] | check | pattern | "
        "mechanism check | scenario files (library) | window |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pattern in report.patterns:
        verdict = report.verdicts[pattern.id]
        for i, check in enumerate(verdict.checks):
            first = i == 0
            lines.append("| " + " | ".join([
                pattern.id if first else "", _cell(pattern.claim) if first else "",
                _cell(check.target), _cell(check.quantity), _cell(check.value_text()),
                _check_text(check),
                f"**{_verdict_text(verdict.passed)}**" if first else "",
                _mechanism_text(verdict.mechanism_passed) if first else "",
                _cell(short_scenarios(pattern)) if first else "",
                _cell(short_window(pattern, mode)) if first else ""]) + " |")
    lines += ["", "## Baseline at rest", "",
              f"Drift of each headline metric over the year with no intervention: the "
              f"baseline's last {QUARTER_DAYS} days against its first {QUARTER_DAYS} days "
              f"of the intervention period, per replicate, over "
              f"{_rest_seeds_text(report)}. Test: {REST_TEST}.", "",
              "| metric | drift | tolerance | simulated [95% CI] | verdict |",
              "|---|---|---|---|---|"]
    tolerances = {f"drift {metric}": tol for metric, _, tol in REST_METRICS}
    for check in report.rest:
        lines.append(f"| {check.quantity.removeprefix('drift ')} | {_cell(check.note)} | "
                     f"{check.target} | {check.value_text()} | "
                     f"{rest_status(check, tolerances.get(check.quantity, 0.0))} |")
    if len(report.burnout.columns) > 2:
        scenarios = list(report.burnout.columns[2:])
        lines += ["", "## Where burnout sits (P13 mechanism)", "",
                  "Share of filled positions burnt out (strain >= workload.burnout_threshold) "
                  "on the final day, mean over replicates, by department and level; rows where "
                  "every scenario is 0 or empty are left out.", "",
                  "| department | level | " + " | ".join(scenarios) + " |",
                  "|---|---|" + "---|" * len(scenarios)]
        shown = 0
        for _, row in report.burnout.iterrows():
            values = [row[s] for s in scenarios]
            if not any(math.isfinite(v) and v > 0 for v in values):
                continue
            cells = " | ".join(f"{v:.1%}" if math.isfinite(v) else "-" for v in values)
            lines.append(f"| {row['department']} | {row['level']} | {cells} |")
            shown += 1
        if not shown:
            lines.append("| (nobody burnt out) | | " + " | ".join("0.0%" for _ in scenarios)
                         + " |")
    if any(f"churn_{COHORT_HORIZON_DAYS}d_after_{o}" in set(report.runs["metric"])
           for o in CONTACT_OUTCOMES):
        lines += ["", "## Churn after each contact outcome (baseline, cohorts followed "
                  "forward)", "",
                  f"Every contact of the baseline's intervention period, by its outcome, "
                  f"followed for {COHORT_HORIZON_DAYS} days (docs/metrics.md): contacts "
                  "followed per run and the share whose customer churned within the horizon, "
                  "mean [95% CI] over replicates.", "",
                  "| contact outcome | contacts followed per run | churned within "
                  f"{COHORT_HORIZON_DAYS} days |", "|---|---|---|"]
        base = report.runs[report.runs["library_name"] == BASELINE]
        for outcome in CONTACT_OUTCOMES:
            def values(metric: str) -> np.ndarray:
                return base.loc[base["metric"] == metric, "value"].to_numpy(dtype=float)

            contacts = values(f"cohort_contacts_{outcome}")
            share = Estimate.of(values(f"churn_{COHORT_HORIZON_DAYS}d_after_{outcome}"))
            count = f"{np.nanmean(contacts):,.0f}" if np.isfinite(contacts).any() else "-"
            lines.append(f"| {outcome} | {count} | {format_estimate(share, 'share')} |")
    lines += ["", "## How each pattern is measured", ""]
    for pattern in report.patterns:
        verdict = report.verdicts[pattern.id]
        lines += [f"### {pattern.id}: {pattern.claim}", "",
                  f"* Source: {pattern.source}. Target: {pattern.target}.",
                  "* Scenarios: " + (", ".join(f"`{report.scenario_files.get(s, s)}`"
                                               for s in pattern_scenarios(pattern))
                                     or "none") + ".",
                  f"* Metric: {pattern.metric}. Window: {pattern.window}.",
                  f"* Test: {pattern.test}.",
                  f"* Mechanism check: {verdict.mechanism} "
                  f"(**{_mechanism_text(verdict.mechanism_passed)}**)."]
        if verdict.reason:
            lines.append(f"* Why not measured: {verdict.reason}.")
        notes = [c for c in verdict.checks if c.note and c.estimate is not None]
        for check in notes:
            lines.append(f"* {check.quantity}: {check.note}.")
        lines.append("")
    return "\n".join(lines)


def short_window(pattern: Pattern, mode: Mode) -> str:
    """The pattern's window in a few words, for the table."""
    return (pattern.window.replace("final day of the intervention period", "final day")
            .replace(FINAL_WINDOW, f"last {mode.window_days} d")
            .replace(PERIOD, "the whole period"))


def short_scenarios(pattern: Pattern) -> str:
    """The pattern's scenario files in a few words, for the table (``.toml`` in the
    library; a ladder by its first and last rung)."""
    names = list(pattern_scenarios(pattern))
    rungs = [n for n in names if n in SILO_RUNGS]
    if len(rungs) > 2:
        names = [n for n in names if n not in SILO_RUNGS] + [
            f"{rungs[0]} ... {rungs[-1]} ({len(rungs)} rungs)"]
    return ", ".join(names) or "-"


def _cell(text: str) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


# ---------------------------------------------------------------------- files

#: Marker file of a validation output directory (an earlier one may be replaced).
MARKER = "validation.csv"


def write_report(report: ValidationReport, directory: str | Path) -> Path:
    """Write ``validation.csv`` (the table), ``validation.md``, ``runs.csv`` (every
    replicate's values, and the at-rest test's extra baseline seeds as library name
    ``baseline (at rest)``) and ``burnout.csv`` into ``directory``, atomically."""
    def fill(tmp: Path) -> None:
        report.table().to_csv(tmp / MARKER, index=False)
        (tmp / "validation.md").write_text(report.markdown())
        report.runs.to_csv(tmp / "runs.csv", index=False)
        report.burnout.to_csv(tmp / "burnout.csv", index=False)

    return write_atomically(directory, fill, marker=MARKER)


def write_markdown(text: str, path: str | Path) -> Path:
    """Write ``text`` to ``path``, replacing it at once (a temporary file renamed)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path
