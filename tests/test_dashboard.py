"""The dashboard, headless in solara's test harness: controls, Step, Reset, presets, the
scenario picker, slider ranges (fuzzed), and the ``cxsim dashboard`` command's errors."""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solara.widgets import VegaLite

from cxsim.core.parameters import PARAMETERS_BY_NAME, ParameterError
from cxsim.engine.metrics import DEPARTMENT_FIELDS
from cxsim.experiments.scenarios import library, load_scenario
from cxsim.interfaces import dashboard
from cxsim.interfaces.cli import main
from cxsim.interfaces.plots import network_layout

SLIDER_NAMES = dashboard.LEVERS + dashboard.SIZE


def slider_label(name: str) -> str:
    return dashboard.label(PARAMETERS_BY_NAME[name])


def render(scenario: str = "baseline"):
    """The dashboard in an app layout (as solara run shows it) and its live model."""
    model = solara.reactive(dashboard.setup(scenario).build())
    _, rc = solara.render(solara.AppLayout(children=[dashboard.Dashboard(scenario, model=model)]),
                          handle_error=False)
    return rc, model


def button(rc, text: str):
    return rc.find(v.Btn, children=[text]).widget


def slider(rc, name: str):
    return rc.find(v.Slider, label=slider_label(name)).widget


def test_every_control_is_present():
    rc, _ = render()
    for text in ("Reset", "▶", "Step", *dashboard.PRESETS):
        button(rc, text)
    for name in SLIDER_NAMES:
        widget = slider(rc, name)
        parameter = PARAMETERS_BY_NAME[name]
        assert parameter.low <= widget.min <= widget.max <= parameter.high
    picker = rc.find(v.Select, label="Scenario library").widget
    assert set(library()) <= set(picker.items)
    assert picker.v_model == "baseline"


def test_sliders_start_at_the_scenario_values_and_workshop_size():
    rc, model = render("p13_cx_in_support")
    scenario = load_scenario("p13_cx_in_support")
    for name in dashboard.LEVERS:
        assert slider(rc, name).v_model == pytest.approx(scenario.config[name])
    for name, size in dashboard.WORKSHOP_SIZE.items():
        assert slider(rc, name).v_model == size
        assert model.value.p[name] == size


def test_step_advances_the_model_by_one_day():
    rc, model = render()
    live = model.value
    rows = len(live.datacollector.get_model_vars_dataframe())
    for expected_day in (1, 2, 3):
        button(rc, "Step").click()
        assert model.value is live
        assert live.day == expected_day
    assert len(live.datacollector.get_model_vars_dataframe()) == rows + 3


def test_reset_rebuilds_the_model_with_the_slider_values():
    rc, model = render()
    button(rc, "Step").click()
    slider(rc, "silo_strength").v_model = 0.25
    slider(rc, "n_employees").v_model = 120
    slider(rc, "n_customers").v_model = 2000
    button(rc, "Reset").click()
    rebuilt = model.value
    assert rebuilt.day == 0
    assert rebuilt.p.silo_strength == pytest.approx(0.25)
    assert (rebuilt.p.n_employees, rebuilt.p.n_customers) == (120, 2000)
    assert rebuilt.n_employees == 120
    # the rest of the scenario stays as it was
    assert rebuilt.p.cx_ownership == load_scenario("baseline").config.cx_ownership


@pytest.mark.parametrize("preset", list(dashboard.PRESETS))
def test_a_preset_sets_the_sliders_and_rebuilds_the_model(preset):
    rc, model = render()
    button(rc, "Step").click()
    button(rc, preset).click()
    scenario = load_scenario(dashboard.PRESETS[preset])
    for name in dashboard.LEVERS:
        assert slider(rc, name).v_model == pytest.approx(scenario.config[name]), name
        assert model.value.p[name] == pytest.approx(scenario.config[name])
    assert model.value.day == 0
    # Reset after a preset builds the preset's organisation again
    button(rc, "Step").click()
    button(rc, "Reset").click()
    assert model.value.day == 0
    assert model.value.p.cx_ownership == pytest.approx(scenario.config.cx_ownership)


def test_the_two_presets_differ_where_the_library_files_differ():
    silos, shared = (load_scenario(name).config for name in dashboard.PRESETS.values())
    changed = [name for name in dashboard.LEVERS if silos[name] != shared[name]]
    assert {"cx_ownership", "shared_metrics", "voc_loop"} <= set(changed)


def test_the_scenario_picker_loads_a_library_scenario_with_its_interventions():
    rc, model = render()
    rc.find(v.Select, label="Scenario library").widget.v_model = "training"
    scenario = load_scenario("training")
    assert [iv.kind for iv in model.value.interventions] == [
        iv.kind for iv in scenario.interventions]
    assert rc.find(v.Select, label="Scenario library").widget.v_model == "training"


