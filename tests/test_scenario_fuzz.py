"""Fuzzing scenario files: mutations of every library file give a Scenario or a clean error.

A mutation deletes or renames keys, replaces values with values of other types (huge
integers, NaN, infinities, dates, text, lists, tables, deep nesting), swaps tables for
arrays or numbers, inserts junk keys, or damages the file's bytes. Whatever comes out,
``load_scenario`` must return a Scenario or raise ParameterError whose lines name the
file and (for a key mutation) the key, and ``cxsim run`` must exit with status 2 printing
only ``cxsim: error:`` lines: never another exception, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cxsim.core.parameters import ParameterError
from cxsim.core.structure import Structure
from cxsim.experiments.scenarios import Scenario, library, load_scenario, resolve
from cxsim.interfaces.cli import main

LIBRARY = library()
RAW = {name: tomllib.loads(path.read_text()) for name, path in LIBRARY.items()}
MERGED = {name: resolve(path) for name, path in LIBRARY.items()}
FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# --- a TOML writer for arbitrary documents (inline tables and arrays) -----------------------


def to_toml(document: dict[str, Any]) -> str:
    """``document`` as TOML text: one ``key = value`` line per top-level key, tables inline."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in document.items())


def _key(key: Any) -> str:
    return json.dumps(str(key), ensure_ascii=True)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True).replace("\\u007f", "\\u007F")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join([_value(v) for v in value]) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join([f"{_key(k)} = {_value(v)}" for k, v in value.items()]) + "}"
    raise TypeError(type(value))


# --- mutations ----------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
HUGE = st.sampled_from([10**400, -(10**400), 2**63, 2**64, 10**20, -1, 0, 1,
                        1e308, -1e308, 5e-324, float("nan"), float("inf"), float("-inf")])
SCALARS = st.one_of(HUGE, st.integers(), st.floats(), st.booleans(), TEXT,
                    st.dates(), st.datetimes(), st.times())


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


JUNK = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(TEXT, SCALARS, max_size=3),
    st.integers(1, 150).map(_nested),  # deeper files: the byte damage below (b"[" * 2000)
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, prefix + (index,))
    return found


def _parent(document: dict, path: tuple) -> Any:
    node: Any = document
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def mutated(draw) -> tuple[str, dict, list[tuple]]:
    """A library file (as written, or merged with what it extends) with 1-3 mutations;
    returns its name, the document and the mutated key paths."""
    name = draw(st.sampled_from(sorted(LIBRARY)))
    source = draw(st.sampled_from([RAW, MERGED]))
    document = json.loads(json.dumps(source[name]))  # a deep copy (library values are JSON)
    if draw(st.booleans()):  # the library leaves [structure] out: fuzz the default tables
        document["structure"] = Structure().to_dict()
    touched: list[tuple] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        op = draw(st.sampled_from(["delete", "rename", "replace", "wrong_table", "insert"]))
        if op == "insert" or not paths:
            containers = [p for p in paths if isinstance(_get(document, p), dict)] + [()]
            where = draw(st.sampled_from(containers))
            key = draw(st.one_of(TEXT.filter(bool), st.sampled_from(
                ["organisation", "structure", "interventions", "silo_strength", "type",
                 "departments", "extends", "seed"])))
            _get(document, where)[key] = draw(JUNK)
            touched.append(where + (key,))
            continue
        path = draw(st.sampled_from(paths))
        parent, last = _parent(document, path), path[-1]
        if op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from([last[:-1], last + "s", last.upper(), "_" + last]))
            if new and new not in parent:
                parent[new] = parent.pop(last)
                path = path[:-1] + (new,)
        elif op == "wrong_table":
            node = parent[last]
            parent[last] = (draw(st.sampled_from([[], [1], 5, "x"])) if isinstance(node, dict)
                            else {"x": 1} if isinstance(node, list) else [node])
        else:
            parent[last] = draw(JUNK)
        touched.append(path)
    return name, document, touched


def _get(document: dict, path: tuple) -> Any:
    node: Any = document
    for step in path:
        node = node[step]
    return node


