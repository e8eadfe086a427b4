"""Figures from results: comparisons, runs, the organisation's network, sweeps and
sensitivity analyses (see ``docs/plots.md``).

Every function takes results (never re-runs anything) and returns a matplotlib
:class:`~matplotlib.figure.Figure` (no pyplot: safe in scripts, servers and worker
processes). The figures share one look: the Okabe-Ito palette (distinguishable with
every common colour-vision deficiency, and by line style in grey print), units on
every axis, fixed axis limits per metric (a metric's full scale, widened only when the
data leave it, so noise does not look like an effect), the intervention start marked.

>>> from cxsim.interfaces import plots
>>> figure = plots.headline_series(comparison)        # doctest: +SKIP
>>> figure.savefig("headline.png", dpi=150)           # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from cxsim.core.parameters import ParameterError, lookup
from cxsim.engine.interventions import INTERVENTIONS
from cxsim.experiments.comparisons import ComparisonResult, payback_day
from cxsim.experiments.sensitivity import indices_of, metric_unit
from cxsim.results import HEADLINE, SUMMARY_UNITS, Result

__all__ = [
    "EFFECT_METRICS", "METRIC_LABELS", "OKABE_ITO", "PALETTE", "department_burnout",
    "economics", "effects", "headline_series", "journey_heatmap", "metric_axis", "network",
    "network_layout", "response_surface", "run_figure", "tornado", "write_tornados",
]

#: The Okabe-Ito palette by name: distinguishable with every common colour-vision
#: deficiency.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73",
             "vermillion": "#D55E00", "sky": "#56B4E9", "purple": "#CC79A7",
             "yellow": "#F0E442", "black": "#000000"}
#: Colours in the order figures use them: the baseline black, then one per scenario
#: (yellow last: faint on white paper).
PALETTE = [OKABE_ITO[name] for name in ("black", "blue", "vermillion", "green", "orange",
                                        "purple", "sky", "yellow")]
#: Line styles paired with :data:`PALETTE` so that lines stay apart in grey print.
LINE_STYLES = ["-", "-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (1, 1))]
#: Colour map of continuous values (perceptually uniform, colour-blind safe).
COLOUR_MAP = "cividis"
#: Days of the rolling mean that smooths daily series (survey metrics are noisy).
SMOOTHING_DAYS = 7
#: Days of the warm-up shown before the intervention period in comparison figures.
WARM_UP_SHOWN = 60

#: One look for every figure: sizes readable in print and on a projector, no top and
#: right spines, a light grid, local fonts only.
STYLE = {
    "font.family": "DejaVu Sans", "font.size": 10, "axes.titlesize": 11,
    "axes.titleweight": "bold", "axes.labelsize": 10, "xtick.labelsize": 9,
    "ytick.labelsize": 9, "legend.fontsize": 9, "figure.titlesize": 13,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "grid.linewidth": 0.6, "lines.linewidth": 1.8,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "savefig.dpi": 150,
    "figure.facecolor": "white", "axes.facecolor": "white",
}


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is shown: its name, the unit on its axis, its kind (``share``: 0-1
    shown in %; ``annual``: a share a year, in %; ``points``; ``money``; ``count``;
    ``days``; ``score``) and its fixed axis limits (None: from the data)."""

    name: str
    unit: str
    kind: str
    low: float | None = 0.0
    high: float | None = None


_SHARE = (0.0, 1.0)
#: Metrics of ``Result.daily`` (and the comparison's ``daily``) as they are plotted.
METRICS: dict[str, MetricSpec] = {
    "csat": MetricSpec("CSAT", "% satisfied", "share", *_SHARE),
    "nps": MetricSpec("NPS", "points, -100 to 100", "points", -100.0, 100.0),
    "fcr": MetricSpec("First-contact resolution", "% of problems", "share", *_SHARE),
    "engagement_share": MetricSpec("Engaged employees", "% of employees", "share", *_SHARE),
    "burnout_share": MetricSpec("Burnt-out employees", "% of employees", "share", 0.0, 0.2),
    "churn_rate": MetricSpec("Customer churn", "% of customers a year", "annual", 0.0, 0.5),
    "turnover_rate": MetricSpec("Employee turnover", "% of employees a year", "annual",
                                0.0, 0.5),
    "active_customers": MetricSpec("Active customers", "customers", "count"),
    "revenue": MetricSpec("Revenue", "currency a day", "money"),
    "quality_mean": MetricSpec("Interaction quality", "score, 0 to 1", "score", *_SHARE),
    "quality_std": MetricSpec("Spread of interaction quality", "score, 0 to 1", "score",
                              0.0, 0.5),
    "consistency": MetricSpec("Consistency", "score, 0 to 1", "score", *_SHARE),
    "engagement_mean": MetricSpec("Mean engagement", "score, 0 to 1", "score", *_SHARE),
    "strain_mean": MetricSpec("Mean strain", "score, 0 to 1", "score", *_SHARE),
    "skill_mean": MetricSpec("Mean skill", "score, 0 to 1", "score", *_SHARE),
    "empowerment_mean": MetricSpec("Mean empowerment", "score, 0 to 1", "score", *_SHARE),
    "centricity_mean": MetricSpec("Customer-centricity", "score, 0 to 1", "score", *_SHARE),
    "training_completion": MetricSpec("Trained in the last 90 days", "% of employees",
                                      "share", *_SHARE),
    "promoter_share": MetricSpec("Promoters", "% of active customers", "share", *_SHARE),
    "detractor_share": MetricSpec("Detractors", "% of active customers", "share", *_SHARE),
    "contacts_per_resolution": MetricSpec("Contacts per resolution", "contacts", "count"),
    "time_to_resolution": MetricSpec("Time to resolution", "days", "days"),
    "headcount": MetricSpec("Headcount", "employees", "count"),
    "intervention_cost": MetricSpec("Intervention cost", "currency a day", "money"),
    "hiring_cost": MetricSpec("Hiring cost", "currency a day", "money"),
    "silo_effective": MetricSpec("Effective silo strength", "score, 0 to 1", "score",
                                 *_SHARE),
}
#: Summary metrics whose meaning differs from the daily column of the same name.
SUMMARY_METRICS: dict[str, MetricSpec] = {
    "revenue": MetricSpec("Revenue over the period", "currency", "money"),
    "revenue_per_day": MetricSpec("Revenue, final window", "currency a day", "money"),
    "intervention_cost": MetricSpec("Intervention cost", "currency", "money"),
    "hiring_cost": MetricSpec("Hiring cost over the period", "currency", "money"),
    "promoter_share": MetricSpec("Promoters", "% of active customers", "share", *_SHARE),
    "contacts_per_resolution": METRICS["contacts_per_resolution"],
}
#: metric -> "name (unit)", e.g. ``"CSAT (% satisfied)"``.
METRIC_LABELS: dict[str, str] = {key: f"{spec.name} ({spec.unit})"
                                 for key, spec in METRICS.items()}
