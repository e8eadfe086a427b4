"""The responsibility map: how much of the customer experience each group carries.

A *group* is a department, a level, or a (department, level) pair of the organisation's
structure. Switching a group to a documented reference state of practice (``frontier``:
engaged, skilled, empowered, customer-centric, connected across silos; ``lagging``: the
reverse) is the intervention ``group_practice``
(:class:`~cxsim.engine.interventions.GroupPractice`), so a *coalition* of groups switched
is the scenario plus one such intervention per group: an ordinary
:class:`~cxsim.experiments.specs.RunSpec` that runs on the sweep backends (local pool or
Dask) and into the resumable sweep store.

The gap between the organisation as configured and the organisation with every group
switched is shared among the groups by the Shapley value of the game

    w(S) = orientation x (v(S) - v(empty)),  orientation = +1 (frontier), -1 (lagging),

where ``v(S)`` is the metric with the groups of ``S`` switched (same seed for every
coalition of a replicate: common random numbers). A group's contribution is then in
the metric's unit and positive when the group's better practice raises the metric; the
contributions add up to the gap ``w(all)`` exactly (efficiency), replicate by replicate.

* exact Shapley over all ``2^k`` coalitions for ``k <= EXACT_LIMIT`` groups, every
  coalition run once per replicate and shared by every group's formula;
* beyond that, permutation sampling: ``permutations`` random orders per replicate, each
  group's contribution the mean of its marginal contributions, with the sampling
  standard error reported (the replicate intervals include that error too);
* 95 % t-intervals over replicates (the Shapley value computed per replicate);
* pairwise interactions: the Shapley interaction index (exact mode) and the second
  difference ``w({i, j}) - w({i}) - w({j})`` at the configured organisation;
* the channel a group works through: the same decomposition of the runs' interaction
  quality, first-contact resolution, defect rate (fixed through the voice-of-customer
  loop) and effective silo strength (the context handoffs lose).

:func:`decompose` is the Shapley code path on its own (a value function in, tables out);
:func:`responsibility` runs the coalitions and calls it. See ``docs/responsibility.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.core.enums import LEVEL_NAMES
from cxsim.core.parameters import ParameterError
from cxsim.core.structure import Structure
from cxsim.core.validation import suggest
from cxsim.engine.interventions import REFERENCE_STATES
from cxsim.engine.model import CXModel
from cxsim.experiments.comparisons import excludes_zero, t_interval
from cxsim.experiments.scenarios import Scenario, load_scenario
from cxsim.experiments.specs import RunSpec, result_of
from cxsim.experiments.sweeps import OUTPUT_METRICS, RunOutcome, SweepRun
from cxsim.results import SUMMARY_UNITS

#: Groupings: ``--by``.
GROUPINGS = ("department", "level", "department,level")
#: Reference states (``--reference``): see :data:`cxsim.engine.interventions.REFERENCE_STATES`.
REFERENCES = tuple(REFERENCE_STATES)
#: Orientation of the game: the metric's change when the groups' practice gets better.
ORIENTATION = {"frontier": 1.0, "lagging": -1.0}
#: Metrics decomposed by default.
DEFAULT_METRICS = ("csat", "nps", "churn_rate", "revenue")
#: Summary metrics that can be decomposed (every numeric summary metric of a run).
METRICS = tuple(m for m in OUTPUT_METRICS if m not in ("final_window_days",
                                                       "baseline_window_days"))
#: Most groups decomposed exactly (over all 2^k coalitions) by ``method="auto"``.
EXACT_LIMIT = 8
#: Most groups ``method="exact"`` accepts (4096 coalitions per replicate).
EXACT_MAX = 12
#: Most groups of one decomposition (coalitions are bit masks).
MAX_GROUPS = 60
#: Permutations per replicate of the sampling estimator by default.
DEFAULT_PERMUTATIONS = 32
#: The channels a group works through: name -> (run quantity, label).
CHANNELS = {
    "quality": ("quality_mean", "interaction quality"),
    "fcr": ("fcr", "first-contact resolution"),
    "voc": ("defect_rate", "defects fixed (voice of the customer)"),
    "handoffs": ("silo_effective", "handoffs across silos"),
}
#: What a worker adds to a run's summary: means over the final window of daily
#: quantities (summary name -> daily column).
EXTRA_QUANTITIES = {"defect_rate": "defect_rate_mean", "silo_effective": "silo_effective"}
#: Columns of the decomposition table, in order.
TABLE_COLUMNS = ("metric", "unit", "group", "contribution", "ci_low", "ci_high", "share",
                 "share_ci_low", "share_ci_high", "significant", "sampling_se", "n",
                 "channel") + tuple(f"via_{c}" for c in CHANNELS) + ("configured",
                                                                       "reference")
#: Columns of the interaction table.
INTERACTION_COLUMNS = ("metric", "unit", "group_a", "group_b", "interaction", "ci_low",
                       "ci_high", "significant", "second_difference", "sd_ci_low",
                       "sd_ci_high", "sd_significant")
#: Label of the total row of the table.
TOTAL = "(total gap)"
#: Format of a responsibility map's definition (the ``spec`` of its store's manifest).
FORMAT = "cxsim.Responsibility/1"
#: Prefix of a group's 0/1 column in the store.
GROUP_COLUMN = "group:"
#: Stream label of the permutations drawn by the sampling estimator.
PERMUTATION_STREAM = 0x5E1F


# ---------------------------------------------------------------------- groups


@dataclass(frozen=True)
class Group:
    """A group of positions: its name and the departments and levels it covers (empty:
    all)."""

    name: str
    departments: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    def practice(self, reference: str, start: int = 0) -> dict[str, Any]:
        """The ``group_practice`` table that switches this group to ``reference``."""
        return {"type": "group_practice", "departments": list(self.departments),
                "levels": list(self.levels), "state": reference, "start": start}


def check_grouping(by: Any) -> str:
    """``by`` as one of :data:`GROUPINGS` (``"level,department"`` and spaces accepted),
    or ParameterError."""
    if isinstance(by, str):
        parts = [p.strip() for p in by.split(",")]
        if sorted(parts) == ["department", "level"]:
            return "department,level"
        if len(parts) == 1 and parts[0] in GROUPINGS:
            return parts[0]
    raise ParameterError(f"--by = {by!r} is not allowed: expected one of "
                         + ", ".join(GROUPINGS))


def groups_of(structure: Structure, by: str) -> list[Group]:
    """Every group of ``structure`` under the grouping ``by``, in the structure's order
    (pairs are named ``department/level``)."""
    by = check_grouping(by)
    departments = structure.department_names
    if by == "department":
        return [Group(d, departments=(d,)) for d in departments]
    if by == "level":
        return [Group(lv, levels=(lv,)) for lv in LEVEL_NAMES]
    return [Group(f"{d}/{lv}", (d,), (lv,)) for d in departments for lv in LEVEL_NAMES]


def select_groups(available: Sequence[Group], names: Iterable[str] | None,
                  by: str = "department") -> list[Group]:
    """The groups named in ``names`` (all of ``available`` if None), in ``available``'s
    order; at least two. ParameterError for an unknown or repeated name."""
    if names is None:
        chosen = list(available)
    else:
        names = name_list(names, "--groups", "group names")
        known = {g.name: g for g in available}
        for name in names:
            if name not in known:
                raise ParameterError(f"--groups: unknown group {name!r} for --by {by}: "
                                     + suggest(name, list(known)))
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ParameterError(f"--groups: group {repeated[0]!r} is named twice; expected "
                                 "each group once")
        chosen = [g for g in available if g.name in names]
    if len(chosen) < 2:
        shown = ", ".join(g.name for g in chosen) or "none"
        raise ParameterError(f"--groups = {shown} is not allowed: a decomposition needs at "
                             f"least 2 groups (--by {by} has "
                             f"{', '.join(g.name for g in available)})")
    if len(chosen) > MAX_GROUPS:
        raise ParameterError(f"--by {by} gives {len(chosen)} groups, which is not allowed: "
                             f"expected at most {MAX_GROUPS}; name fewer with --groups")
    return chosen


# ---------------------------------------------------------------------- checks


def name_list(value: Any, flag: str, what: str) -> list[str]:
    """``value`` (one text with commas, or an iterable of names) as a non-empty list of
    stripped names, or ParameterError naming ``flag``."""
    if isinstance(value, str):
        value = value.split(",")
    try:
        names = [str(n).strip() for n in value]
    except TypeError:
        names = []
    if not names:
        raise ParameterError(f"{flag} = {value!r} is not allowed: expected {what} separated "
                             "by commas")
    return names


def check_metrics(metrics: Any) -> tuple[str, ...]:
    """``metrics`` (names, or one text with commas) as a tuple of known summary metrics."""
    if metrics is None:
        return DEFAULT_METRICS
    names = name_list(metrics, "--metric", "metric names")
    for name in names:
        if name not in METRICS:
            raise ParameterError(f"--metric: unknown metric {name!r}: "
                                 + suggest(name, list(METRICS)))
    return tuple(dict.fromkeys(names))


def check_reference(reference: Any) -> str:
    """``reference`` as one of :data:`REFERENCES`, or ParameterError."""
    if reference not in REFERENCES:
        raise ParameterError(f"--reference = {reference!r} is not allowed: expected one of "
                             + ", ".join(REFERENCES))
    return reference


def check_count(value: Any, name: str, low: int, high: int) -> int:
    """``value`` as an int from ``low`` to ``high``, or ParameterError naming ``name``."""
    if (not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_))
            or not low <= int(value) <= high):
        raise ParameterError(f"{name} = {value!r} is not allowed: expected an integer from "
                             f"{low} to {high}")
    return int(value)


def check_replicates(replicates: Any) -> int:
    """At least 2 replicates (intervals need two), at most 100,000."""
    return check_count(replicates, "--replicates", 2, 100_000)


# ---------------------------------------------------------------------- the Shapley core


@dataclass(frozen=True)
class CoalitionPlan:
    """Which coalitions each replicate needs. Coalitions are bit masks over the groups
    (bit ``i``: group ``i`` switched to the reference)."""

    k: int
    replicates: int
    method: str  #: "exact" or "sampling"
    interactions: bool
    #: Sampling: per replicate, an array (permutations x k) of group orders.
    orders: tuple[np.ndarray, ...] = ()

    @property
    def full(self) -> int:
        """The mask of every group."""
        return (1 << self.k) - 1

    def coalitions(self, replicate: int) -> list[int]:
        """The sorted masks replicate ``replicate`` needs."""
        if self.method == "exact":
            return list(range(1 << self.k))
        needed = {0, self.full}
        for order in self.orders[replicate]:
            needed.update(_prefix_masks(order).tolist())
        if self.interactions:
            needed.update(1 << i for i in range(self.k))
            needed.update((1 << i) | (1 << j) for i, j in combinations(range(self.k), 2))
        return sorted(needed)

    def runs(self) -> int:
        """Coalition runs over all replicates."""
        return sum(len(self.coalitions(r)) for r in range(self.replicates))


def plan_coalitions(k: int, replicates: int, *, method: str = "auto",
                    permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0,
                    interactions: bool = True) -> CoalitionPlan:
    """The coalitions a decomposition of ``k`` groups over ``replicates`` needs.

    ``method``: ``"exact"`` (all 2^k coalitions; k <= :data:`EXACT_MAX`), ``"sampling"``
    (``permutations`` random group orders per replicate, drawn from numpy's default
    generator seeded with ``[PERMUTATION_STREAM, seed, replicate]``) or ``"auto"``
    (exact up to :data:`EXACT_LIMIT` groups). ``interactions`` adds, when sampling, the
    single-group and pair coalitions the second differences need.
    """
    k = check_count(k, "groups", 2, MAX_GROUPS)
    replicates = check_count(replicates, "replicates", 1, 100_000)
    if method not in ("auto", "exact", "sampling"):
        raise ParameterError(f"method = {method!r} is not allowed: expected auto, exact or "
                             "sampling")
    if method == "auto":
        method = "exact" if k <= EXACT_LIMIT else "sampling"
    if method == "exact":
        if k > EXACT_MAX:
            raise ParameterError(f"method = 'exact' with {k} groups is not allowed: expected "
                                 f"at most {EXACT_MAX} groups (2^{EXACT_MAX} coalitions per "
                                 "replicate); use sampling")
        return CoalitionPlan(k, replicates, "exact", bool(interactions))
    permutations = check_count(permutations, "--permutations", 2, 100_000)
    seed = check_count(seed, "seed", 0, 2**63 - 1)
    orders = tuple(
        np.array([rng.permutation(k) for _ in range(permutations)], dtype=np.int64)
        for rng in (np.random.default_rng([PERMUTATION_STREAM, seed, r])
                    for r in range(replicates)))
    return CoalitionPlan(k, replicates, "sampling", bool(interactions), orders)


def _prefix_masks(order: np.ndarray) -> np.ndarray:
    """The masks of the first 0, 1, ..., k groups of ``order``."""
    bits = np.left_shift(np.int64(1), order.astype(np.int64))
    return np.concatenate([[0], np.cumsum(bits)])


@dataclass
class ShapleyEstimate:
    """Per-replicate Shapley values of one game (a metric's ``w``)."""

    values: np.ndarray  #: (replicates, k): each group's Shapley value
    gap: np.ndarray  #: (replicates,): w(all groups)
    configured: np.ndarray  #: (replicates,): v(no group switched)
    reference: np.ndarray  #: (replicates,): v(every group switched)
    #: (replicates, k): variance of each replicate's value from the sampled permutations
    #: (0 when exact).
    sampling_variance: np.ndarray
    #: (replicates, k, k): Shapley interaction index (NaN when sampled).
    interaction: np.ndarray
    #: (replicates, k, k): w({i, j}) - w({i}) - w({j}) (NaN without interactions).
    second_difference: np.ndarray


def shapley(value: Callable[[int, int], float], plan: CoalitionPlan,
            orientation: float = 1.0) -> ShapleyEstimate:
    """The Shapley values of ``w(S) = orientation x (value(S, r) - value(0, r))`` for
    every replicate ``r`` of ``plan`` (``value(mask, replicate)``: the metric with the
    groups of ``mask`` switched)."""
    k, reps = plan.k, plan.replicates
    values = np.full((reps, k), np.nan)
    variance = np.zeros((reps, k))
    interaction = np.full((reps, k, k), np.nan)
    second = np.full((reps, k, k), np.nan)
    configured, reference = np.full(reps, np.nan), np.full(reps, np.nan)
    for r in range(reps):
        masks = plan.coalitions(r)
        raw = {m: float(value(m, r)) for m in masks}
        configured[r], reference[r] = raw[0], raw[plan.full]
        w = {m: orientation * (v - raw[0]) for m, v in raw.items()}
        if plan.method == "exact":
            table = np.array([w[m] for m in range(1 << k)])
            values[r] = _exact_values(table, k)
            if plan.interactions:
                interaction[r] = _exact_interactions(table, k)
        else:
            marginals = _marginals(w, plan.orders[r])
            values[r] = marginals.mean(axis=0)
            variance[r] = marginals.var(axis=0, ddof=1) / marginals.shape[0]
        if plan.interactions:
            for i, j in combinations(range(k), 2):
                d = w[(1 << i) | (1 << j)] - w[1 << i] - w[1 << j]
                second[r, i, j] = second[r, j, i] = d
    return ShapleyEstimate(values, orientation * (reference - configured), configured,
                           reference, variance, interaction, second)


def _sizes(k: int) -> np.ndarray:
    """The number of groups in each mask 0 .. 2^k - 1."""
    masks = np.arange(1 << k)
    return np.array([bin(m).count("1") for m in masks.tolist()])


def _exact_values(w: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values from ``w`` over all masks."""
    sizes = _sizes(k)
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                       if s < k else 0.0 for s in range(k + 1)])
    masks = np.arange(1 << k)
    out = np.empty(k)
    for i in range(k):
        without = masks[(masks >> i) & 1 == 0]
        out[i] = float(np.sum(weight[sizes[without]] * (w[without | (1 << i)] - w[without])))
    return out


def _exact_interactions(w: np.ndarray, k: int) -> np.ndarray:
    """Shapley interaction index of every pair (symmetric; NaN on the diagonal)."""
    sizes = _sizes(k)
    weight = np.array([math.factorial(s) * math.factorial(k - s - 2) / math.factorial(k - 1)
                       if s <= k - 2 else 0.0 for s in range(k + 1)])
    masks = np.arange(1 << k)
    out = np.full((k, k), np.nan)
    for i, j in combinations(range(k), 2):
        rest = masks[((masks >> i) & 1 == 0) & ((masks >> j) & 1 == 0)]
        delta = (w[rest | (1 << i) | (1 << j)] - w[rest | (1 << i)] - w[rest | (1 << j)]
                 + w[rest])
        out[i, j] = out[j, i] = float(np.sum(weight[sizes[rest]] * delta))
    return out


def _marginals(w: Mapping[int, float], orders: np.ndarray) -> np.ndarray:
    """(permutations x k): each group's marginal contribution in each order."""
    out = np.empty(orders.shape, dtype=float)
    for p, order in enumerate(orders):
        prefix = _prefix_masks(order).tolist()
        steps = np.diff([w[m] for m in prefix])
        out[p, order] = steps
    return out


def decompose(value: Callable[[int, int], float], groups: Sequence[str], replicates: int, *,
              method: str = "auto", permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0,
              interactions: bool = True, metric: str = "value", unit: str = "score",
              orientation: float = 1.0,
              channels: Mapping[str, Callable[[int, int], float]] | None = None,
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shapley decomposition of a value function: the responsibility map's code path.

    Args:
        value: ``value(mask, replicate)``: the metric with the groups whose bits are set
            in ``mask`` switched (bit ``i``: ``groups[i]``), for replicate ``replicate``.
        groups: the groups' names (at least 2).
        replicates: replicates (at least 2: intervals are over replicates).
        method, permutations, seed, interactions: see :func:`plan_coalitions`.
        metric, unit: labels of the table's rows.
        orientation: +1 or -1 (see the module docs).
        channels: name -> value function of a channel quantity (see :data:`CHANNELS`);
            each group's share of each channel's gap goes in ``via_<name>``.

    Returns:
        ``(table, interactions)``: one row per group and a total row
        (:data:`TABLE_COLUMNS`), and one row per pair of groups
        (:data:`INTERACTION_COLUMNS`).
    """
    groups = [str(g) for g in groups]
    replicates = check_replicates(replicates)
    plan = plan_coalitions(len(groups), replicates, method=method, permutations=permutations,
                           seed=seed, interactions=interactions)
    estimate = shapley(value, plan, orientation)
    via = {name: shapley(function, plan, orientation)
           for name, function in (channels or {}).items()}
    table = _table(metric, unit, groups, estimate, via)
    pairs = _interaction_table(metric, unit, groups, estimate) if interactions else \
        pd.DataFrame(columns=INTERACTION_COLUMNS)
    return table, pairs


def _table(metric: str, unit: str, groups: list[str], estimate: ShapleyEstimate,
           via: Mapping[str, ShapleyEstimate]) -> pd.DataFrame:
    gap, gap_low, gap_high, n = t_interval(estimate.gap)
    configured = t_interval(estimate.configured)[0]
    reference = t_interval(estimate.reference)[0]
    channel_shares = {name: _shares(e) for name, e in via.items()}
    channel_ok = {name: excludes_zero(*t_interval(e.gap)[1:3]) for name, e in via.items()}
    rows = []
    reps = estimate.values.shape[0]
    for i, group in enumerate(groups):
        mean, low, high, count = t_interval(estimate.values[:, i])
        se = math.sqrt(float(np.nansum(estimate.sampling_variance[:, i]))) / reps
        shares = {f"via_{name}": float(s[i]) for name, s in channel_shares.items()}
        usable = {name: s[i] for name, s in channel_shares.items()
                  if channel_ok[name] and math.isfinite(s[i]) and s[i] > 0
                  and excludes_zero(low, high)}
        rows.append({
            "metric": metric, "unit": unit, "group": group, "contribution": mean,
            "ci_low": low, "ci_high": high, **_share_of(mean, low, high, gap),
            "significant": excludes_zero(low, high), "sampling_se": se, "n": count,
            "channel": max(usable, key=usable.get) if usable else "none", **shares,
            "configured": configured, "reference": reference})
    rows.append({"metric": metric, "unit": unit, "group": TOTAL, "contribution": gap,
                 "ci_low": gap_low, "ci_high": gap_high,
                 "share": 1.0 if gap else math.nan, "share_ci_low": math.nan,
                 "share_ci_high": math.nan, "significant": excludes_zero(gap_low, gap_high),
                 "sampling_se": 0.0, "n": n, "channel": "",
                 **{f"via_{name}": math.nan for name in via},
                 "configured": configured, "reference": reference})
    return pd.DataFrame(rows).reindex(columns=[c for c in TABLE_COLUMNS
                                               if not c.startswith("via_")
                                               or c[4:] in via])


def _shares(estimate: ShapleyEstimate) -> np.ndarray:
    """Each group's share of a game's mean gap (NaN when the gap is 0)."""
    gap = float(np.nanmean(estimate.gap))
    means = np.nanmean(estimate.values, axis=0)
    return means / gap if gap else np.full(means.shape, np.nan)


def _share_of(mean: float, low: float, high: float, gap: float) -> dict[str, float]:
    """A contribution and its interval as shares of the mean gap (the gap taken as
    known; NaN when it is 0)."""
    if not gap or not math.isfinite(gap):
        return {"share": math.nan, "share_ci_low": math.nan, "share_ci_high": math.nan}
    ends = sorted((low / gap, high / gap))
    return {"share": mean / gap, "share_ci_low": ends[0], "share_ci_high": ends[1]}


def _interaction_table(metric: str, unit: str, groups: list[str],
                       estimate: ShapleyEstimate) -> pd.DataFrame:
    rows = []
    for i, j in combinations(range(len(groups)), 2):
        mean, low, high, _ = t_interval(estimate.interaction[:, i, j])
        smean, slow, shigh, _ = t_interval(estimate.second_difference[:, i, j])
        rows.append({"metric": metric, "unit": unit, "group_a": groups[i],
                     "group_b": groups[j], "interaction": mean, "ci_low": low,
                     "ci_high": high, "significant": excludes_zero(low, high),
                     "second_difference": smean, "sd_ci_low": slow, "sd_ci_high": shigh,
                     "sd_significant": excludes_zero(slow, shigh)})
    return pd.DataFrame(rows, columns=INTERACTION_COLUMNS)


# ---------------------------------------------------------------------- running coalitions


@dataclass(frozen=True)
class CoalitionTask:
    """What a worker receives: the run specs of some coalitions of one seed (they share
    parameters and structure, so one warm-up serves them all)."""

    specs: tuple[RunSpec, ...]


def run_coalition_task(task: CoalitionTask) -> list[RunOutcome]:
    """Run one task in a worker: one warm-up, then each coalition forked from it (a fork
    is bit-identical to a run from scratch with the same seed). Forks record only what
    their summaries need (:meth:`~cxsim.engine.metrics.Recorder.summary_only`: the same
    summary, without the per-department, touchpoint and team rows) unless a spec asks
    for those frames. A run that raises is an outcome with its error; the others go on."""
    first = task.specs[0]
    model = CXModel(first.config, structure=first.structure_tables, rng=first.seed)
    model.run_warm_up()
    if not any(spec.record for spec in task.specs):
        model.recorder.summary_only()
    outcomes = []
    for spec in task.specs:
        try:
            child = model.fork(spec.intervention_tables)
            child.run()
            outcomes.append(RunOutcome(spec.content_hash, run_quantities(result_of(child, spec)),
                                       None, None))
        except Exception as error:  # recorded; the decomposition reports the failure
            outcomes.append(RunOutcome(spec.content_hash, None, None,
                                       f"{type(error).__name__}: {error}"))
    return outcomes


def run_quantities(result: Any) -> dict[str, float]:
    """A run's summary plus :data:`EXTRA_QUANTITIES`: the final window's mean defect rate
    (what the voice-of-customer loop has fixed shows there) and mean effective silo
    strength (how much context a handoff loses scales with it)."""
    summary = result.summary()
    window = result.window("final")
    for name, column in EXTRA_QUANTITIES.items():
        summary[name] = float(window[column].mean()) if len(window) else math.nan
    return summary


def _lost_task(task: CoalitionTask, error: BaseException) -> list[RunOutcome]:
    return [RunOutcome(s.content_hash, None, None, f"{type(error).__name__}: {error}")
            for s in task.specs]


@dataclass(frozen=True)
class _StoreSpec:
    """What the sweep store keeps in its manifest about a responsibility analysis."""

    definition: dict[str, Any]
    keys: list[str]
    metrics: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return self.definition


#: What every run keeps in the store (so any metric can be decomposed later).
STORED_QUANTITIES = tuple(dict.fromkeys(METRICS + tuple(EXTRA_QUANTITIES)
                                        + tuple(q for q, _ in CHANNELS.values())))


# ---------------------------------------------------------------------- the analysis


@dataclass
class ResponsibilityResult:
    """The responsibility map of one scenario.

    Attributes:
        table: one row per metric and group, and a total row per metric
            (:data:`TABLE_COLUMNS`): contribution in the metric's unit with its 95% CI,
            share of the gap with its CI, the sampling standard error, the main channel
            and the group's share of each channel's gap (``via_*``), and the metric
            configured and with every group switched.
        interactions: one row per metric and pair of groups (:data:`INTERACTION_COLUMNS`).
        runs: one row per coalition run (``point`` is the coalition's mask, one
            ``group:<name>`` 0/1 column per group), as :func:`~cxsim.experiments.store.load_sweep`.
    """

    scenario: str
    by: str
    reference: str
    groups: list[str]
    metrics: tuple[str, ...]
    seeds: list[int]
    method: str
    permutations: int
    table: pd.DataFrame
    interactions: pd.DataFrame
    runs: pd.DataFrame
    failed: int = 0
    definition: dict[str, Any] = field(default_factory=dict)
    #: The store it was read from by :func:`load_responsibility` (None: computed here).
    source: str | None = None

    def save(self, out: str | Path) -> list[Path]:
        """Write ``responsibility.csv`` and ``interactions.csv`` to ``out`` (each whole or
        absent); returns the paths."""
        from cxsim.experiments.store import write_file_atomically

        root = Path(out)
        root.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, frame in (("responsibility.csv", self.table),
                            ("interactions.csv", self.interactions)):
            path = root / name
            write_file_atomically(path, frame.to_csv(index=False).encode())
            paths.append(path)
        return paths


def responsibility(scenario: Scenario | str | Path, *, by: str = "department",
                   metrics: Iterable[str] | str | None = None, replicates: int = 10,
                   reference: str = "lagging", groups: Iterable[str] | str | None = None,
                   method: str = "auto", permutations: int = DEFAULT_PERMUTATIONS,
                   interactions: bool = True, seed: int | None = None,
                   overrides: Mapping[str, Any] | None = None, start: int = 0,
                   workers: int | None = None, scheduler: str | None = None,
                   out: str | Path | None = None,
                   progress: bool = False) -> ResponsibilityResult:
    """The responsibility map: each group's Shapley share of the gap between ``scenario``
    as configured and every group switched to ``reference`` (see the module docs).

    Args:
        scenario: a :class:`Scenario`, a library scenario's name or a scenario file.
        by: ``department``, ``level`` or ``department,level``.
        metrics: summary metrics to decompose (default :data:`DEFAULT_METRICS`).
        replicates: seeds ``seed, seed + 1, ...`` (at least 2); every coalition of a
            replicate runs with its seed (common random numbers).
        reference: ``lagging`` (what each group's current practice carries) or
            ``frontier`` (what bringing each group to the frontier would add).
        groups: names of the groups to decompose (default: every group of ``by``).
        method, permutations, interactions: see :func:`plan_coalitions`.
        seed: seed of replicate 0 (default: the scenario's, else 1).
        overrides: flat parameter overrides applied to the scenario.
        start: intervention day the groups are switched (default 0: the end of the
            warm-up).
        workers, scheduler: the sweep backends (:mod:`cxsim.experiments.backends`).
        out: a sweep store (new, empty, or this analysis's earlier store: finished runs
            are kept and only the missing ones run); None keeps the runs in memory.
        progress: show a progress bar.

    Raises:
        ParameterError: bad input, before any run starts.
    """
    from cxsim.experiments import backends
    from cxsim.experiments.store import Store, check_store_dir, load_sweep

    setup = _setup(scenario, by=by, metrics=metrics, replicates=replicates,
                   reference=reference, groups=groups, method=method,
                   permutations=permutations, interactions=interactions, seed=seed,
                   overrides=overrides, start=start)
    if workers is not None:
        workers = backends.check_workers(workers, "--workers")
    if scheduler is not None:
        scheduler = backends.check_scheduler(scheduler)
    runs: list[SweepRun] = setup["runs"]
    spec = _StoreSpec(setup["definition"], [GROUP_COLUMN + g.name for g in setup["groups"]],
                      STORED_QUANTITIES)
    digest = hashlib.sha256(json.dumps({"definition": setup["definition"],
                                        "runs": [r.spec.content_hash for r in runs]},
                                       sort_keys=True).encode()).hexdigest()
    if out is not None:
        check_store_dir(Path(out), digest)
    rows: list[dict[str, Any]] = []
    with backends.start(workers=workers, scheduler=scheduler) as backend:
        store = Store.open(out, spec, runs, digest) if out is not None else None
        done = store.done if store is not None else set()
        todo = [r for r in runs if r.spec.content_hash not in done]
        by_hash = {r.spec.content_hash: r for r in runs}
        tasks = _tasks(todo, workers or (2 if scheduler else backends.default_workers()))
        bar = _progress(len(runs), len(runs) - len(todo), progress)
        try:
            for outcomes in backend.map(run_coalition_task, tasks, _lost_task):
                for outcome in outcomes:
                    run = by_hash[outcome.spec_hash]
                    if store is not None:
                        store.write(run, outcome)
                    else:
                        rows.append(_memory_row(run, outcome, spec))
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
    frame = load_sweep(out) if out is not None else _memory_frame(rows, spec)
    return _analyse(setup, frame)


def plan_runs(scenario: Scenario | str | Path, **options: Any) -> list[RunSpec]:
    """The run specs :func:`responsibility` would run (same options but the backend
    ones), checked; nothing runs."""
    return [r.spec for r in _setup(scenario, **options)["runs"]]


def load_responsibility(out: str | Path, *, metrics: Iterable[str] | str | None = None,
                        scenarios: Sequence[Scenario] | None = None,
                        overrides: Mapping[str, Any] | None = None) -> ResponsibilityResult:
    """The responsibility map stored at ``out`` (the ``--out`` store of ``cxsim
    responsibility``, or :func:`responsibility`'s ``out``), decomposed again from its runs
    (the store keeps every summary metric, so ``metrics`` may differ from the ones first
    printed; default :data:`DEFAULT_METRICS`). Every planned run must be done.

    With ``scenarios``, the store must hold exactly the runs that :func:`responsibility`
    plans for one of them (``overrides`` applied): the same organisation, size, seeds and
    groups, checked run by run by content hash; the result is named after that scenario.

    Raises:
        ParameterError: not such a store, runs missing or failed, or (with ``scenarios``)
            a decomposition of none of them.
    """
    from cxsim.experiments.store import MANIFEST, load_sweep, read_manifest, store_status

    root = Path(out)
    flag = "--responsibility-from"
    if not (root / MANIFEST).is_file():
        raise ParameterError(f"{flag} = {str(root)!r} is not allowed: no {MANIFEST} there; "
                             "expected the --out directory of cxsim responsibility")
    manifest = read_manifest(root)
    definition = manifest.get("spec") or {}
    if not isinstance(definition, dict) or definition.get("format") != FORMAT:
        name = definition.get("name", "?") if isinstance(definition, dict) else "?"
        raise ParameterError(f"{flag} = {str(root)!r} is not allowed: it holds a sweep "
                             f"({name!r}), not a responsibility map; expected the --out "
                             "directory of cxsim responsibility")
    if not _well_formed(manifest, definition):
        raise ParameterError(f"{flag} = {str(root)!r} is not allowed: its {MANIFEST} is "
                             "damaged (fields missing or of the wrong kind); expected one "
                             "written by cxsim responsibility")
    status = store_status(root)
    if status.done < status.total:
        raise ParameterError(
            f"{flag} = {str(root)!r} is not allowed: {status.done} of {status.total} runs "
            f"are done ({len(status.failed)} failed); finish it by running the same cxsim "
            "responsibility command with --out again")
    name = definition["scenario"]
    if scenarios is not None:
        name = _stored_scenario(root, manifest, definition, scenarios, overrides)
    plan = plan_coalitions(len(definition["groups"]), definition["replicates"],
                           method=definition["method"],
                           permutations=definition["permutations"] or DEFAULT_PERMUTATIONS,
                           seed=definition["seed"], interactions=definition["interactions"])
    setup = {"name": name, "by": definition["by"], "metrics": check_metrics(metrics),
             "reference": definition["reference"], "plan": plan, "seed": definition["seed"],
             "permutations": definition["permutations"] or DEFAULT_PERMUTATIONS,
             "definition": definition}
    result = _analyse(setup, load_sweep(root))
    result.source = str(root)
    return result


def _well_formed(manifest: Mapping[str, Any], definition: Mapping[str, Any]) -> bool:
    """Whether a store's manifest has every field :func:`load_responsibility` reads."""
    kinds = {"scenario": str, "by": str, "groups": list, "reference": str, "method": str,
             "interactions": bool, "replicates": int, "seed": int, "start": int}
    return (isinstance(manifest.get("runs"), list)
            and all(isinstance(definition.get(key), kind) for key, kind in kinds.items())
            and isinstance(definition.get("permutations"), (int, type(None)))
            and definition["by"] in GROUPINGS and definition["reference"] in REFERENCES
            and len(definition["groups"]) >= 2)


def _stored_scenario(root: Path, manifest: Mapping[str, Any], definition: Mapping[str, Any],
                     scenarios: Sequence[Scenario],
                     overrides: Mapping[str, Any] | None) -> str:
    """The name of the scenario among ``scenarios`` whose planned runs are the store's."""
    stored = list(manifest["runs"])
    options = {key: definition[key] for key in ("by", "groups", "reference", "method",
                                                "interactions", "replicates", "seed",
                                                "start")}
    if definition["permutations"] is not None:
        options["permutations"] = definition["permutations"]
    for scenario in scenarios:
        try:
            planned = plan_runs(scenario, overrides=overrides, **options)
        except ParameterError:
            continue  # e.g. a structure without the stored groups
        if [spec.content_hash for spec in planned] == stored:
            return scenario.name
    names = ", ".join(repr(s.name) for s in scenarios)
    raise ParameterError(
        f"--responsibility-from = {str(root)!r} is not allowed: it decomposes "
        f"{definition['scenario']!r} (by {definition['by']}, {definition['replicates']} "
        f"replicates from seed {definition['seed']}) with other runs than the report's "
        f"scenarios ({names}) would have (another organisation, size or parameters); "
        "expected a map run with the report's scenario, size and --set overrides")


def _setup(scenario: Scenario | str | Path, *, by: str = "department",
           metrics: Iterable[str] | str | None = None, replicates: int = 10,
           reference: str = "lagging", groups: Iterable[str] | str | None = None,
           method: str = "auto", permutations: int = DEFAULT_PERMUTATIONS,
           interactions: bool = True, seed: int | None = None,
           overrides: Mapping[str, Any] | None = None, start: int = 0) -> dict[str, Any]:
    """Every check and the planned runs, before anything runs."""
    if not isinstance(scenario, Scenario):
        if not isinstance(scenario, (str, Path)):
            raise ParameterError(f"scenario = {scenario!r} is not allowed: expected a "
                                 "Scenario, a library scenario's name or a scenario file")
        scenario = load_scenario(scenario)
    by = check_grouping(by)
    metrics = check_metrics(metrics)
    replicates = check_replicates(replicates)
    reference = check_reference(reference)
    if seed is None:
        seed = scenario.seed if scenario.seed is not None else 1
    seed = check_count(seed, "--seed", 0, 2**62)
    start = check_count(start, "--start", 0, 3650)
    if not isinstance(overrides, (Mapping, type(None))):
        raise ParameterError(f"overrides = {overrides!r} is not allowed: expected a mapping "
                             "of parameter keys to values")
    config = scenario.config.with_overrides(dict(overrides or {}))
    chosen = select_groups(groups_of(scenario.structure, by), groups, by)
    plan = plan_coalitions(len(chosen), replicates, method=method, permutations=permutations,
                           seed=seed, interactions=interactions)
    base = list(scenario.interventions)
    by_mask: dict[int, RunSpec] = {}
    runs = []
    for r in range(replicates):
        for mask in plan.coalitions(r):
            if mask not in by_mask:
                members = [g for i, g in enumerate(chosen) if mask >> i & 1]
                by_mask[mask] = RunSpec.build(
                    config, seed=seed, structure=scenario.structure, scenario=scenario.name,
                    interventions=base + [g.practice(reference, start) for g in members])
            values = tuple(float(mask >> i & 1) for i in range(len(chosen)))
            runs.append(SweepRun(mask, r, values, by_mask[mask].replace(seed=seed + r)))
    definition = {"format": FORMAT, "name": f"responsibility of "
                  f"{scenario.name}", "scenario": scenario.name, "by": by,
                  "groups": [g.name for g in chosen], "reference": reference,
                  "method": plan.method, "permutations": permutations if
                  plan.method == "sampling" else None, "interactions": plan.interactions,
                  "replicates": replicates, "seed": seed, "start": start}
    return {"scenario": scenario, "name": scenario.name, "by": by, "metrics": metrics,
            "reference": reference,
            "groups": chosen, "plan": plan, "seed": seed, "runs": runs,
            "definition": definition, "permutations": permutations}


def _tasks(todo: list[SweepRun], workers: int) -> list[CoalitionTask]:
    """The runs to do in tasks of one seed each, split so every worker has several
    (about 4 per worker) and no task holds more than 64 runs."""
    by_seed: dict[int, list[RunSpec]] = {}
    for run in todo:
        by_seed.setdefault(run.spec.seed, []).append(run.spec)
    if not by_seed:
        return []
    pieces = max(1, math.ceil(4 * workers / len(by_seed)))
    tasks = []
    for seed in sorted(by_seed):
        specs = by_seed[seed]
        size = min(64, max(1, math.ceil(len(specs) / pieces)))
        tasks += [CoalitionTask(tuple(specs[i:i + size])) for i in range(0, len(specs), size)]
    return tasks


def _memory_row(run: SweepRun, outcome: RunOutcome, spec: _StoreSpec) -> dict[str, Any]:
    row: dict[str, Any] = {"point": run.point, "replicate": run.replicate,
                           "seed": run.spec.seed, "spec_hash": run.spec.content_hash,
                           "status": "failed" if outcome.error else "done",
                           "error": outcome.error}
    row.update(zip(spec.keys, run.values))
    summary = outcome.summary or {}
    row.update({m: float(summary.get(m, math.nan)) for m in spec.metrics})
    return row


def _memory_frame(rows: list[dict[str, Any]], spec: _StoreSpec) -> pd.DataFrame:
    columns = (["point", "replicate", "seed", "spec_hash", "status", "error"] + spec.keys
               + list(spec.metrics))
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def _analyse(setup: dict[str, Any], frame: pd.DataFrame) -> ResponsibilityResult:
    """The decomposition of every metric from the coalition runs in ``frame``."""
    plan: CoalitionPlan = setup["plan"]
    names = list(setup["definition"]["groups"])
    indexed = frame.set_index(["point", "replicate"])
    failed = int((frame["status"] != "done").sum())

    def lookup(quantity: str) -> Callable[[int, int], float]:
        known = indexed[quantity].to_dict() if quantity in indexed else {}

        def value(mask: int, replicate: int) -> float:
            return float(known.get((mask, replicate), math.nan))  # NaN: failed or missing
        return value

    channels = {name: lookup(quantity) for name, (quantity, _) in CHANNELS.items()}
    tables, pairs = [], []
    for metric in setup["metrics"]:
        table, pair = decompose(
            lookup(metric), names, plan.replicates, method=plan.method,
            permutations=setup["permutations"], seed=setup["seed"],
            interactions=plan.interactions, metric=metric,
            unit=SUMMARY_UNITS.get(metric, "count"),
            orientation=ORIENTATION[setup["reference"]], channels=channels)
        tables.append(table)
        pairs.append(pair)
    seeds = [setup["seed"] + r for r in range(plan.replicates)]
    return ResponsibilityResult(
        scenario=setup["name"], by=setup["by"], reference=setup["reference"],
        groups=names, metrics=setup["metrics"], seeds=seeds, method=plan.method,
        permutations=setup["permutations"] if plan.method == "sampling" else 0,
        table=pd.concat(tables, ignore_index=True),
        interactions=pd.concat(pairs, ignore_index=True), runs=frame, failed=failed,
        definition=setup["definition"])


def _progress(total: int, done: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="run", desc="cxsim responsibility",
                leave=False)


__all__ = ["CHANNELS", "DEFAULT_METRICS", "EXACT_LIMIT", "GROUPINGS", "REFERENCES", "Group",
           "ResponsibilityResult", "decompose", "groups_of", "load_responsibility",
           "plan_coalitions", "plan_runs", "responsibility", "shapley"]
