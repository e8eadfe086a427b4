"""Time of each plot function of ``cxsim.interfaces.plots``: building the Figure and
saving it as a PNG at 150 dpi, separately.

The comparison figures draw the baseline and three library scenarios (training,
breaking silos, CRM) over 20 replicates at the default horizon (180 warm-up days + 365
days; the figures' cost grows with days x replicates x scenarios, not with the size of
the organisation, so the runs use a small one), or a comparison saved with
``cxsim compare --out`` (``--comparison DIR``). The network is drawn at 1,000 positions
(the default organisation), with networkx's spring layout of the same graph timed for
reference (the layout ``network`` does not use). The response surface and the tornado
chart draw frames shaped like ``load_sweep``'s and ``run_sensitivity``'s (64 points x 3
replicates; 8 parameters x 3 metrics), made up here: their cost does not depend on the
values.

    python benchmarks/plot_speed.py                        # runs the comparison first
    python benchmarks/plot_speed.py --save /tmp/cmp        # ... and keep it
    python benchmarks/plot_speed.py --comparison /tmp/cmp  # a saved comparison
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"
SCENARIOS = ("training.toml", "breaking_silos.toml", "crm.toml")
SMALL = {"organisation.n_employees": 100, "customers.n_customers": 1500}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparison", type=Path, help="a saved comparison to draw")
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--save", type=Path, help="save the comparison run here (to draw it "
                        "again with --comparison)")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

    import networkx
    import numpy as np
    import pandas as pd

    from cxsim.engine.model import CXModel
    from cxsim.experiments.comparisons import ComparisonResult, compare
    from cxsim.experiments.scenarios import load_scenario
    from cxsim.interfaces import plots
    from cxsim.results import run

    if args.comparison is not None:
        comparison = ComparisonResult.load(args.comparison)
    else:
        started = time.perf_counter()
        comparison = compare(load_scenario(LIBRARY / "baseline.toml"),
                             [load_scenario(LIBRARY / name) for name in SCENARIOS],
                             replicates=args.replicates, workers=2, seed=1, overrides=SMALL)
        print(f"comparison run in {time.perf_counter() - started:.0f} s")
        if args.save is not None:
            comparison.save(args.save)
    days = comparison.daily["day"].nunique()
    print(f"comparison: {1 + len(comparison.scenarios)} scenarios x {len(comparison.seeds)} "
          f"replicates x {days} days ({len(comparison.daily):,} daily rows)")
    result = run(seed=1, n_employees=100, n_customers=1500)
    model = CXModel(n_employees=1000, n_customers=2000, burn_in_days=10, days=10, rng=1)
    model.run()
    rng = np.random.default_rng(1)
    sweep = pd.DataFrame({"point": np.repeat(np.arange(64), 3), "status": "done",
                          "organisation.silo_strength": np.repeat(rng.uniform(0, 1, 64), 3),
                          "training.hours": np.repeat(rng.uniform(2, 16, 64), 3),
                          "csat": rng.uniform(0.5, 0.9, 192)})
    sensitivity = pd.DataFrame(
        [{"metric": m, "parameter": f"p{i}", "mu_star": rng.uniform(), "mu_star_conf": 0.1,
          "sigma": rng.uniform(), "mu": 0.0} for m in ("csat", "nps", "fcr")
         for i in range(8)])

    cases = [
        ("headline_series", lambda: plots.headline_series(comparison)),
        ("effects", lambda: plots.effects(comparison)),
        ("economics", lambda: plots.economics(comparison)),
        ("journey_heatmap", lambda: plots.journey_heatmap(comparison)),
        ("department_burnout", lambda: plots.department_burnout(comparison)),
        ("run_figure", lambda: plots.run_figure(result)),
        ("network_layout (1,000)", lambda: plots.network_layout(model)),
        ("  networkx spring_layout", lambda: networkx.spring_layout(model.network, seed=1)),
        ("network (1,000)", lambda: plots.network(model)),
        ("network by engagement", lambda: plots.network(model, colour_by="engagement")),
        ("response_surface", lambda: plots.response_surface(
            sweep, "organisation.silo_strength", "training.hours", "csat")),
        ("tornado", lambda: plots.tornado(sensitivity, "csat")),
    ]
    print(f"\n{'function':<26}{'build (s)':>11}{'save PNG (s)':>14}")
    total = 0.0
    for name, build in cases:
        started = time.perf_counter()
        figure = build()
        built = time.perf_counter() - started
        saved = float("nan")
        if hasattr(figure, "savefig"):
            started = time.perf_counter()
            figure.savefig(io.BytesIO(), format="png", dpi=150)
            saved = time.perf_counter() - started
            total += built + saved
        else:
            total += built
        print(f"{name:<26}{built:>11.3f}{saved:>14.3f}")
    print(f"{'all':<26}{total:>25.2f}")
    print(f"\nmachine load (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
