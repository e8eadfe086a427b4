"""Calibration: fit parameters of a scenario to a client's observations (``docs/calibration.md``).

>>> from cxsim.experiments.calibration import calibrate
>>> fit = calibrate("experiments/calibration/client.toml",                  # doctest: +SKIP
...                 "experiments/calibration/observations_example.csv", out="fits/client")
>>> fit.parameters                                                          # doctest: +SKIP

Method: simulated method of moments with a local linear posterior, in waves of runs on
the sweep machinery.

1. **Waves of candidates.** Wave 1 is a Latin hypercube over the fitted parameters' searched
   box (their declared ranges, :data:`cxsim.core.parameters.PARAMETERS`, or a narrower
   ``key=low:high``); waves 2 and 3 are Latin hypercubes over a box centred on the
   current estimate, :data:`BOX_SDS` posterior standard deviations wide on each side
   (shrinking by at most :data:`MAX_SHRINK` per wave, never growing). Every run has its
   own seed (``seed``, ``seed + 1``, ... in the order wave, candidate, replicate): the
   local model averages the model's variation between realisations over all the
   candidates, where common seeds would leave their shared draw in every candidate.
   Each wave is a sweep store (``out/waves/<wave>``): runs are stored as they finish, a
   rerun skips them, and the next wave's box is computed from stored numbers only, so a
   calibration killed at any moment and run again gives the same answer, on any number
   of workers or on Dask.
2. **Local model.** After each wave the mean simulated values of the candidates in the
   latest box (after wave 1: its better half by distance) are regressed linearly on the
   parameters (scaled to [0, 1]); :func:`local_fit` gives the errors' covariance ``V``
   (the observations' standard errors, the client's own realisation and the linear
   model's lack of fit, both measured by the candidates' scatter around the model, and
   the regression's error at the estimate) and the posterior: the estimate and its
   sandwich covariance. ``phi = misfit / (observations - parameters)``, applied when the
   misfit at the estimate is significant (above the chi-square 99% quantile), widens it
   when the model cannot fit the data as closely as their errors allow.
3. **Distance.** ``d = (m - obs)' V^-1 (m - obs)`` for a candidate's mean simulated values
   ``m`` (``V`` shrunk toward its diagonal): it ranks wave 1's candidates and measures the
   fit at the estimate.
4. **Report.** Estimate: the posterior mean; 90% interval: +- the Student-t 95% quantile
   with the regression's residual degrees of freedom times the posterior standard
   deviation, clipped to the searched range; ``identified``: the interval is at most
   :data:`IDENTIFIED_SHARE` of the searched range AND the simulated values respond to the
   parameter (a Wald test that its slopes in the final local model are all zero,
   p < :data:`RESPONSE_P`). A final check runs the estimate with fresh seeds: its
   distance, a chi-square p-value and the standardised residuals are the fit's quality.

:func:`search` and :func:`parameter_table` take any simulator (:data:`Simulator`): the
coverage of the intervals is tested on an analytic stand-in through the same code.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.parameters import Config, ParameterError, lookup, show_value
from cxsim.experiments.observations import Observations, read_observations, window_values
from cxsim.experiments.scenarios import Scenario, library, load_scenario
from cxsim.experiments.specs import RunSpec, run_spec
from cxsim.experiments.sweeps import RunOutcome, SweepRun, _lost

#: Parameters fitted by default, by observed metric (the first observed metric's entry
#: first; each parameter once), with the search range used. See docs/calibration.md.
DEFAULT_FIT: dict[str, tuple[str, float, float]] = {
    "engagement_share": ("culture.leadership_commitment", 0.0, 1.0),
    "engagement_mean": ("culture.leadership_commitment", 0.0, 1.0),
    "csat": ("customers.satisfaction_offset", -1.0, 4.0),
    "nps": ("customers.satisfaction_offset", -1.0, 4.0),
    "churn_rate": ("customers.contact_churn_hazard", 0.0, 0.02),
    "fcr": ("service.handoff_need", 0.0, 1.0),
}
#: Runs of a calibration by default (candidates x replicates, the check included).
DEFAULT_BUDGET = 120
#: Runs per candidate by default: one; every run has its own seed, and the local linear
#: model averages the model's variation between realisations over the candidates.
DEFAULT_REPLICATES = 1
#: Share of the search waves' candidates in waves 1, 2 and 3.
WAVE_SHARES = (0.5, 0.25, 0.25)
#: Fewest search candidates per fitted parameter.
MIN_CANDIDATES_PER_PARAMETER = 5
#: Interval of the report (quantiles of the posterior).
INTERVAL = (0.05, 0.95)
#: ``identified`` needs the 90% interval to be at most this share of the prior range.
IDENTIFIED_SHARE = 0.5
#: ... and the simulated values to respond to the parameter at this significance.
RESPONSE_P = 0.01
#: The next wave's box: the estimate +- this many posterior standard deviations...
BOX_SDS = 3.0
#: ... shrinking by at most this factor per wave.
MAX_SHRINK = 4.0
#: The misfit widens the posterior (phi) only above this chi-square quantile: data the
#: model itself made exceed it 1% of the time, a model that cannot fit far more often.
MISFIT_LEVEL = 0.99
#: Smallest error (relative to the observed value, at least 1) of an observation: a
#: record that no realisation varies would otherwise weigh infinitely.
VARIANCE_FLOOR = 1e-3
#: Precision of the Gaussian stand-in for the uniform prior (scaled to [0, 1]).
PRIOR_PRECISION = 12.0
MANIFEST = "calibration.json"
FORMAT = "cxsim.Calibration/1"
MAX_BUDGET = 1_000_000


# --------------------------------------------------------------------------- what is fitted


@dataclass(frozen=True)
class FitParameter:
    """A fitted parameter: its dotted key and its prior (search) range."""

    key: str
    low: float
    high: float


def fit_parameters(fit: Iterable[str] | None, observations: Observations) -> list[FitParameter]:
    """The fitted parameters from ``--fit`` items (``key`` or ``key=low:high``), or the
    default set for the observed metrics (:data:`DEFAULT_FIT`). Raises ParameterError for
    a key that cannot be fitted (unknown, not a real number, fixed by the run's size or
    horizon), a bad range, a key given twice, or observations with no default."""
    if fit is None or (not isinstance(fit, str) and len(list(fit)) == 0):
        return _default_fit(observations)
    if isinstance(fit, str):
        fit = [fit]
    errors: list[str] = []
    chosen: list[FitParameter] = []
    for index, item in enumerate(fit, 1):
        try:
            chosen.append(_fit_item(item))
        except ParameterError as error:
            errors += [f"--fit[{index}] = {show_value(item)}: {line}" for line in error.errors]
    keys = [p.key for p in chosen]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(f"--fit = {key!r} is not allowed: the parameter is given twice; "
                      "expected each parameter once")
    if errors:
        raise ParameterError(errors)
    return chosen


def _fit_item(item: Any) -> FitParameter:
    if not isinstance(item, str) or not item.strip():
        raise ParameterError("expected a parameter's dotted key, optionally with a range "
                             "key=low:high")
    key, _, bounds = item.strip().partition("=")
    parameter = lookup(key.strip())
    if parameter.kind is not float or parameter.section == "run":
        raise ParameterError(f"{parameter.path} cannot be fitted: it is "
                             f"{'true or false' if parameter.kind is bool else 'a whole number'}"
                             " (size, horizon or a count); expected a real-valued parameter "
                             "(cxsim params lists them)")
    low, high = float(parameter.low), float(parameter.high)
    if bounds:
        try:
            low, high = (float(part) for part in bounds.split(":"))
        except ValueError:
            raise ParameterError(f"range {bounds!r} is not allowed: expected low:high, two "
                                 "numbers") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ParameterError(f"range {bounds!r} is not allowed: expected low < high, both "
                                 "finite")
        if low < parameter.low or high > parameter.high:
            raise ParameterError(f"range {bounds!r} is not allowed: {parameter.path} accepts "
                                 f"{parameter.low:g} to {parameter.high:g}")
    return FitParameter(parameter.path, low, high)


def _default_fit(observations: Observations) -> list[FitParameter]:
    chosen: dict[str, FitParameter] = {}
    for metric in observations.frame["metric"]:
        if metric in DEFAULT_FIT:
            key, low, high = DEFAULT_FIT[metric]
            chosen.setdefault(key, FitParameter(key, low, high))
    if not chosen:
        metrics = ", ".join(sorted(set(observations.frame["metric"])))
        raise ParameterError(f"--fit is missing: no default parameter for the observed metrics "
                             f"({metrics}); defaults exist for {', '.join(DEFAULT_FIT)}; "
                             "expected --fit KEY ...")
    return list(chosen.values())


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Setup:
    """Everything a calibration's answer depends on, checked."""

    scenario: Scenario
    scenario_ref: str | None
    config: Config
    overrides: dict[str, Any]
    observations: Observations
    parameters: list[FitParameter]
    budget: int
    replicates: int
    seed: int

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]

    @property
    def prior(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([p.low for p in self.parameters]),
                np.array([p.high for p in self.parameters]))

    def wave_sizes(self) -> list[int]:
        """Candidates in each search wave."""
        candidates = self.budget // self.replicates - 1
        first = int(round(candidates * WAVE_SHARES[0]))
        second = int(round(candidates * WAVE_SHARES[1]))
        return [first, second, candidates - first - second]

    def spec(self, values: Sequence[float], offset: int) -> RunSpec:
        """The run of ``values`` with the seed ``seed + offset``."""
        config = self.config.with_overrides(dict(zip(self.keys, (float(v) for v in values))))
        record = ("departments",) if self.observations.needs_departments else ()
        return RunSpec.build(config, seed=self.seed + offset,
                             interventions=self.scenario.interventions,
                             structure=self.scenario.structure,
                             scenario=f"{self.scenario.name} (calibration)", record=record)

    def search_plan(self) -> SearchPlan:
        """What :func:`search` needs of this setup."""
        low, high = self.prior
        frame = self.observations.frame
        return SearchPlan(tuple(self.keys), low, high, tuple(self.wave_sizes()),
                          self.replicates, frame["value"].to_numpy(dtype=float),
                          frame["se"].to_numpy(dtype=float), self.seed)

    def digest(self) -> str:
        """sha256 of what determines the answer (the base run's hash stands for the
        scenario, the overrides and the size)."""
        base = RunSpec.build(self.config, seed=self.seed, interventions=self.scenario
                             .interventions, structure=self.scenario.structure)
        text = json.dumps({"base": base.content_hash, "observations":
                           self.observations.records(),
                           "fit": [[p.key, p.low, p.high] for p in self.parameters],
                           "budget": self.budget, "replicates": self.replicates,
                           "seed": self.seed}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def setup(scenario: Scenario | str | os.PathLike, observations: Any,
          fit: Iterable[str] | None = None, *, budget: int = DEFAULT_BUDGET,
          replicates: int = DEFAULT_REPLICATES, seed: int | None = None,
          overrides: Mapping[str, Any] | None = None, start_date: Any = None) -> Setup:
    """Check every input of a calibration (before any run); see :func:`calibrate`."""
    from cxsim.results import check_seed

    if isinstance(scenario, Scenario):
        ref = None
    else:
        ref = os.fspath(scenario)
        scenario = load_scenario(scenario)
    overrides = dict(overrides or {})
    config = scenario.config.with_overrides(overrides)
    data = read_observations(observations, config, scenario.structure, start_date)
    parameters = fit_parameters(fit, data)
    replicates = _count(replicates, "--replicates", 1, 1000)
    budget = _count(budget, "--budget", 1, MAX_BUDGET)
    seed = check_seed(seed if seed is not None else (scenario.seed or 0), "--seed")
    result = Setup(scenario, ref, config, overrides, data, parameters, budget, replicates,
                   seed)
    smallest = min(result.wave_sizes())
    need = MIN_CANDIDATES_PER_PARAMETER * len(parameters)
    if smallest < need:
        lowest = replicates * (1 + math.ceil(need / min(WAVE_SHARES)))
        raise ParameterError(f"--budget = {budget} is not allowed: with {replicates} replicates "
                             f"and {len(parameters)} fitted parameters each wave needs "
                             f"{need} candidates; expected a budget of at least {lowest} runs")
    return result


def _count(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not low <= int(value) <= high:
        raise ParameterError(f"{name} = {show_value(value)} is not allowed: expected an integer "
                             f"from {low} to {high}")
    return int(value)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class WindowTask:
    """What a worker receives: a run spec and the observation windows to measure."""

    spec: RunSpec
    windows: tuple[tuple[str, str, int, int], ...]


def simulate_windows(task: WindowTask) -> RunOutcome:
    """Run one task (in a worker): the run's value over each observation window, as
    ``moment_<i>``, or the error text if the run raised."""
    try:
        result = run_spec(task.spec)
        values = window_values(result.daily, result.departments, task.windows)
        return RunOutcome(task.spec.content_hash, dict(zip(moment_names(len(values)), values)),
                          None, None)
    except Exception as error:  # recorded in the wave's store; the candidate scores inf
        return RunOutcome(task.spec.content_hash, None, None, f"{type(error).__name__}: {error}")


def moment_names(count: int) -> list[str]:
    """Store columns of the simulated values, one per observation."""
    return [f"moment_{i}" for i in range(count)]


@dataclass(frozen=True)
class _WaveManifest:
    """What :class:`~cxsim.experiments.store.Store` records about a wave."""

    name: str
    keys: list[str]
    metrics: tuple[str, ...]
    calibration: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "calibration": self.calibration, "design": "calibration"}


def run_wave(setup: Setup, name: str, candidates: np.ndarray, out: Path, backend: Any,
             progress: bool, first_seed: int = 0) -> pd.DataFrame:
    """Run (or resume) every candidate x replicate of one wave into the store at
    ``out/waves/<name>``; return its stored rows (:func:`~cxsim.experiments.store.load_sweep`).
    Replicate ``r`` of candidate ``p`` runs with seed
    ``setup.seed + first_seed + p * setup.replicates + r``: every run its own seed."""
    from cxsim.experiments.store import Store, load_sweep

    windows = setup.observations.windows
    runs = [SweepRun(point, replicate, tuple(float(v) for v in values),
                     setup.spec(values, first_seed + point * setup.replicates + replicate))
            for point, values in enumerate(candidates)
            for replicate in range(setup.replicates)]
    digest = hashlib.sha256(json.dumps({"wave": name, "windows": windows,
                                        "runs": [r.spec.content_hash for r in runs]}
                                       ).encode()).hexdigest()
    manifest = _WaveManifest(name, setup.keys, tuple(moment_names(len(windows))),
                             setup.digest())
    root = out / "waves" / name
    store = Store.open(root, manifest, runs, digest)
    todo = [r for r in runs if r.spec.content_hash not in store.done]
    by_hash = {r.spec.content_hash: r for r in runs}
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(runs), initial=len(runs) - len(todo), unit="run",
                   desc=f"cxsim calibrate: wave {name}", leave=False)
    try:
        for outcome in backend.map(simulate_windows, [WindowTask(r.spec, windows) for r in todo],
                                   _lost):
            store.write(by_hash[outcome.spec_hash], outcome)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return load_sweep(root)


