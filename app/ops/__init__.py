"""Operations: health and readiness, Prometheus metrics, request ids (and their log lines)."""
from . import health, metrics, request_id


def init_app(app):
    request_id.init_logging(app)
    metrics.validate_config(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.teardown_request(metrics.remember_route)
