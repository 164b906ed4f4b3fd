"""/api/v1/sites: list, create, read and change sites, and their stock levels."""

from flask.views import MethodView
from flask_smorest import Page

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.sites import (
    LevelsIn,
    LevelsOut,
    SiteIn,
    SiteItemIn,
    SiteItemOut,
    SiteOut,
    SitePatch,
    SiteQuery,
)
from tracker.services import catalog, sites

blp = make_blueprint("sites", __name__, "/sites", "Sites (outlets) and their municipality.")


@blp.route("")
class Sites(MethodView):
    @blp.arguments(SiteQuery, location="query")
    @blp.response(200, SiteOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self, args):
        """Sites you can see."""
        return sites.list_sites(actor(), **args)

    @blp.arguments(SiteIn)
    @blp.response(201, SiteOut)
    def post(self, body):
        """Create a site (coordinator in its municipality, or admin)."""
        return idempotent(
            SiteOut(), 201, lambda idem: sites.create_site(actor(), **body, idem=idem)
        )


@blp.route("/<code>")
class SiteByCode(MethodView):
    @blp.response(200, SiteOut)
    def get(self, code):
        """One site."""
        return sites.read_site(actor(), code)

    @blp.arguments(SitePatch)
    @blp.response(200, SiteOut)
    def patch(self, body, code):
        """Change a site's name or kind, deactivate it; its lead may set its opening weekdays."""
        return sites.update_site(actor(), code, body)


@blp.route("/<code>/items")
class SiteItems(MethodView):
    @blp.response(200, SiteItemOut(many=True))
    def get(self, code):
        """Every active catalogue item at the site: on or off, and its reorder and target
        level (anyone who sees the site)."""
        _, rows = catalog.list_site_items(actor(), code)
        return [state for _, state in rows]


@blp.route("/<code>/items/<item>")
class SiteItem(MethodView):
    @blp.response(200, SiteItemOut)
    def get(self, code, item):
        """One item at the site: on or off, and its levels."""
        return catalog.read_site_item(actor(), code, item)

    @blp.arguments(SiteItemIn)
    @blp.response(200, SiteItemOut)
    def patch(self, body, code, item):
        """Turn an item on or off at a site, or change its levels (site lead, coordinator)."""
        return catalog.update_site_item(actor(), code, item, body)

    @blp.arguments(SiteItemIn)
    @blp.response(200, SiteItemOut)
    def put(self, body, code, item):
        """The same as PATCH (DESIGN.md names PUT): only the fields given change."""
        return catalog.update_site_item(actor(), code, item, body)


@blp.route("/<code>/items/<item>/levels")
class SiteItemLevels(MethodView):
    @blp.arguments(LevelsIn)
    @blp.response(200, LevelsOut)
    def put(self, body, code, item):
        """Set the reorder and target level of an item at a site (site lead); an alias kept
        for PATCH /sites/{code}/items/{item}."""
        return catalog.set_levels(actor(), code, item, **body)