# --------------------------------------------------------------------------- statistics


def candidate_moments(rows: pd.DataFrame, count: int, candidates: int, replicates: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(means, values)``: per candidate, replicate and observation the simulated value
    (``values``, NaN where a run failed or the value is undefined) and per candidate and
    observation the mean over replicates."""
    columns = moment_names(count)
    values = np.full((candidates, replicates, count), np.nan)
    done = rows[rows["status"] == "done"]
    for point, replicate, *moments in done[["point", "replicate"] + columns].itertuples(
            index=False):
        values[int(point), int(replicate)] = moments
    return values.mean(axis=1), values


def shrunk_covariance(deviations: np.ndarray, dof: int) -> np.ndarray:
    """The covariance of ``deviations`` (rows: independent draws around their expected
    value; ``dof`` degrees of freedom), shrunk toward its diagonal by
    ``columns / (columns + dof)`` so that few draws still give a usable matrix."""
    count = deviations.shape[1]
    pooled = deviations.T @ deviations / dof
    shrink = count / (count + dof)
    return (1 - shrink) * pooled + shrink * np.diag(np.diag(pooled))


def distances(means: np.ndarray, observed: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``(m - obs)' V^-1 (m - obs)`` per candidate (inf where any value is NaN)."""
    residual = means - observed
    weight = np.linalg.inv(covariance)
    d = np.einsum("ci,ij,cj->c", residual, weight, residual)
    return np.where(np.isfinite(d), d, np.inf)


def _best_half(d: np.ndarray) -> np.ndarray:
    finite = np.isfinite(d)
    return finite & (d <= np.median(d[finite])) if finite.any() else finite


@dataclass(frozen=True)
class LocalFit:
    """A linear model of the simulated values in the parameters (scaled to [0, 1] over
    the searched range), fitted by least squares to candidates near the optimum, and the
    Gaussian posterior it implies.

    Attributes:
        estimate: the posterior mean (scaled), clipped to [0, 1].
        covariance: the posterior covariance (scaled).
        intercept, jacobian: the linear model ``values = intercept + jacobian @ x``.
        scatter: covariance of the candidates' mean values around the linear model (the
            model's variation between realisations over ``replicates``, plus the linear
            model's lack of fit).
        errors: covariance of ``observed - (intercept + jacobian @ estimate)`` (the
            distance's ``V``): the observations' errors, a realisation's variation,
            the linear model's own error at the estimate; phi not included.
        realisation: a single realisation's covariance, lack of fit included.
        phi: the over-dispersion factor (>= 1) applied to ``errors``.
        used: candidates the model was fitted to.
        dof: the regression's residual degrees of freedom (``used - parameters - 1``):
            the Student-t quantiles of the intervals use them.
        response_p: per parameter, the p-value of "no simulated value responds to it".
    """

    estimate: np.ndarray
    covariance: np.ndarray
    intercept: np.ndarray
    jacobian: np.ndarray
    scatter: np.ndarray
    errors: np.ndarray
    realisation: np.ndarray
    phi: float
    used: int
    dof: int
    response_p: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))


