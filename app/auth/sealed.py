"""A secret shown once after a redirect (a new API token's plaintext) travels in the session
cookie sealed: encrypted with a key only the server holds (derived from SECRET_KEY) and
readable for a few minutes. The cookie is signed but not encrypted, so a plaintext put there
would sit readable in the browser's cookie store and in any log of request headers."""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from .. import clock

#: long enough for the redirect's GET, short enough that an old cookie copy shows nothing
READABLE_SECONDS = 300


def _fernet() -> Fernet:
    secret = current_app.secret_key
    secret = secret if isinstance(secret, bytes) else str(secret).encode("utf-8")
    key = hashlib.sha256(b"freezer-api sealed secret\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plaintext: str) -> str:
    return _fernet().encrypt_at_time(plaintext.encode("utf-8"), clock.epoch()).decode("ascii")


def unseal(sealed: str | None) -> str | None:
    """The plaintext, or None when absent, tampered with, made under another key or too old."""
    if not sealed or not isinstance(sealed, str):
        return None
    try:
        return _fernet().decrypt_at_time(sealed.encode("ascii"), READABLE_SECONDS,
                                         clock.epoch()).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        return None
