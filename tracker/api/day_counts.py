"""/api/v1/referrals, /returns and /contact-groups: counts kept with a site's day."""

from flask.views import MethodView

from tracker.api.common import SQLPage, actor, idempotent, make_blueprint
from tracker.schemas.day_counts import (
    DayCountQuery,
    GroupsIn,
    GroupsOut,
    ReferralIn,
    ReferralOut,
    ReturnIn,
    ReturnOut,
)
from tracker.services import day_counts

referrals_blp = make_blueprint(
    "referrals",
    __name__,
    "/referrals",
    "People referred on (counts by destination).",
    session_writes=True,
)
returns_blp = make_blueprint(
    "returns", __name__, "/returns", "Used equipment brought back (containers or pieces)."
)
groups_blp = make_blueprint(
    "contact_groups", __name__, "/contact-groups", "Contacts by group, at sites that count them."
)
REFERRAL_OUT, RETURN_OUT, GROUPS_OUT = ReferralOut(), ReturnOut(), GroupsOut()


@referrals_blp.route("")
class Referrals(MethodView):
    @referrals_blp.arguments(DayCountQuery, location="query")
    @referrals_blp.response(200, ReferralOut(many=True))
    @referrals_blp.paginate(SQLPage)
    def get(self, args):
        """Referrals you can see, newest first."""
        return day_counts.referrals_query(actor(), **args)

    @referrals_blp.arguments(ReferralIn)
    @referrals_blp.response(201, ReferralOut)
    def post(self, body):
        """Record people referred on from a site on a day; several rows a day add up."""
        return idempotent(
            REFERRAL_OUT,
            201,
            lambda idem: day_counts.add_referral(
                actor(),
                site_code=body["site"],
                day=body["date"],
                to=body["to"],
                count=body["count"],
                made_at=body.get("made_at"),
                idem=idem,
            ),
        )


@returns_blp.route("")
class Returns(MethodView):
    @returns_blp.arguments(DayCountQuery, location="query")
    @returns_blp.response(200, ReturnOut(many=True))
    @returns_blp.paginate(SQLPage)
    def get(self, args):
        """Returns you can see, newest first."""
        return day_counts.returns_query(actor(), **args)

    @returns_blp.arguments(ReturnIn)
    @returns_blp.response(201, ReturnOut)
    def post(self, body):
        """Record used equipment brought back to a site on a day."""
        return idempotent(
            RETURN_OUT,
            201,
            lambda idem: day_counts.add_return(
                actor(),
                site_code=body["site"],
                day=body["date"],
                kind=body["kind"],
                count=body["count"],
                idem=idem,
            ),
        )


@groups_blp.route("")
class Groups(MethodView):
    @groups_blp.arguments(DayCountQuery, location="query")
    @groups_blp.response(200, GroupsOut(many=True))
    @groups_blp.paginate(SQLPage)
    def get(self, args):
        """Contacts by group you can see, newest first."""
        return day_counts.groups_query(actor(), **args)

    @groups_blp.arguments(GroupsIn)
    @groups_blp.response(201, GroupsOut)
    @groups_blp.alt_response(409, description="The site does not count groups.", success=False)
    def post(self, body):
        """Record contacts of a day by group (not checked against the tally's contacts)."""
        counts = {k: v for k, v in body.items() if k not in ("site", "date")}
        return idempotent(
            GROUPS_OUT,
            201,
            lambda idem: day_counts.add_groups(
                actor(), site_code=body["site"], day=body["date"], counts=counts, idem=idem
            ),
        )
