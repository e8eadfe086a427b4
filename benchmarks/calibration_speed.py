"""Calibration speed and parameter recovery (issue 11's speed target; prints, asserts nothing).

Fits the example client (experiments/calibration/client.toml: 300 employees, 6,000
customers, 90 warm-up days + 180 days) to experiments/calibration/observations_example.csv,
which the model made at known values (experiments/calibration/make_example.py, TRUTH there),
with the default fit: the three parameters the observed metrics call for. Prints the
machine's load before and after, the wall time, where the runs went (waves x candidates x
runs per candidate x simulated days) and each parameter's true value beside its estimate
and 90% interval.

    .venv/bin/python benchmarks/calibration_speed.py [--budget 100] [--workers 2] [--out DIR]

Target (issue 11): under 10 minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments" / "calibration"))

from make_example import OUTPUT, SCENARIO, TRUTH  # noqa: E402

from cxsim.experiments.calibration import calibrate, format_fit  # noqa: E402


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=100, help="model runs (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--out", type=Path, help="calibration directory (default: a fresh "
                        "temporary one)")
    args = parser.parse_args()
    print(f"before: {_load()}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "fit"
        start = time.perf_counter()
        result = calibrate(SCENARIO, OUTPUT, out=out, budget=args.budget,
                           workers=args.workers)
        seconds = time.perf_counter() - start
        print(format_fit(result))
        print()
        print(f"{'parameter':<36}{'true':>10}{'estimate':>12}{'90% interval':>26}"
              f"{'covered':>9}")
        for key, row in result.parameters.iterrows():
            true = TRUTH.get(key, float("nan"))
            interval = f"[{row.low:.4g}, {row.high:.4g}]"
            print(f"{key:<36}{true:>10.4g}{row.estimate:>12.4g}{interval:>26}"
                  f"{'yes' if row.low <= true <= row.high else 'NO':>9}")
        plan = result.setup
        days = plan.config.to_flat()["burn_in_days"] + plan.config.to_flat()["days"]
        sizes = result.candidates.groupby("wave").size().tolist()
        runs = result.quality["runs"]
        print(f"\nRuns: waves of {' + '.join(map(str, sizes))} candidates + 1 check, "
              f"{plan.replicates} run(s) each = {runs} runs of {days} simulated days "
              f"({runs * days:,} organisation-days)")
        print(f"{runs} runs on {args.workers} workers in {seconds / 60:.1f} min "
              f"({seconds / runs:.2f} s per run); target: under 10 min")
    print(f"after: {_load()}")


if __name__ == "__main__":
    main()
