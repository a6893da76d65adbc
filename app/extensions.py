"""Extensions, created unbound here and bound in create_app()."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

from .api.conventions import FreezerApi  # noqa: E402

api = FreezerApi()
