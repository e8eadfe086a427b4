"""Declared field rules: one definition serves validation, the JSON Schema and the docs.

A :class:`Rule` says what one field accepts (an integer or number within bounds, true or
false, a name, a choice among names, a list of names). :meth:`Rule.check` converts an
accepted value (numpy scalars count as numbers; ``true`` does not) or raises
:class:`~cxsim.core.parameters.ParameterError` in the project's wording::

    interventions.training.hours = -5 is not allowed: expected hours from 0 (exclusive) to 200

:func:`check_fields` checks a whole table at once and reports every bad field, unknown
fields with a did-you-mean, and missing required fields.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxsim.core.parameters import ParameterError, coerce_number, show_value

_MISSING = object()


@dataclass(frozen=True)
class Rule:
    """What one field accepts.

    ``kind`` is ``"int"``, ``"float"``, ``"bool"``, ``"str"`` (a non-empty text of at most
    ``high`` characters, default 100), ``"choice"`` (one of ``choices``) or ``"names"`` (a
    list of names, a single name counting as a one-name list; with ``choices``, each must be
    one of them).
    Numbers must be finite and lie within ``[low, high]`` (``(low, high]`` when
    ``low_open``); ``nullable`` admits ``None`` (in a file: leaving the field out).
    ``allowed_text`` overrides the generated description of what is allowed.
    """

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    unit: str = ""
    description: str = ""
    allowed_text: str = ""

    @property
    def max_length(self) -> int:
        """Longest text a ``"str"`` field accepts."""
        return int(self.high) if self.high is not None else 100

    def allowed(self) -> str:
        """What is allowed, in words (the end of an error message)."""
        if self.allowed_text:
            text = self.allowed_text
        elif self.kind == "bool":
            text = "true or false"
        elif self.kind == "str":
            text = f"text of 1 to {self.max_length} characters"
        elif self.kind == "choice":
            text = "one of " + ", ".join(self.choices)
        elif self.kind == "names":
            text = ("a list of names among " + ", ".join(self.choices) if self.choices
                    else "a list of names")
        else:
            noun = "an integer" if self.kind == "int" else "a number"
            low = "" if self.low is None else _fmt(self.low)
            if self.low_open:
                text = f"{noun} above {low} up to {_fmt(self.high)}"
            else:
                text = f"{noun} from {low} to {_fmt(self.high)}"
            if self.unit:
                text += f" ({self.unit})"
        return text + (" or none" if self.nullable and self.kind != "names" else "")

    def check(self, value: Any, path: str) -> Any:
        """Return ``value`` converted to this rule's type, or raise ParameterError."""
        if value is None and self.nullable:
            return None
        bad = ParameterError(f"{path} = {show_value(value)} is not allowed: "
                             f"expected {self.allowed()}")
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise bad
        if self.kind in ("int", "float"):
            number = coerce_number(value)
            if number is None or (isinstance(number, float) and not math.isfinite(number)):
                raise bad
            if self.low is not None and (number <= self.low if self.low_open
                                         else number < self.low):
                raise bad
            if self.high is not None and number > self.high:
                raise bad
            if self.kind == "int":
                if isinstance(number, float):
                    if not number.is_integer():
                        raise bad
                    number = int(number)
                return number
            return float(number)
        if self.kind == "str":
            if isinstance(value, str) and 0 < len(value) <= self.max_length:
                return value
            raise bad
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise bad
        if self.kind == "names":
            if isinstance(value, str):
                value = (value,)
            if not isinstance(value, Sequence) or isinstance(value, (bytes, bytearray)):
                raise bad
            names = tuple(value)
            for name in names:
                ok = isinstance(name, str) and (name in self.choices if self.choices
                                                else 0 < len(name) <= 100)
                if not ok:
                    raise ParameterError(f"{path} = {show_value(name)} is not allowed: "
                                         f"expected {self.allowed()}")
            return names
        raise AssertionError(f"unknown rule kind {self.kind!r}")

    def json_schema(self) -> dict[str, Any]:
        """This field as a JSON Schema fragment."""
        schema: dict[str, Any]
        if self.kind in ("int", "float"):
            schema = {"type": "integer" if self.kind == "int" else "number"}
            if self.low is not None:
                schema["exclusiveMinimum" if self.low_open else "minimum"] = self.low
            if self.high is not None:
                schema["maximum"] = self.high
        elif self.kind == "bool":
            schema = {"type": "boolean"}
        elif self.kind == "str":
            schema = {"type": "string", "minLength": 1, "maxLength": self.max_length}
        elif self.kind == "choice":
            schema = {"enum": list(self.choices)}
        else:
            item: dict[str, Any] = ({"enum": list(self.choices)} if self.choices
                                    else {"type": "string", "minLength": 1})
            schema = {"anyOf": [item, {"type": "array", "items": item}]}
        if self.description:
            schema["description"] = self.description
        return schema


def _fmt(x: float | None) -> str:
    if x is None:
        return "any"
    if isinstance(x, int):
        return str(x)
    return f"{int(x)}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def suggest(name: str, allowed: Sequence[str]) -> str:
    """``"did you mean x?"`` for a close match, else the list of what is allowed."""
    close = difflib.get_close_matches(name, list(allowed), n=3, cutoff=0.6)
    listed = "allowed are " + ", ".join(allowed)
    return f"did you mean {' or '.join(close)}? ({listed})" if close else listed


def check_fields(values: Any, rules: Mapping[str, Rule], path: str,
                 required: Sequence[str] = (), ignore: Sequence[str] = ()
                 ) -> tuple[dict[str, Any], list[str]]:
    """Check a table of ``values`` against ``rules``.

    Returns the converted values and a list of every error (unknown keys with a
    did-you-mean, missing required keys, bad values), each a one-line message
    starting with its key path.
    """
    if not isinstance(values, Mapping):
        return {}, [f"{path} = {show_value(values)} is not allowed: expected a table"]
    converted: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in values.items():
        if key in ignore:
            continue
        if not isinstance(key, str) or key not in rules:
            errors.append(f"unknown key {show_value(f'{path}.{key}')}: "
                          f"{suggest(str(key), list(rules))}")
            continue
        try:
            converted[key] = rules[key].check(value, f"{path}.{key}")
        except ParameterError as error:
            errors.extend(error.errors)
    for key in required:
        if key not in values:
            errors.append(f"{path}.{key} is missing: expected {rules[key].allowed()}")
    return converted, errors