def local_fit(x: np.ndarray, values: np.ndarray, observed: np.ndarray, se: np.ndarray
              ) -> LocalFit:
    """Fit :class:`LocalFit` to candidates ``x`` (scaled, one row each) and their
    simulated values ``values`` (candidates x replicates x observations; every run with
    its own seed; candidates with a missing value are left out).

    With ``R`` replicates, ``scatter`` the covariance of the candidates' means around the
    linear model (``S / R`` plus the lack of fit) and ``S`` the covariance between the
    replicates of a candidate (when ``R > 1``), the errors of ``observed`` against the
    linear model at ``x`` have the covariance
    ``V = diag(se^2) + S (1 - 1/R) + scatter (1 + h(x))``: the observations' own errors;
    the client's realisation, one draw of the model's variation between realisations,
    plus the linear model's lack of fit (``S (1 - 1/R) + scatter``: a response that is not
    linear over the candidates' box widens the errors); and the least-squares error of
    the linear model's prediction at ``x`` (``scatter h(x)``, leverage ``h``: the finite
    number of candidates). The estimate is the posterior mean under Gaussian errors,
    weighted by ``1 / V_ii`` (times ``phi``), with a Gaussian stand-in for the uniform
    prior (mean 0.5, variance 1/12, so a parameter the values do not depend on keeps an
    interval as wide as its prior); its covariance is the sandwich
    ``B (J' W V W J + P) B`` with ``B = (J' W J + P)^-1``, ``V`` from the unshrunk
    covariances: the estimated correlations enter linearly, not inverted, so their own
    sampling error does not turn into false precision. ``V`` is evaluated at the
    estimate (three fixed-point steps)."""

    finite = np.isfinite(values).all(axis=(1, 2))
    x, values = x[finite], values[finite]
    means = values.mean(axis=1)
    (rows, k), count, replicates = x.shape, means.shape[1], values.shape[1]
    dof = rows - k - 1
    if dof < 1:
        raise ParameterError(f"too few candidates for the local model: {rows} for {k} "
                             "parameters; expected at least parameters + 2")
    design = np.column_stack([np.ones(rows), x])
    coefficients = np.linalg.lstsq(design, means, rcond=None)[0]
    intercept, jacobian = coefficients[0], coefficients[1:].T
    residual = means - design @ coefficients
    raw = residual.T @ residual / dof
    scatter = shrunk_covariance(residual, dof)
    within = np.zeros((count, count))
    if replicates > 1:
        deviations = (values - means[:, None, :]).reshape(-1, count)
        within = deviations.T @ deviations / (rows * (replicates - 1)) * (1 - 1 / replicates)
    inverse = np.linalg.pinv(design.T @ design)
    floor = (VARIANCE_FLOOR * np.maximum(np.abs(observed), 1.0)) ** 2

    def errors_at(point: np.ndarray, spread: np.ndarray) -> np.ndarray:
        augmented = np.concatenate([[1.0], np.clip(point, 0.0, 1.0)])
        errors = (np.diag(se ** 2) + within
                  + spread * (1 + augmented @ inverse @ augmented))
        return errors + np.diag(np.maximum(floor - np.diag(errors), 0.0))

    def posterior_at(point: np.ndarray, phi: float) -> tuple[np.ndarray, np.ndarray]:
        weight = np.diag(1.0 / np.diag(errors_at(point, scatter)))
        prior = PRIOR_PRECISION * np.eye(k)
        bread = np.linalg.inv(jacobian.T @ weight @ jacobian / phi + prior)
        estimate = bread @ (jacobian.T @ weight @ (observed - intercept) / phi
                            + PRIOR_PRECISION * 0.5)
        meat = jacobian.T @ weight @ errors_at(point, raw) @ weight @ jacobian / phi + prior
        return estimate, bread @ meat @ bread

    estimate, phi = x.mean(axis=0), 1.0
    for _ in range(3):  # the errors at the estimate, the misfit's over-dispersion
        estimate = posterior_at(estimate, phi)[0]
        errors = errors_at(estimate, scatter)
        misfit = float(np.linalg.solve(errors, intercept + jacobian @ estimate - observed)
                       @ (intercept + jacobian @ estimate - observed))
        p_value = misfit_p_value(misfit, count - k, dof)
        significant = p_value is not None and p_value < 1 - MISFIT_LEVEL
        phi = max(1.0, misfit / (count - k)) if significant else 1.0
    estimate, covariance = posterior_at(estimate, phi)
    return LocalFit(np.clip(estimate, 0.0, 1.0), covariance, intercept, jacobian, scatter,
                    errors_at(estimate, scatter), within + raw, phi, rows, dof,
                    _slopes_p_values(design, means, coefficients))


