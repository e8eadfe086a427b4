"""Capacity and waiting, business units and the market's renewal, as a user meets them.

Statistical claims use several paired seeds and compare means with generous margins;
they check directions (cutting staff does not improve service), never calibrated
numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import intervention_period, pooled, run_model
from hypothesis import given, settings
from hypothesis import strategies as st

from cxsim.core import organisation as org
from cxsim.core.enums import CustomerStatus, Level
from cxsim.engine.interventions import Layoffs
from cxsim.engine.metrics import (
    business_units,
    customer_engaged,
    engagement_quartiles,
    unit_performance,
    unit_quadrants,
)
from cxsim.engine.model import CXModel
from cxsim.engine.phases.service import pick_servers

SIZE = dict(n_employees=100, n_customers=4000, burn_in_days=60, days=90)
SEEDS = (1, 2, 3, 4)


def final_window(result, column: str) -> float:
    return float(intervention_period(result, after=60)[column].mean())


@pytest.fixture(scope="module")
def layoffs():
    """Baseline and a 60% layoff of everyone, paired by seed."""
    base = [run_model(s, **SIZE) for s in SEEDS]
    cut = [run_model(s, [Layoffs(intensity=0.6)], **SIZE) for s in SEEDS]
    return base, cut


def test_cutting_staff_makes_customers_wait_and_give_up(layoffs):
    base, cut = layoffs
    for metric in ("wait_mean", "unreached_share"):
        before = np.mean([final_window(r, metric) for r in base])
        after = np.mean([final_window(r, metric) for r in cut])
        assert after > before + 0.01, metric


def test_cutting_staff_does_not_improve_satisfaction_or_burnout(layoffs):
    base, cut = layoffs

    def csat(result):
        return pooled(intervention_period(result, after=60), "csat_top2", "responses")

    assert np.mean([csat(r) for r in cut]) < np.mean([csat(r) for r in base])
    assert (np.mean([final_window(r, "burnout_share") for r in cut])
            > np.mean([final_window(r, "burnout_share") for r in base]))


def test_contacts_nobody_can_serve_are_not_served_by_a_silent_digital_fallback():
    """Everyone laid off: only optional digital touchpoints can take the contacts; the
    rest reach nobody and customers feel it."""
    result = run_model(5, [Layoffs(intensity=1.0)], n_employees=60, n_customers=2000,
                       burn_in_days=20, days=40)
    after = intervention_period(result, after=10)
    assert after["headcount"].max() == 0
    assert after["unreached_share"].mean() > 0.3
    assert after["quality_mean"].mean() < 0.4


def test_customers_are_served_by_their_business_unit_where_it_has_staff():
    model = CXModel(rng=7, n_employees=200, n_customers=2000, business_units=4)
    for _ in range(5):
        model.step()
    rng = np.random.default_rng(0)
    n = 5000
    department = np.full(n, model.support_department)
    unit = rng.integers(0, model.n_units, n)
    server = pick_servers(model, department, np.full(n, int(Level.FRONTLINE)), rng.random(n),
                          rng.random(n), unit=unit)
    assert (server >= 0).all() and model.active[server].all()
    staffed = np.array([(model.active & (model.department == model.support_department)
                         & (model.level == Level.FRONTLINE) & (model.unit == u)).any()
                        for u in range(model.n_units)])
    assert staffed.all()
    assert (model.unit[server] == unit).all()
    # every filled frontline position of the unit is used
    for u in range(model.n_units):
        chosen = set(server[unit == u].tolist())
        expected = set(np.flatnonzero(model.active & (model.unit == u)
                                      & (model.department == model.support_department)
                                      & (model.level == Level.FRONTLINE)).tolist())
        assert chosen == expected


def test_business_unit_measures_add_up():
    model = CXModel(rng=3, n_employees=120, n_customers=3000, burn_in_days=30, days=10).run()
    units = business_units(model)
    active = model.c_status == CustomerStatus.ACTIVE
    assert units["customers"].sum() == active.sum() == model.active_customers
    assert units["revenue_per_day"].sum() == pytest.approx(model.revenue_rate, rel=1e-9)
    engaged = customer_engaged(model.c_satisfaction[active], model.c_loyalty[active])
    assert np.nansum(units["engaged_customers"] * units["customers"]) == pytest.approx(
        engaged.sum())
    staffed = np.array([(model.active & (model.level > 0) & (model.unit == u)).any()
                        for u in range(model.n_units)])
    engagement = units["employee_engagement"]
    assert np.isnan(engagement[~staffed]).all()  # a unit with no staff has no engagement
    assert ((engagement[staffed] >= 0) & (engagement[staffed] <= 1)).all()


def test_customers_are_dealt_to_units_in_proportion_to_their_frontline():
    model = CXModel(rng=5, n_employees=200, n_customers=40000, business_units=4)
    shares = org.unit_customer_shares(model.unit, model.level, model.n_units)
    frontline = np.bincount(model.unit[model.level == Level.FRONTLINE], minlength=4)
    assert shares == pytest.approx(frontline / frontline.sum())
    dealt = np.bincount(model.c_unit, minlength=4) / model.c_unit.size
    # binomial standard error at ~46,000 rows is below 0.0025: 4 of them is generous
    assert dealt == pytest.approx(shares, abs=0.01)
    # so each unit's frontline carries about as many customers as any other's
    per_head = np.bincount(model.c_unit, minlength=4) / frontline
    assert per_head.max() / per_head.min() < 1.1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=12),
       st.lists(st.integers(0, 11), min_size=1, max_size=300))
def test_unit_climates_differ_between_units_and_average_zero_over_staff(draws, units):
    draws = np.array(draws)
    unit = np.array(units) % draws.size
    climate = org.unit_climates(draws, unit)
    assert np.allclose(np.diff(climate), np.diff(draws))  # the differences are kept
    assert abs(climate[unit].mean()) < 1e-9                 # centred over the staff


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 2)),
                                    max_size=200))
def test_unit_customer_shares_are_a_distribution(n_units, positions):
    unit = np.array([u % n_units for u, _ in positions], dtype=np.int64)
    level = np.array([lv for _, lv in positions], dtype=np.int64)
    shares = org.unit_customer_shares(unit, level, n_units)
    assert shares.shape == (n_units,) and (shares >= 0).all()
    assert shares.sum() == pytest.approx(1.0)


def test_units_with_a_better_climate_have_more_engaged_staff():
    """Over several seeds, the unit with the best climate is more engaged than the one
    with the worst; with no spread between units they are alike."""
    gaps = []
    for seed in SEEDS:
        model = CXModel(rng=seed, n_employees=200, n_customers=4000, burn_in_days=200,
                        days=1, unit_climate_sd=1.0).run()
        engagement = business_units(model)["employee_engagement"]
        gaps.append(engagement[np.argmax(model.unit_climate)]
                    - engagement[np.argmin(model.unit_climate)])
    assert np.mean(gaps) > 0.1 and min(gaps) > 0
    flat = CXModel(rng=1, n_employees=200, n_customers=4000, unit_climate_sd=0.0)
    assert (flat.unit_climate == 0).all() and (flat.position_climate == 0).all()


def test_unit_profit_books_revenue_salaries_and_hires_over_the_final_window():
    model = CXModel(rng=2, n_employees=150, n_customers=3000, burn_in_days=40, days=60,
                    summary_window_days=30)
    daily_revenue = []
    while model.running:
        model.step()
        if model.unit_ledger is not None and model.unit_ledger.days:
            daily_revenue.append(model.revenue_rate)
    ledger, p = model.unit_ledger, model.p
    assert ledger.days == 30 == len(daily_revenue)
    # the units' revenue adds up to the organisation's, day by day
    assert ledger.revenue.sum() == pytest.approx(sum(daily_revenue), rel=1e-9)
    staff = model.active & (model.level != Level.EXECUTIVE)
    assert ledger.staff_days.sum() <= staff.size * 30
    units = unit_performance(model, model.window_start, ledger)
    customers = model.window_start["unit_customers"]
    salary = p.salary_per_employee / 365.0
    profit = (ledger.revenue * (1 - p.cost_of_sales_share) - ledger.staff_days * salary
              - ledger.hires * p.hiring_cost
              - ledger.executive_days * salary * customers / customers.sum())
    assert units["profit"] == pytest.approx(profit / customers * 365 / 30)
    assert units["revenue"] == pytest.approx(ledger.revenue / customers * 365 / 30)
    assert units["turnover"] == pytest.approx(ledger.hires / ledger.staff_days * 365)
    quadrants = unit_quadrants(model, model.window_start, ledger)
    present = (customers > 0) & np.isfinite(units["employee_engagement"])
    assert sum(quadrants[f"units_{q}"] for q in ("both", "customer_only", "employee_only",
                                                "neither")) == present.sum()
    total = (profit.sum() / ledger.revenue.sum())
    assert quadrants["operating_margin"] == pytest.approx(total)
    # a dearer cost of sales leaves less profit, in every unit
    dear = CXModel(rng=2, n_employees=150, n_customers=3000, burn_in_days=40, days=60,
                   summary_window_days=30, cost_of_sales_share=0.9).run()
    dear_units = unit_performance(dear, dear.window_start, dear.unit_ledger)
    assert (dear_units["profit"] < units["profit"]).all()


def test_gallup_quartiles_compare_the_top_and_bottom_unit_of_four():
    units = {"employee_engagement": np.array([0.5, 0.7, 0.4, 0.6]),
             "engaged_customers": np.array([0.2, 0.3, 0.1, 0.25]),
             "customers": np.array([100.0, 200.0, 300.0, 400.0]),
             "profit": np.array([10.0, 30.0, 5.0, 20.0]),
             "revenue": np.array([100.0, 130.0, 90.0, 120.0]),
             "turnover": np.array([0.2, 0.1, np.nan, 0.15])}
    q = engagement_quartiles(units)
    # a unit with no staff-days has no turnover: that outcome has no bottom quartile
    assert q["turnover_employee_top"] == 0.1 and np.isnan(q["turnover_employee_bottom"])
    assert (q["profit_employee_top"], q["profit_employee_bottom"]) == (30.0, 5.0)
    assert (q["revenue_employee_top"], q["engaged_customers_employee_bottom"]) == (130.0, 0.1)
    # a unit without customers is no comparison: the next one is the bottom quartile
    units["customers"][2] = 0.0
    assert engagement_quartiles(units)["profit_employee_bottom"] == 10.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(0, 1000),
                          st.floats(-1e4, 1e4)), min_size=1, max_size=12))
def test_gallup_quartiles_are_weighted_means_of_the_extreme_units(rows):
    """Whatever the units: the top quartile's profit is a customer-weighted mean of units
    whose engagement is at least that of every bottom-quartile unit; NaN with no unit to
    compare, never an error."""
    engagement, engaged, customers, profit = (np.array(c, dtype=float) for c in zip(*rows))
    units = {"employee_engagement": engagement, "engaged_customers": engaged,
             "customers": customers, "profit": profit, "revenue": profit}
    q = engagement_quartiles(units)
    present = customers > 0
    if not present.any():
        assert all(np.isnan(v) for v in q.values())
        return
    for side in ("top", "bottom"):
        value = q[f"profit_employee_{side}"]
        assert profit[present].min() - 1e-6 <= value <= profit[present].max() + 1e-6
    top_cut = np.percentile(engagement[present], 75)
    bottom_cut = np.percentile(engagement[present], 25)
    assert top_cut >= bottom_cut
    if np.ptp(engagement[present]) == 0:  # all alike: both quartiles are every unit
        assert q["profit_employee_top"] == pytest.approx(q["profit_employee_bottom"])


def test_a_result_tables_its_business_units_and_saves_them(tmp_path):
    import cxsim

    result = cxsim.run(seed=4, n_employees=150, n_customers=6000, burn_in_days=60, days=60,
                       summary_window_days=30)
    units = result.units
    assert list(units["unit"]) == list(range(4))
    assert units["customers_at_start"].sum() > 0
    assert units["climate"].nunique() == 4  # units differ in their local climate
    assert set(units["quadrant"]) <= {"both", "customer_only", "employee_only", "neither", ""}
    assert ((units["margin"] - units["profit_per_customer"] / units["revenue_per_customer"])
            .abs().max() < 1e-9)
    assert (units["turnover"] >= 0).all()
    result.save(tmp_path, figure=lambda r, t: __import__("matplotlib.pyplot").pyplot.figure())
    assert "units.csv" in result.files()
    saved = __import__("pandas").read_csv(tmp_path / "units.csv")
    assert saved["profit_per_customer"].to_numpy() == pytest.approx(
        units["profit_per_customer"].to_numpy())
    # a run too short to have a final window after its warm-up has no unit table
    short = cxsim.run(seed=4, n_employees=60, n_customers=500, burn_in_days=5, days=5,
                      summary_window_days=30)
    assert short.units is None and "units.csv" not in short.files()


def test_the_market_renews_itself():
    """Over three years with no intervention acquisitions do not dry up, and churned
    customers' places come back to the market as prospects."""
    result = run_model(9, n_employees=60, n_customers=2000, burn_in_days=0, days=1095,
                       market_return_days=90)
    daily = result.daily
    first = daily[daily["day"] < 365]["acquisitions"].sum()
    last = daily[daily["day"] >= 730]["acquisitions"].sum()
    assert last > 0.7 * first
    model = result.model
    churned_total = int(daily["churned"].sum())
    assert churned_total > 0
    # fewer rows are churned now than ever churned: the others went back to the market
    assert (model.c_status == CustomerStatus.CHURNED).sum() < churned_total
