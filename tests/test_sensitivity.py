"""Sensitivity analysis of sweeps (cxsim.experiments.sensitivity, cxsim.interfaces.plots).

The table, the CSV and the tornado plot are checked on sweeps shaped like ``load_sweep``'s
frame but built from the Ishigami function (known indices, no model); one tiny real model
sweep checks the whole path and that a parameter the model ignores ranks last.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from sweep_helpers import SMALL_BASE

from cxsim.core.parameters import ParameterError
from cxsim.experiments import designs, sensitivity
from cxsim.experiments.sensitivity import (
    CSV_NAME,
    averaged_metrics,
    format_table,
    run_sensitivity,
)
from cxsim.interfaces.plots import OKABE_ITO, tornado, write_tornados

PI = math.pi
PROBLEM = {"num_vars": 4, "names": ["x1", "x2", "ignored", "x3"], "bounds": [[-PI, PI]] * 4}
REPLICATES = 3


def ishigami(X: np.ndarray) -> np.ndarray:
    x1, x2, x3 = X[:, 0], X[:, 1], X[:, 3]  # column 2 ("ignored") is not used
    return np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3 ** 4 * np.sin(x1)


def fake_spec(design: str, samples: int, *, seed: int = 3, levels: int = 4) -> SimpleNamespace:
    """What run_sensitivity reads of a SweepSpec."""
    def points():
        return designs.sample(PROBLEM, design, samples, seed, levels=levels)
    return SimpleNamespace(design=design, samples=samples, seed=seed, levels=levels,
                           second_order=False, replicates=REPLICATES,
                           metrics=("nps", "csat", "churn_share_after_ignored"),
                           keys=PROBLEM["names"], problem=lambda: PROBLEM, points=points)


def sweep_frame(spec: SimpleNamespace) -> pd.DataFrame:
    """A frame shaped like load_sweep's: one row per (point, replicate); ``nps`` is the
    Ishigami function plus replicate noise that cancels in the mean over replicates,
    ``csat`` is constant and ``churn_share_after_ignored`` is undefined at one point."""
    X = designs.sample(PROBLEM, spec.design, spec.samples, spec.seed, levels=spec.levels)
    rows = []
    for point, x in enumerate(X):
        for replicate in range(REPLICATES):
            noise = (replicate - 1) * 0.5
            rows.append({"point": point, "replicate": replicate, "seed": spec.seed + replicate,
                         "spec_hash": f"{point}-{replicate}", "sweep_hash": "h",
                         "status": "done", "error": None,
                         **dict(zip(PROBLEM["names"], x, strict=True)),
                         "nps": float(ishigami(x[None, :])[0]) + noise, "csat": 0.8,
                         "churn_share_after_ignored": math.nan if point == 2 else 0.1 * x[0]})
    frame = pd.DataFrame(rows)
    # like the store: a point that coincides with an earlier one is run (and stored) once
    frame = frame.drop_duplicates([*PROBLEM["names"], "replicate"])
    # load_sweep sorts, but the analysis must not depend on the stored order
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture
def fake_sweep(monkeypatch):
    """Replace run_sweep by a function returning a prepared frame; records its calls."""
    calls = []

    def install(frame: pd.DataFrame):
        def run_sweep(spec, out, *, workers=None, scheduler=None, progress=True):
            calls.append({"out": out, "workers": workers, "scheduler": scheduler,
                          "progress": progress})
            return frame
        monkeypatch.setattr("cxsim.experiments.sweeps.run_sweep", run_sweep)
        return calls
    return install


# --- averaging ---------------------------------------------------------------------------


def test_metrics_are_averaged_over_replicates_in_point_order():
    spec = fake_spec("morris", 4)
    frame = sweep_frame(spec)
    X = spec.points()
    means = averaged_metrics(frame, X, PROBLEM["names"], REPLICATES, ["nps", "csat"])
    assert list(means.index) == list(range(20))
    assert np.allclose(means["nps"], ishigami(X))  # the replicate noise averages to 0
    assert np.allclose(means["csat"], 0.8)


def test_coinciding_points_share_their_stored_runs():
    spec = fake_spec("latin", 5)
    points = spec.points()
    points[3] = points[0]  # as Morris trajectories may share a point
    frame = sweep_frame(spec)
    frame = frame[frame["point"] != 3]  # stored once, as point 0
    means = averaged_metrics(frame, points, PROBLEM["names"], REPLICATES, ["nps"])
    assert means.loc[3, "nps"] == means.loc[0, "nps"]
    assert np.allclose(means["nps"], ishigami(points))


def test_failed_runs_are_refused_with_how_to_resume():
    spec = fake_spec("morris", 4)
    frame = sweep_frame(spec)
    frame.loc[5, ["status", "error"]] = ["failed", "Traceback ...\nValueError: boom"]
    with pytest.raises(ParameterError) as caught:
        averaged_metrics(frame, spec.points(), PROBLEM["names"], REPLICATES, ["nps"], "out/s")
    message = str(caught.value)
    assert "1 of its runs failed" in message and "ValueError: boom" in message
    assert "rerun `cxsim sweep SPEC --out out/s` to resume" in message
    assert "\n" not in message


@pytest.mark.parametrize(("damage", "missing"), [("drop a point", 3), ("drop a replicate", 1)])
def test_missing_runs_are_refused(damage, missing):
    spec = fake_spec("latin", 8)
    frame = sweep_frame(spec).sort_values(["point", "replicate"])
    frame = frame[frame["point"] != 7] if damage == "drop a point" else frame.iloc[1:]
    with pytest.raises(ParameterError, match=f"{missing} of its 24 runs are missing; rerun "
                                             "`cxsim sweep SPEC --out out/s` to resume"):
        averaged_metrics(frame, spec.points(), PROBLEM["names"], REPLICATES, ["nps"], "out/s")


# --- run_sensitivity (with a stand-in for run_sweep) -------------------------------------


def test_morris_sensitivity_ranks_the_ignored_input_last_and_writes_the_csv(fake_sweep,
                                                                          tmp_path):
    spec = fake_spec("morris", 20)
    calls = fake_sweep(sweep_frame(spec))
    frame = run_sensitivity(spec, tmp_path, ["nps"], workers=2, scheduler="local",
                            progress=False)
    assert calls == [{"out": tmp_path, "workers": 2, "scheduler": "local", "progress": False}]
    assert list(frame.columns) == ["metric", "parameter", "mu_star", "mu_star_conf", "sigma",
                                   "mu"]
    assert list(frame["parameter"])[-1] == "ignored"
    assert frame.set_index("parameter").loc["ignored", "mu_star"] == pytest.approx(0, abs=1e-12)
    written = pd.read_csv(tmp_path / CSV_NAME)
    pd.testing.assert_frame_equal(written, frame, check_dtype=False)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_sobol_sensitivity_recovers_the_ishigami_indices(fake_sweep, tmp_path):
    spec = fake_spec("sobol", 1024)
    fake_sweep(sweep_frame(spec))
    frame = run_sensitivity(spec, tmp_path, progress=False).set_index("parameter")
    assert list(frame.index) == ["x1", "x2", "x3", "ignored"]
    assert frame.loc["x1", "S1"] == pytest.approx(0.314, abs=0.05)
    assert frame.loc["x2", "S1"] == pytest.approx(0.442, abs=0.05)
    assert frame.loc["x3", "ST"] == pytest.approx(0.244, abs=0.05)
    assert frame.loc["ignored", "ST"] == pytest.approx(0.0, abs=1e-12)
    # csat is constant and churn_share_after_ignored is undefined at a point: left out
    assert set(frame["metric"]) == {"nps"}
    assert set(frame.attrs["skipped"]) == {"csat", "churn_share_after_ignored"}


def test_designs_without_indices_and_unknown_metrics_are_refused_before_any_run(fake_sweep,
                                                                              tmp_path):
    calls = fake_sweep(pd.DataFrame())
    with pytest.raises(ParameterError, match="design = 'latin' is not allowed for cxsim "
                                             "sensitivity: expected one of sobol, morris"):
        run_sensitivity(fake_spec("latin", 10), tmp_path)
    with pytest.raises(ParameterError, match="--metric = 'npss' is not allowed: .*did you "
                                             "mean nps"):
        run_sensitivity(fake_spec("morris", 4), tmp_path, ["npss"])
    with pytest.raises(ParameterError, match="--metric = \\[\\] is not allowed"):
        run_sensitivity(fake_spec("morris", 4), tmp_path, [])
    assert calls == []
    assert not (tmp_path / CSV_NAME).exists()


def test_a_sweep_with_nothing_to_analyse_is_refused(fake_sweep, tmp_path):
    spec = fake_spec("morris", 4)
    fake_sweep(sweep_frame(spec))
    with pytest.raises(ParameterError, match="csat does not vary over the sweep"):
        run_sensitivity(spec, tmp_path, ["csat"], progress=False)
    assert not (tmp_path / CSV_NAME).exists()


ODD_NAMES = (st.none() | st.integers() | st.text(max_size=8) | st.binary(max_size=3)
             | st.sampled_from(["nps", "csat", "churn_share_after_ignored"]))


@given(metrics=st.none() | ODD_NAMES | st.lists(ODD_NAMES | st.lists(st.integers(), max_size=1),
                                                max_size=3)
       | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
def test_fuzzed_metric_choices_are_accepted_or_refused_before_any_run(metrics):
    spec = fake_spec("latin", 4)  # refused after the metrics are checked: nothing runs
    with pytest.raises(ParameterError) as caught:
        run_sensitivity(spec, "unused", metrics)
    message = str(caught.value)
    assert "\n" not in message
    chosen = None if metrics is None else ([metrics] if isinstance(metrics, str) else metrics)
    valid = chosen is None or (isinstance(chosen, list) and chosen
                               and all(isinstance(m, str) and m in spec.metrics
                                       for m in chosen))
    assert message.startswith("design = 'latin'" if valid else "--metric = ")


# --- the table and the plot -----------------------------------------------------------


@pytest.fixture(scope="module")
def sobol_frame() -> pd.DataFrame:
    X = designs.sample(PROBLEM, "sobol", 256, 1)
    Y = ishigami(X)
    frames = [designs.analyse(PROBLEM, "sobol", X, y, 1).assign(metric=m)
              for m, y in (("nps", Y), ("revenue", 1000 * Y[::-1]))]
    return pd.concat(frames, ignore_index=True)[["metric", "parameter", "S1", "S1_conf", "ST",
                                                 "ST_conf"]]


@pytest.fixture(scope="module")
def morris_frame() -> pd.DataFrame:
    X = designs.sample(PROBLEM, "morris", 12, 1)
    indices = designs.analyse(PROBLEM, "morris", X, ishigami(X), 1)
    return indices.assign(metric="nps")[["metric", "parameter", "mu_star", "mu_star_conf",
                                         "sigma", "mu"]]


def test_table_lists_each_metric_sorted_by_importance_with_intervals(sobol_frame):
    table = format_table(sobol_frame.sample(frac=1.0, random_state=1))  # any row order
    blocks = {block.split(":")[0]: block.splitlines() for block in table.split("\n\n")}
    assert set(blocks) == {"nps", "revenue"}
    nps = blocks["nps"]
    assert nps[0].startswith("nps: Sobol indices")
    expected = sobol_frame.query("metric == 'nps'").sort_values("ST", ascending=False)
    assert [line.split()[0] for line in nps[2:]] == list(expected["parameter"])
    assert nps[-1].split()[0] == "ignored"
    x1 = sobol_frame.query("metric == 'nps' and parameter == 'x1'").iloc[0]
    x1_line = next(line for line in nps if line.split()[0] == "x1")
    assert f"{x1['S1']:.3g} ± {x1['S1_conf']:.3g}" in x1_line
    assert f"{x1['ST']:.3g} ± {x1['ST_conf']:.3g}" in x1_line
    widths = {len(line) for line in blocks["nps"][1:]}
    assert len(widths) == 1  # aligned columns


def test_morris_table_shows_units_and_notes_skipped_metrics(morris_frame):
    frame = morris_frame.copy()
    frame.attrs["skipped"] = {"csat": "does not vary over the sweep"}
    table = format_table(frame)
    assert "nps: Morris screening" in table and "in points)" in table
    assert table.splitlines()[-1] == "csat: not analysed, it does not vary over the sweep"
    assert table.split("\n\n")[0].splitlines()[-1].split()[0] == "ignored"


def test_sobol_tornado_shows_s1_and_st_side_by_side_most_important_on_top(sobol_frame):
    figure = tornado(sobol_frame, "nps")
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    labels = [t.get_text() for t in sorted(axes.get_yticklabels(),
                                           key=lambda t: -t.get_position()[1])]
    nps = sobol_frame.query("metric == 'nps'").set_index("parameter")
    assert labels == list(nps.sort_values("ST", ascending=False).index)
    assert labels[-1] == "ignored"
    assert "nps" in axes.get_title()
    assert "share of the metric's variance" in axes.get_xlabel()
    containers = axes.containers
    bars = [c for c in containers if hasattr(c, "patches")]
    assert len(bars) == 2 and all(len(c.patches) == 4 for c in bars)
    colours = {to_hex(c.patches[0].get_facecolor()) for c in bars}
    assert colours == {OKABE_ITO["blue"].lower(), OKABE_ITO["orange"].lower()}
    total = {p.get_y(): p.get_width() for p in bars[0].patches}
    assert total[max(total)] == pytest.approx(nps.loc[labels[0], "ST"])
    assert all(c.errorbar is not None for c in bars)  # confidence-interval whiskers


def test_morris_tornado_is_in_the_metric_unit_and_ignored_input_at_the_bottom(morris_frame):
    axes = tornado(morris_frame, "nps").axes[0]
    assert "points" in axes.get_xlabel()
    lowest = min(axes.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert lowest.get_text() == "ignored"


def test_tornado_from_the_csv_read_back_and_written_per_metric(sobol_frame, tmp_path):
    sobol_frame.to_csv(tmp_path / "s.csv", index=False)
    paths = write_tornados(pd.read_csv(tmp_path / "s.csv"), tmp_path)
    assert [p.name for p in paths] == ["tornado_nps.png", "tornado_revenue.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


@given(metric=ODD_NAMES)
def test_fuzzed_metric_names_plot_or_give_a_parameter_error(sobol_frame, metric):
    try:
        figure = tornado(sobol_frame, metric)
    except ParameterError as error:
        assert "\n" not in str(error) and metric not in ("nps", "revenue")
        return
    assert metric in ("nps", "revenue") and isinstance(figure, Figure)


def test_tornado_refuses_a_metric_the_frame_does_not_hold(sobol_frame):
    with pytest.raises(ParameterError, match="metric = 'np' is not allowed: did you mean nps"):
        tornado(sobol_frame, "np")
    with pytest.raises(ParameterError, match="expected metric, parameter and Sobol or Morris"):
        tornado(pd.DataFrame({"metric": ["nps"], "parameter": ["x"]}), "nps")


# --- a real model sweep ------------------------------------------------------------------

MORRIS_SPEC = """\
name = "tiny screening"
base = "small.toml"
design = "morris"
samples = 4
levels = 4
replicates = 2
seed = 11
outputs = ["nps", "csat", "final_window_days"]  # the last is constant: skipped

