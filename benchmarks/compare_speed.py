"""Wall time of a comparison: the baseline and three library scenarios (training,
breaking silos, CRM), 20 replicates at the default size, with 1 and 2 workers.

Prints the wall time for each worker count, the speed-up and the issue's targets
(under 3 minutes with 2 workers; speed-up of at least 1.7x), and checks that both
worker counts give identical frames. The machine's load is printed too: other work on
the cores makes both times longer and the speed-up smaller.

    python benchmarks/compare_speed.py            # the issue's benchmark (several minutes)
    python benchmarks/compare_speed.py --quick    # a small size, 4 replicates (smoke test)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"
SCENARIOS = ("training.toml", "breaking_silos.toml", "crm.toml")
TARGET_SECONDS = 180.0
TARGET_SPEED_UP = 1.7


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small size, 4 replicates")
    parser.add_argument("--replicates", type=int, default=None)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # one thread per process: workers, not BLAS, use the cores

    import pandas as pd

    from cxsim.experiments.comparisons import compare
    from cxsim.experiments.scenarios import load_scenario

    baseline = load_scenario(LIBRARY / "baseline.toml")
    scenarios = [load_scenario(LIBRARY / name) for name in SCENARIOS]
    replicates = args.replicates or (4 if args.quick else 20)
    overrides = ({"organisation.n_employees": 200, "customers.n_customers": 10_000}
                 if args.quick else {})
    config = baseline.config.with_overrides(overrides)
    print(f"compare: baseline + {len(scenarios)} scenarios ({', '.join(SCENARIOS)}), "
          f"{replicates} replicates, {config.n_employees:,} employees, "
          f"{config.n_customers:,} customers, {config.burn_in_days} + {config.days} days; "
          f"{os.cpu_count()} cores, load average before: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    times, results = {}, {}
    for workers in (1, 2):
        start = time.perf_counter()
        results[workers] = compare(baseline, scenarios, replicates=replicates,
                                   workers=workers, seed=1, overrides=overrides)
        times[workers] = time.perf_counter() - start
        runs = replicates * (len(scenarios) + 1)
        print(f"  {workers} worker(s): {times[workers]:7.1f} s  "
              f"({runs} runs, {times[workers] / replicates:.2f} s per seed)  load average "
              + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    for name in ("runs", "summary", "economics", "economics_runs"):
        pd.testing.assert_frame_equal(getattr(results[1], name), getattr(results[2], name))
    speed_up = times[1] / times[2]
    print(f"  speed-up 1 -> 2 workers: {speed_up:.2f}x; identical output: yes")
    if not args.quick:
        print(f"  targets: 2 workers under {TARGET_SECONDS:.0f} s: "
              f"{'met' if times[2] < TARGET_SECONDS else 'NOT met'}; speed-up >= "
              f"{TARGET_SPEED_UP}x: {'met' if speed_up >= TARGET_SPEED_UP else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
