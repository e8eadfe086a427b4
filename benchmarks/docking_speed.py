"""Wall time of the array engine against the per-agent reference model.

Runs both implementations on the same scenario (the default organisation, no
interventions) and the same seed, one after the other in this one process, for each
size, and prints both times and their ratio. Build and run are both timed. A tiny
untimed run of each implementation first takes one-time costs (lazy imports, caches)
out of the figures; the engine's time is the median of three runs (it is short and
noisy), the reference's a single run.

    python benchmarks/docking_speed.py            # 200/10,000 and 1,000/50,000, 365 days
    python benchmarks/docking_speed.py --quick    # small sizes, 60 days (a smoke test)

The reference takes several minutes at the larger size. Target: the engine at
least TARGET_RATIO times faster than the reference at the largest size.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import mesa  # noqa: E402

from cxsim.core.parameters import PARAMETERS_BY_NAME  # noqa: E402
from cxsim.engine.model import CXModel  # noqa: E402
from cxsim.reference import ReferenceModel  # noqa: E402
from cxsim.results import Result  # noqa: E402

#: (employees, customers) per run.
SIZES = ((200, 10_000), (1_000, 50_000))
QUICK_SIZES = ((60, 1_500), (200, 10_000))
TARGET_RATIO = 100.0


ENGINE_REPEATS = 3
WARM_UP = dict(n_employees=40, n_customers=400, burn_in_days=2, days=3)


def timed_run(model_class: type, seed: int, **parameters: int) -> tuple[float, float]:
    """Build and run one model; returns (seconds, final-window CSAT)."""
    start = time.perf_counter()
    model = model_class(rng=seed, **parameters)
    model.run()
    seconds = time.perf_counter() - start
    return seconds, Result(model, seed).summary()["csat"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and 60 days")
    parser.add_argument("--days", type=int, help="days after the warm-up (default 365; "
                                                 "60 with --quick)")
    parser.add_argument("--burn-in", type=int, help="warm-up days (default: the model's)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else SIZES
    days = args.days if args.days is not None else (60 if args.quick else 365)
    burn_in = (args.burn_in if args.burn_in is not None
               else PARAMETERS_BY_NAME["burn_in_days"].default)
    parameters = {"days": days, "burn_in_days": burn_in}
    print(f"cxsim docking speed: engine (CXModel) vs reference (ReferenceModel), "
          f"{burn_in} warm-up + {days} days, seed {args.seed}, one process; "
          f"Python {platform.python_version()}, Mesa {mesa.__version__}")
    print(f"{'employees':>9} {'customers':>10} {'engine s':>9} {'reference s':>12} "
          f"{'ratio':>7}   {'CSAT engine':>11} {'CSAT reference':>14}")
    for model_class in (CXModel, ReferenceModel):
        timed_run(model_class, args.seed, **WARM_UP)
    ratio = float("nan")
    for n_employees, n_customers in sizes:
        size = dict(parameters, n_employees=n_employees, n_customers=n_customers)
        engine_runs = sorted(timed_run(CXModel, args.seed, **size)
                             for _ in range(ENGINE_REPEATS))
        engine_s, engine_csat = engine_runs[ENGINE_REPEATS // 2]
        reference_s, reference_csat = timed_run(ReferenceModel, args.seed, **size)
        ratio = reference_s / engine_s
        print(f"{n_employees:>9,} {n_customers:>10,} {engine_s:>9.2f} {reference_s:>12.2f} "
              f"{ratio:>6.0f}x   {engine_csat:>11.3f} {reference_csat:>14.3f}", flush=True)
    met = ratio >= TARGET_RATIO
    print(f"target: engine >= {TARGET_RATIO:.0f}x faster at the largest size: "
          f"{'met' if met else 'MISSED'} ({ratio:.0f}x)")
    return 0 if met or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
