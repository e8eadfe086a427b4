"""Sampling designs and sensitivity indices (cxsim.experiments.designs).

Designs cover their bounds, have the documented number of rows and are deterministic for
a seed; Sobol indices recover the known values of the Ishigami function and Morris ranks
an ignored input last, through the same ``sample`` + ``analyse`` path a sweep uses; bad
design arguments always give a one-line ParameterError.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxsim.core.parameters import PARAMETERS, ParameterError, lookup
from cxsim.experiments.designs import (
    ANALYSED_DESIGNS,
    DESIGNS,
    INDEX_COLUMNS,
    MAX_POINTS,
    analyse,
    design_size,
    salib_problem,
    sample,
)

PI = math.pi
#: Parameters of very different scales, one of them negative.
MIXED = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0], [10.0, 1000.0],
                                                              [-5.0, -2.0]]}
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}
#: Ishigami (a = 7, b = 0.1): analytic first-order and total indices.
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
SEEDS = (1, 2, 3)


def ishigami(X: np.ndarray) -> np.ndarray:
    x1, x2, x3 = X[:, 0], X[:, 1], X[:, 2]
    return np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3 ** 4 * np.sin(x1)


def design_args(design: str) -> dict:
    """Arguments giving a design enough points to span its bounds."""
    return {"grid": {"samples": 5}, "latin": {"samples": 60}, "sobol": {"samples": 64},
            "morris": {"samples": 12, "levels": 4}}[design]


# --- the problem -----------------------------------------------------------------------


def test_problem_from_declared_parameters_and_intervention_fields():
    problem = salib_problem([("organisation.silo_strength", 0.2, 0.9),
                             ("n_employees", 40, 80),
                             ("interventions.training.intensity", 0.0, 1.0)])
    assert problem == {"num_vars": 3,
                       "names": ["organisation.silo_strength", "n_employees",
                                 "interventions.training.intensity"],
                       "bounds": [[0.2, 0.9], [40.0, 80.0], [0.0, 1.0]]}


def test_missing_bounds_default_to_the_declared_range():
    problem = salib_problem([("culture.leadership_commitment", None, None),
                             ("organisation.silo_strength", 0.3, None)])
    commitment, silo = lookup("leadership_commitment"), lookup("silo_strength")
    assert problem["bounds"] == [[commitment.low, commitment.high], [0.3, silo.high]]


@pytest.mark.parametrize(("parameters", "words"), [
    ([], ["parameters = []", "at least 1 parameter"]),
    ([("organisation.silo_strength", 0.9, 0.2)],
     ["organisation.silo_strength", "low = 0.9", "below high = 0.2"]),
    ([("organisation.silo_strength", 0.5, 0.5)], ["low = 0.5", "empty range"]),
    ([("organisation.silo_strength", 0.2, 1.5)],
     ["organisation.silo_strength", "high = 1.5", "from 0 to 1", "declared range"]),
    ([("organisation.n_employees", 5, 80)], ["low = 5", "from 20 to 200000"]),
    ([("organisation.silo_strenght", 0.2, 0.9)], ["'organisation.silo_strenght'",
                                                  "did you mean organisation.silo_strength"]),
    ([("organisation.silo_strength", float("nan"), 0.9)], ["low = nan", "finite number"]),
    ([("organisation.silo_strength", 0.1, 0.9), ("silo_strength", 0.2, 0.8)],
     ["parameters[1].key", "each parameter once"]),
    ([("interventions.training.intensity", None, 1.0)], ["low = None", "finite number"]),
    ([("organisation.silo_strength", 0.2)], ["parameters[0]", "(key, low, high)"]),
    ("organisation.silo_strength", ["parameters = ", "a list of (key, low, high)"]),
])
def test_bad_problems_are_refused_naming_field_value_and_what_is_allowed(parameters, words):
    with pytest.raises(ParameterError) as caught:
        salib_problem(parameters)
    for word in words:
        assert word in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParameterError) as caught:
        salib_problem([("organisation.silo_strength", 0.9, 0.2), ("nonsense", 0, 1)])
    assert len(caught.value.errors) == 2


# --- designs -----------------------------------------------------------------------------


@pytest.mark.parametrize("design", DESIGNS)
def test_designs_cover_their_bounds(design):
    X = sample(MIXED, design, seed=7, **design_args(design))
    low, high = np.array(MIXED["bounds"]).T
    assert X.shape[1] == 3
    assert np.all(X.min(axis=0) >= low) and np.all(X.max(axis=0) <= high)
    span = (X.max(axis=0) - X.min(axis=0)) / (high - low)
    assert np.all(span >= 0.9), span


@pytest.mark.parametrize(("design", "samples", "second_order", "rows"), [
    ("grid", 3, False, 27), ("grid", 2, False, 8), ("latin", 17, False, 17),
    ("sobol", 16, False, 16 * 5), ("sobol", 16, True, 16 * 8), ("morris", 5, False, 5 * 4),
])
def test_designs_have_the_documented_number_of_rows(design, samples, second_order, rows):
    X = sample(MIXED, design, samples, seed=1, second_order=second_order)
    assert X.shape == (rows, 3)
    assert design_size(design, samples, 3, second_order=second_order) == rows


@pytest.mark.parametrize("design", DESIGNS)
def test_designs_are_deterministic_for_a_seed_and_leave_global_state_alone(design):
    state = np.random.get_state()
    first = sample(MIXED, design, seed=11, **design_args(design))
    again = sample(MIXED, design, seed=11, **design_args(design))
    other = sample(MIXED, design, seed=12, **design_args(design))
    assert np.array_equal(first, again)
    if design != "grid":  # a grid has nothing random
        assert not np.array_equal(first, other)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(state, after, strict=True))


def test_grid_is_the_full_factorial_first_parameter_slowest():
    X = sample(MIXED, "grid", 3, seed=0)
    assert np.allclose(X[:3], [[0, 10, -5], [0, 10, -3.5], [0, 10, -2]])
    assert np.allclose(np.unique(X[:, 1]), [10, 505, 1000])
    assert len({tuple(row) for row in X}) == 27


def test_latin_hypercube_puts_one_point_in_each_stratum_of_each_parameter():
    X = sample(MIXED, "latin", 40, seed=3)
    low, high = np.array(MIXED["bounds"]).T
    strata = np.floor((X - low) / (high - low) * 40).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(40))


def test_morris_points_lie_on_the_levels_and_trajectories_move_one_parameter_at_a_time():
    X = sample(MIXED, "morris", 6, seed=5, levels=6)
    for (low, high), column in zip(MIXED["bounds"], X.T, strict=True):
        assert set(np.round(column, 9)) <= set(np.round(np.linspace(low, high, 6), 9))
    for trajectory in X.reshape(6, 4, 3):
        assert np.all((np.diff(trajectory, axis=0) != 0).sum(axis=1) == 1)


# --- analysis -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_sobol_indices_of_the_ishigami_function(seed):
    X = sample(ISHIGAMI, "sobol", 2048, seed)
    indices = analyse(ISHIGAMI, "sobol", X, ishigami(X), seed).set_index("parameter")
    assert list(indices.columns) == list(INDEX_COLUMNS["sobol"])
    assert list(indices.index) == ["x1", "x2", "x3"]  # sorted by total index
    for name in ISHIGAMI["names"]:
        assert indices.loc[name, "S1"] == pytest.approx(ISHIGAMI_S1[name], abs=0.04)
        assert indices.loc[name, "ST"] == pytest.approx(ISHIGAMI_ST[name], abs=0.04)
        assert 0 < indices.loc[name, "S1_conf"] < 0.1
        assert 0 < indices.loc[name, "ST_conf"] < 0.1


def test_sobol_confidence_intervals_cover_the_known_indices():
    covered, total = 0, 0
    for seed in range(4):
        X = sample(ISHIGAMI, "sobol", 512, seed)
        indices = analyse(ISHIGAMI, "sobol", X, ishigami(X), seed).set_index("parameter")
        for name in ISHIGAMI["names"]:
            for index, known in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
                error = abs(indices.loc[name, index] - known[name])
                covered += error <= indices.loc[name, f"{index}_conf"]
                total += 1
    assert covered / total >= 0.75  # nominal 95 %; the bootstrap is a little optimistic


@pytest.mark.parametrize("seed", SEEDS)
def test_morris_ranks_an_input_the_function_ignores_last(seed):
    problem = {"num_vars": 4, "names": ["x1", "x2", "ignored", "x3"],
               "bounds": [[-PI, PI]] * 4}
    X = sample(problem, "morris", 20, seed, levels=4)
    Y = ishigami(X[:, [0, 1, 3]])
    indices = analyse(problem, "morris", X, Y, seed, levels=4)
    assert list(indices.columns) == ["parameter", *INDEX_COLUMNS["morris"]]
    assert indices["parameter"].iloc[-1] == "ignored"
    ignored = indices.set_index("parameter").loc["ignored"]
    assert ignored["mu_star"] == 0 and ignored["sigma"] == 0
    assert indices["mu_star"].iloc[:3].min() > 1.0


def test_sobol_ranks_an_input_the_function_ignores_last():
    problem = {"num_vars": 4, "names": ["ignored", "x1", "x2", "x3"],
               "bounds": [[0.0, 1.0]] + [[-PI, PI]] * 3}
    X = sample(problem, "sobol", 512, 4)
    indices = analyse(problem, "sobol", X, ishigami(X[:, 1:]), 4)
    assert indices["parameter"].iloc[-1] == "ignored"
    assert indices.set_index("parameter").loc["ignored", "ST"] == pytest.approx(0, abs=1e-12)


def test_analysis_is_deterministic_for_a_seed():
    X = sample(ISHIGAMI, "morris", 10, 1)
    first = analyse(ISHIGAMI, "morris", X, ishigami(X), 9)
    assert first.equals(analyse(ISHIGAMI, "morris", X, ishigami(X), 9))


@pytest.mark.parametrize("design", ANALYSED_DESIGNS)
def test_a_metric_that_does_not_vary_gets_indices_zero(design):
    X = sample(ISHIGAMI, design, 16, 1)
    indices = analyse(ISHIGAMI, design, X, np.full(len(X), 3.5), 1)
    assert np.all(indices[list(INDEX_COLUMNS[design])].to_numpy() == 0)


@pytest.mark.parametrize("design", ["grid", "latin", "anova"])
def test_analysis_refuses_other_designs(design):
    X = np.zeros((10, 3))
    with pytest.raises(ParameterError, match=f"design = '{design}' is not allowed for "
                                             "sensitivity indices: expected one of sobol, "
                                             "morris"):
        analyse(ISHIGAMI, design, X, np.zeros(10), 0)


def test_analysis_refuses_values_that_do_not_match_the_points():
    X = sample(ISHIGAMI, "sobol", 16, 1)
    Y = ishigami(X)
    with pytest.raises(ParameterError, match="one finite value per point"):
        analyse(ISHIGAMI, "sobol", X, np.where(np.arange(len(Y)) == 3, np.nan, Y), 1)
    with pytest.raises(ParameterError, match="expected 79 finite points of 3 parameters"):
        analyse(ISHIGAMI, "sobol", X, Y[:-1], 1)
    with pytest.raises(ParameterError, match="expected a multiple of 5"):
        analyse(ISHIGAMI, "sobol", X[:-1], Y[:-1], 1)


# --- bad design arguments --------------------------------------------------------------


@pytest.mark.parametrize(("design", "arguments", "words"), [
    ("latin", {"samples": 0}, ["samples = 0", "positive integer"]),
    ("sobol", {"samples": 100}, ["samples = 100", "power of 2"]),
    ("sobol", {"samples": 0}, ["samples = 0", "power of 2"]),
    ("morris", {"samples": 4, "levels": 1}, ["levels = 1", "even integer of at least 2"]),
    ("morris", {"samples": 4, "levels": 3}, ["levels = 3", "even integer"]),
    ("morris", {"samples": 1}, ["samples = 1", "at least 2"]),
    ("grid", {"samples": 1}, ["samples = 1", "at least 2"]),
    ("grid", {"samples": 1000}, ["samples = 1000", "1000**3 points", f"at most {MAX_POINTS}"]),
    ("latin", {"samples": 2.5}, ["samples = 2.5"]),
    ("latin", {"samples": True}, ["samples = True"]),
    ("latin", {"samples": 5, "seed": -1}, ["seed = -1", "non-negative integer"]),
    ("full", {"samples": 5}, ["design = 'full'", "grid, latin, sobol, morris"]),
])
def test_designs_that_do_not_fit_are_refused(design, arguments, words):
    arguments = {"seed": 0, **arguments}
    with pytest.raises(ParameterError) as caught:
        sample(MIXED, design, **arguments)
    assert "\n" not in str(caught.value)
    for word in words:
        assert word in str(caught.value)


def test_second_order_sobol_needs_two_parameters():
    one = {"num_vars": 1, "names": ["x"], "bounds": [[0.0, 1.0]]}
    assert sample(one, "sobol", 8, 0).shape == (24, 1)
    with pytest.raises(ParameterError, match="second_order = True is not allowed with 1"):
        sample(one, "sobol", 8, 0, second_order=True)


ANYTHING = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
            | st.text(max_size=5) | st.lists(st.integers(), max_size=2))
SMALL_INTEGERS = st.integers(-3, 40)


@given(design=st.sampled_from(DESIGNS) | st.text(max_size=6) | st.none(),
       samples=SMALL_INTEGERS | ANYTHING, levels=SMALL_INTEGERS | ANYTHING,
       seed=st.integers(-3, 2**70) | ANYTHING, second_order=st.booleans() | ANYTHING,
       num_vars=st.integers(1, 4))
def test_fuzzed_design_arguments_give_points_or_a_one_line_parameter_error(
        design, samples, levels, seed, second_order, num_vars):
    problem = {"num_vars": num_vars, "names": [f"p{i}" for i in range(num_vars)],
               "bounds": [[0.0, 1.0 + i] for i in range(num_vars)]}
    try:
        X = sample(problem, design, samples, seed, levels=levels, second_order=second_order)
    except ParameterError as error:
        assert "\n" not in str(error) and "is not allowed" in str(error)
        return
    assert X.shape == (design_size(design, samples, num_vars, second_order=second_order),
                       num_vars)
    assert np.all((X >= 0) & (X <= np.array([1.0 + i for i in range(num_vars)])))


NUMERIC_KEYS = [p.path for p in PARAMETERS if p.kind is not bool]


@given(st.lists(st.tuples(st.sampled_from(NUMERIC_KEYS) | st.text(max_size=12) | ANYTHING,
                          st.none() | st.floats() | st.integers(-10, 10**6) | ANYTHING,
                          st.none() | st.floats() | st.integers(-10, 10**6) | ANYTHING)
                | ANYTHING, max_size=4) | ANYTHING)
def test_fuzzed_problems_are_valid_or_a_parameter_error(parameters):
    try:
        problem = salib_problem(parameters)
    except ParameterError as error:
        assert all("\n" not in line for line in error.errors)
        return
    for name, (low, high) in zip(problem["names"], problem["bounds"], strict=True):
        assert low < high
        if not name.startswith("interventions."):
            declared = lookup(name)
            assert declared.low <= low and high <= declared.high


@given(design=st.sampled_from(ANALYSED_DESIGNS), rows=st.integers(0, 30),
       columns=st.integers(0, 4), values=st.sampled_from([0.0, 1.0, np.nan, np.inf]),
       seed=st.integers(-1, 10) | ANYTHING)
def test_fuzzed_analysis_inputs_give_indices_or_a_parameter_error(design, rows, columns,
                                                                  values, seed):
    X = np.random.default_rng(0).random((rows, columns))
    Y = np.where(np.arange(rows) % 3 == 0, values, np.arange(rows, dtype=float))
    try:
        indices = analyse(ISHIGAMI, design, X, Y, seed)
    except ParameterError as error:
        assert "\n" not in str(error)
        return
    assert len(indices) == 3
