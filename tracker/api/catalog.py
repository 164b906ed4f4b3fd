"""/api/v1/items: the catalogue of user equipment."""

from flask.views import MethodView
from flask_smorest import Page

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.catalog import ItemIn, ItemOut, ItemPatch, ItemQuery, KitContentsIn
from tracker.services import catalog, kits

blp = make_blueprint("items", __name__, "/items", "The catalogue of user equipment.")


@blp.route("")
class Items(MethodView):
    @blp.arguments(ItemQuery, location="query")
    @blp.response(200, ItemOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self, args):
        """The catalogue."""
        return catalog.list_items(**args)

    @blp.arguments(ItemIn)
    @blp.response(201, ItemOut)
    def post(self, body):
        """Add an item to the national catalogue (admin)."""
        return idempotent(
            ItemOut(), 201, lambda idem: catalog.create_item(actor(), **body, idem=idem)
        )


@blp.route("/<code>")
class ItemByCode(MethodView):
    @blp.response(200, ItemOut)
    def get(self, code):
        """One item."""
        return catalog.get_item(code)

    @blp.arguments(ItemPatch)
    @blp.response(200, ItemOut)
    def patch(self, body, code):
        """Change or retire (active false) an item (admin); a used item keeps its category."""
        return catalog.update_item(actor(), code, body)


@blp.route("/<code>/contents")
class KitContents(MethodView):
    @blp.arguments(KitContentsIn)
    @blp.response(200, ItemOut)
    def put(self, body, code):
        """Set what a kit (brukerpakke) holds (admin).

        `contents` lists items x quantities; `[]` makes the item a plain item again. Handing
        out one kit then counts its contents in every distribution figure (the report, its
        CSV and the workbook), while stock keeps kits. A kit cannot hold a kit or naloxone
        (422). Refused once anything was recorded of the item (409, code `kit-locked`):
        retire it and add a new kit, so reported history never shifts.
        """
        return kits.set_contents(actor(), code, body["contents"])
