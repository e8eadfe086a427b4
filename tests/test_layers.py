"""The layer contract: a lower layer never imports an upper one (import-linter).

The contract lives in ``pyproject.toml``; ``.ci/run`` runs ``lint-imports`` too. The
second test shows the contract has teeth: an upward import in a copy of the package
breaks it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    script = "import sys; from importlinter.cli import lint_imports_command; " \
             "sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"})


def test_layers_are_kept():
    done = _lint(ROOT, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "cxsim", tmp_path / "cxsim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    dynamics = tmp_path / "cxsim" / "core" / "dynamics.py"
    dynamics.write_text(dynamics.read_text() + "\nfrom cxsim.experiments import scenarios\n")
    done = _lint(tmp_path, tmp_path)
    assert done.returncode != 0
    assert "cxsim.core.dynamics -> cxsim.experiments.scenarios" in done.stdout
