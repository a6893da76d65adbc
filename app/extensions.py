"""Extensions, created unbound here and bound in create_app(). The bottom layer: this module
imports no module of the app (the flask-smorest Api lives in app/api/__init__.py)."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Identity (app/auth): dashboard sign-in, CSRF on every form and htmx request (not /v1),
# (the throttles on failed credentials are app/auth/throttle.py).
login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()
