"""Wall time and peak memory of the engine at the issue's two reference sizes.

Each size runs in a fresh child process pinned to one CPU core, so its peak
resident memory is its own. Prints one line per size and the targets.

    python benchmarks/engine_speed.py            # both sizes
    python benchmarks/engine_speed.py --quick    # a small size only (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SIZES = {
    "mid": {"n_employees": 1_000, "n_customers": 100_000, "target_seconds": 10.0,
            "target_gib": None},
    "large": {"n_employees": 10_000, "n_customers": 1_000_000, "target_seconds": 60.0,
              "target_gib": 4.0},
    "quick": {"n_employees": 200, "n_customers": 10_000, "target_seconds": None,
              "target_gib": None},
}


def child(n_employees: int, n_customers: int, days: int, seed: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import cxsim

    start = time.perf_counter()
    model = cxsim.CXModel(n_employees=n_employees, n_customers=n_customers, days=days, rng=seed)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"build_s": built - start, "run_s": done - built, "total_s": done - start,
                      "days": model.day, "peak_gib": peak_kib / 1024 ** 2}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run only a small size")
    parser.add_argument("--days", type=int, default=365, help="days after the warm-up")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.days, args.seed)
        return 0
    names = ["quick"] if args.quick else ["mid", "large"]
    failed = False
    print(f"cxsim engine benchmark: {args.days} days after the default warm-up, one core, "
          f"Python {sys.version.split()[0]}")
    for name in names:
        size = SIZES[name]
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size["n_employees"]),
             str(size["n_customers"]), "--days", str(args.days), "--seed", str(args.seed)],
            check=True, capture_output=True, text=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        verdict = []
        if size["target_seconds"] is not None:
            ok = figures["total_s"] < size["target_seconds"]
            failed |= not ok
            verdict.append(f"time target < {size['target_seconds']:.0f} s: "
                           f"{'met' if ok else 'MISSED'}")
        if size["target_gib"] is not None:
            ok = figures["peak_gib"] < size["target_gib"]
            failed |= not ok
            verdict.append(f"memory target < {size['target_gib']:.0f} GiB: "
                           f"{'met' if ok else 'MISSED'}")
        print(f"{size['n_employees']:>7,} employees {size['n_customers']:>10,} customers "
              f"{figures['days']} days: build {figures['build_s']:.2f} s, run "
              f"{figures['run_s']:.2f} s, total {figures['total_s']:.2f} s, peak memory "
              f"{figures['peak_gib']:.2f} GiB" + ("  [" + "; ".join(verdict) + "]" if verdict
                                                  else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
