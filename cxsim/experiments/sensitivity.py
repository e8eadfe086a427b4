"""Sensitivity analysis of a sweep: Morris screening or Sobol indices per summary metric.

>>> from cxsim.experiments.sweeps import load_sweep_spec
>>> from cxsim.experiments.sensitivity import format_table, run_sensitivity
>>> spec = load_sweep_spec("experiments/sweeps/screening.toml")       # doctest: +SKIP
>>> frame = run_sensitivity(spec, "out/screening", ["nps"])            # doctest: +SKIP
>>> print(format_table(frame))                                         # doctest: +SKIP

:func:`run_sensitivity` runs (or resumes) the sweep through
:func:`cxsim.experiments.sweeps.run_sweep`, averages each metric over the replicates of
each point (in the design's point order) and computes the indices with
:func:`cxsim.experiments.designs.analyse`. The result, one row per (metric, parameter), is
written to ``sensitivity.csv`` in the sweep's directory. See ``docs/sensitivity.md``.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.parameters import ParameterError, show_value
from cxsim.core.validation import suggest
from cxsim.experiments import designs
from cxsim.results import SUMMARY_UNITS

__all__ = ["CSV_NAME", "averaged_metrics", "format_table", "indices_of", "metric_unit",
           "run_sensitivity", "sensitivity_design"]

#: The file run_sensitivity writes into the sweep's directory.
CSV_NAME = "sensitivity.csv"


def run_sensitivity(spec: Any, out: str | Path, metrics: Iterable[str] | None = None, *,
                    workers: int | None = None, scheduler: str | None = None,
                    progress: bool = True) -> pd.DataFrame:
    """Sensitivity indices of the sweep ``spec`` (a :class:`~cxsim.experiments.sweeps.
    SweepSpec` whose design is ``sobol`` or ``morris``), per metric.

    Runs or resumes the sweep into the store at ``out`` (``workers``, ``scheduler`` and
    ``progress`` as for :func:`~cxsim.experiments.sweeps.run_sweep`), averages each metric
    over replicates per point and analyses it. ``metrics``: summary metrics among the
    sweep's outputs (default: all of them). A metric that does not vary over the sweep, or
    has no finite value at some point, is left out and listed in ``frame.attrs["skipped"]``
    (metric -> reason). Writes ``sensitivity.csv`` into ``out`` (atomically) and returns the
    frame: ``metric``, ``parameter`` and the index columns with their confidence half-widths
    (:data:`cxsim.experiments.designs.INDEX_COLUMNS`), most important first per metric.

    Raises :class:`ParameterError` before any run for a design without indices or an
    unknown metric, and after the sweep if runs failed or are missing.
    """
    from cxsim.experiments.sweeps import run_sweep

    wanted = _check_metrics(metrics, tuple(spec.metrics))
    design = sensitivity_design(spec)
    runs = run_sweep(spec, out, workers=workers, scheduler=scheduler, progress=progress)
    problem = spec.problem()
    # the design's own points (integer parameters unrounded): Morris reads its steps from X
    X = designs.sample(problem, design, spec.samples, spec.seed, levels=spec.levels,
                       second_order=spec.second_order)
    means = averaged_metrics(runs, spec.points(), spec.keys, spec.replicates, wanted, out)
    frames, skipped = [], {}
    for metric in wanted:
        Y = means[metric].to_numpy(dtype=float)
        reason = _unusable(Y)
        if reason:
            skipped[metric] = reason
            continue
        indices = designs.analyse(problem, design, X, Y, spec.seed, levels=spec.levels,
                                  second_order=spec.second_order)
        frames.append(indices.assign(metric=metric))
    if not frames:
        raise ParameterError(f"metrics = {show_value(list(wanted))} are not allowed: none "
                             "can be analysed (" + "; ".join(f"{m} {r}" for m, r in
                                                             skipped.items()) + ")")
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[["metric", "parameter", *designs.INDEX_COLUMNS[design]]]
    frame.attrs["design"] = design
    frame.attrs["skipped"] = skipped
    write_csv_atomically(frame, Path(out) / CSV_NAME)
    return frame


def sensitivity_design(spec: Any) -> str:
    """The spec's design if it has sensitivity indices, else a ParameterError."""
    if spec.design not in designs.ANALYSED_DESIGNS:
        raise ParameterError(f"design = {show_value(spec.design)} is not allowed for "
                             "cxsim sensitivity: expected one of "
                             f"{', '.join(designs.ANALYSED_DESIGNS)} (a {spec.design} sweep "
                             "has no sensitivity indices)")
    return spec.design


