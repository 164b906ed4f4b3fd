"""Log in and out, change password, log out everywhere (blueprint "auth")."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import EmailField, IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from tracker.auth import SESSION_KEY
from tracker.errors import DomainError, TooManyAttempts, ValidationError
from tracker.models.base import utcnow
from tracker.services import logins, password_resets, sessions, users
from tracker.services.password_resets import ResetLinkRefused
from tracker.web.common import current_actor
from tracker.web.forms import show_domain_error
from tracker.web.validators import NoNationalId, clear_national_ids

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-post"), validators=[DataRequired(_l("Skriv e-postadressen."))])
    password = PasswordField(_l("Passord"), validators=[DataRequired(_l("Skriv passordet."))])
    submit = SubmitField(_l("Logg inn"))


class ResetPasswordForm(FlaskForm):
    """A new password through a one-time link (no current password: it was forgotten)."""

    new = PasswordField(
        _l("Nytt passord"),
        validators=[
            DataRequired(_l("Skriv et nytt passord.")),
            Length(min=users.MIN_PASSWORD, message=_l("Minst %(n)d tegn.", n=users.MIN_PASSWORD)),
        ],
    )
    confirm = PasswordField(
        _l("Gjenta nytt passord"),
        validators=[EqualTo("new", _l("Passordene er ikke like."))],
    )
    submit = SubmitField(_l("Sett passord"))


class PasswordForm(ResetPasswordForm):
    """A new password from the account page: the current one first."""

    current = PasswordField(
        _l("Nåværende passord"), validators=[DataRequired(_l("Skriv nåværende passord."))]
    )
    submit = SubmitField(_l("Bytt passord"))


class TokenForm(FlaskForm):
    """A new API token: what it is for, how long it lasts; an admin may name its owner."""

    name = StringField(
        _l("Hva nøkkelen er til"),
        validators=[
            DataRequired(_l("Skriv hva nøkkelen er til.")),
            Length(max=100),
            NoNationalId(),
        ],
    )
    days = IntegerField(_l("Dager til den utløper (tom: lengst mulig)"), validators=[Optional()])
    owner = EmailField(_l("Bruker (e-post; tom: deg selv)"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A bare form: a button and its CSRF token."""


def safe_next(target: str | None) -> str | None:
    """A local path to go on to after login; anything that could leave the site is dropped."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\\\r\n\t"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a wrong email or password gets the same answer.

    Failed logins are counted in the database per account and per address
    (services/logins.py), so the limits hold across every worker and host.
    """
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or _landing())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            found = logins.log_in(
                form.email.data or "",
                form.password.data or "",
                request.remote_addr or "",
                current_app.permanent_session_lifetime,
            )
        except TooManyAttempts as exc:
            return too_many_logins(exc.retry_after)
        if found is not None:
            user, key = found
            locale = session.get("locale")
            session.clear()  # a new session on login (no fixation); the language stays
            if locale:
                session["locale"] = locale
            session[SESSION_KEY] = key
            login_user(user)
            return redirect(target or _landing())
        form.password.errors.append(_("Feil e-post eller passord."))
    clear_national_ids(form)  # a number typed in the wrong place is not shown again
    return render_template("auth/login.html", form=form, next=target), (
        401 if request.method == "POST" else 200
    )


def _landing() -> str:
    """Where a login leads: staff and leads of one site to its daily form, others to the
    site picker."""
    code = users.only_site_code(current_actor())
    return url_for("web_tallies.entry", code=code) if code else url_for("web.home")


def too_many_logins(retry_after: int):  # type: ignore[no-untyped-def]
    """Too many failed logins: say so in Norwegian and when to try again."""
    return (
        render_template("auth/too_many.html", seconds=retry_after),
        429,
        {"Retry-After": str(retry_after)},
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Log out of this browser: GET asks, POST (with the CSRF token) does it."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("auth/logout.html", form=ConfirmForm())
    sessions.end(session.get(SESSION_KEY))  # a copy of the cookie is dead too
    logout_user()
    session.clear()
    flash(_("Du er logget ut."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/konto", methods=["GET", "POST"])
@login_required
def account():
    """Change password; the API tokens (list, revoke); log out everywhere."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = users.change_password(
                current_actor(),
                form.current.data,
                form.new.data,
                keep_session=session.get(SESSION_KEY),
            )
        except ValidationError:
            form.current.errors.append(_("Feil passord."))
        else:
            login_user(user)  # this browser stays in; every other session has ended
            flash(
                _("Passordet er byttet. Andre økter er logget ut og API-nøklene trukket tilbake."),
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(form, TokenForm(formdata=None), 422 if form.errors else 200)


def _account_page(form: PasswordForm, token_form: TokenForm, status: int):  # type: ignore[no-untyped-def]
    return render_template(
        "auth/account.html",
        form=form,
        token_form=token_form,
        everywhere=ConfirmForm(),
        tokens=users.list_tokens(current_actor()),
        now=utcnow(),
    ), status


@bp.post("/konto/nokler")
@login_required
def create_token():
    """A new API token, shown once on the page that answers (only its hash is kept); your
    own, or an admin's for any user."""
    form = TokenForm()
    status = 422
    if form.validate_on_submit():
        actor = current_actor()
        try:
            token, raw = users.create_token(
                actor, form.owner.data or actor.user.email, form.name.data or "", form.days.data
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, {"days": "days", "name": "name"}), "error")
            status = exc.status
        else:
            return render_template("auth/token_created.html", token=token, raw=raw), 201
    return _account_page(PasswordForm(formdata=None), form, status)


@bp.post("/konto/nokler/<int:token_id>/trekk-tilbake")
@login_required
def revoke_token(token_id: int):
    """Revoke an API token at once (your own; an admin any)."""
    if ConfirmForm().validate_on_submit():
        token = users.revoke_token(current_actor(), token_id)
        flash(_("API-nøkkelen «%(name)s» er trukket tilbake.", name=token.name), "success")
    return redirect(url_for("auth.account"))


@bp.post("/konto/logg-ut-overalt")
@login_required
def logout_everywhere():
    """End every session of this user, on every device, this one included."""
    users.end_all_sessions(current_actor())  # and revokes the user's API tokens
    logout_user()
    session.clear()
    flash(_("Du er logget ut på alle enheter."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/passord/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through a one-time link from an admin or coordinator (no login).

    The link works once: the user's sessions end and their API tokens are revoked; a used,
    expired or replaced link gets a page that says so.
    """
    try:
        user = password_resets.check_reset(token)
        form = ResetPasswordForm()
        if form.validate_on_submit():
            password_resets.use_reset(token, form.new.data or "")
            if current_user.is_authenticated and current_user.id == user.id:
                logout_user()  # this browser's session has ended with the others
                session.pop(SESSION_KEY, None)
            flash(_("Passordet er satt. Logg inn med det nye passordet."), "success")
            return redirect(url_for("auth.login"))
    except ResetLinkRefused as exc:
        return render_template("auth/reset_refused.html", reason=exc.reason), exc.status
    return render_template("auth/reset.html", form=form, user=user), (422 if form.errors else 200)


@bp.post("/sprak")
def language():
    """Switch the page language (kept in the session)."""
    lang = request.form.get("lang")
    if lang in ("nb", "en"):
        session["locale"] = lang
    return redirect(safe_next(request.args.get("next")) or url_for("web.home"))


@bp.app_errorhandler(CSRFError)
def csrf_refused(exc: CSRFError):
    """A form without a valid CSRF token: refused, with a way back."""
    if request.path.startswith("/api/"):
        return exc
    return render_template("auth/csrf.html"), 400
