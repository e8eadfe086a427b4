"""Declared field rules, turned into pydantic models: one definition serves validation,
the JSON Schema and the docs.

A :class:`Rule` declares what one field accepts (an integer or number within bounds, true
or false, a name, a choice among names, a list of names), with its unit and meaning.
:meth:`Rule.annotation` turns it into a pydantic type (``Annotated`` with ``Field``
bounds and a ``BeforeValidator`` for the project's conventions: numpy scalars count as
numbers, ``true`` does not, an integer too large for a float is out of range, a single
name counts as a one-name list); :func:`table_model` makes a pydantic model of a table
of rules (unknown keys forbidden). pydantic validates; its errors are translated into the
project's one-line wording and raised as one :class:`ParameterError`::

    interventions.training.hours = -5 is not allowed: expected hours from 0 (exclusive) to 200

with a did-you-mean for unknown keys and ``is missing`` for required ones.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NoReturn, Optional

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError, PydanticUndefined


class ParameterError(ValueError):
    """A parameter (or intervention field) has an unknown name or a bad value.

    The message always names the field, the value given and what is allowed. One error
    may carry several problems (every error of a scenario file, found at once): then
    :attr:`errors` lists them, one line each, and the message joins them with newlines.
    """

    def __init__(self, message: str | Iterable[str]):
        self.errors: list[str] = ([message] if isinstance(message, str)
                                  else [str(m) for m in message])
        super().__init__("\n".join(self.errors))

    def __reduce__(self):
        return (ParameterError, (self.errors,))

    def prefixed(self, prefix: str) -> ParameterError:
        """The same errors, each line prefixed (e.g. with the file name)."""
        return ParameterError([f"{prefix}{line}" for line in self.errors])


def coerce_number(value: Any) -> int | float | None:
    """``value`` as a Python int or float if it is a number, else None.

    numpy integers and floats count as numbers; ``True``/``False`` (Python or numpy) do
    not. Integers stay exact (so an integer too large for a float compares correctly
    with a bound instead of overflowing).
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return None


def show_value(value: Any, limit: int = 40) -> str:
    """A value as an error message shows it: repr, numpy scalars as plain numbers,
    overlong values shortened (an integer of 401 digits is not printed in full)."""
    number = coerce_number(value)
    if isinstance(value, np.bool_):
        text = repr(bool(value))
    elif number is not None:
        if isinstance(number, int) and len(str(abs(number))) > limit:
            digits = str(abs(number))
            return f"{'-' if number < 0 else ''}{digits[:12]}... ({len(digits)} digits)"
        text = repr(number)
    else:
        try:
            text = repr(value)
        except Exception:  # a broken __repr__ must not hide the real error
            text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text)} characters)"
    return text


def suggest(name: str, allowed: Sequence[str]) -> str:
    """``"did you mean x?"`` for a close match, else the list of what is allowed."""
    close = difflib.get_close_matches(name, list(allowed), n=3, cutoff=0.6)
    listed = "allowed are " + ", ".join(allowed)
    return f"did you mean {' or '.join(close)}? ({listed})" if close else listed


# --- the project's conventions, as pydantic before-validators ------------------------------


def _refuse() -> NoReturn:
    # the wording comes from the Rule when the error is translated (see value_error_line)
    raise PydanticCustomError("not_allowed", "not allowed by its rule")


