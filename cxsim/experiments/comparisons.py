"""Comparisons: scenarios against a baseline over replicates, with 95% confidence
intervals, paired differences and economics (see ``docs/comparisons.md``).

>>> from cxsim.experiments.comparisons import compare
>>> from cxsim.experiments.scenarios import load_scenario
>>> result = compare(load_scenario("experiments/scenarios/baseline.toml"),
...                  [load_scenario("experiments/scenarios/training.toml")],
...                  replicates=20, workers=2, seed=1)           # doctest: +SKIP
>>> result.summary.query("metric == 'csat'")                   # doctest: +SKIP

Replicate ``r`` uses seed ``seed + r`` for the baseline and every scenario (common random
numbers). Per seed, one task builds the organisation, runs the warm-up once and forks it
for the baseline and for each scenario whose parameters and structure equal the
baseline's (only interventions differ); a scenario that changes parameters or structure
is run from scratch with the same seed. Tasks run on a local process pool; results are
ordered by seed, so they are identical for any worker count.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.parameters import Config, ParameterError
from cxsim.engine.model import CXModel
from cxsim.experiments.output import write_atomically
from cxsim.experiments.pool import check_workers, default_workers, map_in_order
from cxsim.experiments.scenarios import Scenario
from cxsim.experiments.specs import RunSpec, result_of
from cxsim.results import SUMMARY_UNITS, Result, check_seed, draw_seed, json_text

#: Summary keys compared (rows of the printed table and of ``ComparisonResult.summary``).
COMPARED_METRICS = (
    "csat", "nps", "fcr", "contacts_per_resolution", "time_to_resolution", "quality_mean",
    "consistency", "engagement_share", "burnout_share", "turnover_rate",
    "training_completion", "active_customers", "churn_rate", "promoter_share", "revenue",
    "revenue_per_day", "intervention_cost", "hiring_cost",
)

#: Economic quantities, per scenario against the baseline (see docs/comparisons.md).
ECONOMICS = ("intervention_cost", "revenue_difference", "staff_cost_difference",
             "hiring_cost_difference", "profit_difference", "roi", "payback_day", "npv")
ECONOMICS_UNITS = {"intervention_cost": "money", "revenue_difference": "money",
                   "staff_cost_difference": "money", "hiring_cost_difference": "money",
                   "profit_difference": "money", "roi": "ratio", "payback_day": "days",
                   "npv": "money"}

#: Default annual discount rate of the NPV.
DEFAULT_DISCOUNT_RATE = 0.08
#: Confidence level of every interval.
LEVEL = 0.95
#: Marker file of a comparison output directory (an earlier one may be replaced).
MARKER = "comparison.json"
#: Parameters that must agree between the baseline and every scenario.
HORIZON = ("burn_in_days", "days", "summary_window_days")
#: Frames each run records for the comparison's series (``compare(series=True)``).
SERIES_FRAMES = ("departments", "touchpoints")
#: Parquet files of the series, by attribute of :class:`ComparisonResult`.
SERIES_FILES = {"daily": "daily.parquet", "departments": "departments.parquet",
                "touchpoints": "touchpoints.parquet",
                "economics_daily": "economics_daily.parquet"}
#: Columns that identify a row of a series (the rest are values).
SERIES_KEYS = ("scenario", "replicate", "seed", "day")


# ---------------------------------------------------------------------- statistics


def t_interval(values: Iterable[float], level: float = LEVEL) -> tuple[float, float, float, int]:
    """Mean and two-sided t confidence interval of ``values`` (NaNs dropped).

    Returns ``(mean, low, high, n)``; the interval is NaN with fewer than two values and
    collapses to the mean when every value is equal.
    """
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    if np.all(x == x[0]):
        return mean, mean, mean, n
    from scipy import stats  # here, not at the top: workers never need it (0.4 s import)

    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def excludes_zero(low: float, high: float) -> bool:
    """Whether the interval [low, high] lies wholly on one side of zero."""
    return bool((low > 0 and high > 0) or (low < 0 and high < 0))


# ---------------------------------------------------------------------- economics


def staff_cost_per_day(daily: pd.DataFrame, salary_per_employee: float) -> np.ndarray:
    """Salary cost of each day's filled positions: salary x headcount / 365."""
    return salary_per_employee * daily["headcount"].to_numpy(dtype=float) / 365.0


