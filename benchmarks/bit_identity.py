"""Bit-identity check of the engine: save every output of a few runs, or compare a new
engine's outputs with saved ones to the last bit.

For speed work on the engine: an optimisation must not change a single number. Save the
outputs of the engine before the change, then check the engine after it:

    python benchmarks/bit_identity.py save /tmp/cxsim-outputs    # before
    python benchmarks/bit_identity.py check /tmp/cxsim-outputs   # after: exit 1 on a difference

The runs (small organisations, a 200-day warm-up and 200 days, a few seconds each): the
library's baseline, a siloed organisation, empowerment (p06), CX in support (p13), a
culture programme (leadership, coaching, shared metrics, recognition), training,
layoffs and a reorganisation; each with every frame recorded. Then forks of one warm-up
(the responsibility map's path, summary-only and full recording), five coalitions of the
responsibility map by department (their group practices, summary-only), and a short run of the
per-agent reference model (it shares the Recorder and the interventions' daily path).
Compared exactly (NaN equal to NaN): every frame of each Result (daily, departments,
touchpoints, teams), its summary, cohorts and churn by outcome, and every numpy array of
the final model.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SIZE = {"n_employees": 100, "n_customers": 2_000, "burn_in_days": 200, "days": 200}
REFERENCE_SIZE = {"n_employees": 60, "n_customers": 600, "burn_in_days": 60, "days": 150}
SCENARIOS = ("baseline", "silo_ladder_80", "p06_empowerment", "p13_cx_in_support",
             "combo_culture_programme", "training", "layoffs_shock", "reorganisation_shock")
#: Interventions of the fork cases (forked from one warm-up of the baseline).
FORKS = ("p06_empowerment", "combo_culture_programme", "layoffs_shock")
#: Coalitions of the responsibility map by department (of 256) run as fork cases.
COALITIONS = (0, 37, 128, 201, 255)
COALITION_SIZE = {"organisation.n_employees": 100, "customers.n_customers": 2_000,
                  "run.burn_in_days": 200, "run.days": 200}


def model_arrays(model) -> dict[str, str]:
    """A digest of every numpy array attribute of a model (its final state)."""
    out = {}
    for name, value in sorted(vars(model).items()):
        if isinstance(value, np.ndarray):
            out[name] = f"{value.dtype}{value.shape}:" + hashlib.sha256(
                np.ascontiguousarray(value).tobytes()).hexdigest()
    return out


def result_outputs(result, model) -> dict:
    frames = {name: getattr(result, name) for name in ("daily", "departments", "touchpoints",
                                                       "teams")}
    return {"frames": frames, "summary": result.summary(), "cohorts": result.cohorts,
            "churn_by_outcome": result.churn_by_outcome, "arrays": model_arrays(model)}


def outputs() -> dict[str, dict]:
    from cxsim.engine.model import CXModel
    from cxsim.experiments.scenarios import library, load_scenario
    from cxsim.reference.model import ReferenceModel
    from cxsim.results import FRAMES, Result

    paths = library()
    cases = {}
    for name in SCENARIOS:
        scenario = load_scenario(paths[name])
        model = CXModel(scenario.config, interventions=scenario.interventions,
                        structure=scenario.structure, rng=scenario.seed, **SIZE)
        model.run()
        cases[name] = result_outputs(Result(model, scenario.seed, record=FRAMES), model)
        print(f"ran {name}", flush=True)
    base = load_scenario(paths["baseline"])
    parent = CXModel(base.config, structure=base.structure, rng=7, **SIZE).run_warm_up()
    for name in FORKS:
        tables = [iv.to_dict() for iv in load_scenario(paths[name]).interventions]
        for mode in ("summary_only", "full"):
            child = parent.fork(tables)
            if mode == "summary_only":
                child.recorder.summary_only()
            child.run()
            record = () if mode == "summary_only" else FRAMES
            cases[f"fork {name} {mode}"] = result_outputs(Result(child, 7, record=record),
                                                          child)
        print(f"ran fork {name}", flush=True)
    # coalitions of the responsibility map: group practices on a fork of one warm-up
    from cxsim.experiments.responsibility import plan_runs, run_quantities
    from cxsim.experiments.specs import result_of
    specs = plan_runs("baseline", by="department", replicates=2, overrides=COALITION_SIZE)
    parent = CXModel(specs[0].config, structure=specs[0].structure_tables,
                     rng=specs[0].seed).run_warm_up()
    for index in COALITIONS:
        child = parent.fork(specs[index].intervention_tables)
        child.recorder.summary_only()
        child.run()
        result = result_of(child, specs[index])
        cases[f"coalition {index}"] = {**result_outputs(result, child),
                                       "summary": run_quantities(result)}
    print("ran coalitions", flush=True)
    # the per-agent reference model shares the Recorder and the interventions' daily path
    scenario = load_scenario(paths["combo_culture_programme"])
    model = ReferenceModel(scenario.config, interventions=scenario.interventions,
                           structure=scenario.structure, rng=3, **REFERENCE_SIZE)
    model.run()
    cases["reference combo_culture_programme"] = result_outputs(Result(model, 3), model)
    print("ran reference", flush=True)
    return cases


def differences(saved: dict, new: dict) -> list[str]:
    problems = []
    for case, want in saved.items():
        got = new.get(case)
        if got is None:
            problems.append(f"{case}: missing")
            continue
        for name, frame in want["frames"].items():
            other = got["frames"][name]
            if frame is None or other is None:
                if (frame is None) != (other is None):
                    problems.append(f"{case}: frame {name} present in only one")
                continue
            try:
                pd.testing.assert_frame_equal(frame, other, check_exact=True)
            except AssertionError as error:
                problems.append(f"{case}: frame {name}: {str(error).splitlines()[0:3]}")
        for key in ("cohorts", "churn_by_outcome"):
            if want[key] != got[key]:
                problems.append(f"{case}: {key} differ")
        for key, value in want["summary"].items():
            other = got["summary"].get(key)
            same = (value == other or (isinstance(value, float) and isinstance(other, float)
                                       and np.isnan(value) and np.isnan(other)))
            if not same:
                problems.append(f"{case}: summary {key}: {value!r} != {other!r}")
        for key, digest in want["arrays"].items():
            if got["arrays"].get(key) != digest:
                problems.append(f"{case}: final model array {key} differs")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    path = args.directory / "outputs.pickle"
    new = outputs()
    if args.action == "save":
        args.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(new))
        print(f"saved {len(new)} cases to {path}")
        return 0
    problems = differences(pickle.loads(path.read_bytes()), new)
    for line in problems:
        print(line)
    print(f"{len(new)} cases: " + ("BIT-IDENTICAL" if not problems
                                   else f"{len(problems)} DIFFERENCES"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