def _check_error(error: ParameterError, source: str, touched: list[tuple] | None) -> None:
    assert error.errors, "an error without a message"
    for line in error.errors:
        assert line.startswith(f"{source}: ") and "\n" not in line, line
        assert any(phrase in line for phrase in (
            "not allowed", "unknown", "missing", "does not exist", "not valid TOML",
            "not UTF-8", "not a text file")), line
    if touched is not None:
        words = {str(step) for path in touched for step in path if isinstance(step, str)}
        words |= {"interventions", "structure", "organisation", "run", "days"}
        text = "\n".join(error.errors)
        assert any(word and word in text for word in words), (touched, text)


def _check_cli(path: Path, capsys) -> None:
    assert main(["run", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines and all(line.startswith("cxsim: error: ") for line in lines), captured.err
    assert "Traceback" not in captured.err and not captured.out


def _load(path: Path) -> Scenario | ParameterError:
    try:
        return load_scenario(path)
    except ParameterError as error:
        return error


@FUZZ
@given(case=mutated())
def test_mutated_library_files_load_or_fail_cleanly(case, tmp_path_factory, capsys):
    name, document, touched = case
    # in memory: Scenario.from_dict on the (merged or raw) tables
    if "extends" not in document:
        try:
            Scenario.from_dict(document, source="fuzz")
        except ParameterError as error:
            _check_error(error, "fuzz", touched)
    # as a file, next to the library's files (so `extends = "baseline.toml"` resolves too)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"{name}.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    for sibling in ("baseline", "training", "empowerment", "crm", "leadership_commitment",
                    "empowerment_alone", "empowerment_with_training_and_guidelines"):
        if not (folder / f"{sibling}.toml").exists():
            (folder / f"{sibling}.toml").write_text(LIBRARY[sibling].read_text())
    outcome = _load(path)
    event("error" if isinstance(outcome, ParameterError) else "valid scenario")
    if isinstance(outcome, ParameterError):
        _check_error(outcome, str(path), None)
        _check_cli(path, capsys)
    else:
        assert isinstance(outcome, Scenario)


@st.composite
def damaged(draw) -> tuple[str, bytes]:
    """A library file's bytes with junk inserted, lines dropped or the file cut short."""
    name = draw(st.sampled_from(sorted(LIBRARY)))
    data = LIBRARY[name].read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert", "drop_line", "truncate", "duplicate_line"]))
        lines = data.split(b"\n")
        if op == "insert":
            at = draw(st.integers(0, len(data)))
            junk = draw(st.one_of(st.binary(min_size=1, max_size=8),
                                  st.sampled_from([b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
                                                   b"[", b"]]", b'"', b"=", b"\n[[x]]\n",
                                                   b"\xe9", b"[" * 2000])))
            data = data[:at] + junk + data[at:]
        elif op == "drop_line" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
            data = b"\n".join(lines)
        elif op == "duplicate_line" and lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            data = b"\n".join(lines)
        else:
            data = data[:draw(st.integers(0, len(data)))]
    return name, data


@FUZZ
@given(case=damaged())
def test_damaged_library_files_load_or_fail_cleanly(case, tmp_path_factory, capsys):
    name, data = case
    folder = tmp_path_factory.mktemp("damaged")
    path = folder / f"{name}.toml"
    path.write_bytes(data)
    outcome = _load(path)
    event("error" if isinstance(outcome, ParameterError) else "valid scenario")
    if isinstance(outcome, ParameterError):
        _check_error(outcome, str(path), None)
        _check_cli(path, capsys)
    else:
        assert isinstance(outcome, Scenario)


# --- the JSON Schema and the validator are one definition -----------------------------------

@functools.cache
def _schema_validator() -> Any:
    import jsonschema

    from cxsim.experiments.schema import scenario_json_schema

    return jsonschema.Draft202012Validator(scenario_json_schema())


def _schema_errors(document: dict) -> list[str]:
    return [error.message for error in _schema_validator().iter_errors(document)]


def _has_parameter_text(document: dict) -> bool:
    # parameters accept numbers written as text (command-line values); the schema does not
    from cxsim.core.parameters import SECTIONS

    return any(isinstance(value, str) for section in SECTIONS
               if isinstance(document.get(section), dict)
               for value in document[section].values())


@settings(FUZZ, max_examples=200)
@given(case=mutated())
def test_what_the_validator_accepts_the_json_schema_accepts(case):
    _, document, _ = case
    document.pop("extends", None)
    try:
        Scenario.from_dict(document)
    except ParameterError:
        event("refused by the validator")
        return
    event("accepted by the validator")
    if not _has_parameter_text(document):
        assert not _schema_errors(document), document
