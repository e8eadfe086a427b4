"""Phase: interventions. Today's levers are rebuilt from the baseline and every active
intervention changes them, has its events (training sessions, recognition, ties added
or cut, layoffs) and its cost (the shared
:func:`~cxsim.engine.interventions.apply_interventions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxsim.engine.interventions import apply_interventions

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel


def intervene(model: CXModel) -> None:
    """Apply today's interventions and record their cost."""
    model.today["intervention_cost"] = apply_interventions(model)
