"""Results (cxsim.run, Result), scenario files and the command line."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from conftest import pooled
from hypothesis import given
from hypothesis import strategies as st

import cxsim
from cxsim.core.parameters import PARAMETERS, ParameterError, parameters_markdown
from cxsim.engine.interventions import CXTraining, Recognition
from cxsim.engine.metrics import DAILY_METRICS, DEPARTMENT_FIELDS, TEAM_FIELDS, TOUCHPOINT_FIELDS
from cxsim.experiments.scenarios import load_scenario
from cxsim.interfaces.cli import main
from cxsim.results import SUMMARY_DOC

PARAMS = dict(n_employees=80, n_customers=3000, burn_in_days=20, days=40)
HEADLINE_KEYS = ("csat", "nps", "fcr", "engagement_share", "churn_rate", "revenue")
FILES = ("summary.json", "daily.csv", "departments.csv", "touchpoints.csv", "teams.csv",
         "units.csv", "config.json", "headline.png")
TINY_ARGS = ["--employees", "80", "--customers", "3000", "--days", "30",
             "--set", "run.burn_in_days=20", "--no-progress"]


@pytest.fixture(scope="module")
def result():
    return cxsim.run(seed=3, interventions=[CXTraining(), Recognition(start=10)], **PARAMS)


# --- Result ---------------------------------------------------------------------------------


def test_run_returns_result_with_documented_frames(result):
    assert not hasattr(result, "model")  # a Result is model-free (it pickles and travels)
    n_days = PARAMS["burn_in_days"] + PARAMS["days"] + 1
    assert isinstance(result, cxsim.Result)
    assert list(result.daily.columns) == list(DAILY_METRICS)
    assert len(result.daily) == n_days
    assert result.daily["day"].tolist() == list(range(-1, n_days - 1))
    assert (result.daily["intervention_day"] == result.daily["day"]
            - PARAMS["burn_in_days"]).all()
    assert list(result.departments.columns) == ["day", "intervention_day", "department",
                                                *DEPARTMENT_FIELDS]
    assert list(result.touchpoints.columns) == ["day", "intervention_day", "touchpoint",
                                                "owner", *TOUCHPOINT_FIELDS]
    assert list(result.teams.columns) == ["day", "intervention_day", "team", "department",
                                          *TEAM_FIELDS]
    structure = result.structure
    assert len(result.departments) == n_days * len(structure.departments)
    assert len(result.touchpoints) == n_days * len(structure.touchpoints)
    n_teams = result.teams["team"].nunique()
    assert n_teams > len(structure.departments)
    assert len(result.teams) == n_days * n_teams
    assert set(result.departments["department"]) == set(structure.department_names)
    owners = {t.name: t.owner for t in structure.touchpoints}
    assert all(owners[t] == o for t, o in zip(result.touchpoints["touchpoint"],
                                              result.touchpoints["owner"]))
    assert set(result.teams["department"]) <= set(structure.department_names)
    for frame in (result.daily, result.departments, result.touchpoints, result.teams):
        assert frame["day"].dtype.kind == "i"


def test_summary_has_finite_headline_metrics(result):
    summary = result.summary()
    for key in HEADLINE_KEYS:
        assert key in summary and math.isfinite(summary[key]), key
    documented = [k for k in SUMMARY_DOC if "<" not in k]
    assert set(documented) <= set(summary)
    for key in ("csat", "nps", "fcr", "engagement_share"):
        assert f"baseline_{key}" in summary
    assert 0 <= summary["csat"] <= 1 and 0 <= summary["fcr"] <= 1
    assert -100 <= summary["nps"] <= 100
    assert summary["churn_rate"] >= 0 and summary["revenue"] > 0
    assert all(isinstance(v, (int, float)) for v in summary.values())


def test_summary_agrees_with_the_daily_frame(result):
    summary, daily = result.summary(), result.daily
    w = result.config.summary_window_days
    last = daily.iloc[-w:]
    assert summary["csat"] == pytest.approx(pooled(last, "csat_top2", "responses"))
    assert summary["fcr"] == pytest.approx(pooled(last, "resolved_first", "first_contacts"))
    assert summary["nps"] == pytest.approx(
        100 * (last["nps_promoters"].sum() - last["nps_detractors"].sum())
        / last["responses"].sum())
    period = daily[daily["intervention_day"] >= 0]
    assert len(period) == PARAMS["days"]
    assert summary["revenue"] == pytest.approx(period["revenue"].sum())
    assert summary["churned"] == period["churned"].sum()
    assert summary["active_customers"] == daily["active_customers"].iloc[-1]
    assert summary["intervention_cost"] == pytest.approx(daily["intervention_cost"].sum())
    baseline = daily[(daily["day"] >= 0) & (daily["day"] < PARAMS["burn_in_days"])].iloc[-w:]
    assert summary["baseline_csat"] == pytest.approx(
        pooled(baseline, "csat_top2", "responses"))


def test_no_warm_up_means_no_baseline():
    summary = cxsim.run(seed=1, n_employees=60, n_customers=1500, burn_in_days=0,
                        days=20).summary()
    assert not any(k.startswith("baseline_") for k in summary)
    assert math.isfinite(summary["csat"])


def test_window_rejects_unknown_period(result):
    with pytest.raises(ValueError):
        result.window("middle")


def test_save_writes_every_file(result, tmp_path):
    out = result.save(tmp_path / "nested" / "out")
    for name in FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "headline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text(), parse_constant=_no_constants)
    for key, value in result.summary().items():
        assert (math.isnan(value) and summary[key] is None) or summary[key] == pytest.approx(
            value), key
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns) == list(DAILY_METRICS)
    assert np.allclose(daily["revenue"], result.daily["revenue"])
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 3
    assert config["parameters"]["organisation"]["n_employees"] == 80
    assert [iv["type"] for iv in config["interventions"]] == ["training", "recognition"]
    assert set(config["structure"]) == {"departments", "touchpoints", "segments"}
    for name, frame in (("departments", result.departments), ("touchpoints", result.touchpoints),
                        ("teams", result.teams)):
        assert len(pd.read_csv(out / f"{name}.csv")) == len(frame)


def _no_constants(name):
    raise AssertionError(f"bare {name} in JSON")


def test_summary_json_writes_undefined_values_as_null(tmp_path):
    # no warm-up: a short run where some shares have nothing to divide by
    short = cxsim.run(seed=2, n_employees=60, n_customers=800, burn_in_days=0, days=2)
    summary = short.summary()
    undefined = [k for k, v in summary.items() if isinstance(v, float) and math.isnan(v)]
    assert undefined, "expected at least one undefined ratio in a two-day run"
    short.save(tmp_path)
    text = (tmp_path / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    written = json.loads(text, parse_constant=_no_constants)
    assert all(written[k] is None for k in undefined)


def test_final_window_never_reaches_into_the_warm_up():
    short = cxsim.run(seed=2, n_employees=60, n_customers=800, burn_in_days=20, days=5)
    window = short.window("final")
    assert len(window) == 5 and (window["intervention_day"] >= 0).all()
    summary = short.summary()
    assert summary["final_window_days"] == 5 and summary["baseline_window_days"] == 20
    assert summary["csat"] == pytest.approx(pooled(window, "csat_top2", "responses"))


def test_plot_returns_a_figure(result):
    figure = result.plot()
    assert len([ax for ax in figure.axes if ax.get_visible()]) >= 6


# --- scenario files ---------------------------------------------------------------------------

SCENARIO = """
name = "Training test"
description = "Small scenario for tests."
seed = 7

