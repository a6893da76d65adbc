"""Dashboard sign-in and the operator's API tokens page (blueprint "auth")."""
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user, login_required

from ..redirects import safe_target
from ..services.errors import ServiceError
from .. import audit
from . import accounts, passwords, sealed, sessions, throttle, tokens
from .forms import ConfirmForm, LoginForm, PasswordForm, TokenForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def landing() -> str:
    return "/" if "ui" in current_app.blueprints else url_for("auth.tokens")


def sign_in_first():
    """flask-login's answer to a signed-out visitor: the login page, then back here (a
    relative `next`). htmx requests get 401 + HX-Redirect, so htmx navigates the whole page
    instead of swapping the login form into a fragment."""
    here = request.full_path.rstrip("?") if request.method == "GET" else None
    if request.headers.get("HX-Request"):
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = safe_target(current.path + (f"?{current.query}" if current.query else "")) \
            if current.netloc == request.host else None
    target = url_for("auth.login", next=safe_target(here)) if safe_target(here) else \
        url_for("auth.login")
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    flash("Sign in to see this page.", "info")
    return redirect(target)


def _login_counters() -> list[throttle.Counter]:
    address = request.remote_addr or ""
    username = (request.form.get("username") or "").strip().lower()[:150]
    return [throttle.Counter("login-address", address, "LOGIN_LIMIT_PER_ADDRESS"),
            throttle.Counter("login-user", f"{address}|{username}", "LOGIN_LIMIT_PER_USER")]


THROTTLED = "Too many failed sign-ins. Wait a minute, then try again."


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_target(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(safe_target(request.args.get("next")) or landing())
        return render_template("auth/login.html", form=form)
    counters = _login_counters()
    wait = throttle.retry_after(counters)
    if wait is not None:  # refused before the password is even looked at
        form.password.data = ""
        flash(THROTTLED, "error")
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data.strip(), form.password.data)
        if user is not None and sessions.start(user):
            audit.record("sign-in", user.username, actor=user.username)
            return redirect(safe_target(form.next.data) or landing())
    throttle.failed(counters)
    audit.record_after("sign-in.failed", (form.username.data or "").strip()[:150], actor="-")
    form.password.data = ""
    flash("Wrong username or password.", "error")
    return render_template("auth/login.html", form=form), 401


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST":  # CSRF-checked; a GET only offers the button
        if current_user.is_authenticated:
            audit.record("sign-out", current_user.username)
            sessions.end(current_user)
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=ConfirmForm())


@bp.route("/tokens", methods=["GET", "POST"], endpoint="tokens")
@login_required
def tokens_page():
    """Creating a token answers with a redirect (a reload cannot make a second one); the
    new plaintext waits, sealed (app/auth/sealed.py), in the session for that one GET."""
    form = TokenForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _row, plaintext = tokens.issue(current_user, form.label.data)
            except ServiceError as exc:
                form.label.errors = [exc.description]
                status = 400
            else:
                session[NEW_TOKEN_KEY] = sealed.seal(plaintext)
                return redirect(url_for("auth.tokens"), 303)
        else:
            status = 400
    return render_template("auth/tokens.html", form=form,
                           new_token=sealed.unseal(session.pop(NEW_TOKEN_KEY, None)) if status == 200 else None,
                           tokens=tokens.list_for(current_user)), status


NEW_TOKEN_KEY = "new_api_token"


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_token(token_id):
    """GET asks (naming the token and what revoking does), POST revokes."""
    if request.method == "GET":
        row = next((t for t in tokens.list_for(current_user) if t.id == token_id), None)
        if row is None or row.revoked_at is not None:
            return redirect(url_for("auth.tokens"))
        return render_template("confirm.html", form=ConfirmForm(), title="Revoke this token?",
                               what=f"Token “{row.label or row.id}”",
                               warning="Every agent or script using it gets 401 from now on; "
                                       "this cannot be undone.",
                               confirm_label="Yes, revoke", cancel=url_for("auth.tokens"))
    row = tokens.revoke(token_id, owner=current_user)
    flash(f"Token {row.label or row.id} is revoked: agents using it now get 401.", "info")
    return redirect(url_for("auth.tokens"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The operator's own password. Every other dashboard session of theirs ends; this one
    stays. A wrong current password counts as a failed sign-in (same throttle)."""
    form = PasswordForm()
    if request.method == "GET":
        return render_template("auth/password.html", form=form)
    counters = [throttle.Counter("login-user", f"{request.remote_addr or ''}|"
                                 f"{current_user.username.lower()}", "LOGIN_LIMIT_PER_USER")]
    wait = throttle.retry_after(counters)
    if wait is not None:
        form.current.errors = [THROTTLED]
        return render_template("auth/password.html", form=form), 429, {"Retry-After": str(wait)}
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400
    if not passwords.verify(current_user.password_hash, form.current.data):
        throttle.failed(counters)
        audit.record_after("account.password.failed", current_user.username)
        form.current.errors = ["This is not your current password."]
        return render_template("auth/password.html", form=form), 400
    try:
        accounts.set_password(current_user.username, form.new.data,
                              keep_session_row_id=current_user.session_row_id)
    except ServiceError as exc:
        form.new.errors = [exc.description]
        return render_template("auth/password.html", form=form), 400
    flash("Your password is changed; your other dashboard sessions are signed out. "
          "API tokens are not affected.", "info")
    return redirect(url_for("auth.change_password"), 303)
