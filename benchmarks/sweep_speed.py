"""Sweep throughput and driver memory (issue 7's speed targets; prints, asserts nothing).

Prints runs per minute of a 64-run sweep of small runs with 1 and 2 local workers and on a
Dask LocalCluster with 2 workers, the parallel efficiency (speed-up / workers) and Dask's
speed against the local pool, then the driver's peak RSS for sweeps of 64 and 256 tiny runs
(2 local workers; the workers' memory is not the driver's). Each measurement runs in a
fresh process, into a fresh store. Two rates per backend: the wall-time rate (start-up
included: spawned workers importing cxsim, Dask starting its cluster) and the marginal rate
(the extra runs of a full sweep over a 16-run one, per extra second: the rate once the
backend is up). CPU seconds per run (driver and workers together, start-up included) show
what the parallelism costs in work, which other load on the machine changes less than wall
time. The machine's ceiling, two independent one-worker sweeps run at the same time, shows
what two cores give this workload at best (shared caches, memory bandwidth and clock speed
limit it, whatever the pool does). The load average is printed before and after: figures
taken while other programs run are not the backends' own.

    .venv/bin/python benchmarks/sweep_speed.py [--runs 64] [--rss 64,256]

Targets (issue 7): 1 -> 2 workers at least 1.8x; Dask at most 10% slower than the local
pool; the driver's peak RSS flat as the sweep grows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Base scenarios: "small" runs for throughput, "tiny" runs for the memory test.
BASES = {
    "small": "[organisation]\nn_employees = 100\n[customers]\nn_customers = 2000\n"
             "[run]\nburn_in_days = 30\ndays = 60\n",
    "tiny": "[organisation]\nn_employees = 40\n[customers]\nn_customers = 500\n"
            "[run]\nburn_in_days = 10\ndays = 20\n",
}


def write_spec(directory: Path, base: str, runs: int, seed: int = 1) -> Path:
    """A latin sweep of ``runs`` runs (runs / 2 points x 2 replicates)."""
    (directory / "base.toml").write_text('extends = "training"\n' + BASES[base])
    spec = directory / "sweep.toml"
    spec.write_text(f"""name = "bench"
base = "base.toml"
design = "latin"
samples = {runs // 2}
replicates = 2
seed = {seed}
outputs = ["csat", "nps", "revenue"]
[[parameters]]
key = "organisation.silo_strength"
low = 0.2
high = 0.9
[[parameters]]
key = "interventions.training.intensity"
low = 0.1
high = 1.0
""")
    return spec


#: Runs of the second, short sweep that measures the start-up cost of each backend.
SHORT_RUNS = 16


def measure(base: str, runs: int, workers: int, scheduler: str | None, seed: int = 1) -> dict:
    """One sweep in this process: seconds and the driver's peak RSS (MB)."""
    import resource

    from cxsim.experiments.sweeps import load_sweep_spec, run_sweep

    def cpu_seconds() -> float:
        return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                     resource.getrusage(resource.RUSAGE_CHILDREN)))

    with tempfile.TemporaryDirectory() as tmp:
        spec = load_sweep_spec(write_spec(Path(tmp), base, runs, seed))
        cpu, start = cpu_seconds(), time.perf_counter()
        frame = run_sweep(spec, Path(tmp) / "out", workers=workers, scheduler=scheduler,
                          progress=False)
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu  # workers are children, waited for when the sweep ends
    assert (frame["status"] == "done").all() and len(frame) == runs
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return {"seconds": seconds, "cpu_seconds": cpu, "runs": runs, "rss_mb": rss_mb}


def _command(base: str, runs: int, workers: int, scheduler: str | None,
             seed: int = 1) -> list[str]:
    return [sys.executable, __file__, "--one", base, str(runs), str(workers),
            scheduler or "-", str(seed)]


