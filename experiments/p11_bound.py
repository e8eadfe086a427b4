"""How large could P11's ratio be in a model that agrees with Gallup's quartile evidence?

P11's target (``../shared/calibration-targets.md``) reads Gallup's "240% better
performance" as a revenue or profit ratio of business units high on both employee and
customer engagement to units high on neither: 2.4x to 4.4x. Gallup's own Q12
meta-analysis (Harter et al., 10th edition, 2020) reports, for units in the top quartile
of their organisation on employee engagement against the bottom quartile, 23% higher
profitability (1.23x), 18% higher productivity in sales and 10% higher customer loyalty
and engagement. ``cxsim validate`` reports both comparisons on the baseline.

This script asks how the two comparisons move together. It runs the baseline (every
parameter at its default) for ``--seeds`` seeds, measures each business unit's operating
profit per customer over the final window (``cxsim.results.unit_frame``, as
``cxsim validate`` does), and then magnifies every unit's deviation from its
organisation's customer-weighted mean profit by each factor of ``--scales``: what if
units differed ``k`` times as much as they do, for the same reasons? For each ``k`` it
prints the mean over seeds of

* ``quartile``: the top-quartile unit's profit per customer over the bottom quartile's,
  on employee engagement (:func:`cxsim.engine.metrics.engagement_quartiles`; Gallup:
  1.23x);
* ``both/neither``: P11's ratio (:func:`cxsim.engine.metrics.unit_quadrant_names`,
  customer-weighted as in ``cxsim validate``; target 2.4x to 4.4x);
* ``losses``: the share of seeds where some unit makes a loss at that magnification (its
  ratios are then left out: a ratio to a loss says nothing);
* the two ratios' medians over seeds (where some unit nears a loss, a few seeds sway the
  means).

Run (about 1.5 minutes on two cores)::

    python experiments/p11_bound.py --seeds 20 --scales 1,2,3,4,5

Deterministic for its arguments: seed ``s`` is the model's ``rng``.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from cxsim.core.parameters import Config, ParameterError
from cxsim.engine.metrics import engagement_quartiles, unit_quadrant_names, weighted_mean
from cxsim.engine.model import CXModel
from cxsim.results import unit_frame

#: Gallup's Q12 meta-analysis: profitability, top vs bottom quartile of units (2020).
GALLUP_QUARTILE_PROFIT = 1.23


def baseline_units(args: tuple[int, int, int]) -> pd.DataFrame:
    """The business units of the baseline for one seed (a picklable task)."""
    seed, employees, customers = args
    model = CXModel(rng=seed, n_employees=employees, n_customers=customers, days=365)
    return unit_frame(model.run()).assign(seed=seed)


def magnified(units: pd.DataFrame, scale: float) -> dict[str, float]:
    """One organisation's comparisons with its units' profit deviations times ``scale``
    (NaN ratios if a unit then makes a loss: a ratio to a loss says nothing)."""
    weight = units.customers_at_start.to_numpy(dtype=float)
    profit = units.profit_per_customer.to_numpy(dtype=float)
    present = weight > 0
    mean = weighted_mean(profit, weight, present)
    profit = mean + scale * (profit - mean)
    arrays = {"customers": weight, "profit": profit, "revenue": profit,
              "employee_engagement": units.employee_engagement.to_numpy(dtype=float),
              "engaged_customers": units.engaged_customers.to_numpy(dtype=float)}
    loss = bool((profit[present] <= 0).any())
    quartiles = engagement_quartiles(arrays)
    quadrant = unit_quadrant_names(arrays)
    both, neither = (weighted_mean(profit, weight, quadrant == name)
                     for name in ("both", "neither"))
    nan = float("nan")
    return {"quartile": nan if loss else quartiles["profit_employee_top"]
            / quartiles["profit_employee_bottom"],
            "both/neither": nan if loss else both / neither,
            "losses": float(loss)}


def bound_table(units: pd.DataFrame, scales: list[float]) -> pd.DataFrame:
    """Mean over seeds of :func:`magnified` for each scale (one row each), and the
    ratios' medians over seeds (near a loss, a ratio's mean is swayed by a few seeds)."""
    rows = []
    for scale in scales:
        per_seed = pd.DataFrame([magnified(group, scale) for _, group in units.groupby("seed")])
        medians = per_seed[["quartile", "both/neither"]].median().add_suffix(" median")
        rows.append({"scale": scale, **per_seed.mean().to_dict(), **medians.to_dict(),
                     "seeds": int(per_seed["quartile"].notna().sum())})
    return pd.DataFrame(rows).set_index("scale")


def parse_scales(text: str) -> list[float]:
    """``--scales``: comma-separated factors >= 0."""
    try:
        scales = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--scales = {text!r} is not allowed: expected numbers >= 0 separated by "
            "commas, such as 1,2,3") from None
    if not scales or not all(np.isfinite(s) and s >= 0 for s in scales):
        raise argparse.ArgumentTypeError(
            f"--scales = {text!r} is not allowed: expected numbers >= 0 separated by commas")
    return scales


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20,
                        help="baseline runs, seeds 1..N (default 20, as cxsim validate)")
    parser.add_argument("--scales", type=parse_scales, default=[1.0, 2.0, 3.0, 4.0, 5.0],
                        help="factors k on the units' profit deviations, comma-separated "
                             "(default 1,2,3,4,5; 1 is the model as it is)")
    parser.add_argument("--employees", type=int, default=400,
                        help="employees per organisation (default 400, as cxsim validate)")
    parser.add_argument("--customers", type=int, default=40_000,
                        help="customers per organisation (default 40,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    for name in ("seeds", "employees", "customers", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} = {getattr(args, name)} is not allowed: expected >= 1")
    try:  # the sizes within the model's ranges, before any worker starts
        Config({"organisation.n_employees": args.employees,
                "customers.n_customers": args.customers})
    except ParameterError as error:
        parser.error(str(error))
    started = time.time()
    tasks = [(seed, args.employees, args.customers) for seed in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.workers) as pool:
        units = pd.concat(list(pool.map(baseline_units, tasks)), ignore_index=True)
    table = bound_table(units, args.scales)
    print(table.round(3).to_string())
    print(f"Gallup's quartile profitability: {GALLUP_QUARTILE_PROFIT}x; P11's target: "
          "2.4x to 4.4x")
    print(f"{args.seeds} baselines of {args.employees} x {args.customers}, in "
          f"{(time.time() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