def economic_flows(baseline_daily: pd.DataFrame, scenario_daily: pd.DataFrame, *,
                   baseline_salary: float, scenario_salary: float) -> dict[str, np.ndarray]:
    """Daily flows of one replicate, a scenario against its baseline over the intervention
    period (rows with ``intervention_day >= 0``, matched by intervention day).

    Returns arrays by intervention day: ``day``, ``revenue``, ``staff``, ``hiring``,
    ``cost`` (each the scenario's minus the baseline's) and ``profit`` = revenue - staff -
    hiring - cost. Raises ParameterError when the two cover different days.
    """
    base = baseline_daily[baseline_daily["intervention_day"] >= 0]
    scen = scenario_daily[scenario_daily["intervention_day"] >= 0]
    if not np.array_equal(base["intervention_day"].to_numpy(),
                          scen["intervention_day"].to_numpy()):
        raise ParameterError("economics: the scenario and the baseline cover different "
                             "intervention days: expected the same horizon")

    def diff(column: str) -> np.ndarray:
        return (scen[column].to_numpy(dtype=float) - base[column].to_numpy(dtype=float))

    revenue = diff("revenue")
    staff = staff_cost_per_day(scen, scenario_salary) - staff_cost_per_day(base,
                                                                           baseline_salary)
    hiring = diff("hiring_cost")
    cost = diff("intervention_cost")
    return {"day": base["intervention_day"].to_numpy(), "revenue": revenue, "staff": staff,
            "hiring": hiring, "cost": cost, "profit": revenue - staff - hiring - cost}


def economics(baseline_daily: pd.DataFrame, scenario_daily: pd.DataFrame, *,
              baseline_salary: float, scenario_salary: float,
              discount_rate: float = DEFAULT_DISCOUNT_RATE) -> dict[str, float | None]:
    """Economics of one replicate: a scenario against its baseline over the intervention
    period (rows with ``intervention_day >= 0``, matched by intervention day).

    Daily profit difference = revenue difference - staff cost difference - hiring cost
    difference - intervention cost difference (:func:`economic_flows`). Returns the
    totals, ROI (profit difference / intervention cost; None unless the cost is > 0),
    payback day (the first intervention day from which the cumulative profit difference
    stays >= 0; None if it ends below 0) and NPV (daily flows of intervention day d
    discounted by (1 + rate) ** (-d / 365)).
    """
    flows = economic_flows(baseline_daily, scenario_daily, baseline_salary=baseline_salary,
                           scenario_salary=scenario_salary)
    profit = flows["profit"]
    days = flows["day"].astype(float)
    total_cost = float(flows["cost"].sum())
    total_profit = float(profit.sum())
    return {
        "intervention_cost": total_cost,
        "revenue_difference": float(flows["revenue"].sum()),
        "staff_cost_difference": float(flows["staff"].sum()),
        "hiring_cost_difference": float(flows["hiring"].sum()),
        "profit_difference": total_profit,
        "roi": total_profit / total_cost if total_cost > 0 else None,
        "payback_day": payback_day(profit, flows["day"]),
        "npv": float((profit * (1.0 + discount_rate) ** (-days / 365.0)).sum()),
    }


def payback_day(profit_difference: np.ndarray, days: np.ndarray) -> int | None:
    """First day from which the cumulative ``profit_difference`` stays >= 0 (None if it
    ends below 0; the first day if it never dips below 0)."""
    cumulative = np.cumsum(profit_difference)
    if cumulative.size == 0 or cumulative[-1] < 0:
        return None
    below = np.flatnonzero(cumulative < 0)
    return int(days[0] if below.size == 0 else days[below[-1] + 1])


