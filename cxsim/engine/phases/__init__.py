"""The phases of a day of :class:`cxsim.engine.model.CXModel`, one module each.

A phase is a function of the model: it reads and updates the model's arrays with a few
array operations (no loop over customers) and reports what happened to the model's
Recorder. The phases are the engine's own code, so they use the model's internal tables
(server rosters, journey lookups) as well as its documented state. ``CXModel.step``
runs :data:`DAY` in order; the order matters (customers are served with today's levers,
the workforce then feels today's load, and leavers serve no one tomorrow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cxsim.engine.phases.acquisition import acquire_customers
from cxsim.engine.phases.interventions import intervene
from cxsim.engine.phases.service import serve_customers
from cxsim.engine.phases.turnover import turnover_and_hiring
from cxsim.engine.phases.voice_of_customer import voice_of_customer
from cxsim.engine.phases.workforce import update_workforce

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel

#: The day, phase by phase.
DAY: tuple[Callable[[CXModel], None], ...] = (
    intervene,            # levers = baseline + interventions; events; costs
    acquire_customers,    # prospects won today become customers
    serve_customers,      # today's contacts: served, judged, surveyed, scheduled
    voice_of_customer,    # pain points received -> root-cause fixes
    update_workforce,     # culture, skill, strain, engagement
    turnover_and_hiring,  # quits, vacancies, hires
)

__all__ = ["DAY", "acquire_customers", "intervene", "serve_customers", "turnover_and_hiring",
           "update_workforce", "voice_of_customer"]
