"""The sign-in and token forms (Flask-WTF: each carries its CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


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


class PasswordForm(FlaskForm):
    """An operator's own new password: the current one first (a session left open on a
    shared screen must not be enough to take the account over)."""
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1024)],
                        render_kw={"autocomplete": "new-password"})
    again = PasswordField("New password, again",
                          validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")],
                          render_kw={"autocomplete": "new-password"})