[[parameters]]
key = "service.defect_rate"
low = 0.03
high = 0.4

[[parameters]]
key = "economics.hiring_cost"
low = 1000
high = 20000
"""


@pytest.fixture(scope="module")
def model_screening(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    sweeps = pytest.importorskip("cxsim.experiments.sweeps")
    directory = tmp_path_factory.mktemp("screening")
    (directory / "small.toml").write_text(SMALL_BASE)  # 40 employees, 500 customers, 30 days
    (directory / "screening.toml").write_text(MORRIS_SPEC)
    spec = sweeps.load_sweep_spec(directory / "screening.toml")
    out = directory / "out"
    return out, run_sensitivity(spec, out, workers=1, progress=False)


def test_model_sensitivity_ranks_a_parameter_the_metric_ignores_last(model_screening):
    out, frame = model_screening
    assert set(frame["metric"]) == {"nps", "csat"}
    for metric in ("nps", "csat"):
        rows = frame[frame["metric"] == metric].set_index("parameter")
        assert list(rows.index) == ["service.defect_rate", "economics.hiring_cost"]
        # hiring_cost only prices hires: with the same seeds, the metric does not move
        assert rows.loc["economics.hiring_cost", "mu_star"] == pytest.approx(0, abs=1e-12)
        assert rows.loc["service.defect_rate", "mu_star"] > 0
    defects = frame[frame["metric"] == "nps"].set_index("parameter").loc["service.defect_rate"]
    assert defects["mu"] < 0  # more defects, lower NPS
    pd.testing.assert_frame_equal(pd.read_csv(out / CSV_NAME), frame, check_dtype=False)


def test_model_sensitivity_resumes_from_the_store_with_the_same_indices(model_screening):
    out, frame = model_screening
    sweeps = pytest.importorskip("cxsim.experiments.sweeps")
    spec = sweeps.load_sweep_spec(out.parent / "screening.toml")
    again = run_sensitivity(spec, out, workers=1, progress=False)  # every run is stored
    pd.testing.assert_frame_equal(again, frame)
    assert sensitivity.CSV_NAME in {p.name for p in out.iterdir()}


def test_cli_sensitivity_plots_the_metrics_it_analysed_and_skips_constant_ones(model_screening,
                                                                               capsys):
    from cxsim.interfaces.cli import main

    out, frame = model_screening
    code = main(["sensitivity", str(out.parent / "screening.toml"), "--out", str(out),
                 "--workers", "1", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "final_window_days" in printed  # named as skipped, not plotted
    assert (out / "tornado_nps.png").stat().st_size > 0
    assert (out / "tornado_csat.png").stat().st_size > 0
    assert not (out / "tornado_final_window_days.png").exists()
