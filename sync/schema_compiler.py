"""Fast validation with marshmallow schemas, for the push hot path.

``Schema.validate`` runs marshmallow's whole load machinery for every
nested object; on a 500-op batch that is most of the server's time.  A
compiled checker walks the schema's declared fields once, recursing into
``Nested`` schemas itself, and gives every field a fast *accept* test built
from the field's type and its validators (``Length``, ``OneOf``, ``Range``,
``Regexp`` inline; any other validator is called as marshmallow would).

The accept test only ever says yes to values marshmallow accepts too (it
takes exact JSON types: ``str``, ``int``, ``float``, ``bool``, ``list``,
``dict``); anything else, and every value it refuses, goes to the field's
own ``deserialize``, so marshmallow stays the single source of the rules
and of every message.  A property test checks that compiled checkers and
``Schema.validate`` agree.  Field subclasses may narrow the accepted *types*
(as the strict numbers of ``sync.report_schema`` do), but not refuse values
of the exact type for other reasons: that would need a validator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from sync.errors import flatten_errors

Checker = Callable[[Any, str, dict[str, list[str]]], None]
Accept = Callable[[Any], bool]
#: ``(value, prefix, key, errors)``: the path ``prefix.key`` is only built on error.
FieldChecker = Callable[[Any, str, str, dict[str, list[str]]], None]

_FLOAT_SAFE_INT = 2**63


def _join(prefix: str, key: str) -> str:
    """``prefix.key``, or ``key`` at the top level."""
    return f"{prefix}.{key}" if prefix else key


def _kind(field: fields.Field) -> str | None:
    """The exact JSON type the fast path accepts for ``field``, or None when unknown."""
    if isinstance(field, fields.Boolean):
        return "bool"
    if isinstance(field, fields.Integer):
        return "int"
    if isinstance(field, fields.Float):
        return None if getattr(field, "allow_nan", False) else "float"
    if isinstance(field, fields.String):
        return "str"
    if isinstance(field, fields.Dict) and field.key_field is None and field.value_field is None:
        return "dict"
    if type(field) is fields.Raw:
        return "raw"
    return None


def _as_float(v: Any) -> float | None:
    """What ``fields.Float`` validates, or None when it would refuse the value."""
    # What fields.Float validates, for the exact types JSON produces.
    if type(v) is float:
        return v if math.isfinite(v) else None
    if type(v) is int and -_FLOAT_SAFE_INT < v < _FLOAT_SAFE_INT:
        return float(v)
    return None


_TYPE_TEST: dict[str, Accept] = {
    "bool": lambda v: type(v) is bool,
    "int": lambda v: type(v) is int,
    "float": lambda v: _as_float(v) is not None,
    "str": lambda v: type(v) is str,
    "dict": lambda v: type(v) is dict,
    "raw": lambda v: True,
}


def _validator_accept(rule: Callable[[Any], Any]) -> Accept:
    """A yes/no test with the same verdict as a marshmallow validator."""
    if type(rule) is validate.Length:
        lo, hi, equal = rule.min, rule.max, rule.equal
        if equal is not None:
            return lambda v: len(v) == equal
        return lambda v: (lo is None or len(v) >= lo) and (hi is None or len(v) <= hi)
    if type(rule) is validate.OneOf:
        try:
            choices: Any = frozenset(rule.choices)
        except TypeError:
            choices = rule.choices

        def one_of(v: Any) -> bool:
            try:
                return v in choices
            except TypeError:
                return False

        return one_of
    if type(rule) is validate.Range:
        lo, hi = rule.min, rule.max
        lo_in, hi_in = rule.min_inclusive, rule.max_inclusive
        return lambda v: (
            (lo is None or (v >= lo if lo_in else v > lo))
            and (hi is None or (v <= hi if hi_in else v < hi))
        )
    if type(rule) is validate.Regexp:
        return lambda v: rule.regex.match(v) is not None

    def call(v: Any) -> bool:
        try:
            return rule(v) is not False
        except ValidationError:
            return False

    return call


def _specialised(kind: str, rule: Any) -> Accept | None:
    """One closure for the commonest pairs (a string enum, a bounded string or number)."""
    if kind == "str" and type(rule) is validate.OneOf:
        try:
            choices = frozenset(rule.choices)
        except TypeError:
            return None
        return lambda v: type(v) is str and v in choices
    if kind == "str" and type(rule) is validate.Length and rule.equal is None:
        lo, hi = rule.min or 0, rule.max
        if hi is None:
            return None
        return lambda v: type(v) is str and lo <= len(v) <= hi
    if type(rule) is validate.Range and rule.min_inclusive and rule.max_inclusive:
        lo, hi = rule.min, rule.max
        if lo is None or hi is None:
            return None
        if kind == "int":
            return lambda v: type(v) is int and lo <= v <= hi
        if kind == "float":

            def bounded_float(v: Any) -> bool:
                f = _as_float(v)
                return f is not None and lo <= f <= hi

            return bounded_float
    return None


def _accept(field: fields.Field) -> Accept | None:
    """A fast test for non-null values, or None when only marshmallow can tell."""
    if isinstance(field, fields.List):
        inner = _accept(field.inner)
        own = [_validator_accept(rule) for rule in field.validators]
        if inner is None:
            return None
        return lambda v: (
            type(v) is list
            and all(x is not None and inner(x) for x in v)
            and all(rule(v) for rule in own)
        )
    kind = _kind(field)
    if kind is None:
        return None
    type_test = _TYPE_TEST[kind]
    if not field.validators:
        return type_test
    if len(field.validators) == 1:
        fast = _specialised(kind, field.validators[0])
        if fast is not None:
            return fast
    rules = [_validator_accept(rule) for rule in field.validators]
    convert = _as_float if kind == "float" else None

    def accept(v: Any) -> bool:
        if not type_test(v):
            return False
        c = convert(v) if convert else v
        return all(rule(c) for rule in rules)

    return accept


def _by_marshmallow(field: fields.Field) -> FieldChecker:
    """A checker that asks the field itself and records its messages."""

    def check(value: Any, prefix: str, key: str, errors: dict[str, list[str]]) -> None:
        try:
            field.deserialize(value)
        except ValidationError as exc:
            for k, v in flatten_errors(exc.messages, _join(prefix, key)).items():
                errors.setdefault(k, []).extend(v)

    return check


def _nested_checker(schema: Schema) -> FieldChecker:
    """A checker for a ``Nested`` field, with the path extended."""
    check = compile_schema(schema)

    def nested(value: Any, prefix: str, key: str, errors: dict[str, list[str]]) -> None:
        check(value, _join(prefix, key), errors)

    return nested


def compile_schema(schema: Schema, partial: bool = False) -> Checker:
    """A checker ``(data, prefix, errors)`` that adds flattened errors to ``errors``."""
    # name -> (fast accept test or None, checker that records the errors)
    entries: dict[str, tuple[Accept | None, FieldChecker]] = {}
    for name, field in schema.fields.items():
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            entries[name] = (None, _nested_checker(field.schema))
        else:
            entries[name] = (_accept(field), _by_marshmallow(field))
    nullable = frozenset(n for n, f in schema.fields.items() if f.allow_none)
    required = () if partial else tuple(n for n, f in schema.fields.items() if f.required)

    def check(data: Any, prefix: str, errors: dict[str, list[str]]) -> None:
        if type(data) is not dict and not isinstance(data, Mapping):
            errors.setdefault(prefix, []).append("must be an object")
            return
        for key, value in data.items():
            entry = entries.get(key)
            if entry is None:
                errors.setdefault(_join(prefix, key), []).append("unknown field")
            elif value is None:
                if key not in nullable:
                    errors.setdefault(_join(prefix, key), []).append("may not be null")
            elif entry[0] is None or not entry[0](value):
                entry[1](value, prefix, key, errors)
        for name in required:
            if name not in data:
                errors.setdefault(_join(prefix, name), []).append("is required")

    return check


def validator(schema: Schema, partial: bool = False) -> Callable[[Any], dict[str, list[str]]]:
    """A function ``data -> {path: [messages]}`` (empty when valid)."""
    check = compile_schema(schema, partial)

    def validate(data: Any) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        check(data, "", errors)
        return errors

    return validate
