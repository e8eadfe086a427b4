"""Memory of a comparison's series: the baseline and three library scenarios (training,
breaking silos, CRM), 20 replicates, 400 employees and 40,000 customers, 2 workers.

Prints the wall time, the size of each series frame (``daily``, ``departments``,
``touchpoints``, ``economics_daily``), the size of the saved Parquet files and the peak
resident memory of the main process and of the largest worker.

    python benchmarks/comparison_series_memory.py             # several minutes
    python benchmarks/comparison_series_memory.py --quick     # a small size, 2 replicates
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"
SCENARIOS = ("training.toml", "breaking_silos.toml", "crm.toml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small size, 2 replicates")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

    from cxsim.experiments.comparisons import compare
    from cxsim.experiments.scenarios import load_scenario

    baseline = load_scenario(LIBRARY / "baseline.toml")
    scenarios = [load_scenario(LIBRARY / name) for name in SCENARIOS]
    if args.quick:
        replicates, size = 2, {"organisation.n_employees": 100, "customers.n_customers": 2000,
                               "run.burn_in_days": 30, "run.days": 60}
    else:
        replicates, size = 20, {"organisation.n_employees": 400,
                                "customers.n_customers": 40_000}
    started = time.perf_counter()
    result = compare(baseline, scenarios, replicates=replicates, workers=2, seed=1,
                     overrides=size)
    elapsed = time.perf_counter() - started
    runs = replicates * (1 + len(scenarios))
    print(f"{runs} runs ({replicates} replicates x {1 + len(scenarios)} scenarios), "
          f"{size}: {elapsed:.0f} s with 2 workers")
    total = 0.0
    for name in ("daily", "departments", "touchpoints", "economics_daily"):
        frame = getattr(result, name)
        mb = frame.memory_usage(deep=True).sum() / 1e6
        total += mb
        print(f"  {name:<16} {len(frame):>9,} rows x {frame.shape[1]:>2} columns  {mb:7.1f} MB")
    print(f"  {'series in all':<16} {'':>26}  {total:7.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        out = result.save(Path(tmp) / "cmp")
        parquet = sum(p.stat().st_size for p in out.glob("*.parquet")) / 1e6
    print(f"saved Parquet files: {parquet:.1f} MB")
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: main process {me:.0f} MB, largest worker {children:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
