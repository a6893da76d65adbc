"""Errors the services raise; the API renders them as Freezer JSON errors, the dashboard
beside the field or as an HTML page."""


class ServiceError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, description=None, errors=None, headers=None):
        super().__init__(description or self.title)
        self.description = description or self.title
        self.errors = errors
        self.headers = headers or {}


class BadRequest(ServiceError):
    status = 400
    title = "Bad request format"


class Unauthorized(ServiceError):
    status = 401
    title = "Unauthorized"


class TooManyRequests(ServiceError):
    status = 429
    title = "Too Many Requests"


class Forbidden(ServiceError):
    status = 403
    title = "Access Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not Found"


class MethodNotAllowed(ServiceError):
    status = 405
    title = "Bad Method"


class Conflict(ServiceError):
    status = 409
    title = "Document already existing"


class PreconditionFailed(ServiceError):
    status = 412
    title = "Precondition Failed"


class Unprocessable(ServiceError):
    status = 422
    title = "Unprocessable Entity"


class Unavailable(ServiceError):
    status = 503
    title = "Service Unavailable"


class WriteRaced(Unavailable):
    """A write without a row lock found its document changed since it was read
    (services/unlocked.py): nothing was written, and the request is run again from the
    start (app/db.py ReplayOnConflict) as a lost deadlock is; 503 when it lost every time."""
    replay = True

    def __init__(self, description=None):
        super().__init__(description or "The document changed while this request wrote it; "
                         "nothing was changed. Retry.", headers={"Retry-After": "1"})
