"""API fuzzing with schemathesis over /api/v1/openapi.json, as every role.

No request may get a 5xx, and every response must match the document (status codes,
content types, bodies, headers). `make test` runs a few examples per operation;
`make fuzz` (FUZZ_EXAMPLES=500) runs long.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from tests.factories import make_item, make_lot, make_site, make_token, make_user
from tracker import config, create_app
from tracker.extensions import db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 6))
# The coverage phase (every boundary case the document defines) runs in `make fuzz` only.
LONG = "FUZZ_EXAMPLES" in os.environ


@pytest.fixture
def role_tokens(app):
    """One token per role, with sites and items the fuzzer's requests may hit."""
    own, other = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    make_item("SPR-2")
    make_lot(make_item("NAL-1", category="naloxone"), "L1")
    return {
        "staff": make_token(make_user("staff", [own])),
        "lead": make_token(make_user("lead", [other])),
        "coordinator": make_token(make_user("coordinator", municipality="0301")),
        "admin": make_token(make_user("admin")),
    }


# The document is read from an app built for collection (schemathesis' lazy fixture loader
# does not run under pytest 9); the requests go to the test app through its client.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    create_app(config.TestConfig("sqlite:///:memory:")),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": LONG}}}),
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_fuzz_the_api_as_every_role(case, client, role_tokens):
    for token in role_tokens.values():
        case.call_and_validate(
            session=client,
            headers={"Authorization": f"Bearer {token}"},
            # The document cannot say that a site must exist, so valid-looking data may get a
            # 404; query arguments ignore unknown names (pagination adds its own) and JSON
            # booleans take 0/1 (marshmallow), so "negative" data may be accepted.
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
        )
        db.session.rollback()
