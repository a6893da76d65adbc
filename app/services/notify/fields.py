"""The one way the notification settings read a bounded number from a form or a dict: the
reason goes into `errors` under the field's name (shown beside the field), the default is
returned in its place."""


def number(data: dict, name: str, low, high, errors: dict, default=0, cast=int,
           reason: str | None = None):
    value = data.get(name)
    if value is None or value == "":
        value = default
    try:
        if isinstance(value, bool):
            raise ValueError
        parsed = cast(value.strip() if isinstance(value, str) else value)
        if cast is int and isinstance(value, float) and value != parsed:
            raise ValueError  # 1.5 seconds is not a whole number
        if not low <= parsed <= high:
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = reason or f"a number from {low} to {high}"
        return default
    return parsed
