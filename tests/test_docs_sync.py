"""Generated documentation stays in step with the code."""

from pathlib import Path

from cxsim.core.parameters import parameters_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_reference_is_up_to_date():
    committed = (ROOT / "docs" / "parameters.md").read_text()
    assert committed == parameters_markdown(), (
        "docs/parameters.md is stale: regenerate it with "
        "`cxsim params --markdown > docs/parameters.md`"
    )


def test_scenario_reference_is_up_to_date():
    from cxsim.experiments.schema import scenario_reference_markdown

    committed = (ROOT / "docs" / "scenario-reference.md").read_text()
    assert committed == scenario_reference_markdown(), (
        "docs/scenario-reference.md is stale: regenerate it with "
        "`cxsim schema --markdown > docs/scenario-reference.md`"
    )
