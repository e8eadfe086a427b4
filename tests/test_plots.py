"""Plots: every figure function returns a non-empty Figure with the expected titles, axis
labels (with units) and legend entries; fixed axes and percent units; the network
layout groups departments; the run's headline.png; bad input gives one-line errors."""

from __future__ import annotations

import contextlib
import io
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import cxsim
from cxsim.core.parameters import ParameterError
from cxsim.engine.interventions import CXTraining
from cxsim.engine.model import CXModel
from cxsim.experiments.comparisons import ComparisonResult, compare
from cxsim.experiments.scenarios import load_scenario
from cxsim.interfaces import plots
from cxsim.interfaces.cli import main
from cxsim.results import HEADLINE

LIBRARY = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"
SMALL = {"organisation.n_employees": 100, "customers.n_customers": 1500,
         "run.burn_in_days": 20, "run.days": 70}


@pytest.fixture(scope="module")
def comparison():
    baseline = load_scenario(LIBRARY / "baseline.toml")
    scenarios = [load_scenario(LIBRARY / "training.toml"),
                 load_scenario(LIBRARY / "breaking_silos.toml")]
    return compare(baseline, scenarios, replicates=3, workers=1, seed=5, overrides=SMALL)


@pytest.fixture(scope="module")
def run_result():
    return cxsim.run(seed=2, n_employees=100, n_customers=1500, burn_in_days=40, days=80,
                     interventions=[CXTraining(start=10)])


@pytest.fixture(scope="module")
def model():
    model = CXModel(n_employees=300, n_customers=500, burn_in_days=3, days=3, rng=4)
    model.run()
    return model


def _texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]


def _legend_labels(figure: Figure) -> list[str]:
    legends = list(figure.legends) + [ax.get_legend() for ax in figure.axes
                                      if ax.get_legend() is not None]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def _visible_axes(figure: Figure) -> list:
    return [ax for ax in figure.axes if ax.get_visible()]


def _assert_drawn(figure: Figure) -> None:
    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    for ax in _visible_axes(figure):
        assert ax.lines or ax.collections or ax.patches or ax.images, ax.get_title()


# --- style --------------------------------------------------------------------------------


def test_palette_is_okabe_ito_and_every_headline_metric_has_a_label_with_a_unit():
    assert set(plots.PALETTE) == set(plots.OKABE_ITO.values()) and len(plots.PALETTE) == 8
    assert plots.METRIC_LABELS["csat"] == "CSAT (% satisfied)"
    for metric in HEADLINE:
        label = plots.METRIC_LABELS[metric]
        assert "(" in label and label.endswith(")") and "_" not in label


def test_metric_axis_gives_units_percent_ticks_and_fixed_limits():
    figure = Figure()
    ax = figure.add_subplot()
    ax.plot([0, 1, 2], [0.001, 0.004, 0.002])
    plots.metric_axis(ax, "burnout_share")
    assert ax.get_ylim() == (0.0, 0.2)  # noise stays small on a fixed axis
    assert ax.get_ylabel() == "Burnt-out employees (% of employees)"
    assert ax.yaxis.get_major_formatter()(0.1, 0) == "10%"
    ax.plot([0], [0.5])  # data outside the fixed range widen it
    plots.metric_axis(ax, "burnout_share")
    assert ax.get_ylim()[1] > 0.5
    money = Figure().add_subplot()
    money.plot([0, 1], [25_000, 27_500])
    plots.metric_axis(money, "revenue", unit_only=True)
    assert money.get_ylabel() == "currency a day" and money.get_ylim()[0] == 0.0
    assert money.yaxis.get_major_formatter()(25_000, 0) == "25,000"
    with pytest.raises(ParameterError, match="metric = 'nope'"):
        plots.metric_axis(money, "nope")


# --- comparisons ----------------------------------------------------------------------------


