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
from hypothesis import strategies as st
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from tests.factories import actor, make_item, make_lot, make_site, make_token, make_user
from tracker import config, create_app
from tracker.dates import today
from tracker.extensions import db
from tracker.services import tallies

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 6))
# The coverage phase (every boundary case the document defines) runs in `make fuzz` only.
LONG = "FUZZ_EXAMPLES" in os.environ


@pytest.fixture
def role_tokens(app):
    """One token per role, with sites and items the fuzzer's requests may hit."""
    own, other = make_site("OSL-MO"), make_site("BGO-MO", municipality="4601")
    make_item("SPR-2")
    make_lot(make_item("NAL-1", category="naloxone"), "L1")
    admin = make_user("admin")
    for site in (own, other):  # tallies 1 and 2
        tallies.create_tally(
            actor(admin),
            site_code=site.code,
            entry_date=today(),
            contacts=1,
            lines=[{"item": "SPR-2", "quantity": 1}],
        )
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

KNOWN = {
    "site": ("OSL-MO", "BGO-MO"),
    "code": ("OSL-MO", "BGO-MO"),
    "item": ("SPR-2", "NAL-1"),
    "tally_id": (1, 2),
    "date": (today().isoformat(),),
}


def _known(values: dict, pick: dict) -> dict:
    """Swap generated codes, ids and dates for ones that exist, to get past 404s and 422s."""
    out = dict(values)
    for name, choice in pick.items():
        if isinstance(out.get(name), type(choice)) and not isinstance(out.get(name), bool):
            out[name] = choice
    lines = out.get("lines")
    if isinstance(lines, list):
        out["lines"] = [
            {**line, "item": pick["item"]} if isinstance(line, dict) and "item" in line else line
            for line in lines
        ]
    return out


def _flatmap_known(_context, values):
    if not isinstance(values, dict):
        return st.just(values)
    picks = st.fixed_dictionaries({name: st.sampled_from(codes) for name, codes in KNOWN.items()})
    return st.one_of(st.just(values), picks.map(lambda pick: _known(values, pick)))


for _hook in ("flatmap_body", "flatmap_query", "flatmap_path_parameters"):
    schema.hook(_hook)(_flatmap_known)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# schemathesis' WSGI transport reads a streamed file response (the saved workbook) without
# closing it; the file is closed by the garbage collector, which pytest reports as unraisable.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
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