# ---------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class SeedTask:
    """One replicate: the baseline's and every scenario's spec with the same seed.
    ``forked[i]`` says whether run ``i`` shares the warm-up run once for this seed."""

    replicate: int
    specs: tuple[RunSpec, ...]
    forked: tuple[bool, ...]
    #: Optional module-level function ``measure(model, result) -> {name: value}`` whose
    #: values are compared like the summary metrics (see :func:`compare`).
    measure: Callable[[CXModel, Result], Mapping[str, float]] | None = None


def measured_frames(measure: Callable[..., Any] | None) -> tuple[str, ...]:
    """The per-group frames (``departments``, ``touchpoints``, ``teams``) a comparison's
    ``measure`` function reads from the model's recorder: its ``frames`` attribute if it
    declares one, else all of them (to be safe); none without a function."""
    if measure is None:
        return ()
    return tuple(getattr(measure, "frames", ("departments", "touchpoints", "teams")))


def run_seed_task(task: SeedTask) -> list[Result]:
    """Run one replicate (in a worker process): the warm-up once, then each run to the
    horizon, forked from it or from scratch. Returns model-free Results in spec order."""
    warm: CXModel | None = None
    if any(task.forked):
        base = task.specs[0]
        warm = CXModel(base.config, interventions=(), structure=base.structure_tables,
                       rng=base.seed).run_warm_up()
    results = []
    for spec, forked in zip(task.specs, task.forked):
        if forked:
            model = warm.fork(spec.intervention_tables)
        else:
            model = CXModel(spec.config, interventions=spec.intervention_tables,
                            structure=spec.structure_tables, rng=spec.seed)
        model.recorder.record_only(set(spec.record) | set(measured_frames(task.measure)))
        model.run()
        result = result_of(model, spec)
        if task.measure is not None:
            result.measures = {str(k): float(v) for k, v in task.measure(model, result).items()}
        results.append(result)
    return results


# ---------------------------------------------------------------------- the result


