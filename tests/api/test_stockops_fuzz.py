"""Generated requests against the stock-in-depth endpoints: never a 500.

The schema is read from an app built only for its OpenAPI document; the requests go to the
test app (on the run's database) with a real admin token and some stock in place. Only the
server-error check runs: the error statuses (401/403/404/409/422) are not yet documented per
operation anywhere in the API, which the full conformance checks would flag.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.stockops_helpers import receive, stock_world
from tests.factories import make_token, make_user
from tracker import create_app
from tracker.config import TestConfig as _SchemaConfig

STOCK_PATHS = r"^/api/v1/(transfers|stock-counts|discards|reorder|expiring|discrepancies)"

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app(_SchemaConfig("sqlite://"))
).include(path_regex=STOCK_PATHS)


@pytest.fixture
def admin_token(app, client):
    world = stock_world(client)
    receive(world["lead_a"], world["a"], {"SPR-2": 100})
    return make_token(make_user("admin"))


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_stock_endpoints_never_fail_on_generated_input(case, app, admin_token):
    case.call_and_validate(
        app=app,
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[schemathesis.checks.not_a_server_error],
    )
