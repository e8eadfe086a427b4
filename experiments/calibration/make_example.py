"""Regenerate observations_example.csv: the example client's data, made by the model.

    python experiments/calibration/make_example.py

The "client" is experiments/calibration/client.toml run once with seed 4242 (the
calibration uses the scenario's seed 11 and up, so the data are another realisation)
at the known values TRUTH; survey noise of the stated sample sizes is added
(cxsim.experiments.calibration.synthetic_observations). benchmarks/calibration_speed.py
fits these data back and prints the recovered values beside TRUTH.
"""

from pathlib import Path

import pandas as pd

from cxsim.experiments.calibration import synthetic_observations

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "client.toml"
OUTPUT = HERE / "observations_example.csv"
TRUTH = {"culture.leadership_commitment": 0.55, "customers.satisfaction_offset": 1.2,
         "customers.contact_churn_hazard": 0.007}
SEED = 4242
#: What the client measured: a quarterly engagement pulse (about 200 answers), monthly
#: CSAT (about 1000 answers; support's own about 300), churn per quarter (6000 customers).
DESIGN = pd.DataFrame(
    [(day, "engagement_share", "", 200, 30) for day in (59, 119, 179)]
    + [(day, "csat", "", 1000, 30) for day in range(29, 180, 30)]
    + [(day, "csat", "support", 300, 30) for day in (89, 179)]
    + [(day, "churn_rate", "", 6000, 90) for day in (89, 179)],
    columns=["day", "metric", "department", "n", "window_days"])


def main() -> None:
    table = synthetic_observations(SCENARIO, DESIGN, TRUTH, seed=SEED)
    table["value"] = table["value"].round(4)
    columns = ["day", "metric", "department", "value", "n", "window_days"]
    table[columns].to_csv(OUTPUT, index=False)
    print(f"wrote {OUTPUT} ({len(table)} observations)")


if __name__ == "__main__":
    main()