def test_headline_series(comparison):
    figure = plots.headline_series(comparison)
    _assert_drawn(figure)
    titles = [ax.get_title() for ax in _visible_axes(figure)]
    assert titles == [plots.METRICS[m].name for m in HEADLINE]
    assert "CSAT" in titles and "csat" not in titles
    csat = _visible_axes(figure)[0]
    assert csat.get_ylabel() == "% satisfied" and csat.get_ylim() == (0.0, 1.0)
    assert len(csat.lines) == 3 + 1  # three scenarios and the intervention start
    legend = _legend_labels(figure)
    assert legend[:3] == ["Baseline", "Regular CX training", "Breaking silos"]
    assert "95% confidence band (3 replicates)" in legend
    assert "intervention starts (day 0)" in legend
    assert figure.get_suptitle().startswith("Headline metrics: Regular CX training, "
                                            "Breaking silos against Baseline")
    bottom = [ax for ax in _visible_axes(figure) if ax.get_subplotspec().is_last_row()]
    assert all(ax.get_xlabel() == "days since the end of the warm-up" for ax in bottom)
    low, _ = csat.get_xlim()
    assert low == -plots.WARM_UP_SHOWN or low == -SMALL["run.burn_in_days"]


def test_headline_series_of_chosen_scenarios_keep_their_colours(comparison):
    full = _visible_axes(plots.headline_series(comparison))[0]
    figure = plots.headline_series(comparison, scenarios=["Breaking silos"])
    ax = _visible_axes(figure)[0]
    assert [line.get_color() for line in ax.lines[:2]] == [
        full.lines[0].get_color(), full.lines[2].get_color()]
    assert _legend_labels(figure)[:2] == ["Baseline", "Breaking silos"]
    with pytest.raises(ParameterError, match="scenarios = 'Nope'"):
        plots.headline_series(comparison, scenarios=["Nope"])


def test_headline_band_is_the_t_interval_over_replicates(comparison):
    figure = plots.headline_series(comparison, metrics=["engagement_share"])
    ax = _visible_axes(figure)[0]
    baseline_line = ax.lines[0]
    days, mean = baseline_line.get_data()
    daily = comparison.daily.query("scenario == 'Baseline'")
    table = daily.pivot(index="day", columns="replicate", values="engagement_share")
    smooth = table.rolling(plots.SMOOTHING_DAYS, min_periods=1).mean().reindex(days)
    np.testing.assert_allclose(mean, smooth.mean(axis=1).to_numpy(), rtol=1e-12)


def test_effects(comparison):
    figure = plots.effects(comparison)
    _assert_drawn(figure)
    axes = _visible_axes(figure)
    assert [ax.get_title() for ax in axes][:3] == ["CSAT", "NPS", "First-contact resolution"]
    assert axes[0].get_xlabel() == "difference (percentage points)"
    assert axes[1].get_xlabel() == "difference (points)"
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["Regular CX training",
                                                                  "Breaking silos"]
    # the dot sits at the summary's difference, in percentage points
    summary = comparison.summary.set_index(["scenario", "metric"])
    expected = 100 * summary.loc[("Regular CX training", "csat"), "difference"]
    dots = [line for line in axes[0].lines if line.get_marker() == "o"]
    assert dots[0].get_xdata()[0] == pytest.approx(expected)
    low, high = axes[0].get_xlim()
    assert low == pytest.approx(-high)  # zero in the middle
    assert "mean difference, 95% CI excludes 0" in _legend_labels(figure)
    with pytest.raises(ParameterError, match="metric = 'nope'"):
        plots.effects(comparison, ["nope"])


def test_economics(comparison):
    figure = plots.economics(comparison)
    _assert_drawn(figure)
    axes = _visible_axes(figure)
    assert [ax.get_title() for ax in axes] == ["Cumulative intervention cost",
                                               "Cumulative revenue gain",
                                               "Cumulative profit gain"]
    assert all(ax.get_ylabel() == "currency, against the baseline" for ax in axes)
    legend = _legend_labels(figure)
    assert any(label.startswith("Regular CX training: ") and "payback" in label
               for label in legend)
    # the cost line ends at the mean total intervention cost
    econ = comparison.economics.set_index(["scenario", "quantity"])
    cost_line = axes[0].lines[0]
    assert cost_line.get_ydata()[-1] == pytest.approx(
        econ.loc[("Regular CX training", "intervention_cost"), "mean"], rel=1e-9)


