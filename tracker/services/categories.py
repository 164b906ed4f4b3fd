"""Reporting categories: the six fixed ones, and those an admin adds (condoms, vitamins, ...).

Each category is a column of its own in the reports and the workbook. The catalogue is
national, so only admins add or rename categories (invariant 11); the fixed ones (the five
Helsedirektoratet asks for, and `other`) keep their names.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import Category
from tracker.privacy import check_free_text
from tracker.services import audit
from tracker.services.access import Actor, require_role
from tracker.services.unit import Idempotency, commit, locked, service

CODE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
FIRST_ADDED = 100  # sort order of added categories: after the five, before `other` (1000)


def _snapshot(category: Category) -> dict[str, object]:
    return {
        "code": category.code,
        "name_nb": category.name_nb,
        "name_en": category.name_en,
        "sort_order": category.sort_order,
    }


def list_categories() -> list[Category]:
    """Every category in report column order."""
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.code)))


def codes() -> tuple[str, ...]:
    """The category codes in report column order."""
    return tuple(c.code for c in list_categories())


def get_category(code: str, field: str = "category", *, lock: bool = False) -> Category:
    query = select(Category).where(Category.code == code)
    category = db.session.scalar(locked(query) if lock else query)
    if category is None:
        raise NotFound(
            _l("Ukjent kategori: %(category)s.", category=code), {field: [_l("Ukjent.")]}
        )
    return category


def check_category(code: str) -> None:
    """422 for a category that does not exist (an item's category must be one of them)."""
    if db.session.scalar(select(Category.code).where(Category.code == code)) is None:
        raise ValidationError(
            _l("Ukjent kategori: %(category)s.", category=code), {"category": [_l("Ukjent.")]}
        )


def _check_names(name_nb: str | None, name_en: str | None) -> None:
    for field, name in (("name_nb", name_nb), ("name_en", name_en)):
        if name is None:
            continue
        if not 1 <= len(name.strip()) <= 100:
            raise ValidationError(
                _l("En kategori må ha et navn på bokmål og engelsk."),
                {field: [_l("1 til 100 tegn.")]},
            )
        check_free_text(field, name)


@service
def create_category(
    actor: Actor,
    *,
    code: str,
    name_nb: str,
    name_en: str,
    idem: Idempotency | None = None,
) -> Category:
    """Add a category beside the fixed ones; it gets its own report column (admin)."""
    require_role(actor, "admin")
    if not CODE.match(code):
        raise ValidationError(
            _l("En kategorikode har 2–20 små bokstaver, sifre eller _, og starter med en bokstav."),
            {"code": [_l("2–20 tegn: a–z, 0–9, _.")]},
        )
    _check_names(name_nb, name_en)
    if db.session.scalar(select(Category.code).where(Category.code == code)) is not None:
        raise Conflict(
            _l("Det finnes allerede en kategori med koden %(code)s.", code=code),
            {"code": [_l("Allerede i bruk.")]},
        )
    last = db.session.scalar(select(func.max(Category.sort_order)).where(Category.fixed.is_(False)))
    category = Category(
        code=code,
        name_nb=name_nb.strip(),
        name_en=name_en.strip(),
        fixed=False,
        sort_order=(last or FIRST_ADDED - 1) + 1,
    )
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "category", code, "create", after=_snapshot(category))
    commit(idem, category)
    return category


@service
def rename_category(
    actor: Actor, code: str, *, name_nb: str | None = None, name_en: str | None = None
) -> Category:
    """Change an added category's names (admin); the fixed ones keep theirs (409)."""
    require_role(actor, "admin")
    _check_names(name_nb, name_en)
    category = get_category(code, "code", lock=True)
    if category.fixed:
        raise Conflict(
            _l("%(code)s er en fast rapportkategori; navnet kan ikke endres.", code=code),
            {"code": [_l("Fast kategori.")]},
            code="category-fixed",
        )
    before = _snapshot(category)
    if name_nb is not None:
        category.name_nb = name_nb.strip()
    if name_en is not None:
        category.name_en = name_en.strip()
    audit.record(actor, "category", code, "rename", before=before, after=_snapshot(category))
    commit()
    return category