def _parse_text(value: Any) -> Any:
    """A number written as text (``--set organisation.n_employees=300``)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    except ValueError:  # not a number, or more digits than Python converts
        _refuse()


def _to_int(value: Any) -> int:
    number = coerce_number(value)
    if number is None:
        _refuse()
    if isinstance(number, float):
        if not number.is_integer():  # also nan and inf
            _refuse()
        number = int(number)
    return number


def _to_float(value: Any) -> float:
    number = coerce_number(value)
    if number is None:
        _refuse()
    try:
        return float(number)
    except OverflowError:  # an integer too large for a float is out of range
        _refuse()


def _to_bool(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    _refuse()


def _to_names(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return tuple(value)
    return value  # refused by the strict tuple


@dataclass(frozen=True)
class Rule:
    """What one field accepts.

    ``kind`` is ``"int"``, ``"float"``, ``"bool"``, ``"str"`` (a non-empty text of at most
    ``high`` characters, default 100), ``"choice"`` (one of ``choices``) or ``"names"`` (a
    list of names, a single name counting as a one-name list; with ``choices``, each must be
    one of them).
    Numbers must be finite and lie within ``[low, high]`` (``(low, high]`` when
    ``low_open``); ``nullable`` admits ``None`` (in a file: leaving the field out).
    ``parse_text`` accepts numbers written as text (command-line values).
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
    parse_text: bool = False

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

    def show(self, value: Any) -> str:
        """``value`` as an error message about this field shows it."""
        if self.parse_text and isinstance(value, str):
            return show_value(value.strip()).strip("'")
        return show_value(value)

    def annotation(self) -> Any:
        """This rule as a pydantic type (``Annotated`` with bounds and converters)."""
        before = [BeforeValidator(_parse_text)] if self.parse_text else []
        if self.kind in ("int", "float"):
            bounds = Field(**{"gt" if self.low_open else "ge": self.low}, le=self.high)
            if self.kind == "int":
                kind: Any = Annotated[int, bounds, BeforeValidator(_to_int), *before]
            else:
                kind = Annotated[float, bounds, Field(allow_inf_nan=False),
                                 BeforeValidator(_to_float), *before]
        elif self.kind == "bool":
            kind = Annotated[bool, BeforeValidator(_to_bool)]
        elif self.kind == "str":
            kind = Annotated[str, Field(strict=True, min_length=1, max_length=self.max_length)]
        elif self.kind == "choice":
            kind = Literal[self.choices]
        elif self.kind == "names":
            item: Any = (Literal[self.choices] if self.choices
                         else Annotated[str, Field(strict=True, min_length=1, max_length=100)])
            kind = Annotated[tuple[item, ...],
                             BeforeValidator(_to_names, json_schema_input_type=item | list[item]),
                             Field(strict=True)]
        else:
            raise AssertionError(f"unknown rule kind {self.kind!r}")
        return Optional[kind] if self.nullable else kind  # noqa: UP045 - a runtime type

    def field(self, default: Any = PydanticUndefined) -> tuple[Any, FieldInfo]:
        """``(type, Field)`` of this rule for :func:`pydantic.create_model`. A default of
        ``None`` on a field that is not nullable means "may be left out"."""
        def extra(schema: dict[str, Any]) -> None:
            if self.unit:
                schema["unit"] = self.unit
            if default is None and not self.nullable:
                schema.pop("default", None)
        return self.annotation(), Field(default, description=self.description or None,
                                        json_schema_extra=extra)


def optional_part(annotation: Any, description: str = "") -> tuple[Any, FieldInfo]:
    """``(type, Field)`` of a table or array that a file may leave out."""
    return annotation, Field(None, description=description or None,
                             json_schema_extra=lambda schema: schema.pop("default", None))


def _fmt(x: float | None) -> str:
    if x is None:
        return "any"
    if isinstance(x, int):
        return str(x)
    return f"{int(x)}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def table_model(name: str, rules: Mapping[str, Rule], defaults: Mapping[str, Any],
                doc: str = "", **fields: Any) -> type[BaseModel]:
    """A pydantic model of a table of ``rules`` (unknown keys forbidden); a field with a
    default in ``defaults`` is optional. ``fields`` adds ready-made fields."""
    declared = {key: rule.field(defaults.get(key, PydanticUndefined))
                for key, rule in rules.items()}
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc or None,
                        **fields, **declared)


@functools.cache
def _adapter(rule: Rule) -> TypeAdapter:
    return TypeAdapter(rule.annotation())


def check_value(rule: Rule, value: Any, path: str) -> Any:
    """``value`` converted by ``rule``, or a :class:`ParameterError` naming ``path``."""
    try:
        return _adapter(rule).validate_python(value)
    except ValidationError as error:
        raise ParameterError(value_error_line(path, rule, value, error.errors()[0])) \
            from None


def value_error_line(path: str, rule: Rule, value: Any, error: ErrorDetails) -> str:
    """One line for a pydantic error about the value of one field. ``error``'s ``loc``
    is relative to the field: an item of a list of names is shown by itself."""
    shown = error["input"] if error["loc"] else value
    return f"{path} = {rule.show(shown)} is not allowed: expected {rule.allowed()}"


def table_error_line(error: ErrorDetails, loc: tuple, path: str, rules: Mapping[str, Rule],
                     table: Any, unknown: Callable[[Any], str] | None = None) -> str:
    """One line for a pydantic error at ``loc`` (starting at a key) in the table at
    ``path`` (``""`` for the top level) whose given values are ``table``: an unknown key
    (with ``unknown``'s wording, else a did-you-mean), a missing one or a bad value."""
    key = loc[0]
    where = f"{path}.{key}" if path else str(key)
    if error["type"] == "extra_forbidden":
        if unknown is not None:
            return unknown(key)
        return f"unknown key {show_value(where)}: {suggest(str(key), list(rules))}"
    rule = rules[key]
    if error["type"] == "missing":
        return f"{where} is missing: expected {rule.allowed()}"
    value = table.get(key, error["input"]) if isinstance(table, Mapping) else error["input"]
    return value_error_line(where, rule, value, {**error, "loc": loc[1:]})


def validate_table(model: type[BaseModel], values: Mapping[str, Any], path: str,
                   rules: Mapping[str, Rule]) -> BaseModel:
    """``values`` validated by ``model`` (a :func:`table_model` of ``rules``), or a
    :class:`ParameterError` listing every error, one line each."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ParameterError([table_error_line(e, e["loc"], path, rules, values)
                              for e in error.errors()]) from None
