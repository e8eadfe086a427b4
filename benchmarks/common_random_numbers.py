"""How well common random numbers pair a scenario with its baseline.

For each seed the warm-up is run once (``CXModel.run_warm_up``) and forked into the
baseline and each scenario (``CXModel.fork``), so all of them share the seed and the
warm-up. For each headline metric of ``Result.summary()`` the script prints

    ratio = sd(scenario_s - baseline_s) / sqrt(var(scenario) + var(baseline))

over the seeds ``s``: the spread of the paired difference (same seed) relative to the
spread of the difference of two independent runs. 1 means pairing removes no noise;
the target is at most 0.5 (goal 0.3). Scenarios: frontline CX training (``CXTraining``
for the frontline) and breaking silos (the intervention of
``experiments/scenarios/breaking_silos.toml``: cross-functional collaboration with three
added ties per employee, journey owners and a CX council).

    python benchmarks/common_random_numbers.py                 # 30 seeds, default size
    python benchmarks/common_random_numbers.py --small         # 200 employees, 10,000 customers
    python benchmarks/common_random_numbers.py --seeds 40 --workers 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

METRICS = ("csat", "nps", "fcr", "churn_rate", "revenue")
TARGET, GOAL = 0.5, 0.3
SMALL = {"n_employees": 200, "n_customers": 10_000}


def scenarios() -> dict[str, list]:
    """Scenario name -> interventions (the baseline has none)."""
    from cxsim.engine.interventions import CrossFunctionalCollaboration, CXTraining

    return {
        "training_frontline": [CXTraining(levels=("frontline",))],
        "breaking_silos": [CrossFunctionalCollaboration(start=0, added_ties=3.0,
                                                        journey_owners=True, cx_council=True)],
    }


def summaries_for_seed(seed: int, size: dict) -> dict[str, dict[str, float]]:
    """Headline summaries of the baseline and every scenario for one seed, from one
    shared warm-up (top level so that it pickles for worker processes)."""
    import cxsim

    parent = cxsim.CXModel(rng=seed, **size).run_warm_up()
    out = {}
    for name, interventions in {"baseline": [], **scenarios()}.items():
        model = parent.fork(interventions).run()
        summary = cxsim.Result(model, seed).summary()
        out[name] = {metric: float(summary[metric]) for metric in METRICS}
    return out


def ratios(runs: list[dict[str, dict[str, float]]], scenario: str) -> dict[str, dict]:
    """Per metric: mean baseline, mean paired difference, the two spreads and their ratio."""
    table = {}
    for metric in METRICS:
        base = np.array([r["baseline"][metric] for r in runs])
        other = np.array([r[scenario][metric] for r in runs])
        paired = float(np.std(other - base, ddof=1))
        unpaired = math.sqrt(float(np.var(other, ddof=1) + np.var(base, ddof=1)))
        table[metric] = {"baseline_mean": float(base.mean()),
                         "difference_mean": float((other - base).mean()),
                         "sd_paired": paired, "sd_unpaired": unpaired,
                         "ratio": paired / unpaired if unpaired > 0 else float("nan")}
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="number of seeds (>= 3)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--small", action="store_true",
                        help=f"a small organisation ({SMALL['n_employees']} employees, "
                             f"{SMALL['n_customers']:,} customers) instead of the default")
    parser.add_argument("--employees", type=int, help="n_employees (overrides --small)")
    parser.add_argument("--customers", type=int, help="n_customers (overrides --small)")
    parser.add_argument("--days", type=int, help="days after the warm-up (default: the model's)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--json", help="also write the tables to this JSON file")
    args = parser.parse_args()
    if args.seeds < 3:
        parser.error(f"--seeds = {args.seeds} is not allowed: expected at least 3")
    if args.workers < 1:
        parser.error(f"--workers = {args.workers} is not allowed: expected at least 1")
    size = dict(SMALL) if args.small else {}
    if args.employees is not None:
        size["n_employees"] = args.employees
    if args.customers is not None:
        size["n_customers"] = args.customers
    if args.days is not None:
        size["days"] = args.days
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    start = time.perf_counter()
    if args.workers == 1:
        runs = [summaries_for_seed(seed, size) for seed in seeds]
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            runs = list(pool.map(summaries_for_seed, seeds, [size] * len(seeds)))
    elapsed = time.perf_counter() - start
    import cxsim

    label = ", ".join(f"{k}={v:,}" for k, v in size.items()) or "default organisation"
    print(f"common random numbers: {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), {label}; "
          f"warm-up shared by fork; cxsim at {os.path.dirname(cxsim.__file__)}; "
          f"{elapsed:.0f} s")
    print("ratio = sd(paired difference) / sd(unpaired difference); "
          f"target <= {TARGET}, goal <= {GOAL}")
    report = {}
    worst = 0.0
    for scenario in scenarios():
        table = ratios(runs, scenario)
        report[scenario] = table
        print(f"\n{scenario} minus baseline")
        print(f"{'metric':<12}{'baseline':>14}{'mean diff':>12}{'sd paired':>12}"
              f"{'sd unpaired':>13}{'ratio':>8}")
        for metric, row in table.items():
            worst = max(worst, row["ratio"])
            flag = "" if row["ratio"] <= TARGET else "  above target"
            print(f"{metric:<12}{row['baseline_mean']:>14.6g}{row['difference_mean']:>12.4g}"
                  f"{row['sd_paired']:>12.4g}{row['sd_unpaired']:>13.4g}"
                  f"{row['ratio']:>8.2f}{flag}")
    print(f"\nworst ratio {worst:.2f}: target {'met' if worst <= TARGET else 'MISSED'}, "
          f"goal {'met' if worst <= GOAL else 'not met'}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"seeds": seeds, "size": size, "ratios": report, "runs": runs}, handle,
                      indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
