"""Ids are clean: no control characters in an id, nor in what builds one (a backup id is
built from its metadata's container, hostname and backup name). NUL, C0/C1 controls, DEL,
the invisible format characters (zero-width, bidi overrides, BOM) and the Unicode line and
paragraph separators are refused: they truncate ids in C code, split log lines and make two
ids look alike."""
import re

from .errors import BadRequest

#: one regex character-class body, shared by the JSON schemas (ECMA-262 and Python alike)
CONTROL_CHARS = (r"\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                 r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb")
#: a JSON-schema pattern: no control character anywhere
NO_CONTROL = "^[^" + CONTROL_CHARS + "]*$"
_CONTROL = re.compile("[" + CONTROL_CHARS + "]")
#: where the app keeps a request's path values for check_path (WSGI environ)
PATH_VALUES_KEY = "freezer.path_values"


def has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def check(value, field: str, where: str = "") -> None:
    """400 naming the field when a string holds a control character."""
    if isinstance(value, str) and has_control(value):
        where = f" {where}" if where else ""
        raise BadRequest(f"The {field}{where} holds a control character (such as NUL or a "
                         "line break): ids may not", errors={field: "control character"})


def check_path(view_args: dict | None) -> None:
    """Every id a route takes from its path (/v1, /v2 and the dashboard alike)."""
    for name, value in (view_args or {}).items():
        check(value, name, "in the path")