@dataclass(eq=False)
class ComparisonResult:
    """Outcome of :func:`compare`.

    Attributes:
        baseline: label of the baseline; ``scenarios``: labels of the scenarios (names,
            made unique with `` (2)``, `` (3)``... when repeated).
        seeds: the seed of each replicate.
        runs: one row per scenario (baseline included), replicate and metric:
            ``scenario, replicate, seed, metric, value, spec_hash``.
        summary: one row per scenario and metric: ``unit, mean, ci_low, ci_high, n,
            difference, difference_ci_low, difference_ci_high, significant`` (paired
            difference from the baseline; NaN on the baseline's own rows).
        economics: one row per scenario and economic quantity: ``unit, mean, ci_low,
            ci_high, n, defined_share, significant``.
        economics_runs: one row per scenario, replicate and economic quantity.
        specs: per run, ``scenario, replicate, seed, forked, spec``.
        config: the baseline's parameters (with the overrides).
        discount_rate, level: the NPV's annual discount rate; the confidence level.
        daily: the series behind the summary, one row per scenario, replicate and day:
            ``scenario, replicate, seed, day`` and every metric column of
            :attr:`cxsim.results.Result.daily`. ``day`` counts days from the end of the
            warm-up (``Result.daily``'s ``intervention_day``: negative in the warm-up, 0
            on the first day of the intervention period). None unless ``series``.
        departments: ``scenario, replicate, seed, day, department`` and the columns of
            ``Result.departments`` (values as float32), by day. None unless ``series``.
        touchpoints: ``scenario, replicate, seed, day, touchpoint, owner`` and the columns
            of ``Result.touchpoints`` (values as float32), by day. None unless ``series``.
        economics_daily: per scenario (not the baseline), replicate and intervention day
            (``day >= 0``): ``scenario, replicate, day, cost, revenue_gain, profit``, each
            cumulative against the baseline up to and including that day (the running
            sums of the quantities the economics table totals, so the last day's profit is
            the replicate's ``profit_difference``). None unless ``series``.
        intervention_day: the first day (as in ``daily.day``) on which any scenario's
            intervention starts; None if no scenario has an intervention.
    """

    baseline: str
    scenarios: list[str]
    seeds: list[int]
    runs: pd.DataFrame
    summary: pd.DataFrame
    economics: pd.DataFrame
    economics_runs: pd.DataFrame
    specs: list[dict[str, Any]]
    config: Config
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    level: float = LEVEL
    elapsed_seconds: float = field(default=0.0, compare=False)
    daily: pd.DataFrame | None = None
    departments: pd.DataFrame | None = None
    touchpoints: pd.DataFrame | None = None
    economics_daily: pd.DataFrame | None = None
    intervention_day: int | None = None

    @property
    def has_series(self) -> bool:
        """Whether the comparison kept its series (``compare(series=True)``)."""
        return self.daily is not None

    def files(self) -> list[str]:
        """Names of the files :meth:`save` writes."""
        names = ["summary.csv", "runs.csv", "economics.csv", "economics_runs.csv", MARKER,
                 "specs.json"]
        return names + [name for attribute, name in SERIES_FILES.items()
                        if getattr(self, attribute) is not None]

    def save(self, directory: str | Path) -> Path:
        """Write the frames as CSV, ``comparison.json`` (settings, summary, economics) and
        ``specs.json`` (the spec and hash of every run), atomically: into a temporary
        directory beside ``directory``, renamed into place when complete."""

        def fill(tmp: Path) -> None:
            self.summary.to_csv(tmp / "summary.csv", index=False)
            self.runs.to_csv(tmp / "runs.csv", index=False)
            self.economics.to_csv(tmp / "economics.csv", index=False)
            self.economics_runs.to_csv(tmp / "economics_runs.csv", index=False)
            (tmp / MARKER).write_text(json_text({
                "baseline": self.baseline, "scenarios": self.scenarios, "seeds": self.seeds,
                "replicates": len(self.seeds), "confidence_level": self.level,
                "discount_rate": self.discount_rate,
                "intervention_day": self.intervention_day,
                "elapsed_seconds": self.elapsed_seconds,
                "parameters": self.config.to_nested(),
                "summary": self.summary.to_dict(orient="records"),
                "economics": self.economics.to_dict(orient="records"),
            }))
            (tmp / "specs.json").write_text(json_text([
                {"scenario": s["scenario"], "replicate": s["replicate"], "seed": s["seed"],
                 "forked": s["forked"], "hash": s["spec"].content_hash,
                 "spec": s["spec"].to_dict()}
                for s in self.specs]))
            for attribute, name in SERIES_FILES.items():
                frame = getattr(self, attribute)
                if frame is not None:  # seeds come back from the replicate on loading
                    frame.drop(columns=["seed"], errors="ignore").to_parquet(
                        tmp / name, index=False)

        return write_atomically(directory, fill, marker=MARKER)

    @classmethod
    def load(cls, directory: str | Path) -> ComparisonResult:
        """Read a comparison written by :meth:`save` (``cxsim compare --out``): every
        frame, the settings and the specs; the series when they were saved.

        Raises:
            ParameterError: ``directory`` is not a complete comparison output.
        """
        return _load_comparison(Path(directory))


# ---------------------------------------------------------------------- compare


def check_replicates(replicates: Any, name: str = "replicates") -> int:
    """``replicates`` as an int from 1 to 100,000, or ParameterError."""
    if (not isinstance(replicates, (int, np.integer))
            or isinstance(replicates, (bool, np.bool_)) or not 1 <= int(replicates) <= 100_000):
        raise ParameterError(f"{name} = {replicates!r} is not allowed: expected an integer "
                             "from 1 to 100000")
    return int(replicates)


