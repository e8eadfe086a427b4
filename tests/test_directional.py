"""Directional claims of the model, over replicates with common seeds.

Each test compares the mean over SEEDS of a paired difference (same seed with and
without the change) with a margin chosen well inside the observed effect; see the
``measure_*`` functions, which also serve the seed-spread check of the margins.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import pooled, run_model, simulated_days

from cxsim.engine.interventions import CXTraining

SEEDS = tuple(range(6))

SILO_RUN = dict(n_employees=150, n_customers=8000, burn_in_days=20, days=100)
TRAINING_RUN = dict(n_employees=150, n_customers=8000, burn_in_days=20, days=120)
STRAIN_RUN = dict(n_employees=150, n_customers=7500, burn_in_days=20, days=120)


def measure_silos(seed: int) -> dict[str, float]:
    """CSAT and FCR over the whole run at low minus high silo strength."""
    out = {}
    for silo in (0.1, 0.9):
        daily = simulated_days(run_model(seed, silo_strength=silo, **SILO_RUN).daily)
        out[silo] = (pooled(daily, "csat_top2", "responses"),
                     pooled(daily, "resolved_first", "first_contacts"))
    return {"csat": out[0.1][0] - out[0.9][0], "fcr": out[0.1][1] - out[0.9][1]}


def measure_training(seed: int) -> dict[str, float]:
    """Mean skill and FCR after the first 20 intervention days, trained minus untrained."""
    out = {}
    for trained in (False, True):
        ivs = [CXTraining(hours=24)] if trained else []
        daily = run_model(seed, ivs, **TRAINING_RUN).daily
        daily = daily[daily["intervention_day"] >= 20]
        out[trained] = (daily["skill_mean"].mean(),
                        pooled(daily, "resolved_first", "first_contacts"))
    return {"skill": out[True][0] - out[False][0], "fcr": out[True][1] - out[False][1]}


def measure_strain(seed: int) -> dict[str, float]:
    """Burnout and quits with very little contact capacity versus plenty."""
    out = {}
    for capacity in (1.0, 20.0):
        daily = simulated_days(run_model(seed, contact_capacity=capacity, **STRAIN_RUN).daily)
        out[capacity] = (daily["burnout_share"].mean(), daily["strain_mean"].mean(),
                         daily["quits"].sum())
    low, high = out[1.0], out[20.0]
    return {"burnout": low[0] - high[0], "strain": low[1] - high[1],
            "quits": low[2] - high[2], "quits_overloaded": low[2], "quits_relaxed": high[2]}


def _over_seeds(measure) -> dict[str, float]:
    rows = [measure(seed) for seed in SEEDS]
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}


@pytest.fixture(scope="module")
def silos():
    return _over_seeds(measure_silos)


@pytest.fixture(scope="module")
def training():
    return _over_seeds(measure_training)


@pytest.fixture(scope="module")
def strain():
    return _over_seeds(measure_strain)


def test_silos_lower_csat(silos):
    assert silos["csat"] > 0.015


def test_silos_lower_first_contact_resolution(silos):
    assert silos["fcr"] > 0.02


def test_training_raises_skill(training):
    assert training["skill"] > 0.08


def test_training_raises_first_contact_resolution(training):
    assert training["fcr"] > 0.02


def test_load_without_capacity_burns_people_out(strain):
    assert strain["strain"] > 0.15
    assert strain["burnout"] > 0.15


def test_load_without_capacity_raises_turnover(strain):
    assert strain["quits"] > 5
    assert strain["quits_overloaded"] > 1.3 * strain["quits_relaxed"]