def in_fresh_process(base: str, runs: int, workers: int, scheduler: str | None) -> dict:
    done = subprocess.run(_command(base, runs, workers, scheduler), capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine_ceiling(runs: int) -> float:
    """Runs per minute of two independent one-worker sweeps of ``runs / 2`` runs each,
    started together in two processes (no pool, no shared driver): what two cores give
    this workload, so the pool's speed-up can be read against what the machine allows."""
    commands = [_command("small", runs // 2, 1, None, seed) for seed in (1, 1001)]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in commands]
    outputs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
    return 60 * sum(o["runs"] for o in outputs) / max(o["seconds"] for o in outputs)


def load() -> str:
    """The machine's load averages (1, 5 and 15 minutes), as ``uptime`` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=64)
    parser.add_argument("--rss", default="64,256")
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        base, runs, workers, scheduler, seed = args.one
        print(json.dumps(measure(base, int(runs), int(workers),
                                 None if scheduler == "-" else scheduler, int(seed))))
        return
    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    print(f"sweep of {args.runs} small runs (100 employees, 2,000 customers, 30 + 60 days)")
    print("  wall: runs per minute of the whole sweep, start-up included (spawned workers "
          "import cxsim,\n  Dask starts a cluster); marginal: the rate once the backend is "
          f"up (the full sweep's extra runs\n  over a {SHORT_RUNS}-run sweep's, per extra "
          "second); CPU: seconds of driver and workers per run")
    rates, marginal, cpu = {}, {}, {}
    for label, workers, scheduler in (("local, 1 worker", 1, None),
                                      ("local, 2 workers", 2, None),
                                      ("Dask LocalCluster, 2 workers", 2, "local")):
        result = in_fresh_process("small", args.runs, workers, scheduler)
        short = in_fresh_process("small", SHORT_RUNS, workers, scheduler)
        rates[label] = 60 * result["runs"] / result["seconds"]
        cpu[label] = result["cpu_seconds"]
        marginal[label] = 60 * (result["runs"] - SHORT_RUNS) / max(
            result["seconds"] - short["seconds"], 1e-9)
        start_up = short["seconds"] - SHORT_RUNS * 60 / marginal[label]
        print(f"  {label:<30} {result['seconds']:6.1f} s, wall {rates[label]:6.1f} runs/min, "
              f"marginal {marginal[label]:6.1f} runs/min, start-up about {start_up:4.1f} s, "
              f"CPU {result['cpu_seconds'] / result['runs']:.3f} s/run")
    for name, table in (("wall (start-up included)", rates), ("marginal", marginal)):
        speedup = table["local, 2 workers"] / table["local, 1 worker"]
        dask = table["Dask LocalCluster, 2 workers"] / table["local, 2 workers"]
        print(f"  {name}: speed-up 1 -> 2 workers {speedup:.2f}x (parallel efficiency "
              f"{speedup / 2:.0%}; target >= 1.8x); Dask / local pool {dask:.2f} "
              "(target >= 0.90)")
    one, two, dask = (cpu[label] for label in rates)
    print(f"  work (CPU seconds, start-up included): 2 workers use {two:.1f} s against 1 "
          f"worker's {one:.1f} s, so two idle cores sharing the work evenly would give "
          f"{one / (two / 2):.2f}x;\n  Dask uses {dask:.1f} s: the local pool's work is "
          f"{two / dask:.2f} of Dask's (a projection, not a measured speed: other load on the "
          "machine changes CPU seconds less than wall time)")
    ceiling = machine_ceiling(args.runs)
    print(f"  machine ceiling: two independent one-worker sweeps of {args.runs // 2} runs at once: "
          f"{ceiling:.1f} runs/min, {ceiling / rates['local, 1 worker']:.2f}x one worker; the "
          f"2-worker pool's wall rate is {rates['local, 2 workers'] / ceiling:.0%} of it, "
          f"its marginal rate {marginal['local, 2 workers'] / ceiling:.0%}")
    print("driver peak RSS, tiny runs (40 employees, 500 customers, 10 + 20 days), 2 workers "
          "(the driver runs tasks too)")
    for runs in (int(n) for n in args.rss.split(",")):
        result = in_fresh_process("tiny", runs, 2, None)
        print(f"  {runs:5d} runs: {result['rss_mb']:7.1f} MB peak RSS, "
              f"{60 * runs / result['seconds']:.0f} runs/min")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
