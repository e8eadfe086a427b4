"""Sampling designs and sensitivity indices for sweeps, through SALib.

A sweep varies some parameters (dotted keys) between bounds. :func:`salib_problem`
turns ``(key, low, high)`` triples into a SALib *problem*, checking the bounds against the
parameter declarations (:data:`cxsim.core.parameters.PARAMETERS`): a declared parameter's
bounds must lie within its declared range, and a bound left as ``None`` defaults to it, so
names and ranges are never typed twice. :func:`sample` draws the points of a design
(rows = points, columns = ``problem["names"]``) and :func:`analyse` turns a metric's values
at those points into Morris or Sobol indices with confidence intervals.

Designs:

``grid``
    full factorial; ``samples`` evenly spaced values per parameter (ends included),
    ``samples ** D`` points, the first parameter varying slowest.
``latin``
    Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`), ``samples`` points.
``sobol``
    Saltelli's scheme on a scrambled Sobol' sequence (:func:`SALib.sample.sobol.sample`),
    ``samples`` base points (a power of 2), ``samples * (D + 2)`` points
    (``samples * (2 D + 2)`` with ``second_order``), in SALib's order.
``morris``
    Morris elementary-effects trajectories (:func:`SALib.sample.morris.sample`),
    ``samples`` trajectories on a grid of ``levels`` levels, ``samples * (D + 1)`` points.

Everything is deterministic for a seed; no global random state is read or changed.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_sampling
from SALib.sample import sobol as sobol_sampling
from scipy.stats import qmc

from cxsim.core.parameters import ParameterError, lookup, show_value
from cxsim.core.validation import coerce_number

__all__ = ["ANALYSED_DESIGNS", "DESIGNS", "INDEX_COLUMNS", "MAX_POINTS", "analyse",
           "design_size", "salib_problem", "sample"]

#: The sampling designs :func:`sample` knows.
DESIGNS: tuple[str, ...] = ("grid", "latin", "sobol", "morris")
#: The designs :func:`analyse` computes sensitivity indices for.
ANALYSED_DESIGNS: tuple[str, ...] = ("sobol", "morris")
#: The index columns :func:`analyse` returns per design (after ``parameter``).
INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
}
#: The largest number of points a design may have (a sweep runs each point at least once).
MAX_POINTS = 1_000_000
#: Bootstrap resamples for the confidence intervals, and their level.
RESAMPLES = 1000
CONFIDENCE = 0.95
#: Prefix of intervention fields (``interventions.training.intensity``), not declared in
#: PARAMETERS: their ranges are checked by the sweep spec.
INTERVENTION_PREFIX = "interventions."


# --- the problem -----------------------------------------------------------------------------


def salib_problem(parameters: Sequence[tuple[str, float | None, float | None]]) -> dict:
    """A SALib problem ``{"num_vars", "names", "bounds"}`` from ``(key, low, high)`` triples.

    ``key`` is a dotted parameter key (``organisation.silo_strength``; a flat name is
    accepted and kept as written) or an intervention field
    (``interventions.training.intensity``). A declared parameter's bounds must lie
    within its declared range; ``None`` for a bound means the declared one. Raises
    :class:`ParameterError` (every problem at once, one line each) for no parameters, a key
    given twice, an unknown parameter, a bound that is not a finite number or outside the
    declared range, or ``low >= high``.
    """
    if isinstance(parameters, (str, bytes, Mapping)) or not isinstance(parameters, Sequence):
        raise ParameterError(f"parameters = {show_value(parameters)} is not allowed: expected "
                             "a list of (key, low, high)")
    if len(parameters) == 0:
        raise ParameterError("parameters = [] is not allowed: expected at least 1 parameter "
                             "to vary")
    errors: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    bounds: list[list[float]] = []
    for index, triple in enumerate(parameters):
        try:
            key, low, high = _check_triple(index, triple)
        except ParameterError as error:
            errors.extend(error.errors)
            continue
        canonical = key if key.startswith(INTERVENTION_PREFIX) else lookup(key).path
        if canonical in seen:
            errors.append(f"parameters[{index}].key = {show_value(key)} is not allowed: "
                          "expected each parameter once")
        seen.add(canonical)
        names.append(key)
        bounds.append([low, high])
    if errors:
        raise ParameterError(errors)
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _check_triple(index: int, triple: Any) -> tuple[str, float, float]:
    where = f"parameters[{index}]"
    if isinstance(triple, (str, bytes, Mapping)) or not isinstance(triple, Sequence) \
            or len(triple) != 3:
        raise ParameterError(f"{where} = {show_value(triple)} is not allowed: expected "
                             "(key, low, high)")
    key, low, high = triple
    if not isinstance(key, str) or not key.strip():
        raise ParameterError(f"{where}.key = {show_value(key)} is not allowed: expected a "
                             "dotted parameter key such as organisation.silo_strength")
    declared = None
    if not key.startswith(INTERVENTION_PREFIX):
        declared = lookup(key)  # unknown parameter: ParameterError with a did-you-mean
        if declared.kind is bool:
            raise ParameterError(f"{key} is not allowed in a sweep: it is true or false; "
                                 "expected a numeric parameter")
    values = []
    for side, value in (("low", low), ("high", high)):
        if value is None and declared is not None:
            value = getattr(declared, side)
        number = coerce_number(value)
        if number is None or not math.isfinite(number):
            raise ParameterError(f"{key}: {side} = {show_value(value)} is not allowed: "
                                 "expected a finite number")
        if declared is not None and not declared.low <= number <= declared.high:
            raise ParameterError(f"{key}: {side} = {show_value(value)} is not allowed: "
                                 f"expected {declared.allowed()}, its declared range")
        values.append(float(number))
    if not values[0] < values[1]:
        raise ParameterError(f"{key}: low = {show_value(low)} is not allowed: expected a "
                             f"number below high = {show_value(high)} (an empty range)")
    return key, values[0], values[1]


def _check_problem(problem: Any) -> tuple[list[str], np.ndarray]:
    """The names and bounds (D x 2) of a problem made by :func:`salib_problem`."""
    shape = "a problem made by salib_problem: {num_vars, names, bounds}"
    if not isinstance(problem, Mapping) or not {"num_vars", "names", "bounds"} <= set(problem):
        raise ParameterError(f"problem = {show_value(problem)} is not allowed: expected "
                             f"{shape}")
    names = problem["names"]
    try:
        bounds = np.asarray(problem["bounds"], dtype=float)
    except (TypeError, ValueError):
        bounds = np.empty((0,))
    if (not isinstance(names, Sequence) or isinstance(names, str) or len(names) == 0
            or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names)
            or problem["num_vars"] != len(names) or bounds.shape != (len(names), 2)
            or not np.all(np.isfinite(bounds)) or not np.all(bounds[:, 0] < bounds[:, 1])):
        raise ParameterError(f"problem = {show_value(problem)} is not allowed: expected "
                             f"{shape} with distinct names and finite bounds, low < high")
    return list(names), bounds


def _salib_copy(names: list[str], bounds: np.ndarray) -> dict:
    # SALib adds keys ("groups", "sample_scaled") to the problem it is given
    return {"num_vars": len(names), "names": list(names), "bounds": bounds.tolist()}


# --- sampling ----------------------------------------------------------------------------


def _check_integer(field: str, value: Any, low: int, allowed: str) -> int:
    number = coerce_number(value)
    if not isinstance(number, int) or number < low:
        raise ParameterError(f"{field} = {show_value(value)} is not allowed: expected {allowed}")
    return number


def _check_design(design: Any, allowed: Sequence[str], purpose: str = "") -> str:
    if not isinstance(design, str) or design not in allowed:
        raise ParameterError(f"design = {show_value(design)} is not allowed{purpose}: "
                             f"expected one of {', '.join(allowed)}")
    return design


def _check_seed(seed: Any) -> int:
    return _check_integer("seed", seed, 0, "a non-negative integer")


def design_size(design: str, samples: int, num_vars: int, *, second_order: bool = False) -> int:
    """The number of points of a design (rows of :func:`sample`)."""
    if design == "grid":
        return samples ** num_vars
    if design == "sobol":
        return samples * ((2 * num_vars + 2) if second_order else (num_vars + 2))
    if design == "morris":
        return samples * (num_vars + 1)
    return samples


def _check_design_arguments(design: str, samples: Any, levels: Any, second_order: Any,
                            num_vars: int) -> tuple[int, int, bool]:
    if not isinstance(second_order, (bool, np.bool_)):
        raise ParameterError(f"second_order = {show_value(second_order)} is not allowed: "
                             "expected true or false")
    second_order = bool(second_order)
    if design == "grid":
        samples = _check_integer("samples", samples, 2, "an integer of at least 2 (values per "
                                 "parameter of the grid)")
    elif design == "sobol":
        samples = _check_integer("samples", samples, 1, "a power of 2 (Sobol' base points)")
        if samples & (samples - 1):
            raise ParameterError(f"samples = {samples} is not allowed: expected a power of 2 "
                                 "(Sobol' base points: 64, 128, 256, ...)")
        if second_order and num_vars < 2:
            raise ParameterError(f"second_order = True is not allowed with {num_vars} "
                                 "parameter: expected at least 2 parameters")
    elif design == "morris":
        samples = _check_integer("samples", samples, 2, "an integer of at least 2 (Morris "
                                 "trajectories)")
    else:
        samples = _check_integer("samples", samples, 1, "a positive integer (points)")
    if design == "morris":
        levels = _check_integer("levels", levels, 2, "an even integer of at least 2 (Morris "
                                "grid levels)")
        if levels % 2:
            raise ParameterError(f"levels = {levels} is not allowed: expected an even integer "
                                 "of at least 2 (Morris grid levels)")
    # a grid's size overflows quickly: compare logarithms before computing it
    if design == "grid" and num_vars * math.log(samples) > math.log(MAX_POINTS) + 1e-9:
        size_text = f"{samples}**{num_vars} points"
    else:
        size = design_size(design, samples, num_vars, second_order=second_order)
        size_text = f"{size} points" if size > MAX_POINTS else ""
    if size_text:
        raise ParameterError(f"samples = {samples} is not allowed for a {design} design of "
                             f"{num_vars} parameters ({size_text}): expected at most "
                             f"{MAX_POINTS} points")
    return samples, int(levels) if design == "morris" else levels, second_order


def sample(problem: dict, design: str, samples: int, seed: int, *, levels: int = 4,
           second_order: bool = False) -> np.ndarray:
    """The points of a design: rows = points, columns = ``problem["names"]``.

    ``design`` is ``"grid"`` (``samples`` values per parameter, full factorial),
    ``"latin"`` (``samples`` points), ``"sobol"`` (``samples`` base points, a power of 2;
    ``samples * (D + 2)`` rows, ``samples * (2 D + 2)`` with ``second_order``) or
    ``"morris"`` (``samples`` trajectories on ``levels`` levels; ``samples * (D + 1)`` rows).
    Deterministic for a seed. Raises :class:`ParameterError` for a design that does not fit.
    """
    names, bounds = _check_problem(problem)
    design = _check_design(design, DESIGNS)
    samples, levels, second_order = _check_design_arguments(design, samples, levels,
                                                            second_order, len(names))
    seed = _check_seed(seed)
    low, high = bounds[:, 0], bounds[:, 1]
    if design == "grid":
        axes = [np.linspace(lo, hi, samples) for lo, hi in bounds]
        return np.array(list(itertools.product(*axes)), dtype=float)
    rng = np.random.default_rng(seed)
    if design == "latin":
        try:
            engine = qmc.LatinHypercube(d=len(names), rng=rng)
        except TypeError:  # scipy before 1.15 calls it seed
            engine = qmc.LatinHypercube(d=len(names), seed=rng)
        unit = engine.random(samples)
        return qmc.scale(unit, low, high)
    salib = _salib_copy(names, bounds)
    if design == "sobol":
        return sobol_sampling.sample(salib, samples, calc_second_order=second_order,
                                     scramble=True, seed=rng)
    return morris_sampling.sample(salib, samples, num_levels=levels, seed=rng)


# --- analysis ---------------------------------------------------------------------------


def analyse(problem: dict, design: str, X: np.ndarray, Y: np.ndarray, seed: int, *,
            levels: int = 4, second_order: bool = False) -> pd.DataFrame:
    """Sensitivity indices of one metric ``Y`` at the points ``X`` of a design.

    ``X`` must be the points :func:`sample` drew for ``problem`` and ``design`` (same
    ``levels`` and ``second_order``) and ``Y`` one finite value per point, in the same order.
    Returns one row per parameter, most important first: for ``"morris"`` the columns
    ``parameter, mu_star, mu_star_conf, sigma, mu`` (sorted by ``mu_star``), for ``"sobol"``
    ``parameter, S1, S1_conf, ST, ST_conf`` (sorted by ``ST``); ``*_conf`` is the half-width
    of the 95 % bootstrap confidence interval. A metric that does not vary at all gets
    indices 0. Raises :class:`ParameterError` for another design or mismatched arrays.
    """
    names, bounds = _check_problem(problem)
    design = _check_design(design, ANALYSED_DESIGNS, " for sensitivity indices")
    seed = _check_seed(seed)
    if not isinstance(second_order, (bool, np.bool_)):
        raise ParameterError(f"second_order = {show_value(second_order)} is not allowed: "
                             "expected true or false")
    if design == "morris":
        _check_design_arguments(design, 2, levels, second_order, len(names))
    D = len(names)
    try:
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("X and Y are not allowed: expected arrays of numbers") from None
    if Y.ndim != 1 or not np.all(np.isfinite(Y)):
        raise ParameterError(f"Y = {show_value(Y)} is not allowed: expected one finite value "
                             "per point (a run that failed or a metric that is missing?)")
    if X.ndim != 2 or X.shape != (len(Y), D) or not np.all(np.isfinite(X)):
        raise ParameterError(f"X of shape {X.shape} is not allowed: expected {len(Y)} finite "
                             f"points of {D} parameters (one per value of Y)")
    per_base = {"sobol": (2 * D + 2) if second_order else (D + 2), "morris": D + 1}[design]
    if len(Y) == 0 or len(Y) % per_base or len(Y) // per_base < 2:
        raise ParameterError(f"{len(Y)} points are not allowed for a {design} analysis of {D} "
                             f"parameters: expected a multiple of {per_base}, at least "
                             f"{2 * per_base} (the points sample() drew)")
    rng = np.random.default_rng(seed)
    salib = _salib_copy(names, bounds)
    with warnings.catch_warnings():
        # SALib warns when the metric is constant (its indices are then 0) and numpy when a
        # bootstrap resample is constant; neither changes the result
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        if design == "sobol":
            result = sobol_analysis.analyze(salib, Y, calc_second_order=second_order,
                                            num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                                            seed=rng)
            sort_by = ["ST", "S1"]
        else:
            result = morris_analysis.analyze(salib, X, Y, num_resamples=RESAMPLES,
                                             conf_level=CONFIDENCE, num_levels=levels,
                                             seed=rng)
            sort_by = ["mu_star", "sigma"]
    columns = INDEX_COLUMNS[design]
    frame = pd.DataFrame({"parameter": names,
                          **{c: np.asarray(result[c], dtype=float)
                             for c in columns}})
    return frame.sort_values(sort_by, ascending=False, kind="stable").reset_index(drop=True)
