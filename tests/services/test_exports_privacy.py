"""The external workbook, read back, against an attacker who solves for every hidden cell."""

from __future__ import annotations

import random
from datetime import date

import pytest

from tests import reports_data
from tests.attacker import assert_protected
from tests.services.test_exports import export, values
from tracker.exports.person_tables import (
    NALOXONE_KEYS,
    TOTAL,
    TRAINING_KEYS,
    naloxone_identities,
    training_identities,
)
from tracker.models.distribution import RECIPIENT_GROUPS as GROUPS
from tracker.models.distribution import REFILL_REASONS as REASONS
from tracker.models.training import AUDIENCES, TRAINING_TYPES

SITES = ("OSL-A", "OSL-B", "OSL-C")


@pytest.fixture(params=[1, 2, 3])
def data(app, request):
    """The hand-made data set, plus seeded random handouts and sessions at the Oslo sites."""
    built = reports_data.build()
    rng = random.Random(request.param)
    for site in (built.a, built.b):  # C is inactive: it stays all zeros
        for _ in range(rng.randint(0, 12)):
            on = date(2025, rng.randint(5, 8), rng.randint(1, 28))
            reason = rng.choice((None, None, *REASONS))
            kits = rng.choice((1, 1, 2, 3, rng.randint(5, 15)))
            reports_data.handout(built.admin, site, on, kits, rng.choice(GROUPS), reason)
        for _ in range(rng.randint(0, 4)):
            counts = {a: rng.choice((0, 0, 1, 2, rng.randint(5, 12))) for a in AUDIENCES}
            kind = rng.choice(TRAINING_TYPES)
            reports_data.session(
                site, date(2025, 6, rng.randint(1, 28)), kind, built.admin, **counts
            )
    return built


def naloxone_cells(rows: list[list]) -> dict:
    cells = {}
    for row in rows:
        if row[1] in SITES or row[1] == "Totalt":
            name = TOTAL if row[1] == "Totalt" else row[1]
            cells.update({(name, k): v for k, v in zip(NALOXONE_KEYS, row[2:], strict=True)})
    return cells


def training_cells(rows: list[list]) -> dict:
    labels = {"HLR": "cpr", "Førstehjelp": "first_aid", "Nalokson": "naloxone"}
    labels |= {"Røyketeknikk (SWITCH)": "smoking_technique"}
    labels |= {"Overdosesamtale": "overdose_conversation"}
    labels |= {"Naloksonkurset": "naloxone_course"}
    cells = {}
    for row in rows:
        if (row[1] in SITES or row[1] == "Totalt") and row[2] in labels:
            key = (TOTAL if row[1] == "Totalt" else row[1], labels[row[2]])
            cells.update({(key, k): v for k, v in zip(TRAINING_KEYS, row[4:], strict=True)})
    return cells


def test_no_small_figure_of_the_external_workbook_can_be_worked_out(data, tmp_path):
    shown = export(data.coordinator, "tertial", tmp_path / "ext", external=True)
    true = export(data.coordinator, "tertial", tmp_path / "int")
    hidden_somewhere = False
    for sheet, read, identities in (
        ("Nalokson", naloxone_cells, naloxone_identities(SITES)),
        ("Opplæring", training_cells, training_identities(SITES, TRAINING_TYPES)),
    ):
        cells = read(values(shown[sheet]))
        assert_protected(cells, read(values(true[sheet])), identities)
        hidden_somewhere |= "<5" in cells.values()
    assert hidden_somewhere
