"""The notebooks run from top to bottom at their small size (``CXSIM_NOTEBOOK_SIZE=small``)
without an error, are committed without outputs, open with their question and end with
what the numbers say (computed, so a rendered conclusion must appear)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ["cost_of_silos.ipynb", "what_if_for_a_client.ipynb", "sweeps_and_sensitivity.ipynb"]


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_the_three_notebooks_are_there():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    notebook = read(name)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, name


@pytest.mark.parametrize("name", NAMES)
def test_opens_with_its_question(name):
    first = read(name).cells[0]
    assert first.cell_type == "markdown"
    assert "**The question.**" in first.source


@pytest.mark.parametrize("name", NAMES)
def test_runs_at_small_size_and_ends_with_what_the_numbers_say(name, tmp_path, monkeypatch):
    monkeypatch.setenv("CXSIM_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("MPLBACKEND", "agg")
    notebook = read(name)
    NotebookClient(notebook, timeout=1200, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    headings = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "markdown"
                and cell.source.strip() == "## What the numbers say"]
    assert len(headings) == 1, name
    conclusion = notebook.cells[headings[0] + 1]
    text = "".join(output.get("data", {}).get("text/markdown", "")
                   for output in conclusion.outputs)
    assert "*Size 'small'" in text, name
    assert len(text) > 300, name
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    assert os.environ["CXSIM_NOTEBOOK_SIZE"] == "small"