[run]
burn_in_days = 20
days = 30

[organisation]
n_employees = 80
silo_strength = 0.5

[customers]
n_customers = 3000

[[interventions]]
type = "training"
start = 5
levels = ["frontline"]
hours = 8

[[interventions]]
type = "recognition"
departments = "support"
"""


def _write(tmp_path, text, name="scenario.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_scenario_file_loads(tmp_path):
    scenario = load_scenario(_write(tmp_path, SCENARIO))
    assert scenario.name == "Training test" and scenario.seed == 7
    assert scenario.config.silo_strength == 0.5 and scenario.config.n_employees == 80
    assert scenario.config.days == 30
    kinds = [iv.kind for iv in scenario.interventions]
    assert kinds == ["training", "recognition"]
    assert scenario.interventions[0].start == 5
    assert scenario.interventions[0].levels == ("frontline",)
    assert scenario.interventions[1].departments == ("support",)


def test_scenario_run_equals_python_run(tmp_path):
    scenario = load_scenario(_write(tmp_path, SCENARIO))
    from_file = cxsim.run(scenario.config, seed=scenario.seed,
                          interventions=scenario.interventions)
    by_hand = cxsim.run(seed=7, n_employees=80, n_customers=3000, burn_in_days=20, days=30,
                        silo_strength=0.5,
                        interventions=[CXTraining(start=5, levels=("frontline",)),
                                       Recognition(departments=("support",))])
    pd.testing.assert_frame_equal(from_file.daily, by_hand.daily)


@pytest.mark.parametrize("text, needle", [
    ('colour = "red"\n', "'colour'"),
    ('[organisation]\nsilo_strenght = 0.3\n', "organisation.silo_strength"),
    ('[organisation]\nsilo_strength = 1.3\n', "1.3"),
    ('seed = -4\n', "-4"),
    ('[[interventions]]\ntype = "training"\nhourz = 2\n', "hourz"),
    ('[[interventions]]\ntype = "training"\nintensity = 2.0\n', "intensity"),
    ('[[interventions]]\ntype = "nonsense"\n', "nonsense"),
    ('interventions = 3\n', "interventions"),
    ('[organisation\nsilo_strength = 0.3\n', "not valid TOML"),
])
def test_bad_scenario_files_raise_parameter_errors_naming_the_problem(tmp_path, text, needle):
    path = _write(tmp_path, text)
    with pytest.raises(ParameterError) as info:
        load_scenario(path)
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ParameterError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert "nope.toml" in str(info.value)


# --- command line ---------------------------------------------------------------------------


def test_cli_run_writes_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", *TINY_ARGS, "--seed", "4", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "CSAT" in stdout and "seed 4" in stdout and "80 employees" in stdout
    for name in FILES:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert all(key in summary for key in HEADLINE_KEYS)
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 4 and config["parameters"]["run"]["days"] == 30
    assert config["parameters"]["run"]["burn_in_days"] == 20


def test_cli_run_matches_the_python_api(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", *TINY_ARGS, "--seed", "4", "--set", "organisation.silo_strength=0.3",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    python = cxsim.run(seed=4, n_employees=80, n_customers=3000, days=30, burn_in_days=20,
                       silo_strength=0.3).summary()
    assert summary["revenue"] == pytest.approx(python["revenue"])
    assert summary["csat"] == pytest.approx(python["csat"])


def test_cli_runs_a_scenario_file_with_its_seed(tmp_path, capsys):
    path = _write(tmp_path, SCENARIO)
    assert main(["run", str(path), "--no-progress"]) == 0
    stdout = capsys.readouterr().out
    assert "Training test" in stdout and "seed 7" in stdout and "training" in stdout


def test_cli_params(capsys):
    assert main(["params"]) == 0
    stdout = capsys.readouterr().out
    assert all(p.name in stdout for p in PARAMETERS)
    assert main(["params", "--markdown"]) == 0
    assert capsys.readouterr().out == parameters_markdown()
    assert main(["params", "customers"]) == 0
    stdout = capsys.readouterr().out
    assert "loss_aversion" in stdout and "silo_strength" not in stdout


def _cli_error(capsys, argv) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("cxsim: error:")
    assert "\n" not in err, err
    assert "Traceback" not in captured.err + captured.out
    return err


@pytest.mark.parametrize("extra, needles", [
    (["--set", "organisation.silo_strength=3"], ["organisation.silo_strength", "3", "0 to 1"]),
    (["--set", "nope=1"], ["nope"]),
    (["--set", "culture.silo_strength=0.3"], ["culture.silo_strength",
                                              "organisation.silo_strength"]),
    (["--set", "organisation.silo_strength"], ["organisation.silo_strength"]),
    (["--days", "-5"], ["--days", "run.days", "-5"]),
    (["--employees", "abc"], ["--employees", "abc"]),
    (["--customers", "12.5"], ["--customers", "12.5"]),
    (["--seed", "-1"], ["--seed", "-1"]),
])
def test_cli_bad_input_exits_2_with_one_line(capsys, extra, needles):
    # the bad option comes last so that it overrides the tiny sizes where it repeats them
    err = _cli_error(capsys, ["run", *TINY_ARGS, *extra])
    for needle in needles:
        assert needle in err, (needle, err)


def test_cli_missing_scenario_file(capsys, tmp_path):
    err = _cli_error(capsys, ["run", str(tmp_path / "missing.toml"), *TINY_ARGS])
    assert "missing.toml" in err


@pytest.mark.parametrize("text, needles", [
    ('colour = "red"\n', ["colour"]),
    ('[[interventions]]\ntype = "training"\nhourz = 2\n', ["hourz"]),
    ('[[interventions]]\ntype = "training"\ncoverage = 1.5\n', ["coverage", "1.5"]),
    ('[[interventions]]\ntype = "training"\ndepartments = ["suport"]\n',
     ["departments", "suport"]),
    ('[organisation]\nspan_of_control = 1\n', ["organisation.span_of_control", "1"]),
])
def test_cli_bad_scenario_exits_2_with_one_line(capsys, tmp_path, text, needles):
    path = _write(tmp_path, text)
    err = _cli_error(capsys, ["run", str(path), *TINY_ARGS])
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.mark.parametrize("text, needles", [
    ('[[interventions]]\ntype = ["training"]\n', ["interventions[1].type", "training"]),
    ('[[interventions]]\ntype = "training"\nstart = true\n', ["start", "True"]),
    ('[[structure.segments]]\nname = "all"\nshare = 1.0\nvalue_multiplier = 1.0\n'
     'expectation = "high"\n', ["segments.all.expectation", "high"]),
])
def test_cli_wrongly_typed_scenario_values_exit_2(capsys, tmp_path, text, needles):
    # regression: these used to end in a TypeError traceback (exit 1)
    path = _write(tmp_path, text)
    err = _cli_error(capsys, ["run", str(path), *TINY_ARGS])
    for needle in needles:
        assert needle in err, (needle, err)


def test_cli_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--no-such-option"])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
    err = _cli_error(capsys, ["run", "--seed", "abc"])
    assert "--seed = abc" in err


# --- cxsim run: an honest table -----------------------------------------------------------


def test_cli_run_labels_the_change_as_drift_and_points_to_compare(capsys):
    assert main(["run", *TINY_ARGS, "--seed", "4"]) == 0
    stdout = capsys.readouterr().out
    assert "drift in run" in stdout and "not an effect" in stdout
    assert "cxsim compare" in stdout
    assert "(currency)" in stdout and " pp" in stdout


def test_share_changes_print_in_percentage_points():
    from cxsim.core.parameters import Config
    from cxsim.experiments.scenarios import Scenario
    from cxsim.interfaces.cli import format_summary

    summary = {"burnout_share": 0.019, "baseline_burnout_share": 0.020, "nps": 10.0,
               "baseline_nps": 12.5, "revenue_per_day": 1500.0,
               "baseline_revenue_per_day": 1000.0}
    text = format_summary(Scenario(), Config(), 1, summary)
    burnout = next(line for line in text.splitlines() if "burnt out" in line)
    assert burnout.split()[-2:] == ["-0.1", "pp"], burnout  # not "-5.0%"
    nps = next(line for line in text.splitlines() if line.startswith("NPS"))
    assert nps.split()[-2:] == ["-2.5", "pts"]
    revenue = next(line for line in text.splitlines() if line.startswith("Revenue per day"))
    assert "(currency)" in revenue and revenue.split()[-1] == "+500"


def test_cli_run_says_when_the_window_is_shorter_than_asked(capsys):
    assert main(["run", "--employees", "60", "--customers", "800", "--days", "5",
                 "--set", "run.burn_in_days=10", "--seed", "1", "--no-progress"]) == 0
    stdout = " ".join(capsys.readouterr().out.split())
    assert "the final window has 5 days, fewer than run.summary_window_days = 30" in stdout
    assert "only days after the warm-up" in stdout


def test_cli_run_without_a_seed_prints_and_records_the_drawn_seed(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", *TINY_ARGS, "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    seed = config["seed"]
    assert f"seed {seed} (drawn; repeat with --seed {seed})" in stdout
    assert main(["run", *TINY_ARGS, "--seed", str(seed), "--out", str(tmp_path / "again")]) == 0
    capsys.readouterr()
    assert (pd.read_csv(out / "daily.csv").equals(pd.read_csv(tmp_path / "again" / "daily.csv")))


def _refuse_to_run(*args, **kwargs):
    raise AssertionError("the run started although its --out was bad")


@pytest.mark.parametrize("where", ["file", "below_file"])
def test_cli_run_checks_out_before_running(capsys, tmp_path, monkeypatch, where):
    monkeypatch.setattr("cxsim.results.run", _refuse_to_run)
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    target = blocker if where == "file" else blocker / "sub" / "out"
    err = _cli_error(capsys, ["run", *TINY_ARGS, "--out", str(target)])
    assert "--out" in err and str(blocker) in err
    assert blocker.read_text() == "x"


# --- cxsim.run: the Python API's bad input -------------------------------------------------


@pytest.mark.parametrize("args, kwargs, needle", [
    (("file.toml",), {}, "load_scenario"),
    ((5,), {}, "config = 5"),
    ((), {"interventions": ["training"]}, "interventions[0] = 'training'"),
    ((), {"structure": 5}, "structure = 5"),
    ((), {"seed": -1}, "seed = -1"),
    ((), {"seed": "abc"}, "seed = 'abc'"),
    ((), {"seed": 2.0}, "seed = 2.0"),
    ((), {"record": ["everything"]}, "record = 'everything'"),
])
def test_run_bad_input_raises_parameter_errors(args, kwargs, needle):
    with pytest.raises(ParameterError) as info:
        cxsim.run(*args, **kwargs, **PARAMS)
    assert needle in str(info.value)


def test_run_accepts_numpy_seeds_and_scenarios(tmp_path):
    small = dict(n_employees=60, n_customers=800, burn_in_days=5, days=5)
    by_numpy = cxsim.run(seed=np.int64(3), **small)
    assert by_numpy.seed == 3 and type(by_numpy.seed) is int
    pd.testing.assert_frame_equal(by_numpy.daily, cxsim.run(seed=3, **small).daily)
    scenario = load_scenario(_write(tmp_path, SCENARIO))
    from_scenario = cxsim.run(scenario, days=8, burn_in_days=5)
    assert from_scenario.seed == 7 and from_scenario.interventions[0]["type"] == "training"
    drawn = cxsim.run(**small)
    assert isinstance(drawn.seed, int)
    pd.testing.assert_frame_equal(drawn.daily, cxsim.run(seed=drawn.seed, **small).daily)


# --- fuzzing the command line ----------------------------------------------------------------

_TOKENS = st.sampled_from(["--seed", "--days", "--employees", "--customers", "--set",
                           "--out", "--no-progress", "--progress", "0", "-1", "5", "1e3",
                           "abc", "", "x=1", "run.days=3", "organisation.silo_strength=0.3",
                           "nope", "=", "--", "/dev/null", "out/x"])


@given(tokens=st.lists(st.one_of(_TOKENS, st.text(max_size=6)), max_size=6))
def test_fuzzed_run_arguments_never_give_a_traceback(tokens, monkeypatch_module):
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(["run", *tokens])
        except SystemExit as exit_:  # argparse usage errors
            code = exit_.code
    assert code in (0, 2), (tokens, err.getvalue())
    assert "Traceback" not in err.getvalue()


@pytest.fixture(scope="module")
def monkeypatch_module(tiny_result, tmp_path_factory):
    """Replace the run behind ``cxsim run`` by a tiny stored Result (the fuzzer checks the
    argument handling, not the model), in a scratch working directory."""
    patch = pytest.MonkeyPatch()
    patch.setattr("cxsim.results.run", lambda *args, **kwargs: tiny_result)
    patch.chdir(tmp_path_factory.mktemp("fuzz_run"))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def tiny_result():
    return cxsim.run(seed=1, n_employees=60, n_customers=800, burn_in_days=5, days=5)


@given(text=st.text(max_size=12))
def test_integer_options_give_an_int_in_range_or_a_one_line_error(text):
    """Whatever text an integer option gets (control characters, line breaks, digits in
    other scripts), it is an integer in range or one error line naming the flag."""
    from cxsim.core.parameters import ParameterError
    from cxsim.interfaces.cli import _int_option

    try:
        value = _int_option(text, "--seed", 0, 10_000)
    except ParameterError as error:
        message = str(error)
        assert len(message.splitlines()) == 1
        assert message.startswith("--seed = ") and "expected an integer from 0 to 10000" in message
    else:
        assert isinstance(value, int) and 0 <= value <= 10_000


def test_a_control_character_in_an_integer_option_is_shown_on_one_line(capsys):
    from cxsim.interfaces.cli import main

    assert main(["run", "--seed", "\r", "--days", "5"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cxsim: error: --seed = '\\r' is not allowed")


def test_no_help_text_shows_an_escaped_percent_sign():
    """argparse formats argument help with %, but not descriptions: a '%%' written in a
    description is printed as it stands."""
    import argparse

    from cxsim.interfaces.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert commands.choices
    for name, sub in commands.choices.items():
        assert "%%" not in sub.format_help(), name
    assert "%%" not in parser.format_help()
