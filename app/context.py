"""The current request, app and `g` as the objects themselves, for the code every request
runs. Flask's `request`, `current_app` and `g` are proxies: on Python 3.11 each attribute
read through one costs about 1 us and 5,000 instructions (the proxy's own lookup fails,
raising and formatting an AttributeError, before its `__getattr__` answers), ten times a
read through the object; a status PATCH read 49 attributes so, 8 % of its instructions
(bench/PROFILE.md, round 10). Python 3.12 no longer raises there.

Outside a request (or an app context, for `app`) they raise as the proxies do."""
from flask import current_app, g, request


def current_request():
    return request._get_current_object()


def environ() -> dict:
    return request._get_current_object().environ


def app():
    return current_app._get_current_object()


def config():
    return current_app._get_current_object().config


def globals_():
    """`g`, the app context's namespace."""
    return g._get_current_object()
