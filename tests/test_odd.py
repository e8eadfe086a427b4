"""docs/ODD.md names every parameter of the model (PARAMETERS), by its dotted path."""

from __future__ import annotations

import re
from pathlib import Path

from cxsim.core.parameters import PARAMETERS

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def missing_from(text: str, paths) -> list[str]:
    """The dotted parameter paths (``section.name``) that ``text`` never names as a whole
    token (``culture.engaged_threshold`` does not count for ``culture.engaged``)."""
    return [path for path in paths
            if re.search(rf"(?<![\w.]){re.escape(path)}(?![\w])", text) is None]


def test_every_parameter_is_in_the_odd():
    missing = missing_from(ODD.read_text(), [p.path for p in PARAMETERS])
    assert not missing, (f"docs/ODD.md does not describe {', '.join(missing)}: add each to "
                         "the submodel (section 7) or the entity (section 2) it belongs to, "
                         "with its equation")


def test_the_check_finds_a_missing_or_partial_name():
    text = "uses `culture.engaged_threshold` and service.noise_sd x spread"
    assert missing_from(text, ["culture.engaged_threshold", "service.noise_sd"]) == []
    assert missing_from(text, ["culture.engaged", "service.noise"]) == ["culture.engaged",
                                                                         "service.noise"]
    assert missing_from(text, ["workload.burnout_threshold"]) == ["workload.burnout_threshold"]