#: Summary metrics :func:`effects` shows by default.
EFFECT_METRICS = ("csat", "nps", "fcr", "engagement_share", "burnout_share", "churn_rate",
                  "revenue")


def _styled(function: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure function under :data:`STYLE`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def metric_spec(metric: str, summary: bool = False) -> MetricSpec:
    """How ``metric`` is shown (a summary metric with ``summary``), or ParameterError."""
    if summary and metric in SUMMARY_METRICS:
        return SUMMARY_METRICS[metric]
    if metric in METRICS:
        return METRICS[metric]
    per_outcome = str(metric).startswith(("churned_after_", "churn_share_after_"))
    if summary and (metric in SUMMARY_UNITS or per_outcome):
        unit = metric_unit(metric)
        kind = {"share": "share", "points": "points", "money": "money",
                "money per day": "money", "days": "days"}.get(unit, "count")
        return MetricSpec(metric.replace("_", " ").capitalize(),
                          "%" if kind == "share" else unit, kind)
    known = sorted(set(METRICS) | (set(SUMMARY_UNITS) if summary else set()))
    raise ParameterError(f"metric = {metric!r} is not allowed: expected one of "
                         + ", ".join(known))


def _thousands(value: float, _: Any = None) -> str:
    return f"{value:,.0f}"


def metric_axis(ax: Any, metric: str, axis: str = "y", *, summary: bool = False,
                unit_only: bool = False) -> None:
    """Label ``ax``'s ``axis`` with ``metric``'s name and unit, format its ticks (shares
    in %, money and counts with thousands separators) and fix its limits: the metric's
    full scale (e.g. 0-100% for CSAT, 0-20% for burnout), widened only to show data
    outside it. Call it after plotting. ``unit_only`` labels the axis with the unit
    alone (when the panel's title names the metric); ``summary`` reads ``metric`` as a
    summary key (``revenue`` is then the period's total)."""
    if axis not in ("x", "y"):
        raise ParameterError(f"axis = {axis!r} is not allowed: expected 'x' or 'y'")
    spec = metric_spec(metric, summary)
    target = ax.yaxis if axis == "y" else ax.xaxis
    if spec.kind in ("share", "annual"):
        target.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    elif spec.kind in ("money", "count"):
        target.set_major_formatter(FuncFormatter(_thousands))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(
        spec.unit if unit_only else f"{spec.name} ({spec.unit})")
    data_low, data_high = (float(v) for v in (ax.dataLim.intervaly if axis == "y"
                                               else ax.dataLim.intervalx))
    finite = math.isfinite(data_low) and math.isfinite(data_high) and data_low <= data_high
    pad = 0.05 * max(data_high - data_low, abs(data_high), 1e-9) if finite else 0.0
    low = spec.low if spec.low is not None else (data_low - pad if finite else 0.0)
    high = spec.high if spec.high is not None else (data_high + pad if finite else 1.0)
    if finite and data_low < low:
        low = data_low - pad
    if finite and data_high > high:
        high = data_high + pad
    if high <= low:
        high = low + 1.0
    (ax.set_ylim if axis == "y" else ax.set_xlim)(low, high)


# ---------------------------------------------------------------------- helpers


def _colours(labels: Sequence[str]) -> dict[str, tuple[str, Any]]:
    """Colour and line style of each label: the first (the baseline) black and solid."""
    return {label: (PALETTE[i % len(PALETTE)], LINE_STYLES[i % len(LINE_STYLES)])
            for i, label in enumerate(labels)}


def _t_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% t interval over the rows of ``values`` (replicates x days)."""
    from scipy import stats

    n = np.sum(np.isfinite(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days without any value
        mean = np.nanmean(values, axis=0) if values.size else np.full(values.shape[1],
                                                                      np.nan)
        sd = np.nanstd(values, axis=0, ddof=1) if values.shape[0] > 1 else np.full_like(
            mean, np.nan)
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    half = np.where(n > 1, half, np.nan)
    return mean, mean - half, mean + half


def _check_comparison(comparison: Any, needs_series: bool = True) -> ComparisonResult:
    if not isinstance(comparison, ComparisonResult):
        raise ParameterError(f"comparison = {type(comparison).__name__} is not allowed: "
                             "expected a ComparisonResult (cxsim.compare or "
                             "ComparisonResult.load)")
    if needs_series and not comparison.has_series:
        raise ParameterError("comparison has no series: it was run with series=False; run "
                             "compare(..., series=True) (the default)")
    return comparison


def _check_metrics(metrics: Iterable[str] | str, columns: Iterable[str],
                   summary: bool = False) -> list[str]:
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ParameterError("metrics = [] is not allowed: expected at least one metric")
    available = set(columns)
    for metric in metrics:
        metric_spec(metric, summary)
        if metric not in available:
            raise ParameterError(f"metric = {metric!r} is not allowed: the results hold "
                                 "no such column")
    return metrics


def _smoothed_runs(daily: pd.DataFrame, metric: str, labels: Sequence[str]
                   ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Days and, per label, the 7-day rolling mean of ``metric`` (replicates x days)."""
    days = np.sort(daily["day"].unique())
    out = {}
    for label in labels:
        table = _by_replicate(daily[daily["scenario"] == label], metric, days)
        smooth = pd.DataFrame(table.T).rolling(SMOOTHING_DAYS, min_periods=1).mean()
        out[label] = smooth.to_numpy(dtype=float).T
    return days, out


def _by_replicate(rows: pd.DataFrame, column: str, days: np.ndarray) -> np.ndarray:
    """``column`` of ``rows`` as a replicates x ``days`` array (NaN where missing)."""
    replicates = np.unique(rows["replicate"].to_numpy())
    table = np.full((len(replicates), len(days)), np.nan)
    table[np.searchsorted(replicates, rows["replicate"].to_numpy()),
          np.searchsorted(days, rows["day"].to_numpy())] = rows[column].to_numpy(dtype=float)
    return table


#: Values each kind of metric can take (bands are clipped to them).
POSSIBLE = {"share": (0.0, 1.0), "points": (-100.0, 100.0), "score": (0.0, 1.0),
            "annual": (0.0, math.inf), "money": (-math.inf, math.inf),
            "count": (0.0, math.inf), "days": (0.0, math.inf)}


def _clip(values: np.ndarray, metric: str) -> np.ndarray:
    """``values`` within what ``metric`` can take (a share's band stops at 100%)."""
    return np.clip(values, *POSSIBLE[metric_spec(metric).kind])


def _mark_start(ax: Any, day: int | None) -> None:
    """The dashed line of the intervention start (or the end of the warm-up)."""
    ax.axvline(0 if day is None else day, color=OKABE_ITO["black"], linestyle=(0, (4, 3)),
               linewidth=1.0, alpha=0.8, zorder=1)


def _start_label(day: int | None) -> str:
    return "end of warm-up (day 0)" if day is None else f"intervention starts (day {day})"


def _start_handle(day: int | None) -> Line2D:
    return Line2D([], [], color=OKABE_ITO["black"], linestyle=(0, (4, 3)), linewidth=1.0,
                  label=_start_label(day))


def _panels(figure: Figure, count: int, cols: int = 2, sharex: bool = True) -> list[Any]:
    rows = max(1, math.ceil(count / cols))
    axes = figure.subplots(rows, cols, squeeze=False, sharex=sharex)
    flat = list(np.ravel(axes))
    for ax in flat[count:]:
        ax.set_visible(False)
    return flat[:count]


def _finish_panel(ax: Any, metric: str, start: int | None, days: np.ndarray) -> None:
    """A time-series panel's start mark, title, metric axis and day range."""
    _mark_start(ax, start)
    ax.set_title(metric_spec(metric).name)
    metric_axis(ax, metric, unit_only=True)
    ax.set_xlim(days.min(), days.max())


def _label_days(figure: Figure) -> None:
    """The day axis labelled under the bottom row of panels."""
    for ax in figure.axes:
        if ax.get_visible() and ax.get_subplotspec().is_last_row():
            ax.set_xlabel("days since the end of the warm-up")


# ---------------------------------------------------------------------- comparisons


@_styled
def headline_series(comparison: ComparisonResult, metrics: Iterable[str] = HEADLINE, *,
                    scenarios: Sequence[str] | None = None) -> Figure:
    """Headline metrics over time: per scenario, the mean over replicates of each run's
    7-day rolling mean, with its 95% confidence band, from the last 60 days of the
    warm-up to the horizon; the baseline black, the intervention start dashed.
    ``scenarios``: the scenarios drawn beside the baseline (default: all), each keeping
    its colour."""
    comparison = _check_comparison(comparison)
    daily = comparison.daily
    metrics = _check_metrics(metrics, daily.columns)
    style = _colours([comparison.baseline, *comparison.scenarios])
    chosen = comparison.scenarios if scenarios is None else _check_scenarios(comparison,
                                                                             scenarios)
    labels = [comparison.baseline, *chosen]
    shown = daily[daily["day"] >= -WARM_UP_SHOWN]
    n = len(comparison.seeds)
    figure = Figure(figsize=(11, 1.2 + 2.5 * math.ceil(len(metrics) / 2)),
                    layout="constrained")
    for ax, metric in zip(_panels(figure, len(metrics)), metrics):
        days, runs = _smoothed_runs(shown, metric, labels)
        for label in labels:
            colour, line = style[label]
            mean, low, high = (_clip(v, metric) for v in _t_band(runs[label]))
            ax.fill_between(days, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(days, mean, color=colour, linestyle=line, label=label)
        _finish_panel(ax, metric, comparison.intervention_day, days)
    _label_days(figure)
    handles = [Line2D([], [], color=style[lab][0], linestyle=style[lab][1], label=lab)
               for lab in labels]
    handles += [Patch(color="0.5", alpha=0.3, label=f"95% confidence band ({n} replicates)"),
                _start_handle(comparison.intervention_day)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
                  frameon=False)
    figure.suptitle(f"Headline metrics: {_versus(comparison, chosen)} "
                    f"({SMOOTHING_DAYS}-day means, {n} replicates)")
    return figure


def _check_scenarios(comparison: ComparisonResult, scenarios: Any) -> list[str]:
    chosen = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    for name in chosen:
        if name not in comparison.scenarios:
            raise ParameterError(f"scenarios = {name!r} is not allowed: expected some of "
                                 + ", ".join(comparison.scenarios))
    if not chosen:
        raise ParameterError("scenarios = [] is not allowed: expected at least one scenario")
    return chosen


def _versus(comparison: ComparisonResult, scenarios: Sequence[str] | None = None) -> str:
    names = ", ".join(comparison.scenarios if scenarios is None else scenarios)
    return f"{names} against {comparison.baseline}"


@_styled
def effects(comparison: ComparisonResult, metrics: Iterable[str] | None = None) -> Figure:
    """Effects against the baseline: for each metric a panel with each scenario's mean
    paired difference and its 95% confidence interval (filled dot: the interval excludes
    zero), in the metric's unit (shares in percentage points)."""
    comparison = _check_comparison(comparison, needs_series=False)
    summary = comparison.summary
    metrics = _check_metrics(EFFECT_METRICS if metrics is None else metrics,
                             summary["metric"].unique(), summary=True)
    scenarios = comparison.scenarios
    if not scenarios:
        raise ParameterError("comparison has no scenario besides the baseline: nothing to "
                             "compare")
    style = _colours([comparison.baseline, *scenarios])
    rows = summary.set_index(["scenario", "metric"])
    figure = Figure(figsize=(11, 1.3 + (0.55 + 0.32 * len(scenarios))
                             * math.ceil(len(metrics) / 2)), layout="constrained")
    positions = np.arange(len(scenarios))[::-1]
    for ax, metric in zip(_panels(figure, len(metrics), sharex=False), metrics):
        spec = metric_spec(metric, summary=True)
        scale = 100.0 if spec.kind in ("share", "annual") else 1.0
        for y, label in zip(positions, scenarios):
            row = rows.loc[(label, metric)]
            d, low, high = (row["difference"] * scale, row["difference_ci_low"] * scale,
                            row["difference_ci_high"] * scale)
            colour = style[label][0]
            if np.isfinite(low) and np.isfinite(high):
                ax.plot([low, high], [y, y], color=colour, linewidth=2.2,
                        solid_capstyle="butt")
            ax.plot([d], [y], marker="o", markersize=8, color=colour,
                    markerfacecolor=colour if bool(row["significant"]) else "white",
                    markeredgewidth=1.8, linestyle="none")
        ax.axvline(0.0, color=OKABE_ITO["black"], linewidth=0.9)
        ax.set_yticks(positions, scenarios)
        ax.set_ylim(-0.6, len(scenarios) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.set_title(spec.name)
        ax.set_xlabel(_difference_unit(spec))
        if spec.kind == "money":
            ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=False))
        low, high = ax.get_xlim()
        reach = max(abs(low), abs(high))
        ax.set_xlim(-reach, reach)
    handles = [Line2D([], [], marker="o", color="0.2", markerfacecolor="0.2",
                      linestyle="-", label="mean difference, 95% CI excludes 0"),
               Line2D([], [], marker="o", color="0.2", markerfacecolor="white",
                      linestyle="-", label="95% CI includes 0 (no clear effect)")]
    figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    figure.suptitle(f"Effects against {comparison.baseline}: mean paired difference with "
                    f"95% CI ({len(comparison.seeds)} replicates)")
    return figure


def _difference_unit(spec: MetricSpec) -> str:
    if spec.kind == "share":
        return "difference (percentage points)"
    if spec.kind == "annual":
        return "difference (percentage points a year)"
    return "difference (points)" if spec.kind == "points" else f"difference ({spec.unit})"


@_styled
def economics(comparison: ComparisonResult) -> Figure:
    """Cumulative economics against the baseline, per scenario (mean over replicates with
    95% bands): intervention cost, revenue gain and profit (revenue gain minus the cost,
    staff and hiring differences), with each scenario's payback day marked where its
    mean cumulative profit turns and stays non-negative."""
    comparison = _check_comparison(comparison)
    flows = comparison.economics_daily
    scenarios = comparison.scenarios
    if not scenarios:
        raise ParameterError("comparison has no scenario besides the baseline: nothing to "
                             "compare")
    style = _colours([comparison.baseline, *scenarios])
    figure = Figure(figsize=(12, 4.4), layout="constrained")
    axes = figure.subplots(1, 3, sharex=True)
    panels = (("cost", "Cumulative intervention cost"),
              ("revenue_gain", "Cumulative revenue gain"),
              ("profit", "Cumulative profit gain"))
    handles = []
    for label in scenarios:
        rows = flows[flows["scenario"] == label]
        colour, line = style[label]
        paid_back = None
        for ax, (column, _) in zip(axes, panels):
            days = np.sort(rows["day"].unique())
            mean, low, high = _t_band(_by_replicate(rows, column, days))
            ax.fill_between(days, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(days, mean, color=colour, linestyle=line)
            if column == "profit" and len(mean):
                paid_back = payback_day(np.diff(mean, prepend=0.0), days)
                if paid_back is not None:
                    ax.axvline(paid_back, color=colour, linestyle=":", linewidth=1.4)
                    ax.plot([paid_back], [mean[days == paid_back][0]], marker="o",
                            color=colour, markersize=7, markeredgecolor="white")
        when = (f"payback on day {paid_back}" if paid_back is not None
                else "no payback within the horizon")
        handles.append(Line2D([], [], color=colour, linestyle=line, label=f"{label}: {when}"))
    for ax, (_, title) in zip(axes, panels):
        ax.axhline(0.0, color=OKABE_ITO["black"], linewidth=0.9)
        ax.set_title(title)
        ax.set_ylabel("currency, against the baseline")
        ax.set_xlabel("days since the intervention period began")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        if comparison.intervention_day:
            _mark_start(ax, comparison.intervention_day)
    handles.append(Patch(color="0.5", alpha=0.3,
                         label=f"95% confidence band ({len(comparison.seeds)} replicates)"))
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3),
                  frameon=False)
    figure.suptitle(f"Economics: {_versus(comparison)} (cumulative, mean of "
                    f"{len(comparison.seeds)} replicates; dotted: payback day)")
    return figure


