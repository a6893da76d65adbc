"""The sign-in and token forms (Flask-WTF: each carries its CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=150)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class TokenForm(FlaskForm):
    label = StringField("Label", validators=[Length(max=100)],
                        render_kw={"placeholder": "e.g. scheduler on node1"})


class ConfirmForm(FlaskForm):
    """A bare button (logout, revoke): only the CSRF token."""
