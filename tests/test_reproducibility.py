"""Same seed and parameters, same results: in one process, across processes, and whichever
way the parameters are spelled."""

from __future__ import annotations

import json
import math
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest
from conftest import run_model, same_number

import cxsim
from cxsim.core.parameters import Config
from cxsim.engine.interventions import (
    CrossFunctionalCollaboration,
    CXTraining,
    Layoffs,
    Recognition,
)
from cxsim.experiments.scenarios import Scenario

PARAMS = dict(n_employees=80, n_customers=3000, burn_in_days=15, days=30)


def _interventions():
    return [CXTraining(levels=("frontline",)), Recognition(start=5),
            CrossFunctionalCollaboration(start=3), Layoffs(start=10, intensity=0.05)]


def _frames(result):
    return {"daily": result.daily, "departments": result.departments,
            "touchpoints": result.touchpoints, "teams": result.teams}


def _assert_same_results(a, b):
    for name, frame in _frames(a).items():
        pd.testing.assert_frame_equal(frame, _frames(b)[name], check_exact=True, obj=name)
    sa, sb = a.summary(), b.summary()
    assert sa.keys() == sb.keys()
    assert all(same_number(sa[k], sb[k]) for k in sa), [k for k in sa
                                                         if not same_number(sa[k], sb[k])]


def summary_in_worker(seed: int) -> tuple[dict, pd.DataFrame]:
    """Run in a worker process (top level so it pickles)."""
    result = cxsim.run(seed=seed, interventions=_interventions(), **PARAMS)
    return result.summary(), result.daily


@pytest.fixture(scope="module")
def reference():
    return {seed: cxsim.run(seed=seed, interventions=_interventions(), **PARAMS)
            for seed in (21, 22)}


def test_same_seed_same_config_gives_identical_frames(reference):
    again = cxsim.run(seed=21, interventions=_interventions(), **PARAMS)
    _assert_same_results(reference[21], again)


def test_different_seeds_differ(reference):
    a, b = reference[21].daily, reference[22].daily
    assert not a["csat"].equals(b["csat"])
    assert not a["engagement_mean"].equals(b["engagement_mean"])
    assert reference[21].summary()["revenue"] != reference[22].summary()["revenue"]


def test_parameter_spellings_give_identical_runs(reference):
    nested = {"run": {"burn_in_days": 15, "days": 30},
              "organisation": {"n_employees": 80}, "customers": {"n_customers": 3000}}
    by_config = cxsim.run(Config.from_nested(nested), seed=21, interventions=_interventions())
    by_mapping = cxsim.run(nested, seed=21, interventions=_interventions())
    by_tables = cxsim.run(seed=21, interventions=[iv.to_dict() for iv in _interventions()],
                          **PARAMS)
    for other in (by_config, by_mapping, by_tables):
        _assert_same_results(reference[21], other)


def test_model_and_run_api_agree(reference):
    result = run_model(21, _interventions(), **PARAMS)
    _assert_same_results(reference[21], result)


def test_inspecting_agents_does_not_change_the_run(reference):
    model = cxsim.CXModel(rng=21, interventions=_interventions(), **PARAMS)
    for _ in range(10):
        model.step()
        model.customer(int(model.day))  # create customer views along the way
        _ = [a.neighbours for a in list(model.agents)[:5] if hasattr(a, "neighbours")]
    model.run()
    pd.testing.assert_frame_equal(cxsim.Result(model, 21).daily, reference[21].daily)


def test_saved_config_reproduces_the_run(reference, tmp_path):
    out = reference[21].save(tmp_path / "run")
    saved = json.loads((out / "config.json").read_text())
    scenario = Scenario.from_dict({**saved["parameters"], "seed": saved["seed"],
                                   "interventions": saved["interventions"],
                                   "structure": saved["structure"]})
    again = cxsim.run(scenario.config, seed=scenario.seed,
                      interventions=scenario.interventions, structure=scenario.structure)
    _assert_same_results(reference[21], again)


def test_a_run_in_worker_processes_matches_in_process(reference):
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(summary_in_worker, [21, 22]))
    for seed, (summary, daily) in zip((21, 22), results):
        local = reference[seed].summary()
        assert summary.keys() == local.keys()
        for key, value in summary.items():
            assert same_number(value, local[key]), key
        pd.testing.assert_frame_equal(daily, reference[seed].daily, check_exact=True)
    assert not math.isclose(results[0][0]["revenue"], results[1][0]["revenue"])
