"""/api/v1/tokens: your API tokens (an admin: everyone's); revoke one at once."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, make_blueprint
from tracker.schemas.tokens import TokenOut
from tracker.services import users

blp = make_blueprint("tokens", __name__, "/tokens", "API tokens: list and revoke.")


@blp.route("")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    @blp.paginate(SQLPage)
    def get(self):
        """Your tokens, newest first (an admin sees every user's), revoked and expired too."""
        return users.tokens_query(actor())


@blp.route("/<int:token_id>")
class TokenById(MethodView):
    @blp.response(204)
    def delete(self, token_id):
        """Revoke a token: refused from the next request on. Another user's token is 404
        unless you are admin."""
        users.revoke_token(actor(), token_id)
