"""/api/v1/municipalities: admins create and rename them; coordinators read their own."""

from flask.views import MethodView

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.municipalities import MunicipalityIn, MunicipalityOut, MunicipalityPatch
from tracker.services import municipalities

blp = make_blueprint(
    "municipalities", __name__, "/municipalities", "Municipalities (kommuner), by kommunenummer."
)


@blp.route("")
class Municipalities(MethodView):
    @blp.response(200, MunicipalityOut(many=True))
    def get(self):
        """Every municipality (admin, national coordinator), or your own (coordinator)."""
        return municipalities.list_municipalities(actor())

    @blp.arguments(MunicipalityIn)
    @blp.response(201, MunicipalityOut)
    def post(self, body):
        """Add a municipality (admin); 409 if the number exists."""
        return idempotent(
            MunicipalityOut(),
            201,
            lambda idem: municipalities.create_municipality(actor(), **body, idem=idem),
        )


@blp.route("/<number>")
class MunicipalityByNumber(MethodView):
    @blp.response(200, MunicipalityOut)
    def get(self, number):
        """One municipality (admin, or its coordinator)."""
        return municipalities.read_municipality(actor(), number)

    @blp.arguments(MunicipalityPatch)
    @blp.response(200, MunicipalityOut)
    def patch(self, body, number):
        """Rename a municipality (admin)."""
        return municipalities.rename_municipality(actor(), number, body["name"])