def check_discount_rate(rate: Any, name: str = "discount_rate") -> float:
    """``rate`` as a float from 0 to 1 (per year), or ParameterError."""
    ok = (isinstance(rate, (int, float, np.integer, np.floating))
          and not isinstance(rate, (bool, np.bool_)) and math.isfinite(rate)
          and 0 <= rate <= 1)
    if not ok:
        raise ParameterError(f"{name} = {rate!r} is not allowed: expected a number from 0 to "
                             "1 (per year, e.g. 0.08)")
    return float(rate)


def plan(baseline: Scenario, scenarios: Sequence[Scenario], replicates: int, seed: int,
         overrides: Mapping[str, Any] | None = None,
         series: bool = True,
         measure: Callable[[CXModel, Result], Mapping[str, float]] | None = None,
         ) -> tuple[list[str], list[SeedTask]]:
    """Labels and one :class:`SeedTask` per replicate, validated before anything runs
    (with ``series``, each run records the frames in :data:`SERIES_FRAMES`)."""
    everything = [baseline, *scenarios]
    for i, scenario in enumerate(everything):
        if not isinstance(scenario, Scenario):
            where = "baseline" if i == 0 else f"scenarios[{i - 1}]"
            raise ParameterError(f"{where} = {scenario!r} is not allowed: expected a Scenario "
                                 "(read files with cxsim.load_scenario)")
    labels = unique_labels([s.name for s in everything])
    specs = []
    for label, scenario in zip(labels, everything):
        try:
            config = scenario.config.with_overrides(dict(overrides or {}))
        except ParameterError as error:
            raise ParameterError(f"{label}: {error}") from None
        specs.append(RunSpec.build(config, seed=seed, interventions=scenario.interventions,
                                   structure=scenario.structure, scenario=label,
                                   record=SERIES_FRAMES if series else ()))
    base = specs[0]
    for label, spec in zip(labels[1:], specs[1:]):
        for name in HORIZON:
            mine, theirs = dict(spec.parameters)[name], dict(base.parameters)[name]
            if mine != theirs:
                raise ParameterError(
                    f"{label}: run.{name} = {mine} is not allowed: a comparison needs the "
                    f"baseline's run.{name} = {theirs} (or set it for all with --set)")
    forked = tuple(spec.parameters == base.parameters and spec.structure == base.structure
                   for spec in specs)
    tasks = [SeedTask(replicate=r,
                      specs=tuple(spec.replace(seed=seed + r) for spec in specs),
                      forked=forked, measure=measure)
             for r in range(replicates)]
    return labels, tasks


