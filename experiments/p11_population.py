"""P11 across a population of organisations: does Gallup's 240% appear when business
units of many organisations are compared, as Gallup compared them?

``cxsim validate`` measures P11 inside one organisation (its business units, median
split on employee and on customer engagement): 1.09x where Gallup reports 2.4x to 4.4x.
Gallup's units came from many organisations, which differ in their culture as well as
in their units. This script builds such a population: ``--organisations`` organisations
per population, each with its culture levers drawn uniformly over :data:`CULTURE` (the
span from a siloed, top-down organisation to a connected, empowering one), every other
parameter at its default; each runs the default warm-up and a year, and the units of all
organisations of one population are pooled and split at the population's medians. The
outcome is the quadrants' operating profit per customer over the final window, the
customer-weighted mean of their units' (as in ``cxsim validate``). One population per
seed; the table gives each population's ratios and their mean.

Run (about 1 minute for two populations of 30 at the default size, two cores)::

    python experiments/p11_population.py --populations 2 --organisations 30

Deterministic for its arguments: organisation ``k`` of population ``s`` draws its culture
from ``numpy.random.default_rng([s, k])`` and runs with seed ``1000 s + k``.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.core.parameters import Config, ParameterError
from cxsim.engine.metrics import unit_quadrant_names, weighted_mean
from cxsim.engine.model import CXModel
from cxsim.results import unit_frame

#: Culture levers drawn per organisation (uniform between the bounds).
CULTURE: dict[str, tuple[float, float]] = {
    "silo_strength": (0.3, 0.9), "leadership_commitment": (0.1, 0.7),
    "cx_ownership": (0.1, 0.6), "baseline_empowerment": (0.1, 0.5),
    "guidelines_clarity": (0.1, 0.6), "crm_integration": (0.1, 0.6),
    "coaching_share": (0.1, 0.6)}


def organisation(args: tuple[int, int, int, int, int]) -> pd.DataFrame:
    """Units of organisation ``k`` of population ``s`` (a picklable task)."""
    population, k, employees, customers, units = args
    draw = np.random.default_rng([population, k])
    culture = {name: float(draw.uniform(*bounds)) for name, bounds in CULTURE.items()}
    model = CXModel(rng=1000 * population + k, n_employees=employees,
                    n_customers=customers, days=365, business_units=units, **culture)
    frame = unit_frame(model.run())
    return frame.assign(population=population, organisation=k, **culture)


def quadrant_ratios(units: pd.DataFrame) -> dict[str, float]:
    """Profit (and revenue) per customer of each quadrant over 'neither': the pooled
    units split at their medians by the split ``cxsim validate`` makes inside one
    organisation (:func:`cxsim.engine.metrics.unit_quadrant_names`, which leaves out units
    without customers or staff), customer-weighted as it weights them."""
    quadrant = unit_quadrant_names({
        "customers": units.customers_at_start.to_numpy(dtype=float),
        "employee_engagement": units.employee_engagement.to_numpy(dtype=float),
        "engaged_customers": units.engaged_customers.to_numpy(dtype=float)})
    units = units.assign(quadrant=quadrant)[quadrant != ""]

    weight = units.customers_at_start.to_numpy(dtype=float)

    def mean(name: str, column: str) -> float:
        return weighted_mean(units[column].to_numpy(dtype=float), weight,
                             (units.quadrant == name).to_numpy())

    neither = mean("neither", "profit_per_customer")
    # a ratio to a loss or to nothing says nothing: undefined (NaN), and said so by main
    out = {f"profit_{name}": mean(name, "profit_per_customer") / neither if neither > 0
           else float("nan") for name in ("both", "customer_only", "employee_only")}
    out["revenue_both"] = (mean("both", "revenue_per_customer")
                           / mean("neither", "revenue_per_customer"))
    out["margin"] = float(np.average(units.margin, weights=units.customers_at_start))
    out["units_both"] = int((units.quadrant == "both").sum())
    out["units_neither"] = int((units.quadrant == "neither").sum())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--populations", type=int, default=2)
    parser.add_argument("--organisations", type=int, default=30)
    parser.add_argument("--employees", type=int, default=200)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=8, help="business units per organisation")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write every unit's row to this CSV")
    args = parser.parse_args(argv)
    for name in ("populations", "organisations", "employees", "customers", "units", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} = {getattr(args, name)} is not allowed: expected >= 1")
    try:  # the sizes within the model's ranges, before any worker starts
        Config({"organisation.n_employees": args.employees,
                "customers.n_customers": args.customers,
                "organisation.business_units": args.units})
    except ParameterError as error:
        parser.error(str(error))
    started = time.time()
    tasks = [(s, k, args.employees, args.customers, args.units)
             for s in range(1, args.populations + 1) for k in range(args.organisations)]
    with ProcessPoolExecutor(args.workers) as pool:
        units = pd.concat(list(pool.map(organisation, tasks)), ignore_index=True)
    if args.out:
        units.to_csv(args.out, index=False)
    table = pd.DataFrame([quadrant_ratios(group) | {"population": s}
                          for s, group in units.groupby("population")]).set_index("population")
    print(table.round(3).to_string())
    print("mean:", table.mean().round(3).to_dict())
    if table.profit_both.isna().any():
        print("profit ratios are undefined (NaN) where the units high on neither make no "
              "profit: organisations this small run at a loss; use larger --employees and "
              "--customers")
    print(f"{len(tasks)} organisations of {args.employees} x {args.customers} with "
          f"{args.units} units each, in {(time.time() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
