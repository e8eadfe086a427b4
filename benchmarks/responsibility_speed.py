"""Speed of the responsibility map: the exact decomposition by the 8 default departments
(2^8 = 256 coalitions per replicate) on the local pool.

    nice -n 10 python benchmarks/responsibility_speed.py            # the issue's case
    python benchmarks/responsibility_speed.py --replicates 2 --days 60

Prints the number of runs, the wall time, runs per minute, the time of one run (wall time
x workers / runs) and the machine's load average before and after (the machine may be
shared: a load above the core count means the figure is slower than on an idle machine).
The issue's target: 300 employees, 10,000 customers, 10 replicates, under 10 minutes on 2
cores. Each worker task runs one warm-up per seed and forks every coalition from it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--days", type=int, default=None,
                        help="days after the warm-up (default: the scenario's, 365)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from cxsim.experiments.responsibility import responsibility

    overrides = {"organisation.n_employees": args.employees,
                 "customers.n_customers": args.customers}
    if args.days is not None:
        overrides["run.days"] = args.days
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = responsibility(args.scenario, by="department", replicates=args.replicates,
                                workers=args.workers, overrides=overrides,
                                out=os.path.join(out, "store"))
        elapsed = time.perf_counter() - start
    runs = len(result.runs)
    load_after = os.getloadavg()
    print(f"responsibility map of {args.scenario!r} by department ({len(result.groups)} "
          f"groups, {result.method} Shapley), {args.employees} employees x "
          f"{args.customers:,} customers, {args.days or 365} days, {args.replicates} "
          f"replicates, {args.workers} workers")
    print(f"runs: {runs} ({result.failed} failed)")
    print(f"wall time: {elapsed:.1f} s ({elapsed / 60:.1f} min); {runs / elapsed * 60:.0f} "
          f"runs per minute; {elapsed * args.workers / runs:.2f} s per run and worker")
    print(f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on "
          f"{os.cpu_count()} cores")
    csat = result.table[result.table["metric"] == "csat"]
    print(csat[["group", "contribution", "ci_low", "ci_high", "share", "channel"]]
          .to_string(index=False))


if __name__ == "__main__":  # workers are spawned and re-import this file
    main()