def compare(baseline: Scenario, scenarios: Sequence[Scenario], *, replicates: int,
            workers: int | None = None, seed: int | None = None,
            overrides: Mapping[str, Any] | None = None,
            discount_rate: float = DEFAULT_DISCOUNT_RATE,
            progress: bool | Callable[[int, int], None] = False,
            series: bool = True,
            measure: Callable[[CXModel, Result], Mapping[str, float]] | None = None,
            ) -> ComparisonResult:
    """Compare ``scenarios`` with ``baseline`` over ``replicates`` seeds.

    Args:
        baseline, scenarios: :class:`~cxsim.experiments.scenarios.Scenario` objects.
        replicates: number of seeds (>= 1; the CIs need >= 2).
        workers: worker processes (default: the machine's cores); results do not depend
            on it.
        seed: seed of the first replicate; replicate ``r`` uses ``seed + r``. Default: the
            baseline's seed, else a seed drawn from the operating system (recorded in
            ``result.seeds``).
        overrides: parameter overrides (flat or dotted keys) applied to every scenario.
        discount_rate: annual discount rate of the NPV (default 0.08).
        progress: True for a progress bar (runs done, ETA) on stderr, or a callable
            ``(runs_done, runs_total)``.
        series: keep every run's daily, department and touchpoint series and the daily
            economics (``result.daily``...; about 1 MB per run at the default horizon),
            for plots and reports. False keeps only the summaries.
        measure: optional module-level (picklable) function ``measure(model, result)``
            called in the worker after each run, returning ``{name: value}``; each name
            becomes a metric of ``runs`` and ``summary`` after the summary metrics (unit
            ``value``), with intervals and paired differences like them.

    Raises:
        ParameterError: bad input (before any run starts).
    """
    replicates = check_replicates(replicates)
    workers = default_workers() if workers is None else check_workers(workers)
    discount_rate = check_discount_rate(discount_rate)
    if seed is None:
        seed = baseline.seed if isinstance(baseline, Scenario) and baseline.seed is not None \
            else draw_seed()
    seed = check_seed(seed)
    if seed + replicates > 2**128:
        raise ParameterError(f"seed = {seed} is not allowed: seed + replicates must stay below "
                             "2**128")
    if not isinstance(series, (bool, np.bool_)):
        raise ParameterError(f"series = {series!r} is not allowed: expected True or False")
    labels, tasks = plan(baseline, scenarios, replicates, seed, overrides,
                         series=bool(series), measure=measure)
    started = time.perf_counter()
    per_task = len(labels)
    total = per_task * len(tasks)
    bar = None
    if progress is True:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="run", desc="cxsim compare", leave=False)
    done = 0

    def on_done(_: int) -> None:
        nonlocal done
        done += per_task
        if bar is not None:
            bar.update(per_task)
        elif callable(progress):
            progress(done, total)

    try:
        outcomes = map_in_order(run_seed_task, tasks, workers, on_done)
    finally:
        if bar is not None:
            bar.close()
    result = summarise(labels, tasks, outcomes, discount_rate, series=bool(series))
    result.elapsed_seconds = time.perf_counter() - started
    return result


def summarise(labels: list[str], tasks: list[SeedTask], outcomes: list[list[Result]],
              discount_rate: float, series: bool = False) -> ComparisonResult:
    """Tidy frames, intervals and economics from the Results of every task (and the
    series, with ``series``)."""
    seeds = [task.specs[0].seed for task in tasks]
    run_rows, spec_rows, econ_rows = [], [], []
    values: dict[tuple[str, str], list[float]] = {}
    metrics = list(COMPARED_METRICS)
    for results in outcomes:
        for result in results:
            metrics += [m for m in result.measures if m not in metrics]
    for task, results in zip(tasks, outcomes):
        base = results[0]
        for label, forked, result in zip(labels, task.forked, results):
            summary = result.summary() | result.measures
            for metric in metrics:
                value = float(summary.get(metric, math.nan))
                values.setdefault((label, metric), []).append(value)
                run_rows.append((label, task.replicate, result.seed, metric, value,
                                 result.spec.content_hash))
            spec_rows.append({"scenario": label, "replicate": task.replicate,
                              "seed": result.seed, "forked": forked, "spec": result.spec})
        for label, result in zip(labels[1:], results[1:]):
            econ = economics(base.daily, result.daily,
                             baseline_salary=base.config.salary_per_employee,
                             scenario_salary=result.config.salary_per_employee,
                             discount_rate=discount_rate)
            for quantity in ECONOMICS:
                econ_rows.append((label, task.replicate, result.seed, quantity,
                                  math.nan if econ[quantity] is None else econ[quantity]))
    runs = pd.DataFrame(run_rows, columns=["scenario", "replicate", "seed", "metric", "value",
                                           "spec_hash"])
    economics_runs = pd.DataFrame(econ_rows, columns=["scenario", "replicate", "seed",
                                                      "quantity", "value"])
    summary_rows = []
    for label in labels:
        for metric in metrics:
            mean, low, high, n = t_interval(values[(label, metric)])
            row = {"scenario": label, "metric": metric,
                   "unit": SUMMARY_UNITS.get(metric, "value"),
                   "mean": mean, "ci_low": low, "ci_high": high, "n": n,
                   "difference": math.nan, "difference_ci_low": math.nan,
                   "difference_ci_high": math.nan, "significant": False}
            if label != labels[0]:
                paired = np.subtract(values[(label, metric)], values[(labels[0], metric)])
                d, d_low, d_high, _ = t_interval(paired)
                row.update(difference=d, difference_ci_low=d_low, difference_ci_high=d_high,
                           significant=excludes_zero(d_low, d_high))
            summary_rows.append(row)
    econ_summary = []
    for label in labels[1:]:
        for quantity in ECONOMICS:
            column = economics_runs.loc[(economics_runs["scenario"] == label)
                                        & (economics_runs["quantity"] == quantity), "value"]
            defined = float(column.notna().mean()) if len(column) else 0.0
            mean = low = high = math.nan
            n = int(column.notna().sum())
            if defined == 1.0:
                mean, low, high, n = t_interval(column)
            econ_summary.append({
                "scenario": label, "quantity": quantity, "unit": ECONOMICS_UNITS[quantity],
                "mean": mean, "ci_low": low, "ci_high": high, "n": n,
                "defined_share": defined,
                "significant": quantity != "payback_day" and excludes_zero(low, high)})
    result = ComparisonResult(
        baseline=labels[0], scenarios=labels[1:], seeds=seeds, runs=runs,
        summary=pd.DataFrame(summary_rows), economics=pd.DataFrame(econ_summary),
        economics_runs=economics_runs, specs=spec_rows, config=tasks[0].specs[0].config,
        discount_rate=discount_rate, intervention_day=first_intervention_day(tasks))
    if series:
        result.daily, result.departments, result.touchpoints, result.economics_daily = \
            collect_series(labels, tasks, outcomes)
    return result