def test_department_burnout_bars_show_the_recorders_values():
    model = dashboard.setup("baseline").build()
    for _ in range(3):
        model.step()
    frame = dashboard.department_burnout_frame(model)
    expected = model.recorder.by_department[model.day, :, DEPARTMENT_FIELDS.index(
        "burnout_share")]
    assert list(frame.department) == model.structure.department_names
    assert list(frame.burnout) == pytest.approx(list(expected), nan_ok=True)


def spec_frames(spec: dict) -> list[pd.DataFrame]:
    """The inline CSV data of a Vega-Lite spec, one frame per dataset (Altair moves a
    chart's data to the spec's named ``datasets``)."""
    return [pd.read_csv(io.StringIO(values)) for values in spec.get("datasets", {}).values()]


def chart_frames(rc) -> list[pd.DataFrame]:
    """The data of every Vega-Lite chart on the page."""
    return [frame for widget in rc.find(VegaLite).widgets for frame in spec_frames(widget.spec)]


def test_every_chart_is_redrawn_after_a_step():
    rc, model = render()
    before = [widget.spec for widget in rc.find(VegaLite).widgets]
    days_before = [frame["day"].max() for frame in chart_frames(rc) if "day" in frame]
    assert len(days_before) == len(dashboard.PLOTS)
    button(rc, "Step").click()
    button(rc, "Step").click()
    days_after = [frame["day"].max() for frame in chart_frames(rc) if "day" in frame]
    assert days_after == [day + 2 for day in days_before]
    after = [widget.spec for widget in rc.find(VegaLite).widgets]
    assert len(after) == len(before) == len(dashboard.PLOTS) + 2  # + burnout + network
    assert all(new["datasets"] != old["datasets"] for new, old in zip(after, before)
               if "people" in new["datasets"] or "daily" in new["datasets"])
    burnout = next(spec for spec in after if "burnout" in spec["datasets"])
    expected = dashboard.department_burnout_frame(model.value)
    assert burnout["datasets"]["burnout"] == dashboard.csv_text(expected)


def test_every_chart_template_is_a_valid_vega_lite_spec():
    for measure, title, limits in dashboard.PLOTS:
        dashboard.metric_chart(tuple(measure.items()), title, limits).to_dict(validate=True)
    for colour_by in dashboard.NETWORK_COLOURS:
        dashboard.network_chart(colour_by).to_dict(validate=True)
    dashboard.department_burnout_chart().to_dict(validate=True)


def test_the_network_chart_shows_every_filled_position_and_tie():
    model = dashboard.setup("baseline").build()
    model.step()
    layout = network_layout(model)
    ties = dashboard.informal_ties_frame(model, layout)
    informal = [kind for *_, kind in model.network.edges(data="kind") if kind == "informal"]
    assert len(ties) == len(informal)
    across = (ties.tie == "across departments").mean()
    assert 0 < across < 0.5  # the baseline is siloed: most informal ties stay inside
    for colour_by in dashboard.NETWORK_COLOURS:
        spec = dashboard.network_spec(model, layout, dashboard.csv_text(ties), colour_by)
        people = pd.read_csv(io.StringIO(spec["datasets"]["people"]))
        assert len(people) == model.active.sum()
        assert people.value.to_numpy() == pytest.approx(
            getattr(model, colour_by)[model.active], abs=1e-5)
        centres = pd.read_csv(io.StringIO(spec["datasets"]["centres"]))
        assert set(centres.department) == set(model.structure.department_names)
    with pytest.raises(ParameterError, match="colour_by = 'department' is not allowed"):
        dashboard.network_spec(model, layout, dashboard.csv_text(ties), "department")


def test_metric_chart_names_and_colours_come_from_the_plot_list():
    model = dashboard.setup("baseline").build()
    model.step()
    daily = model.datacollector.get_model_vars_dataframe()
    for measure, title, limits in dashboard.PLOTS:
        spec = dashboard.metric_spec(daily, measure, title, limits)
        (data,) = spec_frames(spec)
        assert set(data.metric) == {dashboard.LEGEND[key] for key in measure}
        assert spec["encoding"]["color"]["scale"]["range"] == list(measure.values())
        assert len(data) == len(daily) * len(measure)
        assert spec["encoding"]["y"]["title"] == title


@st.composite
def slider_settings(draw):
    name = draw(st.sampled_from(sorted(library())))
    chosen = dashboard.setup(name)
    values = {}
    for key in SLIDER_NAMES:
        spec = chosen.params[key]
        positions = int(round((spec.max - spec.min) / spec.step))
        position = draw(st.integers(0, positions))
        value = spec.min + position * spec.step  # what a slider widget sends
        values[key] = min(value, spec.max) if spec.is_float_slider is False else value
    return chosen, values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slider_settings())
def test_any_slider_values_give_a_valid_configuration(drawn):
    chosen, values = drawn
    config = dashboard.slider_values_config(chosen, values)
    for key, value in values.items():
        parameter = PARAMETERS_BY_NAME[key]
        assert parameter.low <= config[key] <= parameter.high
        assert config[key] == pytest.approx(value)


