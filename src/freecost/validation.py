"""Turns pydantic's validation errors into located, readable :class:`Problem` lines.

pydantic reports a location as a tuple of keys; we walk it through the parsed document to
find the line and column, drop the parts that are not in the file (union tags, validator
names), and reword the messages for a person who edits YAML, not Python.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from freecost.errors import Problem
from freecost.packs import did_you_mean
from freecost.yamlsource import Document, PathKey

_TYPE_WORDS = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping of keys",
    "model_type": "expected a mapping of keys",
    "model_attributes_type": "expected a mapping of keys",
    "date_type": "expected a date like 2026-11-23",
    "date_parsing": "expected a date like 2026-11-23",
    "date_from_datetime_parsing": "expected a date like 2026-11-23",
    "date_from_datetime_inexact": "expected a date like 2026-11-23",
    "none_required": "expected nothing here",
}


def problems_from_error(
    document: Document, error: ValidationError, root: type[BaseModel]
) -> list[Problem]:
    """One Problem per pydantic error, located in ``document``."""
    problems = []
    for item in error.errors(include_url=False):
        path = _path_in(document.data, item["loc"], item["type"])
        message = _message(item, root, path, document.data)
        problems.append(document.problem(path, message, key=item["type"] == "extra_forbidden"))
    return problems


def _path_in(data: Any, loc: tuple[int | str, ...], kind: str) -> PathKey:
    """The part of pydantic's ``loc`` that names places in the data."""
    from freecost.probes.registry import CHECK_TYPES as tags

    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, dict) and str(part) in current:
            path.append(str(part))
            current = current[str(part)]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif last and isinstance(current, dict) and isinstance(part, str) and part not in tags:
            # A field the person left out: name it, located at its mapping.
            path.append(part)
        # Anything else is a union tag or a validator's name: not a place in the file.
    return tuple(path)


def _message(item: Any, root: type[BaseModel], path: PathKey, data: Any) -> str:
    kind: str = item["type"]
    ctx = item.get("ctx") or {}
    got = _describe(item.get("input"))
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = _fields_at(root, path[:-1], data)
        return f"unknown key{did_you_mean(str(path[-1]), allowed)}" + (
            f"; expected one of: {', '.join(sorted(allowed))}"
            if allowed and len(allowed) <= 12
            else ""
        )
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        value = item.get("input")
        shown = f" (got '{str(value)[:40]}')" if isinstance(value, str | int | float) else ""
        return f"must be one of: {expected}{shown}".replace(" or ", ", ")
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}, got {got}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"must be {word} {bound}"
    if kind in ("too_short", "string_too_short"):
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} items"
    if kind in ("too_long", "string_too_long"):
        return f"must have at most {ctx.get('max_length')} items"
    message = str(item.get("msg", kind))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[:1].lower() + message[1:]


def _describe(value: Any) -> str:
    """What the person wrote, as a kind of thing; never the value (it may be a secret)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _fields_at(root: type[BaseModel], path: PathKey, data: Any) -> list[str]:
    """The keys allowed in the mapping at ``path``, following the models' annotations."""
    current: Any = root
    for part in path:
        current = _step(current, part, data)
        data = _child(data, part)
        if current is None:
            return []
    model = _as_model(current, data)
    return list(model.model_fields) if model else []


def _child(data: Any, part: str | int) -> Any:
    if isinstance(data, dict) and isinstance(part, str):
        return data.get(part)
    if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
        return data[part]
    return None


def _step(annotation: Any, part: str | int, data: Any) -> Any:
    model = _as_model(annotation, data)
    if isinstance(part, str):
        if model is None or part not in model.model_fields:
            return None
        return model.model_fields[part].annotation
    for inner in _unwrap(annotation):
        origin = typing.get_origin(inner)
        if origin in (list, tuple):
            args = typing.get_args(inner)
            return args[0] if args else None
    return None


def _as_model(annotation: Any, data: Any) -> type[BaseModel] | None:
    """The model the data is validated against; a check's ``type`` picks among several."""
    from freecost.probes.registry import CHECK_TYPES, CheckBase, model_for

    models = [m for m in _unwrap(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    tag = data.get("type") if isinstance(data, dict) else None
    for model in models:
        if getattr(model, "type_name", None) == tag:
            return model
        if model is CheckBase and isinstance(tag, str) and tag in CHECK_TYPES:
            return model_for(tag)
    return models[0] if models else None


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
        return found
    return [annotation]
