"""/api/v1/users: accounts for admins, and for coordinators within their municipality."""

from flask import url_for
from flask.views import MethodView
from flask_smorest import Page

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.users import ResetLinkOut, UserIn, UserOut, UserPatch
from tracker.services import password_resets, users

blp = make_blueprint("users", __name__, "/users", "User accounts, memberships, reset links.")


@blp.route("")
class Users(MethodView):
    @blp.response(200, UserOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self):
        """The accounts you manage (an admin: all; a coordinator: their municipality's)."""
        return users.list_users(actor())

    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, body):
        """Create an account (as `flask users create`); a coordinator only within their
        municipality and up to coordinator of it, never an admin (403)."""
        return idempotent(
            UserOut(),
            201,
            lambda idem: users.create_user(
                actor(),
                email=body["email"],
                name=body["name"],
                password=body["password"],
                role=body["role"],
                site_codes=body["sites"],
                municipality=body["municipality"],
                idem=idem,
            ),
        )


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @blp.response(200, UserOut)
    def get(self, user_id):
        """One account you manage."""
        return users.read_user(actor(), user_id)

    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    def patch(self, body, user_id):
        """Change name, global role, municipality, memberships (the whole list) or active."""
        return users.update_user(actor(), user_id, body)


@blp.route("/<int:user_id>/password-reset")
class PasswordReset(MethodView):
    @blp.response(201, ResetLinkOut)
    def post(self, user_id):
        """A one-time link to set a new password (valid 24 hours, shown only now), for an
        account you manage; an older unused link stops working."""
        reset, raw = password_resets.create_reset(actor(), user_id)
        url = url_for("auth.reset_password", token=raw, _external=True)
        return {"url": url, "expires_at": reset.expires_at}
