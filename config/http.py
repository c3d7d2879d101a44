"""Reading a GraphQL request body: strict JSON, bounded nesting, one operation object.

Every refusal raises strawberry's HTTPException, which config.views answers as a 400 (or 413)
JSON error in GraphQL's shape with an `extensions.code`.
"""

from __future__ import annotations

import json
import math

from cross_web import HTTPException
from django.conf import settings

REQUEST_FIELDS = {
    "query": (str,),
    "operationName": (str, type(None)),
    "variables": (dict, type(None)),
    "extensions": (dict, type(None)),
}


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def decode_body(data: str | bytes) -> object:
    """Parse a request body (or a GET parameter) as strict UTF-8 JSON, refusing in 400s:
    invalid UTF-8 or another encoding, numbers out of range, NaN/Infinity, and nesting
    deeper than settings.GRAPHQL_MAX_JSON_DEPTH below a variable."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, "Request body is not valid UTF-8 JSON.") from None
    try:
        value = json.loads(data, parse_float=_finite_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise HTTPException(400, _too_deep("The request body")) from None
    except ValueError:  # JSONDecodeError, out-of-range numbers, integers too long to read
        raise HTTPException(400, "Unable to parse request body as JSON.") from None
    return value


def _too_deep(what: str) -> str:
    limit = settings.GRAPHQL_MAX_JSON_DEPTH
    return f"{what} is nested deeper than {limit} levels (the limit for JSON values)."


def depth_exceeds(value: object, limit: int) -> bool:
    """Whether lists/objects in `value` nest more than `limit` levels (a scalar is level 0)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check_operation(value: object) -> dict:
    """The request as one operation object, or a 400 naming what is wrong with it."""
    if not isinstance(value, dict):
        raise HTTPException(
            400, "The request body must be one JSON object with a 'query' (no batches)."
        )
    limit = settings.GRAPHQL_MAX_JSON_DEPTH
    for key, item in value.items():
        expected = REQUEST_FIELDS.get(key)
        if expected is None:
            if depth_exceeds(item, limit):
                raise HTTPException(400, _too_deep(f"'{key}'"))
            continue
        if not isinstance(item, expected):
            kind = "a string" if expected[0] is str else "an object"
            raise HTTPException(400, f"'{key}' must be {kind}.")
        if key == "variables" and item:
            for name, variable in item.items():
                if depth_exceeds(variable, limit):
                    raise HTTPException(400, _too_deep(f"Variable '{name}'"))
        elif key == "extensions" and depth_exceeds(item, limit):
            raise HTTPException(400, _too_deep("'extensions'"))
    return value