def first_intervention_day(tasks: Sequence[SeedTask]) -> int | None:
    """The earliest start day (after the warm-up) of any run's interventions, or None."""
    return first_start(tasks[0].specs) if tasks else None


def first_start(specs: Iterable[RunSpec]) -> int | None:
    """The earliest start day of the interventions of ``specs``, or None if none has any."""
    starts = [int(table.get("start", 0)) for spec in specs
              for table in spec.intervention_tables]
    return min(starts) if starts else None


def _series(frame: pd.DataFrame, label: str, replicate: int, seed: int,
            value_type: type | None = None) -> pd.DataFrame:
    """Rows of one run's frame from its first simulated day, keyed by scenario,
    replicate, seed and day since the end of the warm-up."""
    rows = frame[frame["day"] >= 0]
    out = rows.drop(columns=["day", "intervention_day"])
    if value_type is not None:
        numeric = out.select_dtypes("number").columns
        out = out.astype(dict.fromkeys(numeric, value_type))
    out.insert(0, "day", rows["intervention_day"].to_numpy(dtype=np.int64))
    out.insert(0, "seed", seed)
    out.insert(0, "replicate", replicate)
    out.insert(0, "scenario", label)
    return out.reset_index(drop=True)


def collect_series(labels: list[str], tasks: list[SeedTask], outcomes: list[list[Result]]
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The comparison's ``daily``, ``departments``, ``touchpoints`` and
    ``economics_daily`` frames (see :class:`ComparisonResult`), ordered by replicate and
    then scenario."""
    daily, departments, touchpoints, flows = [], [], [], []
    for task, results in zip(tasks, outcomes):
        base = results[0]
        for label, result in zip(labels, results):
            daily.append(_series(result.daily, label, task.replicate, result.seed))
            departments.append(_series(result.departments, label, task.replicate, result.seed,
                                       np.float32))
            touchpoints.append(_series(result.touchpoints, label, task.replicate, result.seed,
                                       np.float32))
        for label, result in zip(labels[1:], results[1:]):
            flow = economic_flows(base.daily, result.daily,
                                  baseline_salary=base.config.salary_per_employee,
                                  scenario_salary=result.config.salary_per_employee)
            flows.append(pd.DataFrame({
                "scenario": label, "replicate": task.replicate, "day": flow["day"],
                "cost": np.cumsum(flow["cost"]), "revenue_gain": np.cumsum(flow["revenue"]),
                "profit": np.cumsum(flow["profit"])}))
    economics_daily = (pd.concat(flows, ignore_index=True) if flows else pd.DataFrame(
        {"scenario": pd.Series(dtype=object), "replicate": pd.Series(dtype=np.int64),
         "day": pd.Series(dtype=np.int64), "cost": pd.Series(dtype=float),
         "revenue_gain": pd.Series(dtype=float), "profit": pd.Series(dtype=float)}))
    return (pd.concat(daily, ignore_index=True), pd.concat(departments, ignore_index=True),
            pd.concat(touchpoints, ignore_index=True), economics_daily)


# ---------------------------------------------------------------------- loading


def _load_comparison(directory: Path) -> ComparisonResult:
    """:meth:`ComparisonResult.load`."""
    where = f"comparison directory = {str(directory)!r} is not allowed"
    if not (directory / MARKER).is_file():
        raise ParameterError(f"{where}: it has no {MARKER}; expected a directory written by "
                             "cxsim compare --out")
    try:
        meta = json.loads((directory / MARKER).read_text())
        spec_rows = json.loads((directory / "specs.json").read_text())
        seeds = [int(s) for s in meta["seeds"]]
        specs = [{"scenario": str(row["scenario"]), "replicate": int(row["replicate"]),
                  "seed": int(row["seed"]), "forked": bool(row["forked"]),
                  "spec": RunSpec.from_dict(row["spec"])} for row in spec_rows]
        frames = {name: _read_csv(directory / f"{name}.csv")
                  for name in ("summary", "runs", "economics", "economics_runs")}
        for name in ("runs", "economics_runs"):
            frames[name]["seed"] = _seed_column(frames[name]["seed"])
        series = {}
        for attribute, name in SERIES_FILES.items():
            if (directory / name).is_file():
                frame = pd.read_parquet(directory / name)
                if attribute != "economics_daily":
                    frame.insert(2, "seed", _seed_column(
                        frame["replicate"].map(dict(enumerate(seeds)))))
                series[attribute] = frame
        day = meta["intervention_day"] if "intervention_day" in meta else first_start(
            row["spec"] for row in specs)  # saved before the series existed
        result = ComparisonResult(
            baseline=str(meta["baseline"]), scenarios=[str(s) for s in meta["scenarios"]],
            seeds=seeds, specs=specs, config=Config.from_nested(meta["parameters"]),
            discount_rate=float(meta["discount_rate"]),
            level=float(meta["confidence_level"]),
            elapsed_seconds=float(meta.get("elapsed_seconds") or 0.0),
            intervention_day=None if day is None else int(day), **frames, **series)
    except ParameterError as error:
        raise ParameterError(f"{where}: {error}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        problem = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise ParameterError(f"{where}: it cannot be read ({problem.splitlines()[0]}); "
                             "expected an unchanged output of cxsim compare --out") from None
    return result


def _read_csv(path: Path) -> pd.DataFrame:
    """A frame written by :meth:`ComparisonResult.save`, floats read back exactly and
    seeds as text (they may exceed 64 bits)."""
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return pd.read_csv(path, dtype={"seed": str}, keep_default_na=False, na_values=[""],
                       **exact)


def _seed_column(values: pd.Series) -> pd.Series:
    """Seeds as Python ints, in an int64 column when they fit (as :func:`compare` makes
    them)."""
    return pd.Series([int(v) for v in values], index=values.index, name=values.name)


def unique_labels(names: Sequence[str]) -> list[str]:
    """``names`` with repeats made unique: ``x``, ``x (2)``, ``x (3)``..."""
    labels: list[str] = []
    for name in names:
        label, count = name, 1
        while label in labels:
            count += 1
            label = f"{name} ({count})"
        labels.append(label)
    return labels
