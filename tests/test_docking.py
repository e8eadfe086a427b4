"""Docking: the array engine (CXModel) and the per-agent reference model
(cxsim.reference.ReferenceModel) agree in distribution.

For each scenario both implementations run REPLICATES seeds at a small size. For
each headline metric of ``Result.summary()`` the comparison requires

* means within tolerance: ``|mean_engine - mean_reference| <= K_SE * sqrt(se_e^2 + se_r^2)``
  (``se`` = standard error of the replicate mean; a Welch-style bound);
* distributions not distinguishable: two-sample Kolmogorov-Smirnov p-value >= ALPHA.

Multiple comparisons: SCENARIOS x METRICS = 42 comparisons, each with a false-alarm
probability of about 0.001 (Welch |t| > 4 at about 18 degrees of freedom: 0.0008;
KS at n = 10: about 0.0002), so about 4% for the whole family if two correct
implementations were run on fresh seeds (Bonferroni bound). Seeds are fixed, so the
outcome is deterministic. The teeth check: an engine with one effect deliberately
broken must fail the same comparison. See docs/docking.md.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from cxsim.core import dynamics as dyn
from cxsim.engine.model import CXModel
from cxsim.reference import ReferenceModel
from cxsim.results import Result

#: Small organisation: every department, level and touchpoint; about a second per
#: reference run. Summaries cover the last 30 days (run.summary_window_days).
SIZE = dict(n_employees=60, n_customers=1500, burn_in_days=20, days=45)
REPLICATES = 10
SEEDS = tuple(range(1, REPLICATES + 1))
METRICS = ("csat", "nps", "fcr", "engagement_mean", "churn_rate", "revenue")
#: Tolerance on means, in standard errors of the difference.
K_SE = 4.0
#: Level of the two-sample Kolmogorov-Smirnov test per metric.
ALPHA = 0.001

#: name -> (parameters, interventions); interventions start at the end of the warm-up.
SCENARIOS: dict[str, tuple[dict, list[dict]]] = {
    "baseline": ({}, []),
    # silos that matter: most problems need another department and handoffs lose context
    "high_silos": ({"silo_strength": 0.95, "handoff_need": 0.8, "context_loss": 0.9}, []),
    "training": ({}, [{"type": "training", "hours": 16, "refresh_days": 30}]),
    "empowerment": ({}, [{"type": "empowerment", "intensity": 0.9, "ramp_days": 20,
                          "levels": ["frontline"]}]),
    "empowerment_with_guidelines": ({}, [{"type": "empowerment", "intensity": 0.9,
                                          "ramp_days": 20, "levels": ["frontline"],
                                          "guidelines": True}]),
    "shock": ({}, [{"type": "layoffs", "intensity": 0.25},
                   {"type": "reorganisation", "intensity": 0.8, "ramp_days": 30}]),
    # every other intervention once, so each part of the interface interventions use runs
    "culture_programme": ({}, [
        {"type": "leadership_commitment", "ramp_days": 20},
        {"type": "coaching", "ramp_days": 20},
        {"type": "collaboration", "ramp_days": 20},
        {"type": "accountability", "ramp_days": 20},
        {"type": "shared_metrics", "ramp_days": 20},
        {"type": "crm", "ramp_days": 20},
        {"type": "voc_loop", "ramp_days": 20},
        {"type": "recognition", "interval_days": 15},
        {"type": "hiring"},
        {"type": "guidelines", "levels": ["frontline"]},
        {"type": "budget_cut", "start": 30, "duration": 20, "intensity": 0.5},
    ]),
}


# --- deliberately broken engines (the teeth check) ------------------------------------------


class EngineWithSilosInverted(CXModel):
    """Broken on purpose: each department's silo strength is replaced by 1 minus it,
    so strong silos behave like an open organisation (handoffs, information, pain points)."""

    def _refresh_network_arrays(self) -> None:
        super()._refresh_network_arrays()
        self.department_silo = 1.0 - self.department_silo


class EngineWithTrainingInverted(CXModel):
    """Broken on purpose: a training session lowers skill by what it should add."""

    def train(self, who: np.ndarray, hours: float) -> None:
        before = self.skill[who].copy()
        super().train(who, hours)
        self.skill[who] = dyn.clip01(2.0 * before - self.skill[who])


IMPLEMENTATIONS: dict[str, type] = {
    "engine": CXModel,
    "reference": ReferenceModel,
    "engine_silos_inverted": EngineWithSilosInverted,
    "engine_training_inverted": EngineWithTrainingInverted,
}
#: (broken engine, scenario where the broken effect matters)
TEETH = (("engine_silos_inverted", "high_silos"), ("engine_training_inverted", "training"))


def replicate(implementation: str, scenario: str, seed: int) -> dict[str, float]:
    """Run one seed of a scenario on one implementation; its headline summary."""
    parameters, interventions = SCENARIOS[scenario]
    model = IMPLEMENTATIONS[implementation](rng=seed, interventions=interventions, **SIZE,
                                            **parameters)
    model.run()
    summary = Result(model, seed).summary()
    return {metric: summary[metric] for metric in METRICS}


# --- the comparison --------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricComparison:
    """Engine against reference on one metric over the replicates."""

    metric: str
    engine_mean: float
    reference_mean: float
    tolerance: float  #: K_SE standard errors of the difference of means
    ks_pvalue: float

    @property
    def means_agree(self) -> bool:
        return abs(self.engine_mean - self.reference_mean) <= self.tolerance

    @property
    def distributions_agree(self) -> bool:
        return self.ks_pvalue >= ALPHA

    @property
    def agrees(self) -> bool:
        return self.means_agree and self.distributions_agree


def compare(engine: list[dict[str, float]], reference: list[dict[str, float]],
            metrics: tuple[str, ...] = METRICS) -> list[MetricComparison]:
    """Compare replicate summaries metric by metric (Welch-style tolerance and KS test)."""
    out = []
    for metric in metrics:
        a = np.array([run[metric] for run in engine], dtype=float)
        b = np.array([run[metric] for run in reference], dtype=float)
        assert np.isfinite(a).all() and np.isfinite(b).all(), metric
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        out.append(MetricComparison(metric, float(a.mean()), float(b.mean()), K_SE * se,
                                    float(stats.ks_2samp(a, b).pvalue)))
    return out


def report(title: str, comparisons: list[MetricComparison]) -> str:
    """A table of the comparisons, one line per metric."""
    lines = [f"{title} ({REPLICATES} replicates each; tolerance = {K_SE:g} SE; "
             f"KS alpha = {ALPHA:g})",
             f"{'metric':<16}{'engine':>14}{'reference':>14}{'difference':>12}"
             f"{'tolerance':>12}{'KS p':>10}  verdict"]
    for c in comparisons:
        verdict = "agree" if c.agrees else (
            "DIFFER" + (" (means)" if not c.means_agree else "")
            + (" (KS)" if not c.distributions_agree else ""))
        lines.append(f"{c.metric:<16}{c.engine_mean:>14.6g}{c.reference_mean:>14.6g}"
                     f"{c.engine_mean - c.reference_mean:>12.3g}{c.tolerance:>12.3g}"
                     f"{c.ks_pvalue:>10.3g}  {verdict}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], list[dict[str, float]]]:
    """Every replicate of every (implementation, scenario) the tests need, on 2 workers.

    The slow reference runs are queued first so both workers stay busy to the end.
    """
    pairs = [("reference", s) for s in SCENARIOS] + [("engine", s) for s in SCENARIOS]
    pairs += list(TEETH)
    jobs = [(implementation, scenario, seed) for implementation, scenario in pairs
            for seed in SEEDS]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        summaries = list(pool.map(replicate, *zip(*jobs)))
    out: dict[tuple[str, str], list[dict[str, float]]] = {}
    for (implementation, scenario, _), summary in zip(jobs, summaries):
        out.setdefault((implementation, scenario), []).append(summary)
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_engine_and_reference_agree_in_distribution(runs, scenario):
    comparisons = compare(runs["engine", scenario], runs["reference", scenario])
    table = report(f"scenario {scenario}: engine vs reference", comparisons)
    print("\n" + table)
    assert all(c.agrees for c in comparisons), table


@pytest.mark.parametrize(("broken", "scenario"), TEETH)
def test_docking_detects_a_broken_engine(runs, broken, scenario):
    """The same comparison has teeth: it reports the broken engine as different."""
    comparisons = compare(runs[broken, scenario], runs["reference", scenario])
    table = report(f"scenario {scenario}: {broken} vs reference", comparisons)
    print("\n" + table)
    assert not all(c.agrees for c in comparisons), table


def test_comparison_flags_a_shift_and_passes_identical_samples():
    rng = np.random.default_rng(0)
    base = [{"x": v} for v in rng.normal(0.0, 1.0, REPLICATES)]
    same = compare(base, [{"x": v} for v in rng.normal(0.0, 1.0, REPLICATES)], ("x",))
    shifted = compare(base, [{"x": v} for v in rng.normal(5.0, 1.0, REPLICATES)], ("x",))
    assert same[0].agrees
    assert not shifted[0].means_agree and not shifted[0].distributions_agree
