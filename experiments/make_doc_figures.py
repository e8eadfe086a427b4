"""Regenerate the figures of docs/plots.md (docs/figures/*.png) from small runs.

Small sizes keep it to a minute or two on two cores; the numbers in the figures are
therefore noisier than a real comparison's (default size, 20 replicates).

    python experiments/make_doc_figures.py            # writes docs/figures/
    python experiments/make_doc_figures.py --out DIR  # somewhere else
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "experiments" / "scenarios"
#: The comparison of the figures: a small organisation, a 90-day warm-up and a year.
SIZE = {"organisation.n_employees": 150, "customers.n_customers": 3000,
        "run.burn_in_days": 90, "run.days": 365}
REPLICATES = 8
DPI = 100


def write_small_png(png: bytes, path: Path) -> None:
    """``png`` reduced to 256 colours (octree: the palette's colours survive) and
    written compressed: the network figures shrink from about 700 to 150 kB."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                           dither=Image.Dither.NONE)
    small.save(path, format="PNG", optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    from cxsim.engine.model import CXModel
    from cxsim.experiments.comparisons import compare
    from cxsim.experiments.scenarios import load_scenario
    from cxsim.experiments.sensitivity import run_sensitivity
    from cxsim.experiments.sweeps import SweepSpec, run_sweep
    from cxsim.interfaces import plots
    from cxsim.results import run

    def save(figure, name: str) -> None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        write_small_png(buffer.getvalue(), out / name)
        print(f"wrote {out / name}")

    baseline = load_scenario(LIBRARY / "baseline.toml")
    training = load_scenario(LIBRARY / "training.toml")
    silos = load_scenario(LIBRARY / "breaking_silos.toml")
    layoffs = load_scenario(LIBRARY / "layoffs_shock.toml")
    comparison = compare(baseline, [training, silos, layoffs], replicates=REPLICATES,
                         workers=args.workers, seed=1, overrides=SIZE)
    save(plots.headline_series(comparison), "headline_series.png")
    save(plots.effects(comparison), "effects.png")
    save(plots.economics(comparison), "economics.png")
    save(plots.journey_heatmap(comparison, "csat", scenario=training.name),
         "journey_heatmap.png")
    save(plots.department_burnout(comparison), "department_burnout.png")

    result = run(training, seed=1, n_employees=150, n_customers=3000, burn_in_days=90)
    save(plots.run_figure(result, title=f"cxsim: {training.name}"), "run_figure.png")

    # the network of the default organisation (1,000 positions), today and after a year
    # of breaking silos
    config = baseline.config.with_overrides({"customers.n_customers": 2000,
                                             "run.burn_in_days": 30})
    warm = CXModel(config, rng=1).run_warm_up()
    save(plots.network(warm), "network_department.png")
    save(plots.network(warm, colour_by="engagement"), "network_engagement.png")
    opened = warm.fork(silos.interventions)
    opened.run()
    save(plots.network(opened), "network_breaking_silos.png")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, parent in (("small_training", "training"), ("small_baseline", "baseline")):
            (tmp / f"{name}.toml").write_text(
                f'extends = "{parent}"\nname = "{name}"\n[organisation]\nn_employees = 60\n'
                '[customers]\nn_customers = 800\n[run]\nburn_in_days = 30\ndays = 120\n')
        grid = SweepSpec.from_dict({
            "name": "silos and training hours", "base": "small_training.toml",
            "design": "grid", "samples": 4, "replicates": 2, "seed": 1,
            "outputs": ["csat", "nps"],
            "parameters": [
                {"key": "organisation.silo_strength", "low": 0.2, "high": 0.9},
                {"key": "interventions.training.hours", "low": 2, "high": 16}]},
            base_dir=tmp)
        frame = run_sweep(grid, tmp / "grid", workers=args.workers, progress=False)
        save(plots.response_surface(frame, "organisation.silo_strength",
                                    "interventions.training.hours", "csat"),
             "response_surface.png")
        morris = SweepSpec.from_dict({
            "name": "what drives CSAT", "base": "small_baseline.toml", "design": "morris",
            "samples": 4, "replicates": 2, "seed": 1, "outputs": ["csat"],
            "parameters": [
                {"key": "organisation.silo_strength", "low": 0.2, "high": 0.9},
                {"key": "organisation.span_of_control", "low": 4, "high": 12,
                 "integer": True},
                {"key": "organisation.ties_per_employee", "low": 2, "high": 12}]},
            base_dir=tmp)
        indices = run_sensitivity(morris, tmp / "morris", workers=args.workers,
                                  progress=False)
        save(plots.tornado(indices, "csat"), "tornado.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
