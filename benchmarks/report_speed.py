"""Wall time of ``cxsim report``: the baseline and two library scenarios (training,
breaking silos) at the default size, 10 replicates, on the machine's cores.

Prints the total wall time of the command, split into the comparison (the runs) and
the report (summaries, decomposition, figures, HTML), the machine's load, and the
issue's target (under 2 minutes on a 2-core machine). Other work on the cores makes the
time longer: the load average is printed so a slow figure can be judged.

    python benchmarks/report_speed.py            # the issue's benchmark (a few minutes)
    python benchmarks/report_speed.py --quick    # a small size, 3 replicates (smoke test)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

SCENARIOS = ("baseline", "training", "breaking_silos")
TARGET_SECONDS = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small size, 3 replicates")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: the machine's cores)")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # one thread per process: workers, not BLAS, use the cores

    from cxsim.interfaces import report
    from cxsim.interfaces.cli import main as cxsim

    replicates = 3 if args.quick else 10
    size = ["--employees", "200", "--customers", "10000"] if args.quick else []
    workers = ["--workers", str(args.workers)] if args.workers else []
    timings: dict[str, float] = {}
    build = report.build_report

    def timed_build(*a, **k):  # the report's own share of the time
        started = time.perf_counter()
        try:
            return build(*a, **k)
        finally:
            timings["report"] = time.perf_counter() - started

    report.build_report = timed_build
    print(f"cxsim report {' '.join(SCENARIOS)}: {replicates} replicates"
          f"{' (quick: 200 employees, 10,000 customers)' if args.quick else ', default size'}"
          f"; {os.cpu_count()} cores, load average before: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        started = time.perf_counter()
        status = cxsim(["report", *SCENARIOS, "--replicates", str(replicates), "--seed", "1",
                        *size, *workers, "--quiet", "--out", str(out)])
        total = time.perf_counter() - started
        size_kb = out.stat().st_size / 1024 if out.exists() else float("nan")
    if status != 0:
        print(f"cxsim report failed with status {status}")
        return status
    print(f"total {total:.1f} s: comparison {total - timings['report']:.1f} s, "
          f"report {timings['report']:.1f} s; HTML {size_kb:,.0f} kB")
    print("load average after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if not args.quick:
        verdict = "meets" if total < TARGET_SECONDS else "misses"
        print(f"target: under {TARGET_SECONDS:.0f} s on a 2-core machine: {verdict} it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