# ---------------------------------------------------------------------- one run


@_styled
def run_figure(result: Result, title: str | None = None,
               metrics: Iterable[str] = HEADLINE) -> Figure:
    """The headline figure of one run (``cxsim run --out``'s ``headline.png``): per
    metric the daily value (grey) and its 7-day mean, human titles, units and fixed axes
    (shares in %, revenue in currency with thousands separators), the baseline window
    (end of the warm-up) and the final window shaded, the intervention start dashed."""
    if not isinstance(result, Result):
        raise ParameterError(f"result = {type(result).__name__} is not allowed: expected a "
                             "cxsim Result")
    metrics = _check_metrics(metrics, result.daily.columns)
    daily = result.daily[result.daily["day"] >= 0]
    days = daily["intervention_day"].to_numpy()
    window = result.config.summary_window_days
    final = result.window("final")["intervention_day"]
    baseline = result.window("baseline")["intervention_day"] if result.burn_in > 0 else None
    start = _first_start(result.interventions)
    figure = Figure(figsize=(11, 1.2 + 2.5 * math.ceil(len(metrics) / 2)),
                    layout="constrained")
    for ax, metric in zip(_panels(figure, len(metrics)), metrics):
        values = daily[metric].to_numpy(dtype=float)
        ax.plot(days, values, color="0.72", linewidth=0.7)
        smooth = pd.Series(values).rolling(SMOOTHING_DAYS, min_periods=1).mean()
        ax.plot(days, smooth, color=OKABE_ITO["blue"])
        if baseline is not None and len(baseline):
            ax.axvspan(baseline.min() - 0.5, baseline.max() + 0.5, color=OKABE_ITO["sky"],
                       alpha=0.18, linewidth=0)
        if len(final):
            ax.axvspan(final.min() - 0.5, final.max() + 0.5, color=OKABE_ITO["orange"],
                       alpha=0.18, linewidth=0)
        _finish_panel(ax, metric, start, days)
    _label_days(figure)
    handles = [Line2D([], [], color="0.72", linewidth=0.9, label="daily value"),
               Line2D([], [], color=OKABE_ITO["blue"], label=f"{SMOOTHING_DAYS}-day mean")]
    if baseline is not None and len(baseline):
        handles.append(Patch(color=OKABE_ITO["sky"], alpha=0.35,
                             label=f"baseline window (last {len(baseline)} warm-up days)"))
    handles += [Patch(color=OKABE_ITO["orange"], alpha=0.35,
                      label=f"final window (last {min(window, len(final))} days)"),
                _start_handle(start)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5),
                  frameon=False)
    config = result.config
    figure.suptitle(f"{title or 'cxsim run'}, seed {result.seed}: "
                    f"{config.n_employees:,} employees, {config.n_customers:,} customers")
    return figure


