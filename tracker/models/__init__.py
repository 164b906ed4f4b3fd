"""All tables, imported here so Alembic and the app see one metadata."""

from tracker.models.audit import AuditEvent, IdempotencyKey
from tracker.models.auth import (
    ApiToken,
    LoginFailure,
    Membership,
    PasswordReset,
    User,
    UserSession,
)
from tracker.models.base import Base
from tracker.models.catalog import Category, Item, KitContent, Lot, SiteItem
from tracker.models.counts import Discrepancy, StockCount, StockCountLine
from tracker.models.distribution import (
    ContactsDaily,
    DistributionDaily,
    DistributionMonthly,
    NaloxoneHandout,
    TallyEntry,
    TallyLine,
)
from tracker.models.events import (
    ContactGroupCount,
    EquipmentReturn,
    OverdoseEvent,
    Referral,
)
from tracker.models.sites import Municipality, Site
from tracker.models.stock import (
    ImportBatch,
    Receipt,
    StockBalance,
    StockDaily,
    StockMonthly,
    StockMovement,
)
from tracker.models.submissions import Submission, SubmissionFigure, SubmissionSite
from tracker.models.supply import DeliveryDate, DeliverySchedule, DrugAlert, UnmetDemand
from tracker.models.training import Certification, TrainingAttendee, TrainingSession
from tracker.models.transfers import Transfer, TransferLine

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Category",
    "Certification",
    "ContactGroupCount",
    "ContactsDaily",
    "DeliveryDate",
    "DeliverySchedule",
    "Discrepancy",
    "DrugAlert",
    "DistributionDaily",
    "DistributionMonthly",
    "EquipmentReturn",
    "IdempotencyKey",
    "ImportBatch",
    "Item",
    "KitContent",
    "LoginFailure",
    "Lot",
    "Membership",
    "Municipality",
    "NaloxoneHandout",
    "OverdoseEvent",
    "PasswordReset",
    "Receipt",
    "Referral",
    "Site",
    "SiteItem",
    "StockBalance",
    "StockCount",
    "StockCountLine",
    "StockDaily",
    "StockMonthly",
    "StockMovement",
    "Submission",
    "SubmissionFigure",
    "SubmissionSite",
    "TallyEntry",
    "TallyLine",
    "TrainingAttendee",
    "TrainingSession",
    "Transfer",
    "TransferLine",
    "UnmetDemand",
    "User",
    "UserSession",
]