def test_a_slider_value_out_of_its_range_is_refused():
    chosen = dashboard.setup("baseline")
    with pytest.raises(ParameterError, match="organisation.silo_strength = 1.5 is not allowed"):
        dashboard.slider_values_config(chosen, {"silo_strength": 1.5})


def test_reset_in_mesa_ignores_mesas_own_scenario_object():
    model = dashboard.DashboardModel(n_employees=40, n_customers=300, rng=3, scenario=object())
    twin = dashboard.DashboardModel(n_employees=40, n_customers=300, rng=3)
    for _ in range(3):
        model.step()
        twin.step()
    assert model.recorder.current == pytest.approx(twin.recorder.current, nan_ok=True)


def test_the_page_shows_the_clis_message_for_a_bad_scenario(monkeypatch):
    monkeypatch.setenv(dashboard.SCENARIO_VARIABLE, "no_such_scenario")
    _, rc = solara.render(solara.AppLayout(children=[dashboard.Page()]), handle_error=False)
    alert = rc.find(v.Alert).widget
    with pytest.raises(ParameterError) as raised:
        load_scenario("no_such_scenario")
    assert str(raised.value) in str(alert.children)


# --- the command ---------------------------------------------------------------------------


def test_invalid_scenario_gives_the_same_message_as_run(capsys):
    assert main(["run", "no_such_scenario"]) == 2
    run_message = capsys.readouterr().err
    assert main(["dashboard", "no_such_scenario"]) == 2
    assert capsys.readouterr().err == run_message
    assert run_message.count("\n") == 1


def test_a_port_in_use_is_a_clear_one_line_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"--port = {port} is not allowed: 127.0.0.1:{port} is already in use" in err


def test_an_unknown_host_is_a_clear_one_line_error(capsys):
    assert main(["dashboard", "--host", "no such host", "--port", "8765"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxsim: error: --host = 'no such host' is not allowed")
    assert err.count("\n") == 1


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(min_size=1, max_size=12).filter(lambda t: not t.strip().isdigit()),
                 st.integers(-10**6, 0).map(str), st.integers(65536, 10**9).map(str)))
def test_fuzzed_bad_ports_are_refused_before_anything_starts(port):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["dashboard", f"--port={port}"])
    assert status == 2
    assert err.getvalue().startswith("cxsim: error: --port = ")
    assert err.getvalue().count("\n") == 1


def test_the_command_binds_to_loopback_by_default():
    args = __import__("cxsim.interfaces.cli", fromlist=["build_parser"]).build_parser() \
        .parse_args(["dashboard"])
    assert args.host == "127.0.0.1"
    assert args.scenario == "baseline"


def test_dashboard_help_runs_without_starting_a_server():
    done = subprocess.run([sys.executable, "-m", "cxsim.interfaces.cli", "dashboard", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "--port" in done.stdout and "127.0.0.1" in done.stdout


def test_a_workshop_step_stays_light():
    """The model behind the dashboard at workshop size steps without touching Mesa's
    visualisation (the benchmark times step + redraw)."""
    model = dashboard.setup("baseline").build()
    assert (model.n_employees, model.p.n_customers) == (300, 10_000)
    model.step()
    assert np.isfinite(model.recorder.current["engagement_share"])


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=30).filter(lambda t: t not in library()))
def test_fuzzed_scenario_names_are_refused_in_the_clis_words(name):
    with pytest.raises(ParameterError) as raised:
        dashboard.setup(name)
    with pytest.raises(ParameterError) as from_run:
        load_scenario(name)
    assert str(raised.value) == str(from_run.value)


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=12).filter(lambda t: t not in dashboard.NETWORK_COLOURS))
def test_fuzzed_network_colourings_are_refused(colour_by):
    model = dashboard.DashboardModel(n_employees=40, n_customers=300, rng=1)
    layout = network_layout(model)
    ties = dashboard.csv_text(dashboard.informal_ties_frame(model, layout))
    with pytest.raises(ParameterError, match="colour_by = .* is not allowed"):
        dashboard.network_spec(model, layout, ties, colour_by)


class Replaced(Exception):
    """Raised by the stand-in for os.execve (the real one never returns)."""


def test_serve_runs_solara_on_loopback_with_the_scenario(monkeypatch, capsys):
    calls = []

    def execve(path, argv, env):
        calls.append((path, argv, env))
        raise Replaced

    monkeypatch.setattr(dashboard.os, "execve", execve)
    monkeypatch.delenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Replaced):
        main(["dashboard", "p13_cx_shared", "--port", str(port)])
    (path, argv, env), = calls
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == str(port)
    assert f"{dashboard.__name__}:Page" in argv and "--production" in argv
    assert env[dashboard.SCENARIO_VARIABLE] == "p13_cx_shared"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out
