"""Scenario files: extends, errors reported all at once, bad files, the library, schema."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from cxsim.core.parameters import Config, ParameterError
from cxsim.core.structure import Structure
from cxsim.engine.interventions import (
    AccountabilityPartnerships,
    CXTraining,
    Empowerment,
    from_dict,
)
from cxsim.engine.model import CXModel
from cxsim.experiments.scenarios import (
    LIBRARY_DIR,
    Scenario,
    library,
    load_scenario,
    merge,
    resolve,
)
from cxsim.experiments.schema import scenario_json_schema
from cxsim.interfaces.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _errors(path) -> list[str]:
    with pytest.raises(ParameterError) as info:
        load_scenario(path)
    return info.value.errors


def _cli_errors(capsys, argv: list[str]) -> list[str]:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines and all(line.startswith("cxsim: error: ") for line in lines), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines


# --- extends ----------------------------------------------------------------------------


def test_child_overrides_parent_and_tables_merge_key_by_key(tmp_path):
    _write(tmp_path, "parent.toml", 'name = "parent"\nseed = 4\n[organisation]\n'
           'silo_strength = 0.4\nn_employees = 300\n[[interventions]]\ntype = "training"\n')
    child = _write(tmp_path, "child.toml", 'extends = "parent.toml"\nname = "child"\n'
                   '[organisation]\nsilo_strength = 0.9\n')
    scenario = load_scenario(child)
    assert scenario.name == "child" and scenario.seed == 4
    assert scenario.config.silo_strength == 0.9 and scenario.config.n_employees == 300
    assert [iv.kind for iv in scenario.interventions] == ["training"]  # inherited


def test_child_interventions_replace_the_parents(tmp_path):
    _write(tmp_path, "parent.toml", '[[interventions]]\ntype = "training"\n'
           '[[interventions]]\ntype = "crm"\n')
    child = _write(tmp_path, "child.toml", 'extends = "parent.toml"\n'
                   '[[interventions]]\ntype = "coaching"\n')
    assert [iv.kind for iv in load_scenario(child).interventions] == ["coaching"]


def test_structure_tables_merge_and_their_arrays_replace(tmp_path):
    tables = Structure().to_dict()
    segments = [{"name": "all", "share": 1.0, "value_multiplier": 1.0, "expectation": 0.6}]
    parent = {"structure": {"segments": segments}}
    child = {"structure": {"touchpoints": tables["touchpoints"]}}
    merged = merge(parent, child)
    assert merged["structure"]["segments"] == segments
    assert merged["structure"]["touchpoints"] == tables["touchpoints"]


def test_a_chain_of_three_files_and_a_library_parent(tmp_path):
    _write(tmp_path, "a.toml", 'extends = "baseline"\n[organisation]\nsilo_strength = 0.3\n')
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "b.toml", 'extends = "../a.toml"\n[culture]\n'
           'leadership_commitment = 0.8\n')
    c = _write(tmp_path, "c.toml", 'extends = "sub/b.toml"\nname = "c"\n'
               '[organisation]\nn_employees = 200\n')
    scenario = load_scenario(c)
    assert scenario.name == "c" and scenario.seed == 1  # the seed of the library baseline
    assert scenario.config.silo_strength == 0.3
    assert scenario.config.leadership_commitment == 0.8
    assert scenario.config.n_employees == 200


def test_a_cycle_is_reported_with_its_chain(tmp_path, capsys):
    _write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    _write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    (message,) = _errors(tmp_path / "a.toml")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    assert f"{a} -> {b} -> {a}" in message and "cycle" in message
    (line,) = _cli_errors(capsys, ["run", str(a)])
    assert "cycle" in line


def test_a_file_extending_itself_is_a_cycle(tmp_path):
    path = _write(tmp_path, "self.toml", 'extends = "self.toml"\n')
    (message,) = _errors(path)
    assert f"{path} -> {path}" in message


def test_a_missing_parent_is_reported(tmp_path):
    path = _write(tmp_path, "child.toml", 'extends = "nothere.toml"\n')
    (message,) = _errors(path)
    assert "extends = 'nothere.toml'" in message and "does not exist" in message
    path = _write(tmp_path, "child2.toml", 'extends = "baseln"\n')
    (message,) = _errors(path)
    assert "'baseln'" in message and "did you mean baseline?" in message


@pytest.mark.parametrize("value", ["5", "true", '""', "[\"a.toml\"]"])
def test_a_bad_extends_value_is_reported(tmp_path, value):
    (message,) = _errors(_write(tmp_path, "x.toml", f"extends = {value}\n"))
    assert "extends" in message and "expected" in message


def test_errors_in_a_parent_name_the_parent(tmp_path):
    _write(tmp_path, "parent.toml", "[organisation\n")
    child = _write(tmp_path, "child.toml", 'extends = "parent.toml"\n')
    (message,) = _errors(child)
    assert "parent.toml" in message and "line 1, column" in message


# --- every error at once, did-you-mean ---------------------------------------------------

BAD_FILE = """\
name = 5
colour = "red"
[organisation]
silo_strength = 1.5
silo_strenght = 0.3
n_employees = true
[[interventions]]
type = "training"
hourz = 8
coverage = 2
[[interventions]]
type = "trainig"
[structure]
departmens = []
"""


def test_every_error_of_a_file_is_reported_at_once(tmp_path, capsys):
    path = _write(tmp_path, "bad.toml", BAD_FILE)
    errors = _errors(path)
    expected = ["name = 5 is not allowed", "unknown key 'colour': did you mean culture?",
                "organisation.silo_strength = 1.5 is not allowed: expected a number from 0 "
                "to 1", "unknown parameter 'organisation.silo_strenght': did you mean "
                "organisation.silo_strength?", "organisation.n_employees = True is not allowed",
                "unknown key 'interventions[1].training.hourz': did you mean hours?",
                "interventions[1].training.coverage = 2 is not allowed",
                "interventions[2].type = 'trainig' is not allowed",
                "(did you mean training?)",
                "unknown key 'structure.departmens': did you mean departments?"]
    text = "\n".join(errors)
    for needle in expected:
        assert needle in text, (needle, text)
    assert len(errors) == 9
    assert all(line.startswith(f"{path}: ") for line in errors)
    lines = _cli_errors(capsys, ["run", str(path)])
    assert len(lines) == 9


def test_an_intervention_starting_after_the_horizon_is_refused(tmp_path):
    path = _write(tmp_path, "late.toml", '[run]\ndays = 100\n[[interventions]]\n'
                  'type = "training"\nstart = 100\n')
    (message,) = _errors(path)
    assert "interventions[1].training.start = 100 is not allowed" in message
    assert "run.days = 100" in message and "from 0 to 99" in message


def test_an_intervention_starting_after_the_horizon_is_refused_when_a_model_is_built():
    with pytest.raises(ParameterError) as info:
        CXModel(n_employees=40, n_customers=200, days=30, rng=1,
                interventions=[CXTraining(start=30)])
    assert "interventions.training.start = 30" in str(info.value)
    assert "run.days = 30" in str(info.value)


# --- files that are not scenario files ------------------------------------------------


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = _write(tmp_path, "bom.toml", b'\xef\xbb\xbfname = "with BOM"\n')
    assert load_scenario(path).name == "with BOM"


@pytest.mark.parametrize("content, needle", [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>", "NUL bytes"),
    ('name = "Café"\n'.encode("latin-1"), "not UTF-8 text (byte 0xe9 on line 1)"),
    ('name = "x"\n'.encode("utf-16"), "not UTF-8 text"),
    (b"[organisation\n", "line 1, column 14"),
    (b"a = " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
])
def test_files_that_are_not_toml_text_give_one_clear_line(tmp_path, capsys, content, needle):
    path = _write(tmp_path, "scenario.toml", content)
    (message,) = _errors(path)
    assert needle in message and str(path) in message
    _cli_errors(capsys, ["run", str(path)])


def test_a_compiled_program_is_not_a_scenario(capsys):
    (message,) = _errors(sys.executable)
    assert "not a text file" in message
    _cli_errors(capsys, ["run", sys.executable])


def test_a_directory_is_said_to_be_a_directory(tmp_path, capsys):
    (message,) = _errors(tmp_path)
    assert "is a directory" in message and "does not exist" not in message
    _cli_errors(capsys, ["run", str(tmp_path)])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_reported_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: outcome.append(_catch(fifo)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert isinstance(outcome[0], ParameterError) and "FIFO" in str(outcome[0])
    assert "does not exist" not in str(outcome[0])


def _catch(path) -> BaseException | None:
    try:
        load_scenario(path)
    except BaseException as error:  # noqa: BLE001 - the test inspects what was raised
        return error
    return None


def test_missing_files_and_paths_below_a_file(tmp_path):
    (message,) = _errors(tmp_path / "nothere.toml")
    assert "does not exist" in message
    below = _write(tmp_path, "file.toml", "")
    (message,) = _errors(below / "x.toml")
    assert "does not exist" in message and "is a file" in message


@pytest.mark.parametrize("value", [5, None, ["a.toml"], 3.5])
def test_load_scenario_refuses_what_is_not_a_path(value):
    with pytest.raises(ParameterError) as info:
        load_scenario(value)
    assert "scenario" in str(info.value) and "expected a path" in str(info.value)


# --- numbers and shapes -------------------------------------------------------------------

HUGE = "1" + "0" * 400


@pytest.mark.parametrize("text, needle", [
    (f"[organisation]\nn_employees = {HUGE}\n", "organisation.n_employees = 100000000000..."),
    (f'[[interventions]]\ntype = "training"\nintensity = {HUGE}\n',
     "interventions[1].training.intensity = 100000000000... (401 digits)"),
    (f"seed = {HUGE}\n", "seed = 100000000000..."),
    ("structure = 5\n", "structure = 5 is not allowed"),
    ("[structure]\ndepartments = 5\n", "structure.departments = 5 is not allowed"),
    ('[[structure.departments]]\nname = ["a"]\nshare = 0.5\n',
     "structure.departments[1].name = ['a'] is not allowed"),
    ("[[structure.segments]]\nname = 3\nshare = 1\nvalue_multiplier = 1\nexpectation = 0.5\n",
     "structure.segments[1].name = 3 is not allowed"),
    ("[structure]\nsegments = [1, 2]\n", "structure.segments[1] = 1 is not allowed"),
    ("[[structure.touchpoints]]\nname = \"x\"\nowner = \"support\"\nstage = \"routine\"\n"
     "effort = 1e308\n", "structure.touchpoints.x.effort = 1e+308 is not allowed"),
    ('[[interventions]]\ntype = "accountability"\nties_per_employee = 1e6\n',
     "interventions[1].accountability.ties_per_employee = 1000000.0 is not allowed"),
    ('[[interventions]]\ntype = "voc_loop"\nfixed_cost = 1e308\n',
     "interventions[1].voc_loop.fixed_cost = 1e+308 is not allowed"),
    ('[[interventions]]\ntype = "training"\ncost_per_employee_year = 1e308\n',
     "cost_per_employee_year = 1e+308 is not allowed"),
    ('[[interventions]]\ntype = "training"\ncost_per_hour = inf\n',
     "cost_per_hour = inf is not allowed"),
    ("[economics]\nrevenue_per_customer = 1e308\n", "economics.revenue_per_customer"),
    ("interventions = 5\n", "interventions = 5 is not allowed"),
    ("interventions = [5]\n", "interventions[1] = 5 is not allowed"),
    ("organisation = 5\n", "organisation = 5 is not allowed"),
    ('name = "' + "x" * 300 + '"\n', "name = 'xxxxxxxx"),
])
def test_bad_numbers_and_shapes_are_clean_errors(tmp_path, capsys, text, needle):
    path = _write(tmp_path, "scenario.toml", text)
    message = "\n".join(_errors(path))
    assert needle in message, message
    assert "expected" in message
    _cli_errors(capsys, ["run", str(path)])


def test_every_number_has_a_finite_upper_bound():
    from cxsim.core.parameters import PARAMETERS
    from cxsim.core.structure import ROW_RULES
    from cxsim.engine.interventions import INTERVENTIONS

    rules = [r for cls in INTERVENTIONS.values() for r in cls.field_rules().values()]
    rules += [r for table in ROW_RULES.values() for r in table.values()]
    numeric = [r for r in rules if r.kind in ("int", "float")]
    assert numeric and all(r.high is not None and np.isfinite(r.high) for r in numeric)
    assert all(np.isfinite(p.high) for p in PARAMETERS)


# --- Python objects ----------------------------------------------------------------------


def test_python_objects_with_bad_fields_are_parameter_errors():
    with pytest.raises(ParameterError, match=r"interventions.training.departments = 5"):
        CXTraining(departments=5)
    with pytest.raises(ParameterError, match=r"interventions.training.levels = 'staff'"):
        CXTraining(levels=["staff"])
    with pytest.raises(ParameterError) as info:
        CXTraining(hours=-1, coverage=3, start=-2)
    assert len(info.value.errors) == 3


@pytest.mark.parametrize("kwargs, needle", [
    ({"departments": 5}, "structure.departments = 5"),
    ({"segments": ["a"]}, "structure.segments = ['a']"),
])
def test_structure_objects_of_the_wrong_shape_are_parameter_errors(kwargs, needle):
    with pytest.raises(ParameterError, match=re.escape(needle)):
        Structure(**kwargs)


def test_structure_rows_with_wrong_types_are_parameter_errors():
    from cxsim.core.structure import DEFAULT_DEPARTMENTS, Department

    rows = DEFAULT_DEPARTMENTS[:-1] + (Department(5, "x"),)
    with pytest.raises(ParameterError) as info:
        Structure(departments=rows)
    assert "structure.departments[8].name = 5" in str(info.value)
    assert "structure.departments[8].share = 'x'" in str(info.value)


def test_fields_changed_after_construction_are_checked():
    iv = CXTraining()
    with pytest.raises(ParameterError, match=r"interventions.training.hours = -5"):
        iv.hours = -5
    assert iv.hours == 8.0
    with pytest.raises(ParameterError, match="ties_per_employee"):
        AccountabilityPartnerships().ties_per_employee = 1e6
    iv.hours = np.int64(4)
    assert iv.hours == 4.0 and type(iv.hours) is float
    iv.levels = "manager"
    assert iv.levels == ("manager",)
    iv._private_state = 3  # not a field: the model's own bookkeeping is not checked


def test_numpy_scalars_are_numbers_and_numpy_bools_are_not():
    iv = CXTraining(start=np.int64(3), hours=np.float32(4.0), coverage=np.float64(0.5),
                    refresh_days=np.int32(30))
    assert (iv.start, iv.hours, iv.coverage, iv.refresh_days) == (3, 4.0, 0.5, 30)
    assert type(iv.start) is int and type(iv.coverage) is float
    assert from_dict({"type": "empowerment", "guidelines": np.True_}).guidelines is True
    for field in ("start", "hours", "intensity"):
        with pytest.raises(ParameterError, match=field):
            CXTraining(**{field: np.bool_(True)})
    with pytest.raises(ParameterError, match="guidelines"):
        Empowerment(guidelines=np.int64(1))
    config = Config.from_flat({"n_employees": np.int64(300), "silo_strength": np.float32(0.5)})
    assert config.n_employees == 300 and type(config.n_employees) is int
    with pytest.raises(ParameterError):
        Config.from_flat({"n_employees": np.bool_(True)})
    tables = Structure().to_dict()
    tables["segments"][0]["share"] = np.float64(0.5)
    assert Structure.from_dict(tables).segments[0].share == 0.5


def test_interventions_and_their_errors_pickle():
    import pickle

    iv = CXTraining(hours=4)
    copy = pickle.loads(pickle.dumps(iv))
    assert copy == iv
    with pytest.raises(ParameterError):
        copy.hours = -1
    error = ParameterError(["a = 1 is not allowed", "b = 2 is not allowed"])
    assert pickle.loads(pickle.dumps(error)).errors == error.errors


# --- the library -------------------------------------------------------------------------


def test_every_library_scenario_loads_and_extends_the_baseline():
    names = library()
    assert len(names) >= 30
    for name, path in names.items():
        scenario = load_scenario(name)
        text = path.read_text()
        assert text.startswith("#"), f"{name} must open with a comment on what it represents"
        if name != "baseline":
            chain = [name]
            while chain[-1] != "baseline":
                raw = resolve_raw(library()[chain[-1]])
                chain.append(raw["extends"])
            assert scenario.seed == 1
        assert scenario.name and scenario.description


def resolve_raw(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text())


def test_the_library_covers_every_intervention_and_pattern():
    from cxsim.engine.interventions import INTERVENTIONS

    kinds = {iv.kind for name in library() for iv in load_scenario(name).interventions}
    assert kinds == set(INTERVENTIONS)
    for pattern in ("p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p13", "p14"):
        assert any(name.startswith(pattern) for name in library()), pattern
    ladder = sorted(load_scenario(n).config.silo_strength for n in library()
                    if n.startswith("silo_ladder_"))
    assert ladder == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    support, shared = load_scenario("p13_cx_in_support"), load_scenario("p13_cx_shared")
    assert support.config.cx_ownership < shared.config.cx_ownership
    assert support.config.shared_metrics < shared.config.shared_metrics
    combos = [n for n in library() if n.startswith("combo_")]
    assert len(combos) >= 2
    for name in combos:
        assert "Budget" in library()[name].read_text()


def test_experiments_scenarios_is_the_library():
    folder = ROOT / "experiments" / "scenarios"
    assert folder.resolve() == LIBRARY_DIR
    assert sorted(p.name for p in folder.glob("*.toml")) == sorted(
        p.name for p in library().values())


def test_cxsim_scenarios_lists_the_library_one_line_each(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(library())
    for line, (name, path) in zip(lines, library().items()):
        assert line.split()[0] == name
        assert load_scenario(path).description in line


def test_cxsim_run_accepts_a_library_name(capsys):
    argv = ["run", "training", "--employees", "60", "--customers", "800", "--days", "30",
            "--set", "run.burn_in_days=10", "--no-progress"]
    assert main(argv) == 0
    assert "Regular CX training" in capsys.readouterr().out
    lines = _cli_errors(capsys, ["run", "trainng"])
    assert "did you mean training" in lines[0]


def test_a_late_start_in_a_library_scenario_is_caught_when_days_shrink(capsys):
    # combo_frontline_excellence starts its CRM on day 60: --days 30 cuts it off
    lines = _cli_errors(capsys, ["run", "combo_frontline_excellence", "--days", "30"])
    assert any("start = 60" in line and "run.days = 30" in line for line in lines)


def test_the_library_is_installed_with_a_non_editable_package(tmp_path):
    # build the package as a wheel or `pip install .` lays it out (setuptools' build_py,
    # which copies package data), then import it from there, away from the checkout
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(target)], capture_output=True, text=True, cwd=ROOT)
    assert build.returncode == 0, build.stderr
    script = ("import cxsim.experiments.scenarios as s; "
              "assert 'site' in s.__file__, s.__file__; "
              "print(len(s.library())); s.load_scenario('combo_culture_programme')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(library())


# --- schema --------------------------------------------------------------------------------


def test_cxsim_schema_prints_a_json_schema_the_library_satisfies(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(scenario_json_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name, path in library().items():
        raw = resolve_raw(path)
        assert not list(validator.iter_errors(raw)), name
        assert not list(validator.iter_errors(resolve(path))), name


@pytest.mark.parametrize("spec", [
    {"organisation": {"silo_strength": 1.5}},
    {"organisation": {"silo_strenght": 0.5}},
    {"interventions": [{"type": "trainig"}]},
    {"interventions": [{"type": "training", "hours": 0}]},
    {"interventions": [{"type": "training", "guidelines": True}]},
    {"seed": True},
    {"structure": {"departments": [{"name": "x"}]}},
])
def test_the_schema_and_the_validator_agree_on_bad_files(spec):
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    assert list(validator.iter_errors(spec))
    with pytest.raises(ParameterError):
        Scenario.from_dict(spec)


@pytest.mark.parametrize("command", ["scenarios", "schema"])
def test_a_reader_that_stops_early_is_not_an_error(command):
    # `cxsim scenarios | head -1`: the pipe closes before cxsim writes
    process = subprocess.Popen([sys.executable, "-m", "cxsim.interfaces.cli", command],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr
