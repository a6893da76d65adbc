"""Configuration, read from the environment (and optionally a Python file named by
FREEZER_API_CONFIG, read on top of it)."""
import os


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def bind_address(config) -> str:
    """The one rule for where the server listens, read by gunicorn.conf.py and by the
    first-start message (`flask users bootstrap`)."""
    return config.get("BIND") or f"{config['HOST']}:{config['PORT']}"


def local_url(config) -> str | None:
    """The dashboard's address as a browser on this host reaches it (None for a socket)."""
    address = bind_address(config)
    if address.startswith(("unix:", "fd://")):
        return None
    host, _, port = address.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Config:
    # A relative sqlite path lands in the Flask instance folder (instance/freezer.sqlite).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///freezer.sqlite")
    # app/db.py pings a connection idle over a second before use and rolls back one returned
    # with a transaction open, instead of a round trip for each at every checkout/checkin.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_reset_on_return": None,
                                 "pool_recycle": 1800}
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # token (default) | keystone | noauth
    AUTH_MODE = os.environ.get("AUTH_MODE", "token")
    # Where gunicorn listens (gunicorn.conf.py, so `make run` too): FREEZER_API_BIND
    # (host:port or unix:PATH) if set, else FREEZER_API_HOST:FREEZER_API_PORT.
    BIND = os.environ.get("FREEZER_API_BIND", "")
    HOST = os.environ.get("FREEZER_API_HOST", "127.0.0.1")
    PORT = int(os.environ.get("FREEZER_API_PORT", "9090"))
    # Request bodies larger than this answer 413 (agents' metadata is a few KiB).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))
    # Work one request may ask for (app/services/limits.py; docs/security.md): 400 naming the
    # limit beyond these. Search items (match + match_not + text terms, after `_all` lists
    # are expanded), actions in one job, bytes of one stored document (as JSON, after
    # action_defaults are copied into every action).
    SEARCH_MAX_ITEMS = int(os.environ.get("SEARCH_MAX_ITEMS", "32"))
    JOB_MAX_ACTIONS = int(os.environ.get("JOB_MAX_ACTIONS", "50"))
    DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(256 * 1024)))
    # Seconds any one database statement of a request may run (app/statement_timeout.py);
    # 0 = no cap. Keep it below GUNICORN_TIMEOUT (30), so the statement ends first.
    DB_STATEMENT_TIMEOUT = float(os.environ.get("DB_STATEMENT_TIMEOUT", "10"))
    # A request whose transaction lost a write conflict (deadlock, Galera certification) is
    # run again from the start, this many attempts in all (app/db.py, ReplayOnConflict).
    DB_CONFLICT_ATTEMPTS = int(os.environ.get("DB_CONFLICT_ATTEMPTS", "4"))
    # The job capability check of last-v1 (§7.7): only applied to registered clients.
    JSON_SORT_KEYS = False

    API_TITLE = "Freezer API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # Swagger UI at /v1/docs, from the assets vendored in app/static/swagger-ui/ (no CDN).
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"

    # Operations (app/ops/). /metrics answers callers from these networks (comma-separated
    # CIDRs; "" = none) or bearing METRICS_TOKEN as `Authorization: Bearer <token>`.
    METRICS_ALLOW_FROM = os.environ.get("METRICS_ALLOW_FROM", "127.0.0.1/32,::1/128")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    # Level of the app's own log lines (they carry the request id) when nothing else
    # configured logging (gunicorn, mod_wsgi, flask run).
    LOG_LEVEL = os.environ.get("FREEZER_LOG_LEVEL", "INFO")
    # How many reverse proxies (load balancer, Apache) stand in front of the app. With N > 0
    # their X-Forwarded-For/-Proto/-Host are trusted N hops deep, so the login throttle,
    # /metrics' address check and Secure cookies see the real client and scheme. 0: none.
    TRUSTED_PROXIES = int(os.environ.get("FREEZER_TRUSTED_PROXIES", "0"))

    # Identity (app/auth). Dashboard session cookie: HttpOnly, SameSite=Lax, and Secure
    # whenever the request came over HTTPS (SESSION_COOKIE_SECURE=1 forces it always).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    # Dashboard sessions (app/auth/sessions.py) are kept on the server: sign-out, a password
    # change or disabling the operator ends them; so do this many minutes without use (a
    # page polling on its own is not use) and this many hours after sign-in.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # CSRF tokens live as long as the sign-in (a dashboard tab left open still works).
    WTF_CSRF_TIME_LIMIT = None
    # Failed sign-ins are throttled per address and per (address, username), failed /v1
    # token checks per address (app/auth/throttle.py). "database" counts in the app's
    # database: every worker and host sees the same counts. Or a `limits` storage URI,
    # e.g. redis://host:6379 (needs the redis package); memory:// counts per process.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "database")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    LOGIN_LIMIT_PER_USER = os.environ.get("LOGIN_LIMIT_PER_USER", "5 per minute;20 per hour")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per minute")
    API_TOKEN_LIMIT_PER_ADDRESS = os.environ.get("API_TOKEN_LIMIT_PER_ADDRESS", "30 per minute")

    # The audit trail (app/audit): `flask audit purge` deletes events older than this.
    AUDIT_KEEP_DAYS = int(os.environ.get("AUDIT_KEEP_DAYS", "365"))

    # Schedules (app/services/schedules.py). Naive schedule times are the agent host's local
    # time; the server reads them in this zone and states forecasts in UTC.
    SCHEDULE_TIMEZONE = os.environ.get("SCHEDULE_TIMEZONE", "UTC")
    # Run history retention, applied by `flask runs prune` (0 = no limit of that kind).
    RUNS_KEEP_LAST = int(os.environ.get("RUNS_KEEP_LAST", "100"))
    RUNS_KEEP_DAYS = int(os.environ.get("RUNS_KEEP_DAYS", "90"))
    # Notifications (docs/notifications.md). The watcher ticks every WATCHER_INTERVAL s.
    WATCHER_INTERVAL = float(os.environ.get("WATCHER_INTERVAL", "10"))
    # Webhook targets on private, loopback or link-local addresses are refused unless
    # NOTIFY_ALLOW_PRIVATE is on or NOTIFY_WEBHOOK_ALLOW (comma-separated CIDRs) lists them.
    NOTIFY_ALLOW_PRIVATE = _bool("NOTIFY_ALLOW_PRIVATE")
    NOTIFY_WEBHOOK_ALLOW = os.environ.get("NOTIFY_WEBHOOK_ALLOW", "")
    NOTIFY_SMTP_ALLOW_PLAIN_AUTH = _bool("NOTIFY_SMTP_ALLOW_PLAIN_AUTH")
    NOTIFY_SMTP_CAFILE = os.environ.get("NOTIFY_SMTP_CAFILE") or None  # else the system CAs
    NOTIFY_SEND_TIMEOUT = float(os.environ.get("NOTIFY_SEND_TIMEOUT", "10"))
    # A failed try is retried after 30 s, 60 s, 120 s, ... (at most an hour), 10 tries.
    NOTIFY_RETRY_BASE_SECONDS = float(os.environ.get("NOTIFY_RETRY_BASE_SECONDS", "30"))
    NOTIFY_RETRY_MAX_SECONDS = float(os.environ.get("NOTIFY_RETRY_MAX_SECONDS", "3600"))
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "10"))
    # How long a watcher owns a claimed notice; a killed watcher's claim expires after it.
    NOTIFY_LEASE_SECONDS = float(os.environ.get("NOTIFY_LEASE_SECONDS", "60"))

    # /v1/docs and /v1/openapi.json: how callers authenticate (Swagger UI's "Authorize").
    API_SPEC_OPTIONS = {
        "components": {"securitySchemes": {
            "apiToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                         "description": "An API token (AUTH_MODE=token) or a Keystone token "
                                        "(AUTH_MODE=keystone)"},
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"apiToken": []}, {"bearer": []}],
    }