def _first_start(interventions: Iterable[dict[str, Any]]) -> int | None:
    starts = [int(iv.get("start", 0)) for iv in interventions]
    return min(starts) if starts else None


# ---------------------------------------------------------------------- per group


def _group_frame(source: Any, name: str) -> tuple[pd.DataFrame, list[str], Any, int | None]:
    """The ``departments`` or ``touchpoints`` series of a comparison or a Result as
    ``scenario, replicate, day, ...`` rows (days since the end of the warm-up), the
    labels, the config and the first intervention day."""
    if isinstance(source, ComparisonResult):
        _check_comparison(source)
        return (getattr(source, name), [source.baseline, *source.scenarios], source.config,
                source.intervention_day)
    if isinstance(source, Result):
        frame = getattr(source, name)
        if frame is None:
            raise ParameterError(f"result has no {name} frame: run it with "
                                 f"record=({name!r},) (cxsim.run records it by default)")
        label = f"run (seed {source.seed})"
        rows = frame[frame["day"] >= 0].drop(columns=["day"]).rename(
            columns={"intervention_day": "day"})
        rows.insert(0, "replicate", 0)
        rows.insert(0, "scenario", label)
        return rows, [label], source.config, _first_start(source.interventions)
    raise ParameterError(f"results = {type(source).__name__} is not allowed: expected a "
                         "ComparisonResult or a Result")


