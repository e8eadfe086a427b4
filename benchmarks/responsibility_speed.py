"""Speed of the responsibility map: the exact decomposition by the 8 default departments
(2^8 = 256 coalitions per replicate) on the local pool.

    nice -n 10 python benchmarks/responsibility_speed.py            # the issue's case
    python benchmarks/responsibility_speed.py --replicates 2 --days 60
    python benchmarks/responsibility_speed.py --cpu-only             # the estimate alone

First, in this process, the CPU time (``time.process_time``: what a run costs, whatever
else the machine is doing) of one warm-up and of a few coalition runs (fork, run,
summary), with the coalitions' summary-only recording and with full recording; from
these, the wall time the issue's case would take on an idle machine with 2 workers that
each get a whole core (an estimate: a real pool also pays process start-up, the store's
writes and any imperfect scaling of 2 workers on 2 cores).

Then (unless ``--cpu-only``) the decomposition itself: the number of runs, the wall time,
runs per minute, the time of one run (wall time x workers / runs) and the machine's load
average before and after (the machine may be shared: a load above the core count means
the figure is slower than on an idle machine).

The issue's target: 300 employees, 10,000 customers, 10 replicates, under 10 minutes on 2
cores. Each worker task runs one warm-up per seed and forks every coalition from it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

#: Coalition runs timed for the CPU estimate (masks 0, 1, 2, ... of replicate 0).
TIMED_RUNS = 6
#: The issue's target: wall seconds for its case.
TARGET_SECONDS = 600


def cpu_costs(scenario: str, overrides: dict) -> dict[str, float]:
    """CPU seconds of one warm-up, and of one coalition run (fork, run, summary; mean of
    TIMED_RUNS) with summary-only and with full recording, the two alternating run by
    run so that a change in the machine's load touches both alike."""
    from cxsim.engine.model import CXModel
    from cxsim.experiments.responsibility import plan_runs, run_quantities
    from cxsim.experiments.specs import result_of

    specs = plan_runs(scenario, by="department", replicates=2, overrides=overrides)
    specs = specs[:TIMED_RUNS]
    first = specs[0]
    model = CXModel(first.config, structure=first.structure_tables, rng=first.seed)
    start = time.process_time()
    model.run_warm_up()
    costs = {"warm_up": time.process_time() - start, "summary_only": 0.0, "full": 0.0}
    for spec in specs:
        for mode in ("summary_only", "full"):
            start = time.process_time()
            child = model.fork(spec.intervention_tables)
            if mode == "summary_only":
                child.recorder.summary_only()
            child.run()
            run_quantities(result_of(child, spec))
            costs[mode] += (time.process_time() - start) / len(specs)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--days", type=int, default=None,
                        help="days after the warm-up (default: the scenario's, 365)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the CPU-time estimate, not the decomposition itself")
    args = parser.parse_args()

    from cxsim.experiments.responsibility import plan_coalitions, responsibility

    overrides = {"organisation.n_employees": args.employees,
                 "customers.n_customers": args.customers}
    if args.days is not None:
        overrides["run.days"] = args.days
    case = (f"by department (8 groups, exact Shapley), {args.employees} employees x "
            f"{args.customers:,} customers, {args.days or 365} days, {args.replicates} "
            f"replicates, {args.workers} workers")
    planned = plan_coalitions(8, args.replicates).runs()
    # the pool's tasks: one seed each, at most 64 runs, so 4 warm-ups per seed
    warm_ups = args.replicates * -(-256 // 64)
    print(f"responsibility map of {args.scenario!r} {case}: {planned} coalition runs, "
          f"{warm_ups} warm-ups")
    costs = cpu_costs(args.scenario, overrides)
    print(f"CPU time: warm-up {costs['warm_up']:.2f} s; load average (1 min) "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, mode in (("summary-only recording (what coalitions use)", "summary_only"),
                        ("full recording", "full")):
        idle = (planned * costs[mode] + warm_ups * costs["warm_up"]) / args.workers
        print(f"  coalition run with {label}: {costs[mode]:.3f} s; the case on {args.workers}"
              f" whole cores: about {idle / 60:.1f} min (target {TARGET_SECONDS / 60:.0f} "
              "min)")
    if args.cpu_only:
        return

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = responsibility(args.scenario, by="department", replicates=args.replicates,
                                workers=args.workers, overrides=overrides,
                                out=os.path.join(out, "store"))
        elapsed = time.perf_counter() - start
    runs = len(result.runs)
    load_after = os.getloadavg()
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
