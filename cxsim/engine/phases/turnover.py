"""Phase: turnover and hiring. Some employees quit (strain and disengagement raise the
odds); positions vacant long enough are filled by new hires drawn from today's hiring
profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.core import dynamics as dyn
from cxsim.core import organisation as org
from cxsim.core.streams import bits_of, uniform_of
from cxsim.engine.agents import Employee
from cxsim.engine.compiled import jit
from cxsim.engine.phases.customers import NEVER

if TYPE_CHECKING:
    from cxsim.engine.model import CXModel


def turnover_and_hiring(model: CXModel) -> None:
    p, lv, streams, day = model.params, model.levers, model.streams, model.day
    leavers, fill = quits_and_openings(
        model.active, model.eliminated, model.vacant_until, model.strain, model.engagement,
        streams.key("quits"), day, p.base_quit_rate, p.strain_quit_factor,
        p.disengaged_quit_factor, p.hiring_delay_days)
    model.today["quits"] = leavers.size
    model.recorder.tally_quits(model.department[leavers])
    if leavers.size:
        model.vacate(leavers)
    model.hired_today[:] = False
    if fill.size:
        d, lvl = model.department[fill], model.level[fill]
        engagement_noise, centricity_noise = streams.normal_pair("hiring", day, fill)
        model.engagement[fill] = dyn.clip01(lv.hire_engagement[d, lvl]
                                            + org.HIRE_SD * engagement_noise)
        model.centricity[fill] = dyn.clip01(lv.hire_centricity[d, lvl]
                                            + org.HIRE_SD * centricity_noise)
        model.skill[fill] = p.new_hire_skill
        model.empowerment[fill] = lv.authority[d, lvl]
        model.strain[fill] = 0.0
        model.recognition[fill] = 0.0
        model.disposition[fill] = p.disposition_sd * streams.normal("disposition", day, fill)
        model.habituation[fill] = 0.0
        model.tenure[fill] = 0
        model.training_hours[fill] = 0.0
        model.last_trained[fill] = -NEVER
        model.load_average[fill] = 0.0
        model.active[fill] = True
        model.hired_today[fill] = True
        for r in fill.tolist():
            model._agents_by_row[r] = Employee(model, r)
        model._roster_dirty = True
    model.today["hires"] = fill.size
    model.today["hiring_cost"] = fill.size * p.hiring_cost
    if model._roster_dirty:
        model.refresh_rosters()
        model._roster_dirty = False


@jit
def quits_and_openings(active, eliminated, vacant_until, strain, engagement, key, day,
                       base_quit_rate, strain_quit_factor, disengaged_quit_factor,
                       hiring_delay_days):
    """Who quits today (each filled position's own draw against its quit probability) and
    which positions are open to hire today (vacant long enough, not eliminated); a
    leaver's position opens ``hiring_delay_days`` later (compiled; ``key``: the ``quits``
    stream's). Returns the leavers and the positions to fill."""
    n = active.size
    leaving = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if active[i] and uniform_of(bits_of(key, day, i)) < dyn.quit_probability(
                base_quit_rate, strain[i], engagement[i], strain_quit_factor,
                disengaged_quit_factor):
            leaving[i] = True
            vacant_until[i] = day + hiring_delay_days
    leavers = np.flatnonzero(leaving)
    return leavers, np.flatnonzero((~active | leaving) & ~eliminated & (vacant_until <= day))
