import copy


def deep_merge(old: dict, patch: dict) -> dict:
    """The reference engine's partial update: objects merge key by key, recursively;
    anything else in the patch (arrays, scalars, null) replaces the old value."""
    out = copy.deepcopy(old)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
