"""cxsim: agent-based simulation of organisational customer-experience culture.

Quick start::

    import cxsim
    result = cxsim.run(seed=1)                    # the built-in default scenario
    result.summary()["csat"]                      # final CSAT (top-two-box share)
    result.daily                                  # one row per day (pandas)
    cxsim.run(seed=1, interventions=[cxsim.interventions.CXTraining()])

    # an intervention's effect: paired replicates against a baseline, with CIs and ROI
    comparison = cxsim.compare(cxsim.load_scenario("baseline"),
                               [cxsim.load_scenario("training")], replicates=20)
    comparison.summary                            # one row per scenario and metric
"""

from cxsim.core.parameters import PARAMETERS, Config, ParameterError
from cxsim.core.structure import Structure
from cxsim.engine import interventions
from cxsim.engine.interventions import INTERVENTIONS, Intervention
from cxsim.engine.model import CXModel
from cxsim.experiments.comparisons import ComparisonResult, compare
from cxsim.experiments.scenarios import Scenario, load_scenario
from cxsim.experiments.specs import RunSpec, run_spec
from cxsim.results import Result, run

__all__ = ["CXModel", "ComparisonResult", "Config", "INTERVENTIONS", "Intervention",
           "PARAMETERS", "ParameterError", "Result", "RunSpec", "Scenario", "Structure",
           "compare", "interventions", "load_scenario", "run", "run_spec"]
__version__ = "0.1.0"
