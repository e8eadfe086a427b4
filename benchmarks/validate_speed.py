"""Wall time of ``cxsim validate --quick`` and of the full ``cxsim validate`` (prints seconds).

Run: ``python benchmarks/validate_speed.py`` (both; the full one takes many minutes) or
``python benchmarks/validate_speed.py --quick-only``. Each command runs once, in a fresh
process, exactly as a user would type it (default workers: the machine's cores); the
output goes to a temporary directory. Targets (issue 8): quick under 2 minutes, full
under 15 minutes (goal 5) on a 2-core machine. Times on a shared machine include the
other load: read them with ``uptime``'s load average, printed beside them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def timed(arguments: list[str]) -> float:
    """Seconds of wall time of ``cxsim validate <arguments>`` in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "cxsim.interfaces.cli", "validate", *arguments,
                   "--quiet", "--out", os.path.join(tmp, "out")]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick-only", action="store_true", help="time --quick only")
    args = parser.parse_args()
    runs = [("cxsim validate --quick", ["--quick"])]
    if not args.quick_only:
        runs.append(("cxsim validate (full: 20 replicates)", []))
    print(f"{os.cpu_count()} cores; load average before: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for label, arguments in runs:
        seconds = timed(arguments)
        print(f"{label:40s} {seconds:8.1f} s ({seconds / 60:.1f} min); load average "
              + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