def _check_metrics(metrics: Iterable[str] | None, outputs: Sequence[str]) -> tuple[str, ...]:
    if metrics is None:
        return tuple(outputs)
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, Iterable) or isinstance(metrics, (bytes, Mapping)):
        raise ParameterError(f"--metric = {show_value(metrics)} is not allowed: expected a "
                             "list of the sweep's outputs")
    try:
        wanted = tuple(dict.fromkeys(metrics))
    except TypeError:  # an unhashable name
        raise ParameterError(f"--metric = {show_value(metrics)} is not allowed: expected "
                             "names of the sweep's outputs") from None
    if not wanted:
        raise ParameterError("--metric = [] is not allowed: expected at least one of the "
                             "sweep's outputs (or none given: all)")
    for metric in wanted:
        if metric not in outputs:
            raise ParameterError(f"--metric = {show_value(metric)} is not allowed: it is not "
                                 f"among the sweep's outputs; {suggest(str(metric), outputs)}")
    return wanted


def averaged_metrics(runs: pd.DataFrame, points: np.ndarray, keys: Sequence[str],
                     replicates: int, metrics: Sequence[str],
                     out: str | Path = "DIR") -> pd.DataFrame:
    """Each metric averaged over the replicates of each point: one row per row of
    ``points`` (the sweep's points as run, columns ``keys``), in point order.

    ``runs`` is :func:`~cxsim.experiments.sweeps.load_sweep`'s frame. Runs are matched to
    points by their parameter values and replicate, so design points that coincide (Morris
    trajectories share points; the store runs such a point once) all get its results.
    Every (point, replicate) must be stored and done, else a ParameterError telling how
    to resume.
    """
    resume = f"rerun `cxsim sweep SPEC --out {out}` to resume it"
    failed = runs[runs["status"] != "done"]
    if len(failed):
        first = failed.iloc[0]
        raise ParameterError(
            f"sweep {str(out)!r} is not allowed for sensitivity: {len(failed)} of its runs "
            f"failed (point {first['point']}, replicate {first['replicate']}: "
            f"{_one_line(first.get('error'))}); fix the cause and {resume}")
    keys = list(keys)
    points = np.asarray(points, dtype=float)
    stored = runs[keys].apply(pd.to_numeric, errors="coerce").astype(float)
    stored["replicate"] = pd.to_numeric(runs["replicate"]).astype(int)
    values = runs[list(metrics)].apply(pd.to_numeric, errors="coerce").astype(float)
    values["stored"] = True
    table = values.set_axis(pd.MultiIndex.from_frame(stored), axis=0)
    table = table[~table.index.duplicated()]
    wanted = pd.MultiIndex.from_arrays(
        [*np.repeat(points, replicates, axis=0).T,
         np.tile(np.arange(replicates), len(points))], names=[*keys, "replicate"])
    found = table.reindex(wanted)
    missing = int(found["stored"].isna().sum())
    if missing:
        raise ParameterError(
            f"sweep {str(out)!r} is not allowed for sensitivity: {missing} of its "
            f"{len(points) * replicates} runs are missing; {resume}")
    point = np.repeat(np.arange(len(points)), replicates)
    return found[list(metrics)].reset_index(drop=True).groupby(point).mean()


def _unusable(values: np.ndarray) -> str:
    """Why a metric's per-point means cannot be analysed ("" if they can)."""
    bad = int(np.sum(~np.isfinite(values)))
    if bad:
        return f"has no finite value at {bad} of {len(values)} points"
    if np.ptp(values) <= 1e-12 * max(1.0, float(np.max(np.abs(values)))):
        return "does not vary over the sweep"
    return ""


