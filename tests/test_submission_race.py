"""A submission racing entries for its period: every accepted entry is in its figures.

Real parallel requests through gunicorn (4 workers) on SQLite and PostgreSQL. Each round
fires entries dated inside the period and, among them, the submission; an entry either
committed before the submission (and is counted in its figures) or was refused with 409.
Then the period is reopened and the next round races the next submission.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from tests.factories import make_item, make_site, make_token, make_user, tally_body
from tests.servers import gunicorn
from tracker.dates import today
from tracker.extensions import db
from tracker.models import SubmissionFigure
from tracker.services import ledger_check

START = (today().replace(day=1) - timedelta(days=1)).replace(day=1)
END = today().replace(day=1) - timedelta(days=1)
ROUNDS = 3
ENTRIES = 40


def _figures(submission_id: int) -> dict[str, int]:
    rows = db.session.scalars(
        select(SubmissionFigure).where(SubmissionFigure.submission_id == submission_id)
    )
    return {f.measure: f.value for f in rows}


@pytest.mark.slow
def test_an_entry_racing_a_submission_is_in_its_figures_or_refused(app, database_uri):
    site = make_site("OSL-MO")
    make_item("SPR")
    coordinator = make_token(make_user("coordinator", municipality="0301"))
    lead = make_token(make_user("lead", [site]))  # leads may date entries back a month
    db.session.remove()
    accepted_quantity = accepted_contacts = 0
    with gunicorn(database_uri) as base, requests.Session() as http:
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))
        submit_body = {"site": ["OSL-MO"], "from": START.isoformat(), "to": END.isoformat()}

        def call(token, path, body):
            headers = {"Authorization": f"Bearer {token}"}
            return http.post(base + path, json=body, headers=headers, timeout=120)

        for round_no in range(ROUNDS):
            go = threading.Barrier(ENTRIES + 1)
            jobs = [
                (n + 1, round_no * 1000 + n + 1)  # distinct quantities and contacts
                for n in range(ENTRIES)
            ]

            def entry(job, go=go):
                quantity, contacts = job
                day = START + timedelta(days=quantity % 28)
                go.wait()
                time.sleep(quantity * 0.006)  # spread over the submission's own work
                body = tally_body(site, {"SPR": quantity}, contacts, day)
                return job, call(lead, "/api/v1/tallies", body)

            def submission(go=go):
                go.wait()
                time.sleep(0.02)  # early: its own work takes longer than an entry
                return call(coordinator, "/api/v1/submissions", submit_body)

            with ThreadPoolExecutor(max_workers=ENTRIES + 1) as pool:
                submitted = pool.submit(submission)
                results = list(pool.map(entry, jobs))
                sub = submitted.result()
            assert sub.status_code == 201, sub.text
            statuses = {r.status_code for _, r in results}
            assert statuses <= {201, 409}, [r.text for _, r in results if r.status_code >= 500]
            for (quantity, contacts), response in results:
                if response.status_code == 201:
                    accepted_quantity += quantity
                    accepted_contacts += contacts
                else:
                    assert response.json()["type"].endswith("period-submitted")
            figures = _figures(sub.json()["id"])
            db.session.remove()
            assert figures.get("distributed", 0) == accepted_quantity, round_no
            assert figures.get("contacts", 0) == accepted_contacts, round_no
            # after the submission commits, an entry in its period is refused
            late = call(lead, "/api/v1/tallies", tally_body(site, {"SPR": 1}, 1, START))
            assert late.status_code == 409
            reopen = f"/api/v1/submissions/{sub.json()['id']}/reopen"
            assert call(coordinator, reopen, {"reason": f"runde {round_no}"}).status_code == 200
    assert ledger_check.verify() == []
