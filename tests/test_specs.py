"""RunSpec: the unit of work that travels (hash, pickling, running), and the model-free
Result it returns."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxsim
from cxsim.core.parameters import ParameterError
from cxsim.engine.interventions import CXTraining
from cxsim.experiments.specs import RunSpec, run_spec

TINY = dict(n_employees=60, n_customers=800, burn_in_days=8, days=12)
TRAINING = {"type": "training", "start": 2, "levels": ["frontline"], "hours": 8}
PY312 = Path("/root/.pyenv/versions/3.12.1/bin/python")


def _spec(**changes) -> RunSpec:
    args = dict(seed=5, interventions=[TRAINING], scenario="tiny training") | changes
    return RunSpec.build(**args, **TINY)


# --- the hash ----------------------------------------------------------------------------


def test_equal_specs_have_equal_hashes_and_differences_change_them():
    spec = _spec()
    assert spec == _spec() and hash(spec) == hash(_spec())
    assert spec.content_hash == _spec().content_hash
    assert len(spec.content_hash) == 64
    # an integer in a float field is the same run: same hash
    assert _spec(interventions=[TRAINING | {"hours": 8.0}]).content_hash == spec.content_hash
    # the name is a label, not content
    assert _spec(scenario="another name").content_hash == spec.content_hash
    others = [_spec(seed=6), _spec(interventions=[]), _spec(record=("teams",)),
              _spec(interventions=[TRAINING | {"hours": 9}]),
              RunSpec.build(seed=5, interventions=[TRAINING], **(TINY | {"days": 13})),
              _spec(structure={"segments": [{"name": "all", "share": 1.0,
                                             "value_multiplier": 1.0, "expectation": 0.5}]})]
    hashes = {o.content_hash for o in others} | {spec.content_hash}
    assert len(hashes) == len(others) + 1


_HASH_IN_CHILD = """
import sys
from cxsim.experiments.specs import RunSpec
spec = RunSpec.build(seed=5, interventions=[{"type": "training", "start": 2,
                     "levels": ["frontline"], "hours": 8}], scenario="tiny training",
                     n_employees=60, n_customers=800, burn_in_days=8, days=12)
print(spec.content_hash)
"""


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_hash_is_the_same_in_another_process(hash_seed):
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    child = subprocess.run([sys.executable, "-c", _HASH_IN_CHILD], env=env, check=True,
                           capture_output=True, text=True)
    assert child.stdout.strip() == _spec().content_hash


_STDLIB_HASH = """
import hashlib, json, sys
data = json.loads(sys.stdin.read())
payload = {k: v for k, v in data.items() if k not in ("scenario", "hash")}
text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                  allow_nan=False)
print(hashlib.sha256(text.encode("ascii")).hexdigest())
"""


@pytest.mark.parametrize("python", [sys.executable, str(PY312)])
def test_hash_is_the_documented_canonical_json_in_any_python(python):
    """The hash is recomputed from the spec's JSON by the standard library alone, in this
    Python and in Python 3.12 (a bare interpreter without cxsim)."""
    if not Path(python).exists():
        pytest.skip(f"{python} is not installed")
    spec = _spec()
    child = subprocess.run([python, "-c", _STDLIB_HASH], input=json.dumps(spec.to_dict()),
                           check=True, capture_output=True, text=True)
    assert child.stdout.strip() == spec.content_hash


# --- round trips -------------------------------------------------------------------------


def test_spec_pickles_and_round_trips_through_json():
    spec = _spec()
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec and again.content_hash == spec.content_hash
    via_json = RunSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert via_json == spec and via_json.content_hash == spec.content_hash
    assert spec.config.n_employees == 60 and spec.days == 12 and spec.burn_in_days == 8
    assert spec.intervention_tables[0]["type"] == "training"
    assert "tiny training" in repr(spec) and spec.content_hash[:12] in repr(spec)


@pytest.fixture(scope="module")
def result():
    return run_spec(_spec(record=("departments", "touchpoints", "teams")))


def test_run_spec_is_deterministic_and_records_its_spec(result):
    again = run_spec(_spec(record=("departments", "touchpoints", "teams")))
    pd.testing.assert_frame_equal(result.daily, again.daily)
    pd.testing.assert_frame_equal(result.teams, again.teams)
    assert result.spec == _spec(record=("departments", "touchpoints", "teams"))
    assert result.seed == 5
    assert RunSpec.from_result(result) is result.spec


def test_run_spec_equals_cxsim_run(result):
    by_run = cxsim.run(seed=5, interventions=[CXTraining(start=2, levels=("frontline",),
                                                         hours=8)], **TINY)
    pd.testing.assert_frame_equal(result.daily, by_run.daily)
    assert RunSpec.from_result(by_run).content_hash == result.spec.content_hash


def test_result_is_model_free_and_pickles(result):
    assert not hasattr(result, "model")
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(again.daily, result.daily)
    pd.testing.assert_frame_equal(again.teams, result.teams)
    assert again.summary() == pytest.approx(result.summary(), nan_ok=True)
    assert again.spec == result.spec and again.config == result.config


def test_frames_are_opt_in():
    light = run_spec(_spec())
    assert light.departments is None and light.touchpoints is None and light.teams is None
    assert light.files() == ["summary.json", "config.json", "daily.csv", "headline.png"]
    assert len(pickle.dumps(light)) < 200_000
    only_teams = run_spec(_spec(record=["teams"]))
    assert only_teams.teams is not None and only_teams.departments is None


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, needle", [
    (dict(seed=-1), "seed = -1"),
    (dict(seed="abc"), "seed = 'abc'"),
    (dict(seed=1.5), "seed = 1.5"),
    (dict(seed=True), "seed = True"),
    (dict(interventions=["training"]), "interventions[0] = 'training'"),
    (dict(interventions="training"), "interventions = 'training'"),
    (dict(structure=5), "structure = 5"),
    (dict(record=("everything",)), "record = 'everything'"),
    (dict(interventions=[{"type": "training", "hours": -1}]), "hours"),
])
def test_bad_spec_input_raises_parameter_errors(kwargs, needle):
    with pytest.raises(ParameterError) as info:
        _spec(**kwargs)
    assert needle in str(info.value)


def test_numpy_integer_seeds_are_accepted():
    assert _spec(seed=np.int64(5)) == _spec()
    assert _spec(seed=np.uint32(5)).seed == 5 and type(_spec(seed=np.int64(5)).seed) is int


@pytest.mark.parametrize("data, needle", [
    (5, "spec = 5"),
    ({"seed": 1, "colour": "red"}, "'colour'"),
    ({"parameters": {}}, "seed is missing"),
    ({"seed": 1, "parameters": {"n_employees": 3}}, "n_employees"),
])
def test_bad_spec_dicts_raise_parameter_errors(data, needle):
    with pytest.raises(ParameterError) as info:
        RunSpec.from_dict(data)
    assert needle in str(info.value)


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                  st.lists(st.integers(), max_size=2),
                  st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@given(seed=_JUNK, interventions=_JUNK, structure=_JUNK, record=_JUNK)
def test_fuzzed_spec_input_is_accepted_or_refused_cleanly(seed, interventions, structure,
                                                          record):
    try:
        spec = RunSpec.build(seed=seed, interventions=interventions or (),
                             structure=structure, record=record or (), **TINY)
    except ParameterError as error:
        assert "\n" not in str(error)
    else:
        assert spec == RunSpec.from_dict(spec.to_dict())