def test_payback_is_marked_where_the_mean_profit_turns_positive(comparison):
    flows = comparison.economics_daily.copy()
    # a made-up scenario whose profit falls to -100 by day 9, then rises: payback on day 19
    days = np.arange(flows["day"].max() + 1)
    profit = np.where(days < 10, -10.0 * (days + 1), -100.0 + 10.0 * (days - 9))
    for replicate in range(3):
        rows = flows.index[(flows["scenario"] == "Breaking silos")
                           & (flows["replicate"] == replicate)]
        flows.loc[rows, "profit"] = profit
    altered = ComparisonResult(**{**comparison.__dict__, "economics_daily": flows})
    labels = _legend_labels(plots.economics(altered))
    assert "Breaking silos: payback on day 19" in labels


def test_journey_heatmap(comparison, run_result):
    figure = plots.journey_heatmap(comparison, "fcr", scenario="Regular CX training")
    _assert_drawn(figure)
    ax = figure.axes[0]
    assert ax.get_title() == "First-contact resolution by touchpoint and month: Regular CX " \
                             "training"
    assert ax.get_xlabel().startswith("month of the intervention period")
    assert ax.get_ylabel() == "touchpoint (journey order)"
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == list(comparison.touchpoints["touchpoint"].unique())
    # 70 days: two full months (the last 10 days are too few for a month)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2"]
    assert figure.axes[1].get_ylabel() == "First-contact resolution (% of problems)"
    data = ax.images[0].get_array()
    assert np.nanmin(data) >= 0 and np.nanmax(data) <= 100
    single = plots.journey_heatmap(run_result)
    assert single.axes[0].get_title() == "CSAT by touchpoint and month: run (seed 2)"
    with pytest.raises(ParameterError, match="scenario = 'Nope'"):
        plots.journey_heatmap(comparison, scenario="Nope")
    with pytest.raises(ParameterError, match="metric = 'revenue'"):
        plots.journey_heatmap(comparison, "revenue")


def test_journey_heatmap_pools_answers_over_the_month(run_result):
    figure = plots.journey_heatmap(run_result, "csat")
    tp = run_result.touchpoints
    first = tp[(tp["intervention_day"] >= 0) & (tp["intervention_day"] < 30)
               & (tp["touchpoint"] == tp["touchpoint"].iloc[0])]
    pooled = (first["csat"].fillna(0) * first["responses"]).sum() / first["responses"].sum()
    assert figure.axes[0].images[0].get_array()[0, 0] == pytest.approx(100 * pooled)


def test_department_burnout(comparison, run_result):
    figure = plots.department_burnout(comparison)
    _assert_drawn(figure)
    burnout, turnover = figure.axes[:2]
    assert (burnout.get_title(), turnover.get_title()) == ("Burnout", "Turnover")
    assert burnout.get_xlabel() == "% of employees burnt out, last 30 days"
    assert turnover.get_xlabel() == "% of employees leaving a year"
    departments = list(comparison.departments["department"].unique())
    assert [t.get_text() for t in burnout.get_yticklabels()] == departments
    assert _legend_labels(figure) == ["Baseline", "Regular CX training", "Breaking silos"]
    assert len(burnout.patches) == 3 * len(departments)
    single = plots.department_burnout(run_result)
    assert _legend_labels(single) == ["run (seed 2)"]


def test_one_replicate_draws_lines_without_bands(comparison):
    def first(frame):
        return frame[frame["replicate"] == 0].reset_index(drop=True)

    one = ComparisonResult(**{**comparison.__dict__, "seeds": comparison.seeds[:1],
                              **{name: first(getattr(comparison, name)) for name in (
                                  "daily", "departments", "touchpoints", "economics_daily")}})
    for function in (plots.headline_series, plots.economics, plots.department_burnout):
        figure = function(one)
        _assert_drawn(figure)
    ax = _visible_axes(plots.headline_series(one))[0]
    assert np.isfinite(ax.lines[0].get_ydata()).all()
    assert sum(len(path.vertices) for band in ax.collections
               for path in band.get_paths()) == 0  # no band from one replicate
    three = _visible_axes(plots.headline_series(comparison))[0]
    assert sum(len(path.vertices) for band in three.collections
               for path in band.get_paths()) > 0


def test_a_comparison_without_series_is_refused_for_series_plots(comparison):
    bare = ComparisonResult(**{**comparison.__dict__, "daily": None, "departments": None,
                               "touchpoints": None, "economics_daily": None})
    for function in (plots.headline_series, plots.economics, plots.department_burnout,
                     plots.journey_heatmap):
        with pytest.raises(ParameterError, match="series=False"):
            function(bare)
    _assert_drawn(plots.effects(bare))  # the summary is enough
    with pytest.raises(ParameterError, match="expected a ComparisonResult"):
        plots.headline_series("comparison.json")


# --- one run --------------------------------------------------------------------------------


def test_run_figure_fixes_the_old_headline_png(run_result):
    figure = plots.run_figure(run_result, title="cxsim: training")
    _assert_drawn(figure)
    axes = _visible_axes(figure)
    titles = [ax.get_title() for ax in axes]
    assert titles == [plots.METRICS[m].name for m in HEADLINE]  # not raw keys
    by_title = dict(zip(titles, axes))
    csat = by_title["CSAT"]
    figure.canvas.draw()
    assert all(t.get_text().endswith("%") for t in csat.get_yticklabels() if t.get_text())
    assert csat.get_ylim() == (0.0, 1.0)
    assert by_title["Burnt-out employees"].get_ylim()[1] >= 0.2  # not 0 to 0.02
    revenue = by_title["Revenue"]
    assert revenue.get_ylabel() == "currency a day" and revenue.get_ylim()[0] == 0.0
    assert any("," in t.get_text() for t in revenue.get_yticklabels())
    legend = _legend_labels(figure)
    assert "baseline window (last 30 warm-up days)" in legend
    assert "final window (last 30 days)" in legend
    assert "intervention starts (day 10)" in legend
    spans = [p for p in csat.patches]
    assert len(spans) == 2  # the two windows
    final = run_result.window("final")["intervention_day"]
    assert spans[1].get_x() == pytest.approx(final.min() - 0.5)
    assert figure.get_suptitle().startswith("cxsim: training, seed 2: 100 employees")


def test_cli_run_out_draws_headline_png_with_run_figure(tmp_path):
    out = tmp_path / "run"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["run", "--employees", "60", "--customers", "800", "--days", "30",
                     "--set", "run.burn_in_days=10", "--seed", "1", "--no-progress",
                     "--out", str(out)])
    assert code == 0, stderr.getvalue()
    png = (out / "headline.png").read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (11 * 150, int(round((1.2 + 2.5 * 4) * 150)))


# --- network --------------------------------------------------------------------------------


def test_network_layout_groups_departments(model):
    xy = plots.network_layout(model)
    n = model.department.size
    assert xy.shape == (n, 2) and np.isfinite(xy).all()
    assert len(np.unique(xy.round(9), axis=0)) == n  # no two positions on one spot
    names = model.structure.department_names
    centres = np.array([xy[model.department == d].mean(axis=0) for d in range(len(names))])
    own = np.linalg.norm(xy - centres[model.department], axis=1)
    others = np.linalg.norm(xy[:, None, :] - centres[None, :, :], axis=2)
    others[np.arange(n), model.department] = np.inf
    assert (own < others.min(axis=1)).all()  # everyone is nearest their own department
    executive = names.index("executive")
    assert np.linalg.norm(centres[executive]) < 0.2  # the executives in the middle
    np.testing.assert_array_equal(xy, plots.network_layout(model))