#: Touchpoint metrics of the journey heatmap and the counts that weight them.
JOURNEY_WEIGHTS = {"csat": "responses", "nps": "responses", "fcr": "first_contacts",
                   "quality_mean": "contacts"}
#: Days of a month in the journey heatmap.
MONTH_DAYS = 30


@_styled
def journey_heatmap(comparison_or_result: ComparisonResult | Result, metric: str = "csat",
                    scenario: str | None = None) -> Figure:
    """The journey as a heatmap: one row per touchpoint (journey order), one column per
    30-day month of the intervention period, the metric pooled over the month's answers
    (CSAT, NPS), first contacts (FCR) or contacts (quality) and over replicates. The days
    after the last full month are left out (unless the period is shorter than a month).
    For a comparison, ``scenario`` picks the scenario (default: the baseline)."""
    if metric not in JOURNEY_WEIGHTS:
        raise ParameterError(f"metric = {metric!r} is not allowed: expected one of "
                             + ", ".join(JOURNEY_WEIGHTS))
    frame, labels, _, start = _group_frame(comparison_or_result, "touchpoints")
    label = labels[0] if scenario is None else scenario
    if label not in labels:
        raise ParameterError(f"scenario = {scenario!r} is not allowed: expected one of "
                             + ", ".join(labels))
    rows = frame[(frame["scenario"] == label) & (frame["day"] >= 0)]
    full_months = (int(rows["day"].max()) + 1) // MONTH_DAYS if len(rows) else 0
    if full_months:  # a last, partial month would rest on a few days' answers
        rows = rows[rows["day"] < full_months * MONTH_DAYS]
    touchpoints = rows["touchpoint"].unique().tolist()
    weight = rows[JOURNEY_WEIGHTS[metric]].to_numpy(dtype=float)
    value = rows[metric].to_numpy(dtype=float)
    pooled = pd.DataFrame({
        "touchpoint": rows["touchpoint"].to_numpy(),
        "month": rows["day"].to_numpy() // MONTH_DAYS + 1,
        "weighted": np.where(weight > 0, np.nan_to_num(value) * weight, 0.0),
        "weight": weight,
    }).groupby(["touchpoint", "month"], sort=False)[["weighted", "weight"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = (pooled["weighted"] / pooled["weight"].where(pooled["weight"] > 0)).unstack(
            "month").reindex(touchpoints)
    months = grid.columns.to_numpy()
    spec = metric_spec(metric)
    scale = 100.0 if spec.kind == "share" else 1.0
    data = grid.to_numpy(dtype=float) * scale
    low, high = (spec.low * scale, spec.high * scale)
    figure = Figure(figsize=(max(7.0, 1.6 + 0.62 * len(months)),
                             1.8 + 0.42 * len(touchpoints)), layout="constrained")
    ax = figure.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap=COLOUR_MAP, vmin=low,
                      vmax=high, interpolation="nearest")
    if data.size <= 400:
        middle = (low + high) / 2
        for (i, j), v in np.ndenumerate(data):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8,
                        color="black" if v > middle else "white")
    ax.set_xticks(np.arange(len(months)), [str(m) for m in months])
    ax.set_yticks(np.arange(len(touchpoints)), touchpoints)
    ax.grid(False)
    ax.set_xlabel(f"month of the intervention period ({MONTH_DAYS} days each)")
    ax.set_ylabel("touchpoint (journey order)")
    if start:
        ax.axvline(start / MONTH_DAYS - 0.5, color="white", linewidth=2)
    bar = figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(f"{spec.name} ({spec.unit})")
    ax.set_title(f"{spec.name} by touchpoint and month: {label}")
    return figure


