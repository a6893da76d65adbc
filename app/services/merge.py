import json

from ..models.types import dumps


def _copy(value):
    """A private copy of JSON data through orjson (three times copy.deepcopy's speed)."""
    return json.loads(dumps(value))


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
