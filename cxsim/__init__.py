"""cxsim: agent-based simulation of organisational customer-experience culture.

Quick start::

    import cxsim
    result = cxsim.run(seed=1)                    # the built-in default scenario
    result.summary()["csat"]                      # final CSAT (top-two-box share)
    result.daily                                  # one row per day (pandas)
    cxsim.run(seed=1, interventions=[cxsim.interventions.CXTraining()])
"""

from cxsim import interventions
from cxsim.interventions import INTERVENTIONS, Intervention
from cxsim.model import CXModel
from cxsim.parameters import PARAMETERS, Config, ParameterError
from cxsim.results import Result, run
from cxsim.scenario import Scenario, load_scenario
from cxsim.structure import Structure

__all__ = ["CXModel", "Config", "INTERVENTIONS", "Intervention", "PARAMETERS",
           "ParameterError", "Result", "Scenario", "Structure", "interventions",
           "load_scenario", "run"]
__version__ = "0.1.0"