@_styled
def department_burnout(comparison_or_result: ComparisonResult | Result) -> Figure:
    """Burnout and turnover by department: the share of employees burnt out over the
    final window and the leavers per head a year over the intervention period, per
    scenario (mean over replicates with 95% confidence intervals)."""
    frame, labels, config, _ = _group_frame(comparison_or_result, "departments")
    window = config.summary_window_days
    period = frame[frame["day"] >= 0]
    last = period["day"].max()
    final = period[period["day"] > last - window]
    departments = period["department"].unique().tolist()
    burnout = final.groupby(["scenario", "replicate", "department"], sort=False)[
        "burnout_share"].mean()
    totals = period.groupby(["scenario", "replicate", "department"], sort=False).agg(
        quits=("quits", "sum"), headcount=("headcount", "mean"), days=("day", "nunique"))
    with np.errstate(invalid="ignore", divide="ignore"):
        turnover = (totals["quits"] / totals["headcount"].where(totals["headcount"] > 0)
                    * 365.0 / totals["days"])
    style = _colours(labels)
    figure = Figure(figsize=(11, 1.6 + 0.3 * len(departments) * max(1, len(labels)) ** 0.7),
                    layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    height = 0.8 / len(labels)
    centres = np.arange(len(departments))[::-1]
    for ax, values, title, unit in (
            (axes[0], burnout, "Burnout", f"% of employees burnt out, last {window} days"),
            (axes[1], turnover, "Turnover", "% of employees leaving a year")):
        for k, label in enumerate(labels):
            table = values.loc[label].unstack("department").reindex(columns=departments)
            mean, low, high = _t_band(table.to_numpy(dtype=float) * 100.0)
            offset = (len(labels) - 1) / 2 * height - k * height
            errors = np.vstack([mean - low, high - mean])
            ax.barh(centres + offset, mean, height=height * 0.92, color=style[label][0],
                    label=label, xerr=np.where(np.isfinite(errors), errors, 0.0),
                    error_kw={"ecolor": "0.35", "capsize": 2, "linewidth": 1})
        ax.set_title(title)
        ax.set_xlabel(unit)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.set_xlim(0, max(5.0, ax.get_xlim()[1]))
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks(centres, departments)
    axes[0].set_ylabel("department")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
                  ncols=min(len(labels), 4), frameon=False)
    bands = " (95% CI over replicates)" if isinstance(comparison_or_result,
                                                       ComparisonResult) else ""
    figure.suptitle(f"Burnout and turnover by department{bands}")
    return figure


# ---------------------------------------------------------------------- the network


def network_layout(model: Any) -> np.ndarray:
    """Positions (n x 2) for drawing the organisation: the executives in a disc at the
    centre (the chief executive in the middle), the other departments' discs on a circle
    around it, each department's managers at its disc's centre and its frontline
    outwards, team by team, on a sunflower spiral. Depends only on departments, levels
    and teams, so it stays put as the network changes; numpy only (about a millisecond
    for 1,000 positions)."""
    department = np.asarray(model.department)
    level = np.asarray(model.level)
    n = department.size
    names = list(model.structure.department_names)
    team = np.asarray(getattr(model, "team", np.zeros(n, dtype=np.int64)))
    executive = names.index("executive") if "executive" in names else -1
    ring = [d for d in range(len(names)) if d != executive]
    sizes = np.bincount(department, minlength=len(names))
    largest = max(1, int(sizes[ring].max()) if ring else 1)
    disc = 0.85 * math.sin(math.pi / max(len(ring), 2)) if len(ring) > 1 else 0.6
    positions = np.zeros((n, 2))
    golden = math.pi * (3.0 - math.sqrt(5.0))
    for d in range(len(names)):
        members = np.flatnonzero(department == d)
        if members.size == 0:
            continue
        members = members[np.lexsort((members, team[members], level[members]))]
        if d == executive:
            centre, radius = np.zeros(2), 0.3 * disc * math.sqrt(members.size / largest)
        else:
            angle = math.pi / 2 - 2 * math.pi * ring.index(d) / max(len(ring), 1)
            centre = np.array([math.cos(angle), math.sin(angle)])
            radius = disc * math.sqrt(members.size / largest)
        i = np.arange(members.size)
        r = radius * np.sqrt(i / max(members.size - 1, 1)) if members.size > 1 else 0 * i
        positions[members] = centre + np.column_stack([r * np.cos(i * golden),
                                                       r * np.sin(i * golden)])
    return positions


def _informal_ties(model: Any) -> np.ndarray:
    """The informal ties as an (m x 2) array of positions."""
    graph = model.network
    ties = [(u, v) for u, v, kind in graph.edges(data="kind") if kind == "informal"]
    return np.array(ties, dtype=np.int64).reshape(-1, 2)


