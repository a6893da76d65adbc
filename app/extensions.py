"""Extensions, created unbound here and bound in create_app(). The bottom layer: this module
imports no module of the app (the flask-smorest Api lives in app/api/__init__.py)."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Session(_FlaskSession):
    """flask-sqlalchemy's session, whose bind a hook may swap for a connection the thread
    keeps (app/connection.py `keep_write_connection`: MariaDB/MySQL requests)."""

    #: (session, engine) -> the engine or a Connection to run on; None: the engine
    bind_hook = None

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        hook = Session.bind_hook
        return engine if hook is None or bind is not None else hook(self, engine)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
# Identity (app/auth): dashboard sign-in, CSRF on every form and htmx request (not /v1),
# (the throttles on failed credentials are app/auth/throttle.py).
login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()