def _one_line(text: Any) -> str:
    line = str(text).strip().splitlines()[-1] if str(text).strip() else "no error recorded"
    return line if len(line) <= 160 else line[:157] + "..."


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV to ``path``: a temporary file beside it, then renamed over it,
    so ``path`` is always whole (the previous version or the new one)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            frame.to_csv(stream, index=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- the table ---------------------------------------------------------------------------


def indices_of(frame: pd.DataFrame, metric: str) -> tuple[str, pd.DataFrame]:
    """The design (``sobol``/``morris``, from the columns) and the rows of ``metric`` in
    ``frame`` (as run_sensitivity returns it or as read back from its CSV), most
    important first; ParameterError for a metric the frame does not hold."""
    design = next((d for d, columns in designs.INDEX_COLUMNS.items()
                   if set(columns) <= set(frame.columns)), None)
    if design is None or not {"metric", "parameter"} <= set(frame.columns):
        raise ParameterError(f"frame with columns {show_value(list(frame.columns), 80)} is not "
                             "allowed: expected metric, parameter and Sobol or Morris indices "
                             "(as run_sensitivity returns them)")
    present = list(dict.fromkeys(frame["metric"]))
    if metric not in present:
        raise ParameterError(f"metric = {show_value(metric)} is not allowed: "
                             f"{suggest(str(metric), [str(m) for m in present])}")
    rows = frame[frame["metric"] == metric]
    order = ["ST", "S1"] if design == "sobol" else ["mu_star", "sigma"]
    return design, rows.sort_values(order, ascending=False, kind="stable")


def metric_unit(metric: str) -> str:
    """The unit of a summary metric (``"metric units"`` if it has none declared)."""
    if metric.startswith("churned_after_"):
        return "customers"
    if metric.startswith("churn_share_after_"):
        return "share"
    return SUMMARY_UNITS.get(metric, "metric units").replace("_", " ")


def _number(value: float) -> str:
    """Three significant figures (whole numbers from 100 on), compact for a table."""
    if not math.isfinite(value):
        return "nan"
    if abs(value) < 1e-10:  # rounding noise of an index that is zero
        return "0"
    if abs(value) >= 1e7:
        return f"{value:.2e}"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def format_table(frame: pd.DataFrame) -> str:
    """The indices as text for a terminal: per metric, parameters most important first,
    each index with its 95 % confidence interval (``value ± half-width``)."""
    metrics = list(dict.fromkeys(frame["metric"])) if "metric" in frame.columns else []
    blocks: list[str] = []
    for metric in metrics:
        design, rows = indices_of(frame, metric)
        if design == "sobol":
            heading = (f"{metric}: Sobol indices (share of the metric's variance), "
                       "± 95% confidence interval")
            columns = {"S1 (first order)": ("S1", "S1_conf"),
                       "ST (total)": ("ST", "ST_conf")}
        else:
            heading = (f"{metric}: Morris screening (effects of one step of a parameter's "
                       f"range, in {metric_unit(metric)}), ± 95% confidence interval")
            columns = {"mu* (importance)": ("mu_star", "mu_star_conf"),
                       "sigma (interactions)": ("sigma", None), "mu (direction)": ("mu", None)}
        cells = [[str(row["parameter"])]
                 + [_number(row[value]) + (f" ± {_number(row[conf])}" if conf else "")
                    for value, conf in columns.values()]
                 for _, row in rows.iterrows()]
        header = ["parameter", *columns]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
        lines = [heading,
                 "  " + "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                                  for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
        lines += ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(line, widths, strict=True)))
                  for line in cells]
        blocks.append("\n".join(lines))
    for metric, reason in frame.attrs.get("skipped", {}).items():
        blocks.append(f"{metric}: not analysed, it {reason}")
    return "\n\n".join(blocks) if blocks else "no sensitivity indices"