#: What :func:`network` can colour positions by.
NETWORK_COLOURS = ("department", "engagement", "strain")


@_styled
def network(model: Any, colour_by: str = "department") -> Figure:
    """The informal network of a model (a ``CXModel`` or the reference model, at any
    day): positions laid out by :func:`network_layout`, ties within a department light
    grey, ties across departments dark (so silos show as discs with few dark lines
    between them), positions coloured by department (named beside their disc) or by
    engagement or strain (0-1, colour bar); executives largest, then managers; vacant
    positions hollow."""
    if colour_by not in NETWORK_COLOURS:
        raise ParameterError(f"colour_by = {colour_by!r} is not allowed: expected one of "
                             + ", ".join(NETWORK_COLOURS))
    for attribute in ("department", "level", "structure", "network"):
        if not hasattr(model, attribute):
            raise ParameterError(f"model = {type(model).__name__} is not allowed: expected a "
                                 "cxsim model (CXModel or ReferenceModel)")
    xy = network_layout(model)
    department = np.asarray(model.department)
    level = np.asarray(model.level)
    active = np.asarray(getattr(model, "active", np.ones(department.size, dtype=bool)))
    names = list(model.structure.department_names)
    ties = _informal_ties(model)
    across = department[ties[:, 0]] != department[ties[:, 1]]
    figure = Figure(figsize=(9.5, 9.0), layout="constrained")
    ax = figure.add_subplot()
    ax.add_collection(LineCollection(xy[ties[~across]], colors="#BBBBBB", linewidths=0.45,
                                     alpha=0.7, zorder=1))
    ax.add_collection(LineCollection(xy[ties[across]], colors="#222222", linewidths=0.5,
                                     alpha=0.28, zorder=2))
    sizes = np.array([70.0, 30.0, 12.0])[np.clip(level, 0, 2)]
    filled = active
    if colour_by == "department":
        colours = np.array(_department_colours(names))
        ax.scatter(xy[filled, 0], xy[filled, 1], s=sizes[filled],
                   c=colours[department[filled]], edgecolors="white", linewidths=0.4,
                   zorder=3)
        _name_departments(ax, xy, department, names)
    else:
        values = np.asarray(getattr(model, colour_by), dtype=float)
        points = ax.scatter(xy[filled, 0], xy[filled, 1], s=sizes[filled],
                            c=values[filled], cmap=COLOUR_MAP, vmin=0.0, vmax=1.0,
                            edgecolors="white", linewidths=0.4, zorder=3)
        bar = figure.colorbar(points, ax=ax, fraction=0.035, pad=0.01, shrink=0.8)
        bar.set_label(f"{colour_by} (score, 0 to 1)")
        _name_departments(ax, xy, department, names)
    if (~active).any():
        ax.scatter(xy[~active, 0], xy[~active, 1], s=sizes[~active], facecolors="none",
                   edgecolors="0.5", linewidths=0.6, zorder=3)
    handles = [Line2D([], [], color="#BBBBBB", linewidth=1.5, label="tie within a department"),
               Line2D([], [], color="#222222", linewidth=1.5, label="tie across departments"),
               Line2D([], [], marker="o", linestyle="none", color="0.4", markersize=8,
                      label="executive"),
               Line2D([], [], marker="o", linestyle="none", color="0.4", markersize=5.5,
                      label="manager"),
               Line2D([], [], marker="o", linestyle="none", color="0.4", markersize=3.5,
                      label="frontline")]
    if (~active).any():
        handles.append(Line2D([], [], marker="o", linestyle="none", color="0.5",
                              markerfacecolor="none", label="vacant position"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, -0.02), ncols=3,
              frameon=False, fontsize=8.5)
    ax.set_aspect("equal")
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.85, 1.6)
    ax.axis("off")
    share = float(across.mean()) if len(across) else 0.0
    ax.set_title(f"Informal network by {colour_by}: {department.size:,} positions, "
                 f"{len(ties):,} informal ties, {share:.0%} across departments")
    return figure


def _department_colours(names: Sequence[str]) -> list[str]:
    """The executives black, the other departments the palette's colours in turn."""
    colours, ring = [], 0
    for name in names:
        if name == "executive":
            colours.append(OKABE_ITO["black"])
        else:
            colours.append(PALETTE[1 + ring % (len(PALETTE) - 1)])
            ring += 1
    return colours


def _name_departments(ax: Any, xy: np.ndarray, department: np.ndarray,
                      names: Sequence[str]) -> None:
    """Each department's name beside its disc (outside the ring; the executives' below
    the centre)."""
    for d, name in enumerate(names):
        members = department == d
        if not members.any():
            continue
        centre = xy[members].mean(axis=0)
        reach = np.abs(xy[members] - centre).max() if members.sum() > 1 else 0.05
        norm = np.hypot(*centre)
        if name == "executive" or norm < 1e-9:
            spot, align = centre - np.array([0.0, reach + 0.09]), "center"
        else:
            spot = centre * (1 + (reach + 0.1) / norm)
            align = "left" if spot[0] > 0.15 else "right" if spot[0] < -0.15 else "center"
        ax.text(spot[0], spot[1], name, ha=align, va="center", fontsize=10,
                fontweight="bold", color="0.1", zorder=4)


# ---------------------------------------------------------------------- sweeps


