"""SECRET_KEY signs dashboard sessions and CSRF tokens: whoever knows it can forge a
signed-in operator. Unset, one is made into the instance folder on first start; set, it
must not be a placeholder copied from an example, nor short (outside tests)."""
import os
import re
import secrets

MIN_BYTES = 32
#: what example files and tutorials put where a key belongs; refused in any case and
#: anywhere in the key (`CHANGE-ME-64-hex-chars`, deploy/freezer-api.env.example)
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "replaceme",
                     "your-secret", "yoursecret", "secret-key", "secret_key", "placeholder",
                     "example", "not-secret", "notsecret", "insecure", "xxxxxxxx")
_HINT = "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"


class SecretKeyError(RuntimeError):
    pass


def problem(key: str) -> str | None:
    """Why `key` may not sign sessions, or None when it may."""
    lowered = key.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            return f"SECRET_KEY is a placeholder (it contains {word!r}); {_HINT}"
    if len(key.encode("utf-8")) < MIN_BYTES:
        return f"SECRET_KEY is shorter than {MIN_BYTES} bytes; {_HINT}"
    if len(set(key)) < 8 or re.fullmatch(r"(.{1,8})\1+", key):
        return f"SECRET_KEY repeats a few characters; {_HINT}"
    return None


def configure(app) -> None:
    """Make or check the app's SECRET_KEY; a bad one stops the start with the reason."""
    key = app.config.get("SECRET_KEY")
    if not key:
        app.config["SECRET_KEY"] = instance_secret(app.instance_path)
        return
    if app.config.get("TESTING"):
        return
    why = problem(str(key))
    if why:
        raise SecretKeyError(why)


def instance_secret(instance_path: str) -> str:
    """A SECRET_KEY kept in the instance folder, made on first start, never in the repo."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()