def test_network_by_department_and_by_engagement(model):
    figure = plots.network(model)
    _assert_drawn(figure)
    ax = figure.axes[0]
    assert ax.get_title().startswith("Informal network by department: 300 positions")
    texts = _texts(figure)
    for name in model.structure.department_names:
        assert name in texts
    legend = _legend_labels(figure)
    assert legend[:2] == ["tie within a department", "tie across departments"]
    within, across = ax.collections[:2]
    ties = [(u, v) for u, v, k in model.network.edges(data="kind") if k == "informal"]
    crossing = sum(model.department[u] != model.department[v] for u, v in ties)
    assert len(across.get_segments()) == crossing
    assert len(within.get_segments()) == len(ties) - crossing
    coloured = plots.network(model, colour_by="engagement")
    _assert_drawn(coloured)
    assert coloured.axes[-1].get_ylabel() == "engagement (score, 0 to 1)"  # colour bar
    with pytest.raises(ParameterError, match="colour_by = 'age'"):
        plots.network(model, colour_by="age")
    with pytest.raises(ParameterError, match="expected a cxsim model"):
        plots.network(object())


# --- sweeps ---------------------------------------------------------------------------------


def _sweep_frame(grid: bool) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    if grid:
        silo, hours = np.meshgrid([0.2, 0.5, 0.8], [2.0, 8.0, 16.0])
        silo, hours = np.repeat(silo.ravel(), 2), np.repeat(hours.ravel(), 2)
    else:
        silo, hours = rng.uniform(0.2, 0.9, 20), rng.uniform(2, 16, 20)
    csat = 0.8 - 0.3 * silo + 0.005 * hours
    return pd.DataFrame({"point": np.arange(len(silo)), "replicate": 0, "status": "done",
                         "organisation.silo_strength": silo,
                         "interventions.training.hours": hours, "csat": csat})


@pytest.mark.parametrize("grid", [True, False])
def test_response_surface(grid):
    frame = _sweep_frame(grid)
    figure = plots.response_surface(frame, "organisation.silo_strength",
                                    "interventions.training.hours", "csat")
    _assert_drawn(figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "organisation.silo_strength (share)"
    runs = "2 runs" if grid else "1 run"
    assert ax.get_title() == f"CSAT over two swept parameters (mean of {runs} per point)"
    assert ax.get_ylabel() == "interventions.training.hours (hours)"
    assert figure.axes[1].get_ylabel() == "CSAT (%)"
    if grid:
        values = ax.collections[0].get_array()
        assert values.max() == pytest.approx(100 * frame["csat"].max())
    else:
        assert "sampled point (mean of its replicates)" in _legend_labels(figure)
    with pytest.raises(ParameterError, match="x = 'nope'"):
        plots.response_surface(frame, "nope", "interventions.training.hours", "csat")
    churned = frame.rename(columns={"csat": "churned_after_unresolved"})
    figure = plots.response_surface(churned, "organisation.silo_strength",
                                    "interventions.training.hours", "churned_after_unresolved")
    assert figure.axes[1].get_ylabel() == "Churned after unresolved (customers)"
    with pytest.raises(ParameterError, match="at least 3"):
        plots.response_surface(frame.iloc[:2], "organisation.silo_strength",
                               "interventions.training.hours", "csat")


# --- bad input ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(metric=st.one_of(st.sampled_from(["csat", "fcr", "revenue", "nps", "day", "seed",
                                         "quality_mean", ""]), st.text(max_size=8)),
       colour=st.one_of(st.sampled_from(["department", "engagement", "strain", "level"]),
                        st.text(max_size=6)),
       scenario=st.one_of(st.none(), st.sampled_from(["Baseline", "Breaking silos"]),
                          st.text(max_size=6)))
def test_fuzzed_arguments_give_a_figure_or_a_one_line_error(comparison, model, metric,
                                                           colour, scenario):
    calls = [lambda: plots.headline_series(comparison, [metric]),
             lambda: plots.effects(comparison, [metric]),
             lambda: plots.journey_heatmap(comparison, metric, scenario),
             lambda: plots.network(model, colour)]
    for call in calls:
        try:
            figure = call()
        except ParameterError as error:
            assert "\n" not in str(error)
        else:
            assert isinstance(figure, Figure)