@_styled
def response_surface(frame: pd.DataFrame, x: str, y: str, metric: str) -> Figure:
    """Two swept parameters against a metric, from a loaded sweep
    (:func:`~cxsim.experiments.sweeps.load_sweep`): the metric's mean over replicates at
    each point, as a grid of cells for a grid design, else as filled contours between
    the sampled points (shown as dots)."""
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"frame = {type(frame).__name__} is not allowed: expected a "
                             "sweep's DataFrame (cxsim.experiments.sweeps.load_sweep)")
    for name, column in (("x", x), ("y", y), ("metric", metric)):
        if column not in frame.columns:
            raise ParameterError(f"{name} = {column!r} is not allowed: the sweep has no such "
                                 "column")
    if x == y:
        raise ParameterError(f"y = {y!r} is not allowed: expected a parameter other than x")
    done = frame if "status" not in frame.columns else frame[frame["status"] == "done"]
    points = done.groupby([x, y], sort=True)[metric].agg(["mean", "size"]).reset_index()
    points = points[np.isfinite(points["mean"].to_numpy(dtype=float))]
    if len(points) < 3:
        raise ParameterError(f"frame has {len(points)} point(s) with a value of {metric}: "
                             "a response surface needs at least 3")
    spec = metric_spec(metric, summary=True)
    scale = 100.0 if spec.kind in ("share", "annual") else 1.0
    xs, ys = np.sort(points[x].unique()), np.sort(points[y].unique())
    values = points["mean"].to_numpy(dtype=float) * scale
    figure = Figure(figsize=(8, 6.2), layout="constrained")
    ax = figure.add_subplot()
    if len(xs) * len(ys) == len(points) and len(xs) > 1 and len(ys) > 1:
        grid = points.pivot(index=y, columns=x, values="mean").reindex(
            index=ys, columns=xs).to_numpy(dtype=float) * scale
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), grid, cmap=COLOUR_MAP, shading="flat")
    else:
        try:
            mesh = ax.tricontourf(points[x].to_numpy(float), points[y].to_numpy(float),
                                  values, levels=12, cmap=COLOUR_MAP)
        except (ValueError, RuntimeError):
            raise ParameterError(f"x = {x!r}, y = {y!r}: the sampled points lie on a line; "
                                 "a response surface needs points spread over both") from None
        ax.scatter(points[x], points[y], s=14, color="white", edgecolors="black",
                   linewidths=0.6, zorder=3, label="sampled point (mean of its replicates)")
        ax.legend(loc="upper right", frameon=True, fontsize=8)
    ax.grid(False)
    bar = figure.colorbar(mesh, ax=ax)
    bar.set_label(f"{spec.name} ({'%' if scale == 100.0 else spec.unit})")
    if spec.kind == "money":
        bar.formatter = FuncFormatter(_thousands)
        bar.update_ticks()
    ax.set_xlabel(_parameter_label(x))
    ax.set_ylabel(_parameter_label(y))
    runs = int(points["size"].max())
    ax.set_title(f"{spec.name} over two swept parameters (mean of "
                 f"{'up to ' if points['size'].min() < runs else ''}{runs} "
                 f"run{'s' if runs != 1 else ''} per point)")
    return figure


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres (midpoints; the ends mirrored)."""
    c = np.asarray(centres, dtype=float)
    middle = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (middle[0] - c[0])], middle,
                           [c[-1] + (c[-1] - middle[-1])]])


def _parameter_label(key: str) -> str:
    """A swept key with its unit (a model parameter's, or an intervention field's)."""
    parts = str(key).split(".")
    if len(parts) == 3 and parts[0] == "interventions" and parts[1] in INTERVENTIONS:
        rule = INTERVENTIONS[parts[1]].field_rules().get(parts[2])
        unit = getattr(rule, "unit", None)
        return f"{key} ({unit})" if unit else key
    try:
        return f"{key} ({lookup(key).unit})"
    except ParameterError:
        return key


# ---------------------------------------------------------------------- sensitivity


@_styled
def tornado(frame: pd.DataFrame, metric: str) -> Figure:
    """A tornado plot of one metric's sensitivity indices.

    ``frame`` is :func:`~cxsim.experiments.sensitivity.run_sensitivity`'s result (or its
    CSV read back). One row of horizontal bars per parameter, the most important at the
    top, with 95 % confidence intervals as whiskers: for Sobol the first-order (S1) and
    total (ST) indices side by side, for Morris mu* (importance) and sigma (interactions
    and non-linearity), in the metric's unit. Raises ParameterError for a metric the frame
    does not hold.
    """
    design, rows = indices_of(frame, metric)
    if design == "sobol":
        bars = [("ST (total)", "ST", "ST_conf", OKABE_ITO["blue"]),
                ("S1 (first order)", "S1", "S1_conf", OKABE_ITO["orange"])]
        xlabel = "Sobol index (share of the metric's variance)"
    else:
        bars = [("mu* (importance)", "mu_star", "mu_star_conf", OKABE_ITO["blue"]),
                ("sigma (interactions, non-linearity)", "sigma", None, OKABE_ITO["orange"])]
        xlabel = f"Morris elementary effect ({metric_unit(metric)} per step of the range)"
    names = [str(p) for p in rows["parameter"]]
    count = len(names)
    figure = Figure(figsize=(8.0, 1.9 + 0.55 * count), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(count)[::-1]  # most important at the top
    height = 0.38
    for offset, (label, column, conf, colour) in zip((height / 2, -height / 2), bars,
                                                     strict=True):
        values = rows[column].to_numpy(dtype=float)
        errors = rows[conf].to_numpy(dtype=float) if conf else None
        axes.barh(positions + offset, values, height=height, color=colour, label=label,
                  xerr=errors, error_kw={"ecolor": OKABE_ITO["black"], "capsize": 3,
                                         "linewidth": 1})
    axes.set_yticks(positions, names)
    axes.axvline(0.0, color=OKABE_ITO["black"], linewidth=0.8)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("parameter")
    kind = "Sobol indices" if design == "sobol" else "Morris screening"
    axes.set_title(f"Sensitivity of {metric} ({kind}, 95% confidence intervals)")
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    axes.grid(axis="y", visible=False)
    return figure


def write_tornados(frame: pd.DataFrame, out: str | Path) -> list[Path]:
    """One tornado plot per metric of ``frame``, as ``tornado_<metric>.png`` in ``out``;
    returns the paths written."""
    out = Path(out)
    metrics = list(dict.fromkeys(frame["metric"]))
    paths = []
    for metric in metrics:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(metric))
        path = out / f"tornado_{safe}.png"
        tornado(frame, metric).savefig(path, dpi=120)
        paths.append(path)
    return paths
