import json

import orjson


def _copy(value):
    """A private copy of JSON data through orjson (ten times copy.deepcopy's speed). What
    orjson refuses (integers beyond 64 bits, lone surrogates) goes through json, both ways:
    orjson reads back only what it wrote, so nothing is read as another number."""
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return json.loads(json.dumps(value, ensure_ascii=False))


def deep_merge(old: dict, patch: dict) -> dict:
    """The reference engine's partial update: objects merge key by key, recursively;
    anything else in the patch (arrays, scalars, null) replaces the old value. A new dict;
    neither argument is changed (the old document is copied once, not once per level)."""
    out = _copy(old)
    _merge_into(out, patch)
    return out


def _merge_into(out: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            _merge_into(out[key], value)
        else:
            out[key] = _copy(value)
