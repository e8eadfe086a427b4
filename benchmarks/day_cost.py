"""CPU cost of one simulated day, phase by phase: the run a responsibility map's coalition
makes (a fork of a warmed-up model, summary-only recording, the scenario's days).

    nice -n 10 python benchmarks/day_cost.py                   # 300 employees x 10,000
    python benchmarks/day_cost.py --employees 400 --customers 40000 --repeats 2
    python benchmarks/day_cost.py --coalitions                 # the responsibility map's

With ``--coalitions``, the forks are 8 coalitions of the responsibility map by department
(every 32nd of the 256, with their group practices), each timed once: the per-phase
figures are their mean, and the fork and the summary (``result_of`` and the quantities
the map reads) are timed too: the whole of what one coalition run costs.

Builds the model and runs its warm-up once; then, ``--repeats`` times, forks it and runs
the fork to its horizon, first plainly (the CPU time of a fork and run, what a coalition
run costs before its summary), then with each phase of the day, the Recorder's
``measure`` and the DataCollector's ``collect`` timed (``time.thread_time``: CPU time,
whatever else the machine is doing; the timing itself adds about 1 microsecond a call).
Prints the best of the repeats, per day, and the machine's load average: on a shared
machine CPU times grow with the load (cores and caches are shared), so compare figures
taken at similar loads.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any


def timed(function: Callable, name: str, totals: Counter) -> Callable:
    """``function`` wrapped to add its CPU time to ``totals[name]``."""
    def wrapper(*args: Any) -> Any:
        start = time.thread_time()
        out = function(*args)
        totals[name] += time.thread_time() - start
        return out
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365, help="days after the warm-up")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--coalitions", action="store_true",
                        help="time 8 coalitions of the responsibility map by department")
    args = parser.parse_args()
    if args.coalitions:
        coalitions(args)
        return

    from cxsim.engine import metrics, phases
    from cxsim.engine.model import CXModel

    model = CXModel(n_employees=args.employees, n_customers=args.customers,
                    days=args.days, rng=args.seed)
    start = time.process_time()
    model.run_warm_up()
    warm_up = time.process_time() - start
    plain = []
    for _ in range(args.repeats):
        start = time.process_time()
        child = model.fork()
        child.recorder.summary_only()
        child.run()
        plain.append(time.process_time() - start)

    day, measure = phases.DAY, metrics.Recorder.measure
    collector = type(model.datacollector)
    collect = collector.collect
    best: tuple[float, Counter] | None = None
    try:
        totals: Counter = Counter()
        phases.DAY = tuple(timed(phase, phase.__name__, totals) for phase in day)
        metrics.Recorder.measure = timed(measure, "Recorder.measure", totals)
        collector.collect = timed(collect, "DataCollector.collect", totals)
        for _ in range(args.repeats):
            totals.clear()
            child = model.fork()
            child.recorder.summary_only()
            start = time.thread_time()
            child.run()
            total = time.thread_time() - start
            if best is None or total < best[0]:
                best = (total, Counter(totals))
    finally:
        phases.DAY, metrics.Recorder.measure = day, measure
        collector.collect = collect

    total, parts = best
    print(f"{args.employees} employees x {args.customers:,} customers, a fork run of "
          f"{args.days} days (summary-only recording), best of {args.repeats}; load "
          f"average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"warm-up ({model.burn_in} days): {warm_up:.2f} s CPU, "
          f"{warm_up / model.burn_in * 1e3:.2f} ms a day")
    print(f"fork and run: {min(plain):.3f} s CPU, {min(plain) / args.days * 1e3:.2f} ms a "
          "day")
    print(f"by phase (timed run: {total:.3f} s):")
    for name, seconds in parts.most_common():
        print(f"  {name:24s} {seconds / args.days * 1e6:7.0f} us a day")
    rest = total - sum(parts.values())
    print(f"  {'rest of step':24s} {rest / args.days * 1e6:7.0f} us a day")


def coalitions(args: argparse.Namespace) -> None:
    """The ``--coalitions`` timing: 8 coalition runs of the map by department."""
    from cxsim.engine import metrics, phases
    from cxsim.engine.model import CXModel
    from cxsim.experiments.responsibility import plan_runs, run_quantities
    from cxsim.experiments.specs import result_of

    overrides = {"organisation.n_employees": args.employees,
                 "customers.n_customers": args.customers, "run.days": args.days}
    specs = plan_runs("baseline", by="department", replicates=2, overrides=overrides)[::32][:8]
    model = CXModel(specs[0].config, structure=specs[0].structure_tables, rng=specs[0].seed)
    model.run_warm_up()
    day, measure = phases.DAY, metrics.Recorder.measure
    totals: Counter = Counter()
    try:
        phases.DAY = tuple(timed(phase, phase.__name__, totals) for phase in day)
        metrics.Recorder.measure = timed(measure, "Recorder.measure", totals)
        for spec in specs:
            start = time.thread_time()
            child = model.fork(spec.intervention_tables)
            child.recorder.summary_only()
            totals["fork"] += time.thread_time() - start
            start = time.thread_time()
            child.run()
            totals["run"] += time.thread_time() - start
            start = time.thread_time()
            run_quantities(result_of(child, spec))
            totals["summary"] += time.thread_time() - start
    finally:
        phases.DAY, metrics.Recorder.measure = day, measure
    n = len(specs)
    whole = (totals["fork"] + totals["run"] + totals["summary"]) / n
    print(f"{args.employees} employees x {args.customers:,} customers, {n} coalition runs of "
          f"{args.days} days (every 32nd of the map by department); load average (1 min) "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"a coalition run: {whole:.3f} s CPU (fork {totals['fork'] / n:.3f}, run "
          f"{totals['run'] / n:.3f}, summary {totals['summary'] / n:.3f})")
    parts = Counter({k: v for k, v in totals.items() if k not in ("fork", "run", "summary")})
    for name, seconds in parts.most_common():
        print(f"  {name:24s} {seconds / n / args.days * 1e6:7.0f} us a day")
    rest = totals["run"] - sum(parts.values())
    print(f"  {'rest of step':24s} {rest / n / args.days * 1e6:7.0f} us a day")


if __name__ == "__main__":
    main()