def _slopes_p_values(design: np.ndarray, means: np.ndarray, coefficients: np.ndarray
                     ) -> np.ndarray:
    """Per parameter, the p-value of a Wald test that its slopes on every simulated value
    are all zero (each slope over its least-squares standard error; the values taken as
    independent): does anything observed respond to the parameter?"""
    from scipy.stats import chi2

    rows, columns = design.shape
    k, count = columns - 1, means.shape[1]
    if rows <= columns:
        return np.ones(k)
    residual = means - design @ coefficients
    sigma2 = np.sum(residual ** 2, axis=0) / (rows - columns)
    inverse = np.linalg.pinv(design.T @ design)
    p_values = []
    for j in range(1, columns):
        with np.errstate(divide="ignore", invalid="ignore"):
            z2 = coefficients[j] ** 2 / (sigma2 * inverse[j, j])
        constant = sigma2 <= 1e-300  # a value no candidate changes: no evidence either way
        z2 = np.where(constant, np.where(np.abs(coefficients[j]) > 1e-12, np.inf, 0.0), z2)
        p_values.append(float(chi2.sf(np.sum(np.nan_to_num(z2, nan=0.0)), count)))
    return np.array(p_values)


def _next_box(fit: LocalFit, box: tuple[np.ndarray, np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray]:
    """The next wave's box (scaled): the estimate +- :data:`BOX_SDS` posterior standard
    deviations, at most as wide as ``box`` and at least a quarter of it, moved inside
    [0, 1]."""
    previous = (box[1] - box[0]) / 2
    half = np.clip(BOX_SDS * fit.sd, previous / MAX_SHRINK, previous)
    low = np.clip(fit.estimate - half, 0.0, 1.0 - 2 * half)
    return low, low + 2 * half


# --------------------------------------------------------------------------- the search


@dataclass(frozen=True)
class SearchPlan:
    """What the search waves need, whatever simulates: the fitted keys and their searched
    ranges, the candidates per wave, the replicates per candidate, the observed values
    and their standard errors, and the seed (of the Latin hypercubes; the simulator
    derives the runs' seeds from the ``first_seed`` it is given)."""

    keys: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    sizes: tuple[int, ...]
    replicates: int
    observed: np.ndarray
    se: np.ndarray
    seed: int


#: ``simulate(wave_name, candidates, first_seed)``: the simulated values (candidates x
#: replicates x observations, NaN where undefined) of ``candidates`` (unscaled, one row
#: each); run ``r`` of candidate ``p`` uses seed offset ``first_seed + p * replicates + r``.
Simulator = Callable[[str, np.ndarray, int], np.ndarray]


@dataclass
class Search:
    """The search waves' candidates (scaled to [0, 1]), their boxes and what they gave."""

    plan: SearchPlan
    boxes: list[tuple[np.ndarray, np.ndarray]]
    sizes: list[int]
    x: np.ndarray
    means: np.ndarray
    values: np.ndarray
    fit: LocalFit | None = None
    used: np.ndarray | None = None

    @property
    def runs(self) -> int:
        """Runs of the search waves (the seed offset of the run after them)."""
        return int(sum(self.sizes)) * self.plan.replicates

    @property
    def distances(self) -> np.ndarray:
        """Each candidate's distance under the latest local model's errors (inf where a
        value is missing)."""
        return distances(self.means, self.plan.observed, self.fit.errors)

    def refit(self, wave: int) -> None:
        """Fit the local model to the candidates in the latest box (after wave 1: the
        better half by distance under a first fit to all of them)."""
        k = self.x.shape[1]
        low, high = self.boxes[-1]
        finite = np.isfinite(self.means).all(axis=1)
        used = finite & np.all((self.x >= low - 1e-12) & (self.x <= high + 1e-12), axis=1)
        if wave == 1 and used.sum() >= 2 * (k + 2):
            self.fit = self._fit(used)
            used &= _best_half(self.distances)
        if used.sum() < k + 2:
            used = finite
        if used.sum() < k + 2:
            raise ParameterError("too few candidates produced every observed value (failed "
                                 "runs or metrics undefined in a window); see cxsim sweep "
                                 "--status on the waves under --out")
        self.used = used
        self.fit = self._fit(used)

    def _fit(self, used: np.ndarray) -> LocalFit:
        return local_fit(self.x[used], self.values[used], self.plan.observed, self.plan.se)


def search(plan: SearchPlan, simulate: Simulator) -> Search:
    """Run (or resume) the search waves; each wave's box comes from the simulated values
    of the waves before it. Every run has its own seed: wave after wave, candidate after
    candidate, replicate after replicate."""
    from cxsim.experiments import designs

    k, count = len(plan.keys), len(plan.observed)
    span = plan.high - plan.low
    found = Search(plan, [(np.zeros(k), np.ones(k))], [], np.zeros((0, k)),
                   np.zeros((0, count)), np.zeros((0, plan.replicates, count)))
    for wave, size in enumerate(plan.sizes, 1):
        if wave > 1:
            found.boxes.append(_next_box(found.fit, found.boxes[-1]))
        box_low, box_high = found.boxes[-1]
        bounds = np.column_stack([np.clip(plan.low + box_low * span, plan.low, plan.high),
                                  np.clip(plan.low + box_high * span, plan.low, plan.high)])
        problem = {"num_vars": k, "names": list(plan.keys), "bounds": bounds.tolist()}
        candidates = designs.sample(problem, "latin", size, plan.seed + 7919 * wave)
        values = simulate(str(wave), candidates, found.runs)
        found.sizes.append(size)
        found.x = np.vstack([found.x, (candidates - plan.low) / span])
        found.means = np.vstack([found.means, values.mean(axis=1)])
        found.values = np.concatenate([found.values, values])
        found.refit(wave)
    return found


def parameter_table(plan: SearchPlan, fit: LocalFit) -> pd.DataFrame:
    """The parameters' table (index ``key``): ``estimate``, the 90% interval ``low`` to
    ``high`` (the posterior mean +- the Student-t quantile with the local model's degrees
    of freedom times the posterior standard deviation, clipped to the searched range),
    ``identified``, ``prior_low``, ``prior_high`` and ``response_p``."""
    from scipy.stats import t

    span = plan.high - plan.low
    quantile = float(t.ppf(INTERVAL[1], fit.dof))
    rows = []
    for j, key in enumerate(plan.keys):
        lower = plan.low[j] + max(0.0, fit.estimate[j] - quantile * fit.sd[j]) * span[j]
        upper = plan.low[j] + min(1.0, fit.estimate[j] + quantile * fit.sd[j]) * span[j]
        identified = bool(fit.response_p[j] < RESPONSE_P
                          and upper - lower <= IDENTIFIED_SHARE * span[j])
        rows.append({"key": key, "estimate": float(plan.low[j] + fit.estimate[j] * span[j]),
                     "low": float(lower), "high": float(upper), "identified": identified,
                     "prior_low": float(plan.low[j]), "prior_high": float(plan.high[j]),
                     "response_p": float(fit.response_p[j])})
    return pd.DataFrame(rows).set_index("key")


# --------------------------------------------------------------------------- the fit


@dataclass
class CalibrationResult:
    """The answer of :func:`calibrate`.

    Attributes:
        parameters: one row per fitted parameter (index ``key``): ``estimate``, ``low`` and
            ``high`` (90% interval), ``identified``, ``prior_low``, ``prior_high``,
            ``response_p`` (p-value of "no simulated value responds to it").
        candidates: every candidate: ``wave``, ``point``, the fitted keys, ``distance``
            and ``local`` (whether the final local model was fitted to it).
        fit: one row per observation: ``label``, ``day``, ``observed``, ``se``,
            ``simulated`` (mean of the check runs at the estimate), ``band_low``/``band_high``
            (a 90% predictive band: the parameters' uncertainty and the model's variation
            between realisations) and ``residual`` (standardised).
        quality: ``distance`` at the estimate, ``observations``, ``parameters``, ``dof``,
            ``p_value``, ``phi``, ``local_candidates``, ``candidates`` and ``runs``.
        out: the output directory.
    """

    parameters: pd.DataFrame
    candidates: pd.DataFrame
    fit: pd.DataFrame
    quality: dict[str, Any]
    out: Path
    setup: Setup = field(repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """Same as :attr:`parameters`."""
        return self.parameters

    @property
    def estimates(self) -> dict[str, float]:
        """Fitted value of each parameter."""
        return {k: float(v) for k, v in self.parameters["estimate"].items()}

    def to_dict(self) -> dict[str, Any]:
        """The content of ``fit.json``."""
        parameters = {key: {"estimate": float(row.estimate), "low": float(row.low),
                            "high": float(row.high), "identified": bool(row.identified),
                            "prior_low": float(row.prior_low),
                            "prior_high": float(row.prior_high),
                            "response_p": float(row.response_p)}
                      for key, row in self.parameters.iterrows()}
        return {"format": FORMAT, "scenario": self.setup.scenario.name,
                "seed": self.setup.seed, "replicates": self.setup.replicates,
                "budget": self.setup.budget, "parameters": parameters,
                "quality": self.quality,
                "observations": json.loads(self.fit.to_json(orient="records"))}


def calibrate(scenario: Scenario | str | os.PathLike, observations: Any,
              fit: Iterable[str] | None = None, *, out: str | os.PathLike,
              budget: int = DEFAULT_BUDGET, replicates: int = DEFAULT_REPLICATES,
              seed: int | None = None, overrides: Mapping[str, Any] | None = None,
              start_date: Any = None, workers: int | None = None,
              scheduler: str | None = None, progress: bool = False) -> CalibrationResult:
    """Fit parameters of ``scenario`` to ``observations`` (see the module docs).

    Args:
        scenario: a scenario file, a library name or a :class:`Scenario`.
        observations: the observations CSV's path or a DataFrame of its columns.
        fit: keys to fit (``"culture.leadership_commitment"``, optionally
            ``"key=low:high"``); default: :data:`DEFAULT_FIT` for the observed metrics.
        out: directory of the stores and outputs (new, empty, or this calibration's own,
            to resume).
        budget: model runs in all (candidates x replicates, the check included).
        replicates: runs per candidate, each with its own seed.
        seed: seed of the first run (default: the scenario's, else 0); run ``i`` of the
            calibration uses ``seed + i``.
        overrides: parameter overrides on top of the scenario (``{"run.days": 180}``).
        start_date: date of intervention day 0, for a ``date`` column.
        workers, scheduler: the sweep backends (:mod:`cxsim.experiments.backends`).

    Writes ``fitted.toml``, ``fit.json`` and ``observed_vs_simulated.csv`` to ``out``
    (``fit.png``: :func:`cxsim.interfaces.calibration_plot.plot_fit`). Raises
    ParameterError, before any run, for any bad input.
    """
    from cxsim.experiments import backends

    plan = setup(scenario, observations, fit, budget=budget, replicates=replicates, seed=seed,
                 overrides=overrides, start_date=start_date)
    root = _open_out(Path(out), plan)
    searched = plan.search_plan()
    with backends.start(workers=workers, scheduler=scheduler) as backend:
        def simulate(name: str, candidates: np.ndarray, first_seed: int) -> np.ndarray:
            rows = run_wave(plan, name, candidates, root, backend, progress, first_seed)
            return candidate_moments(rows, len(searched.observed), len(candidates),
                                     plan.replicates)[1]

        found = search(searched, simulate)
        table = parameter_table(searched, found.fit)
        check = simulate("check", table["estimate"].to_numpy()[None, :], found.runs)
    result = _report(plan, root, found, table, check)
    _write_outputs(result)
    return result


def _report(plan: Setup, root: Path, found: Search, table: pd.DataFrame,
            check: np.ndarray) -> CalibrationResult:
    from scipy.stats import t

    frame = plan.observations.frame
    count, k = len(frame), len(plan.parameters)
    observed, fit = found.plan.observed, found.fit
    # the check's mean is another realisation (of ``R`` runs) beside the client's
    covariance = fit.errors * fit.phi + fit.realisation / check.shape[1]
    check_means = check.mean(axis=1)
    check_distance = float(distances(check_means, observed, covariance)[0])
    spread = np.sqrt(np.einsum("ij,jk,ik->i", fit.jacobian, fit.covariance, fit.jacobian)
                     + np.diag(fit.realisation))
    quantile = float(t.ppf(INTERVAL[1], fit.dof))
    fit_frame = pd.DataFrame({
        "label": frame["label"], "metric": frame["metric"], "department": frame["department"],
        "day": frame["day"], "window_days": frame["window_days"], "observed": observed,
        "se": frame["se"], "simulated": check_means[0],
        "band_low": check_means[0] - quantile * spread,
        "band_high": check_means[0] + quantile * spread,
        "residual": (check_means[0] - observed) / np.sqrt(np.diag(covariance))})
    finite = math.isfinite(check_distance)
    dof = count - k
    quality = {"distance": check_distance if finite else None, "observations": count,
               "parameters": k, "dof": dof,
               "p_value": misfit_p_value(check_distance, dof, fit.dof) if finite else None,
               "phi": fit.phi, "local_candidates": fit.used, "local_dof": fit.dof,
               "candidates": int(len(found.x)),
               "runs": found.runs + plan.replicates}
    low, high = plan.prior
    candidates = pd.DataFrame(low + found.x * (high - low), columns=plan.keys)
    candidates.insert(0, "point", np.concatenate([np.arange(n) for n in found.sizes]))
    candidates.insert(0, "wave", np.repeat(np.arange(1, len(found.sizes) + 1), found.sizes))
    candidates["distance"] = found.distances
    candidates["local"] = found.used
    return CalibrationResult(table, candidates, fit_frame, quality, root, plan)


def misfit_p_value(distance: float, dof: int, covariance_dof: int) -> float | None:
    """The p-value of a distance with ``dof`` degrees of freedom whose covariance was
    estimated with ``covariance_dof`` (Hotelling's T-squared: ``distance (n - dof + 1) /
    (n dof)`` is F(dof, n - dof + 1) distributed): the inverse of an estimated covariance
    inflates distances, so the chi-square's p-values would be too small. None when
    either has too few degrees of freedom."""
    from scipy.stats import f

    if dof < 1 or covariance_dof - dof + 1 < 1:
        return None
    scaled = distance * (covariance_dof - dof + 1) / (covariance_dof * dof)
    return float(f.sf(scaled, dof, covariance_dof - dof + 1))


def _open_out(root: Path, plan: Setup) -> Path:
    """Check ``out`` (new, empty, or this calibration's) and write its manifest."""
    from cxsim.experiments.output import check_output_dir
    from cxsim.experiments.store import write_file_atomically

    check_output_dir(root)
    digest = plan.digest()
    manifest = root / MANIFEST
    if root.is_dir() and any(root.iterdir()):
        try:
            stored = json.loads(manifest.read_text())
        except (OSError, ValueError):
            raise ParameterError(f"--out = {str(root)!r} is not allowed: it is a non-empty "
                                 f"directory without a readable {MANIFEST}; expected a new or "
                                 "empty directory, or this calibration's own to resume") \
                from None
        if stored.get("hash") != digest:
            raise ParameterError(f"--out = {str(root)!r} is not allowed: it holds another "
                                 f"calibration (hash {str(stored.get('hash'))[:12]}); expected "
                                 "a new or empty directory, or this calibration's own to "
                                 "resume")
        return root
    root.mkdir(parents=True, exist_ok=True)
    write_file_atomically(manifest, json.dumps({
        "format": FORMAT, "hash": digest, "scenario": plan.scenario.name,
        "fit": [[p.key, p.low, p.high] for p in plan.parameters], "budget": plan.budget,
        "replicates": plan.replicates, "seed": plan.seed, "overrides": {
            k: str(v) for k, v in plan.overrides.items()},
        "observations": plan.observations.records()}, indent=1).encode())
    return root


def format_fit(result: CalibrationResult) -> str:
    """The printed report of ``cxsim calibrate``: estimates with 90% intervals, which
    parameters the data identify, and the fit's quality."""
    plan, quality = result.setup, result.quality
    sizes = result.candidates.groupby("wave").size().tolist()
    lines = [f"cxsim calibrate: scenario {plan.scenario.name!r}, seed {plan.seed}, "
             f"{plan.replicates} run(s) per candidate, {quality['runs']} runs "
             f"({' + '.join(map(str, sizes))} candidates in {len(sizes)} waves, then the "
             "estimate)", "",
             f"{'parameter':<36}{'estimate':>12}{'90% interval':>26}{'searched':>24}"
             f"{'identified':>12}", "-" * 110]
    for key, row in result.parameters.iterrows():
        interval = f"[{row.low:.4g}, {row.high:.4g}]"
        prior = f"[{row.prior_low:.4g}, {row.prior_high:.4g}]"
        lines.append(f"{key:<36}{row.estimate:>12.4g}{interval:>26}{prior:>24}"
                     f"{'yes' if row.identified else 'NO':>12}")
    lines.append("-" * 110)
    distance = quality["distance"]
    p_value = quality["p_value"]
    lines.append(
        "Fit at the estimate: distance (residuals weighted by the inverse of their "
        "covariance) "
        + (f"{distance:.3g}" if distance is not None else "undefined")
        + f" over {quality['observations']} observations, {quality['dof']} degrees of freedom"
        + (f", p = {p_value:.3g}" if p_value is not None else "")
        + f"; local model fitted to {quality['local_candidates']} candidates, phi = "
        + f"{quality['phi']:.2f}.")
    worst = result.fit.reindex(result.fit["residual"].abs().sort_values(ascending=False)
                               .index).head(3)
    lines.append("Largest residuals (standardised): " + ", ".join(
        f"{row.label} day {row.day}: {row.residual:+.2f}" for row in worst.itertuples()))
    unidentified = [key for key, row in result.parameters.iterrows() if not row.identified]
    if unidentified:
        lines.append(
            f"Not identified by these data: {', '.join(unidentified)}. Their intervals span "
            f"more than {IDENTIFIED_SHARE:.0%} of the searched range or the fit does not "
            "respond to them: treat their estimates as assumptions, not findings.")
    if p_value is not None and p_value < 0.05:
        lines.append("The check run at the estimate fits these data worse than their errors "
                     "allow (p < 0.05): "
                     + (f"the intervals are widened by phi = {quality['phi']:.2f}; "
                        if quality["phi"] > 1 else
                        "the local model's own misfit was not significant, so the intervals "
                        "are not widened; ")
                     + "check the observations and the scenario.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- test data


def synthetic_observations(scenario: Scenario | str | os.PathLike, design: pd.DataFrame,
                           truth: Mapping[str, float], *, seed: int,
                           overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Observations the model itself generates at known parameter values, for recovery
    tests and examples: ``design`` has the columns of an observations file except
    ``value`` (``day``, ``metric``, optional ``department`` and ``window_days``, and ``n``
    or ``se``). One run with ``seed`` (use seeds the calibration will not) gives each
    window's true value; survey noise is added from the run's own generator: a binomial
    draw of ``n`` answers for shares, otherwise a normal draw with the standard error
    (given, or implied by ``n``, :func:`~cxsim.experiments.observations.standard_error`).
    Returns ``design`` with a ``value`` column."""
    from cxsim.experiments.observations import (
        ALIASES,
        DEFAULT_WINDOW,
        PROPORTIONS,
        SURVEYS,
        standard_error,
    )

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    config = scenario.config.with_overrides({**dict(overrides or {}), **dict(truth)})
    table = design.copy()
    for column, default in (("department", ""), ("window_days", DEFAULT_WINDOW)):
        if column not in table.columns:
            table[column] = default
    table["department"] = table["department"].fillna("").astype(str)
    metrics = [ALIASES.get(m, m) for m in table["metric"]]
    windows = tuple((m, d, int(day) - int(w) + 1, int(day)) for m, d, day, w in zip(
        metrics, table["department"], table["day"], table["window_days"]))
    record = ("departments",) if (table["department"] != "").any() else ()
    spec = RunSpec.build(config, seed=seed, interventions=scenario.interventions,
                         structure=scenario.structure, record=record)
    result = run_spec(spec)
    truth_values = window_values(result.daily, result.departments, windows)
    rng = np.random.default_rng([seed, 20261125])
    values = []
    for i, (metric, value) in enumerate(zip(metrics, truth_values)):
        n = _cell(table, "n", i)
        se = _cell(table, "se", i)
        if se is not None:
            values.append(float(value + rng.normal(0.0, float(se))))
        elif metric in PROPORTIONS and n is not None:
            values.append(float(rng.binomial(int(n), min(max(value, 0.0), 1.0)) / int(n)))
        elif metric in SURVEYS and n is not None:
            values.append(float(value + rng.normal(0.0, standard_error(metric, value, int(n)))))
        else:
            values.append(float(value))  # a record of the whole population: exact
    table["value"] = values
    return table


def _cell(table: pd.DataFrame, column: str, row: int) -> Any:
    if column not in table.columns:
        return None
    value = table[column].iloc[row]
    return None if value is None or value == "" or pd.isna(value) else value


# --------------------------------------------------------------------------- outputs


def _write_outputs(result: CalibrationResult) -> None:
    from cxsim.experiments.store import write_file_atomically

    root = result.out
    write_file_atomically(root / "fit.json",
                          (json.dumps(result.to_dict(), indent=1, allow_nan=False,
                                      default=_json_default) + "\n").encode())
    write_file_atomically(root / "observed_vs_simulated.csv",
                          result.fit.to_csv(index=False).encode())
    write_file_atomically(root / "candidates.csv",
                          result.candidates.to_csv(index=False).encode())
    write_file_atomically(root / "fitted.toml", fitted_scenario_text(result).encode())


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON: {value!r}")


def fitted_scenario_text(result: CalibrationResult) -> str:
    """``fitted.toml``: the input scenario (``extends``) with the overrides of the
    calibration and the fitted values; a :class:`Scenario` given as an object is written
    out whole."""
    plan = result.setup
    flat = plan.config.with_overrides(result.estimates).to_flat()
    changed = [lookup(key) for key in list(plan.overrides) + plan.keys]
    lines = ["# Written by cxsim calibrate: the scenario with the fitted values "
             "(intervals in fit.json)."]
    if plan.scenario_ref is not None:
        lines.append(f"extends = {_toml_value(_extends_reference(plan.scenario_ref, result.out))}")
        sections: dict[str, dict[str, Any]] = {}
        for parameter in changed:
            sections.setdefault(parameter.section, {})[parameter.name] = flat[parameter.name]
        tables = {"sections": sections, "interventions": None, "structure": None}
    else:
        nested = Config.from_flat(flat).to_nested()
        tables = {"sections": nested,
                  "interventions": [iv.to_dict() for iv in plan.scenario.interventions],
                  "structure": plan.scenario.structure.to_dict()}
    lines.append(f"name = {_toml_value(plan.scenario.name + ' (calibrated)')}")
    fitted = ", ".join(f"{k} = {v:.6g}" for k, v in result.estimates.items())
    lines.append(f"description = {_toml_value('Calibrated: ' + fitted)}")
    for section, values in tables["sections"].items():
        lines += ["", f"[{section}]"] + [f"{name} = {_toml_value(value)}"
                                         for name, value in values.items()
                                         if value is not None]
    for iv in tables["interventions"] or []:
        lines += ["", "[[interventions]]"] + [f"{k} = {_toml_value(v)}" for k, v in iv.items()
                                              if v is not None]
    for table, rows in (tables["structure"] or {}).items():
        for row in rows:
            lines += ["", f"[[structure.{table}]]"] + [f"{k} = {_toml_value(v)}"
                                                        for k, v in row.items()
                                                        if v is not None]
    return "\n".join(lines) + "\n"


def _extends_reference(reference: str, out: Path) -> str:
    path = Path(reference)
    if not path.exists() and reference in library():
        return reference
    return os.path.relpath(path.resolve(), out.resolve())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()
                               if v is not None) + "}"
    raise ParameterError(f"cannot write {show_value(value)} to TOML")
