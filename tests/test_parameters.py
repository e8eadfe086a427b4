"""cxsim.core.parameters: one declaration, three spellings, clear errors."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from cxsim import CXModel
from cxsim.core.parameters import (
    PARAMETERS,
    PARAMETERS_BY_NAME,
    SECTIONS,
    Config,
    ParameterError,
    lookup,
    parse_assignment,
)


def test_every_default_is_within_its_own_range_and_validates():
    for p in PARAMETERS:
        assert p.low <= p.default <= p.high, p.path
        assert p.validate(p.default) == p.default, p.path
        assert type(p.validate(p.default)) is p.kind, p.path
    Config()  # the defaults together satisfy the cross-parameter rules


def test_parameter_names_are_unique_and_sections_known():
    assert len({p.name for p in PARAMETERS}) == len(PARAMETERS)
    assert {p.section for p in PARAMETERS} == set(SECTIONS)
    for p in PARAMETERS:
        assert lookup(p.name) is p
        assert lookup(p.path) is p


def test_default_config_holds_every_default():
    config = Config()
    assert set(config) == set(PARAMETERS_BY_NAME)
    for p in PARAMETERS:
        assert config[p.name] == p.default
        assert config[p.path] == p.default
        assert getattr(config, p.name) == p.default


def test_flat_nested_and_dotted_forms_give_equal_configs():
    flat = Config.from_flat({"silo_strength": 0.4, "n_employees": 300, "loss_aversion": 2.5})
    nested = Config.from_nested({"organisation": {"silo_strength": 0.4, "n_employees": 300},
                                 "customers": {"loss_aversion": 2.5}})
    dotted = Config().with_overrides({"organisation.silo_strength": 0.4,
                                      "organisation.n_employees": 300,
                                      "customers.loss_aversion": 2.5})
    mixed = Config.from_nested({"silo_strength": 0.4,
                                "organisation": {"n_employees": 300},
                                "customers.loss_aversion": 2.5})
    assert flat == nested == dotted == mixed
    assert hash(flat) == hash(nested) == hash(dotted)
    assert flat != Config()
    assert flat.silo_strength == 0.4 and flat["organisation.silo_strength"] == 0.4


def test_nested_round_trip():
    config = Config.from_flat({"silo_strength": 0.25, "days": 30})
    assert Config.from_nested(config.to_nested()) == config
    assert Config.from_flat(config.to_flat()) == config
    assert set(config.to_nested()) == set(SECTIONS)


def test_with_overrides_returns_new_config_and_leaves_original():
    base = Config()
    changed = base.with_overrides({"silo_strength": 0.1})
    assert base.silo_strength == PARAMETERS_BY_NAME["silo_strength"].default
    assert changed.silo_strength == 0.1


def test_config_is_immutable():
    config = Config()
    with pytest.raises(AttributeError):
        config.silo_strength = 0.1


def test_strings_from_the_command_line_are_converted():
    config = Config().with_overrides({"organisation.silo_strength": "0.25",
                                      "organisation.n_employees": "300",
                                      "run.days": "1e2"})
    assert config.silo_strength == 0.25
    assert config.n_employees == 300 and type(config.n_employees) is int
    assert config.days == 100 and type(config.days) is int


def test_integral_floats_are_accepted_for_integers():
    config = Config.from_flat({"n_employees": 250.0})
    assert config.n_employees == 250 and type(config.n_employees) is int


def _error(values) -> str:
    with pytest.raises(ParameterError) as info:
        Config.from_flat(values)
    return str(info.value)


@pytest.mark.parametrize("name, value, shown", [
    ("silo_strength", 2, "2"),
    ("silo_strength", -0.1, "-0.1"),
    ("silo_strength", 1.5, "1.5"),
    ("n_employees", 5, "5"),
    ("loss_aversion", 0.5, "0.5"),
    ("response_rate", "abc", "abc"),
])
def test_out_of_range_or_unparsable_values_name_path_value_and_range(name, value, shown):
    p = PARAMETERS_BY_NAME[name]
    message = _error({name: value})
    assert p.path in message
    assert shown in message
    assert p.allowed() in message
    low = f"{int(p.low)}" if float(p.low).is_integer() else f"{p.low:g}"
    high = f"{int(p.high)}" if float(p.high).is_integer() else f"{p.high:g}"
    assert f"from {low} to {high}" in message


@pytest.mark.parametrize("value", [math.nan, float("inf"), float("-inf"), "nan", np.nan])
def test_non_finite_values_are_rejected(value):
    message = _error({"silo_strength": value})
    assert "organisation.silo_strength" in message
    assert "nan" in message.lower() or "inf" in message.lower()


@pytest.mark.parametrize("value", [True, False])
def test_bools_are_not_numbers(value):
    message = _error({"silo_strength": value})
    assert "organisation.silo_strength" in message and str(value) in message
    message = _error({"n_employees": value})
    assert "organisation.n_employees" in message and str(value) in message


def test_numpy_bools_are_not_numbers():
    with pytest.raises(ParameterError):
        Config.from_flat({"silo_strength": np.True_})


@pytest.mark.parametrize("name, value", [("n_employees", 100.5), ("days", "12.5"),
                                         ("max_contacts", 2.2)])
def test_non_integers_for_integer_parameters(name, value):
    p = PARAMETERS_BY_NAME[name]
    message = _error({name: value})
    assert p.path in message and str(value) in message and "an integer" in message


@pytest.mark.parametrize("value", [None, [0.3], {"a": 1}, object()])
def test_values_of_the_wrong_type_are_rejected(value):
    message = _error({"silo_strength": value})
    assert "organisation.silo_strength" in message


def test_numpy_numbers_are_accepted():
    config = Config.from_flat({"silo_strength": np.float64(0.3), "n_employees": np.int64(80)})
    assert config.silo_strength == 0.3 and config.n_employees == 80


def test_unknown_name_suggests_close_names():
    with pytest.raises(ParameterError) as info:
        Config.from_flat({"silo_strenght": 0.3})
    message = str(info.value)
    assert "silo_strenght" in message and "organisation.silo_strength" in message


def test_unknown_dotted_name_suggests_close_names():
    with pytest.raises(ParameterError) as info:
        Config().with_overrides({"organisation.silo": 0.3})
    assert "organisation.silo" in str(info.value)
    assert "organisation.silo_strength" in str(info.value)


def test_parameter_in_wrong_section_is_rejected_with_its_right_path():
    with pytest.raises(ParameterError) as info:
        Config().with_overrides({"culture.silo_strength": 0.3})
    assert "culture.silo_strength" in str(info.value)
    assert "organisation.silo_strength" in str(info.value)
    with pytest.raises(ParameterError) as info:
        Config.from_nested({"culture": {"silo_strength": 0.3}})
    assert "organisation.silo_strength" in str(info.value)


def test_unknown_section_is_rejected_listing_the_sections():
    with pytest.raises(ParameterError) as info:
        Config.from_nested({"organization": {"silo_strength": 0.3}})
    message = str(info.value)
    assert "organization" in message
    for section in SECTIONS:
        assert section in message


def test_nonsense_name_lists_sections():
    with pytest.raises(ParameterError) as info:
        Config.from_flat({"zzzzqqq": 1})
    assert "zzzzqqq" in str(info.value)
    assert all(section in str(info.value) for section in SECTIONS)


def test_cross_parameter_rules():
    with pytest.raises(ParameterError) as info:
        Config.from_flat({"peak_weight": 0.6, "end_weight": 0.6})
    assert "peak_weight" in str(info.value) and "end_weight" in str(info.value)
    with pytest.raises(ParameterError) as info:
        Config.from_flat({"defect_rate": 0.01, "defect_floor": 0.05})
    assert "defect_floor" in str(info.value) and "defect_rate" in str(info.value)


def test_parse_assignment():
    assert parse_assignment("organisation.silo_strength = 0.3") == (
        "organisation.silo_strength", "0.3")
    for bad in ("organisation.silo_strength", "=0.3", ""):
        with pytest.raises(ParameterError) as info:
            parse_assignment(bad)
        assert "dotted.key=value" in str(info.value)


# --- the model's keyword parameters ------------------------------------------------


def test_model_rejects_unknown_parameter_before_running():
    with pytest.raises(ParameterError) as info:
        CXModel(bogus=1, rng=1)
    assert "bogus" in str(info.value)


def test_model_rejects_out_of_range_parameter_before_running():
    with pytest.raises(ParameterError) as info:
        CXModel(silo_strength=2, rng=1)
    assert "organisation.silo_strength = 2" in str(info.value)


def test_model_does_not_take_seed_silently():
    # Mesa's seeding keyword is rng; a stray ``seed`` must not be ignored.
    with pytest.raises(ParameterError):
        CXModel(seed=1, n_employees=60, n_customers=1000)


def test_model_signature_lists_every_parameter_with_its_default():
    signature = inspect.signature(CXModel)
    params = signature.parameters
    assert "rng" in params and params["rng"].default is None
    for p in PARAMETERS:
        assert p.name in params, p.name
        assert params[p.name].default == p.default, p.name
        assert params[p.name].kind is inspect.Parameter.KEYWORD_ONLY
    # the signature can bind every parameter by name, as batch_run and SolaraViz do
    signature.bind(**{p.name: p.default for p in PARAMETERS}, rng=3)


def test_model_keywords_override_config():
    model = CXModel(Config.from_flat({"silo_strength": 0.2, "n_employees": 60}),
                    n_customers=1000, silo_strength=0.5, rng=1)
    assert model.p.silo_strength == 0.5 and model.p.n_employees == 60
    nested = CXModel({"organisation": {"n_employees": 60}}, n_customers=1000, rng=1)
    assert nested.p.n_employees == 60


@pytest.mark.parametrize("value", [10**400, -(10**400), "1" + "0" * 400, "1" + "0" * 5000,
                                   "1e400", 2**63])
def test_integers_too_large_for_a_float_are_out_of_range(value):
    # regression: OverflowError (a traceback) for n_employees = 1 followed by 400 zeros
    for name in ("n_employees", "silo_strength"):
        message = _error({name: value})
        assert PARAMETERS_BY_NAME[name].path in message and "is not allowed" in message
        assert len(message) < 300


def test_every_bad_parameter_is_reported_at_once():
    with pytest.raises(ParameterError) as info:
        Config.from_nested({"organisation": {"silo_strength": 2, "n_employees": True,
                                             "silo_strenght": 1},
                            "culture": 5, "organization": {}})
    errors = info.value.errors
    assert len(errors) == 5, errors
    text = "\n".join(errors)
    for needle in ("organisation.silo_strength = 2", "organisation.n_employees = True",
                   "did you mean organisation.silo_strength?", "culture = 5",
                   "unknown section 'organization': did you mean organisation?"):
        assert needle in text


def test_overrides_report_every_bad_key_at_once():
    with pytest.raises(ParameterError) as info:
        Config().with_overrides({"silo": 0.3, "days": 0, "n_employees": "many"})
    assert len(info.value.errors) == 3


@pytest.mark.parametrize("key", [5, None, ("a",)])
def test_parameter_names_that_are_not_text_are_refused(key):
    message = _error({key: 1})
    assert "parameter name" in message and "expected text" in message
