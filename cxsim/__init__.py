"""cxsim: agent-based simulation of organisational customer-experience culture.

Quick start::

    import cxsim
    result = cxsim.run(seed=1)                    # the built-in default scenario
    result.summary()["csat"]                      # final CSAT (top-two-box share)
    result.daily                                  # one row per day (pandas)
    cxsim.run(seed=1, interventions=[cxsim.interventions.CXTraining()])
"""

from cxsim.engine import interventions
from cxsim.engine.interventions import INTERVENTIONS, Intervention
from cxsim.engine.model import CXModel
from cxsim.core.parameters import PARAMETERS, Config, ParameterError
from cxsim.results import Result, run
from cxsim.experiments.scenarios import Scenario, load_scenario
from cxsim.core.structure import Structure

__all__ = ["CXModel", "Config", "INTERVENTIONS", "Intervention", "PARAMETERS",
           "ParameterError", "Result", "Scenario", "Structure", "interventions",
           "load_scenario", "run"]
__version__ = "0.1.0"
