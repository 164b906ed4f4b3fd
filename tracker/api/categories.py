"""/api/v1/categories: the reporting categories; admins add categories and name them."""

from flask.views import MethodView

from tracker.api.common import actor, idempotent, make_blueprint
from tracker.schemas.categories import CategoryIn, CategoryOut, CategoryPatch
from tracker.services import categories

blp = make_blueprint(
    "categories",
    __name__,
    "/categories",
    "Reporting categories: the fixed six and those admins add; each is a report column.",
)


@blp.route("")
class Categories(MethodView):
    @blp.response(200, CategoryOut(many=True))
    def get(self):
        """Every category in report column order."""
        return categories.list_categories()

    @blp.arguments(CategoryIn)
    @blp.response(201, CategoryOut)
    def post(self, body):
        """Add a category with its own report column (admin); 409 if the code exists."""
        return idempotent(
            CategoryOut(), 201, lambda idem: categories.create_category(actor(), **body, idem=idem)
        )


@blp.route("/<code>")
class CategoryByCode(MethodView):
    @blp.response(200, CategoryOut)
    def get(self, code):
        """One category."""
        return categories.get_category(code, "code")

    @blp.arguments(CategoryPatch)
    @blp.response(200, CategoryOut)
    def patch(self, body, code):
        """Rename an added category (admin); the six fixed ones keep their names (409)."""
        return categories.rename_category(actor(), code, **body)
