"""Calibration speed and parameter recovery (issue 11's speed target; prints, asserts nothing).

Fits the example client (experiments/calibration/client.toml: 300 employees, 6,000
customers, 90 warm-up days + 180 days) to experiments/calibration/observations_example.csv,
which the model made at known values (experiments/calibration/make_example.py, TRUTH there),
with the default fit: the three parameters the observed metrics call for. Prints the
wall time, the runs and each parameter's true value beside its estimate and 90% interval.

    .venv/bin/python benchmarks/calibration_speed.py [--budget 160] [--workers 2] [--out DIR]

Target (issue 11): under 10 minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments" / "calibration"))

from make_example import OUTPUT, SCENARIO, TRUTH  # noqa: E402

from cxsim.experiments.calibration import calibrate, format_fit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=160, help="model runs (default 160)")
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--out", type=Path, help="calibration directory (default: a fresh "
                        "temporary one)")
    args = parser.parse_args()
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
        runs = result.quality["runs"]
        print(f"\n{runs} runs on {args.workers} workers in {seconds / 60:.1f} min "
              f"({seconds / runs:.2f} s per run); target: under 10 min")


if __name__ == "__main__":
    main()
