"""Checking JSON metadata read from disk (checkpoint headers, run files, cache entries) against a small schema:
types, nesting depth and finite numbers, with an error that names the file and the field.

A schema is built from ``Int`` / ``Num`` / ``Str`` / ``Bool`` / ``Anything``, ``Maybe(schema)`` (or null),
``Array(item)``
and ``Object({field: schema}, required=(...))`` (fields not named are allowed and not checked: the files
carry more than any one reader needs). Numbers are finite unless ``Num(finite=False)``; ``True`` is not a number.

``loads(text, where, schema)`` parses and checks (nesting deeper than ``MAX_DEPTH`` is refused, also when it is
deep enough to exhaust the parser's stack); ``read(path, schema)`` does the same for a file. Both raise ``SchemaError``
(a ``ValueError``) such as ``runs/ab12/done.json: steps must be an integer >= 0, got 'ten' (str)``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

MAX_DEPTH = 32  # colorlib writes at most about 8 levels (a checkpoint's optimiser structure)


class SchemaError(ValueError):
    """JSON metadata that does not parse or does not fit its schema; the message names the file and field."""


@dataclass(frozen=True)
class Int:
    minimum: int | None = 0

    def problem(self, v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            return "an integer" + (f" >= {self.minimum}" if self.minimum is not None else "")
        if self.minimum is not None and v < self.minimum:
            return f"an integer >= {self.minimum}"
        return None


@dataclass(frozen=True)
class Num:
    finite: bool = True

    def problem(self, v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return "a number"
        if self.finite and not math.isfinite(v):
            return "a finite number"
        return None


@dataclass(frozen=True)
class Str:
    def problem(self, v: Any) -> str | None:
        return None if isinstance(v, str) else "a string"


@dataclass(frozen=True)
class Bool:
    def problem(self, v: Any) -> str | None:
        return None if isinstance(v, bool) else "true or false"


@dataclass(frozen=True)
class Anything:
    def problem(self, v: Any) -> str | None:
        return None


@dataclass(frozen=True)
class Maybe:
    schema: Any

    def problem(self, v: Any) -> str | None:
        if v is None:
            return None
        inner = self.schema.problem(v)
        return None if inner is None else f"{inner} or null"


@dataclass(frozen=True)
class Array:
    item: Any = Anything()

    def problem(self, v: Any) -> str | None:
        return None if isinstance(v, list) else "an array"


@dataclass(frozen=True)
class Object:
    fields: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def problem(self, v: Any) -> str | None:
        return None if isinstance(v, dict) else "an object"


def _shown(v: Any) -> str:
    text = repr(v)
    return (text[:60] + "...") if len(text) > 60 else text


def check(value: Any, schema: Any, where: str, name: str = "") -> None:
    """Raise ``SchemaError`` naming ``where`` and the field path when ``value`` does not fit ``schema``."""
    want = schema.problem(value)
    label = name or "the top level"
    if want is not None:
        raise SchemaError(f"{where}: {label} must be {want}, got {_shown(value)} ({type(value).__name__})")
    if isinstance(schema, Maybe):
        if value is not None:
            check(value, schema.schema, where, name)
    elif isinstance(schema, Array) and not isinstance(schema.item, Anything):
        for i, item in enumerate(value):
            check(item, schema.item, where, f"{name}[{i}]")
    elif isinstance(schema, Object):
        missing = [k for k in schema.required if k not in value]
        if missing:
            raise SchemaError(f"{where}: {label} has no field {', '.join(missing)}")
        for key, sub in schema.fields.items():
            if key in value:
                check(value[key], sub, where, f"{name}.{key}" if name else key)


def depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar: 0), computed without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d + 1)
            todo += [(x, d + 1) for x in v if isinstance(x, (dict, list))]
    return deepest


def loads(text: str | bytes, where: str, schema: Any = Anything(), max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON ``text`` (from ``where``) and check its depth and ``schema``."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise SchemaError(f"{where}: JSON nested too deeply (more than {max_depth} levels)") from None
    except (ValueError, TypeError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise SchemaError(f"{where}: not valid JSON ({err})") from None
    if depth(value) > max_depth:
        raise SchemaError(f"{where}: JSON nested too deeply (more than {max_depth} levels)")
    check(value, schema, where)
    return value


def read(path: str | os.PathLike, schema: Any = Anything(), max_depth: int = MAX_DEPTH) -> Any:
    """``loads`` of a file; an unreadable file (a folder, no permission) is a ``SchemaError`` naming it too."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as err:
        raise SchemaError(f"{path}: cannot be read ({err.strerror or err})") from None
    return loads(text, str(path), schema, max_depth)
