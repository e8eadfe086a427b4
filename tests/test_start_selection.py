"""experiments/start_selection.py's command line (its runs take minutes: the numbers it
prints are cited in docs/ODD.md, initialisation step 3)."""

from __future__ import annotations

import pytest
from experiment_helpers import load_experiment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def script():
    return load_experiment("start_selection")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([("--seeds", 2, None), ("--years", 1, 20), ("--workers", 1, None),
                        ("--first-seed", 0, None)]), st.integers(-10**9, 10**9))
def test_bad_arguments_are_one_line_errors(script, capsys, option, value):
    """Counts below their minimum and horizons beyond the model's longest warm-up stop
    before any run, exit 2, naming the option and the value."""
    name, low, high = option
    if low <= value and (high is None or value <= high):
        return
    with pytest.raises(SystemExit) as exit_:
        script.main([name, str(value)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{name} = {value} is not allowed" in err and "Traceback" not in err
