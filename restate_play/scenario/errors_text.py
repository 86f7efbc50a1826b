"""Pydantic's validation errors told as a scenario author needs them: field, expectation, nearest name."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

TABLE_ARRAYS = {"step": "[[step]]"}  # keys written as arrays of tables: suggested in that form


def explain(err: ValidationError, model: type[BaseModel], action: str | None) -> str:
    """The first error of `err`, in words; more errors are counted, not listed (fix one at a time)."""
    # An unknown key first: a misspelt name also explains the "required" error that comes with it.
    errors = sorted(err.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    first = _one(errors[0], model, action)
    more = len(errors) - 1
    return first + (f" ({more} more problem{'s' if more > 1 else ''} after this one.)" if more else "")


def _one(error: dict[str, Any], model: type[BaseModel], action: str | None) -> str:
    loc = list(error["loc"])
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "scenario_rule":  # raised by a field's validator (loc ends with it) or by its table's
        parent = loc[:-1] if loc and loc[-1] == ctx["field"] else loc
        shown = "" if ctx.get("got") is None else f", got {ctx['got']!r}"
        return f"field {_path(parent, ctx['field'])}: expected {ctx['expected']}{shown}."
    item = ""
    while loc and isinstance(loc[-1], int):  # a list's element: name the list, then the item
        item = f" item {loc.pop() + 1}{item}"
    parents = _models_at(model, loc[:-1])
    if kind == "extra_forbidden":
        return _unknown(loc, parents, action)
    name = str(loc[-1]) if loc else "?"
    field = _path(loc[:-1], name) + item
    info = _field(parents, name) or _field(_models_at(model, loc[:-2]), str(loc[-2]) if len(loc) > 1 else "")
    desc = _lower_first(info.description.rstrip(".")) if info and info.description else ""
    about = f" ({desc})" if desc else ""
    if kind == "missing":
        return f"field {field} is required{about}."
    if kind == "literal_error":
        return f"field {field}: expected {ctx['expected']}, got {got!r}."
    return f"field {field}: expected {_words(kind, ctx, error['msg'])}{about}, got {got!r}."


def _path(parent: list[Any], leaf: str) -> str:
    """'expect_ledger.gaps.within', or 'delay' of parallel item 2: where a field is, as typed in the file."""
    names, item = [], None
    for i, part in enumerate(parent):
        if isinstance(part, int):
            item = part + 1
            names = [f"{'.'.join(names)} item {item}"] if names else []
        elif not _is_tag(parent, i):
            names.append(str(part))
    if item is not None and names:
        head, _, rest = ".".join(names).partition(" item ")
        inner = rest.partition(".")[2]
        return f"'{inner + '.' if inner else ''}{leaf}' of {head} item {item}"
    return "'" + ".".join([*names, leaf]) + "'"


def _is_tag(loc: list[Any], i: int) -> bool:
    # Tagged unions (a parallel item is a call or a send) put the tag in the location, after the index.
    return i > 0 and isinstance(loc[i - 1], int) and loc[i] in ("call", "send")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a table",
    "list_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _words(kind: str, ctx: dict[str, Any], msg: str) -> str:
    if kind in WORDS:
        return WORDS[kind]
    if kind == "too_short":
        return f"at least {ctx.get('min_length')} item(s)"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op, bound = {"greater_than": (">", "gt"), "greater_than_equal": ("≥", "ge")}.get(kind, ("<", "lt"))
        return f"a number {op} {ctx.get(bound, ctx.get('le'))}"
    return _lower_first(msg.removeprefix("Input should be ").removeprefix("Value error, "))


def _unknown(loc: list[Any], parents: list[type[BaseModel]], action: str | None) -> str:
    key = str(loc[-1])
    valid = sorted({alias for m in parents for alias in _names(m)})
    guess = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    owners = [] if len(loc) > 1 or action is None else _owners(key)
    if guess:
        tip = f" Did you mean {TABLE_ARRAYS.get(guess[0], repr(guess[0]))}?"
    elif owners:
        tip = f" It is only on {' and '.join(repr(o) for o in owners)} steps."
    else:
        tip = ""
    return f"field {_path(loc[:-1], key)}: expected one of {', '.join(valid)}, got an unknown field.{tip}"


def _owners(key: str) -> list[str]:
    from restate_play.scenario.actions import REGISTRY

    return [name for name, cls in REGISTRY.items() if key in _names(cls)]


def _names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _field(models: list[type[BaseModel]], name: str) -> FieldInfo | None:
    for m in models:
        for field_name, info in m.model_fields.items():
            if name in (field_name, info.alias):
                return info
    return None


def _models_at(model: type[BaseModel], loc: list[Any]) -> list[type[BaseModel]]:
    """The model classes that the fields at `loc` belong to (several for a union)."""
    current = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        tagged = [m for m in current if getattr(m, "kind", None) == part]
        if tagged and len(current) > 1:
            current = tagged
            continue
        info = _field(current, part)
        current = _models_in(info.annotation) if info else []
    return current


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []
