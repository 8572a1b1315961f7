"""The two faces of a unit of work on the store, each made of the aggregates' classes.

:class:`Reader` has every aggregate's reads and nothing else: :meth:`Store.reading
<issuer.store.Store.reading>` hands one out, so a write there is a type error, and an
:class:`AttributeError` should it run anyway. :class:`Tx` has the reads and the writes (the
methods that insert, update, or lock rows for an update), for :meth:`Store.transaction
<issuer.store.Store.transaction>` and the bulk writer. Both are plain classes over one
session: a method is found on the class as on any other, with no wrapper in between.
"""

from __future__ import annotations

from issuer.store.appeals import AppealReads, AppealWrites
from issuer.store.audit_log import AuditReads, AuditWrites
from issuer.store.body_information import BodyInformationReads, BodyInformationWrites
from issuer.store.bulk import BulkReads
from issuer.store.cases import CaseReads, CaseWrites
from issuer.store.certificate_design import CertificateDesignReads, CertificateDesignWrites
from issuer.store.certifications import CertificationReads, CertificationWrites
from issuer.store.complaints import ComplaintReads, ComplaintWrites
from issuer.store.credentials import CredentialReads, CredentialWrites
from issuer.store.feeds import FeedReads
from issuer.store.holders import HolderReads, HolderWrites
from issuer.store.keys import KeyReads, KeyWrites
from issuer.store.management import FindingReads, FindingWrites
from issuer.store.message_status import MessageStatusReads, MessageStatusWrites
from issuer.store.notices import NoticeReads, NoticeWrites
from issuer.store.outbox import OutboxReads, OutboxWrites
from issuer.store.persons import PersonReads, PersonWrites
from issuer.store.recertification import RecertificationReads, RecertificationWrites
from issuer.store.reports import ReportReads
from issuer.store.risks import RiskReads, RiskWrites
from issuer.store.rosters import RosterReads, RosterWrites
from issuer.store.schemes import SchemeReads, SchemeWrites
from issuer.store.staff import StaffReads, StaffWrites
from issuer.store.status import StatusReads, StatusWrites
from issuer.store.surveillance import SurveillanceReads, SurveillanceWrites
from issuer.store.token_status import TokenStatusReads, TokenStatusWrites
from issuer.store.wallet_offers import OfferReads, OfferWrites

__all__ = ["Reader", "Tx"]


class Reader(
    SchemeReads,
    BodyInformationReads,
    StaffReads,
    RiskReads,
    PersonReads,
    CaseReads,
    CertificationReads,
    SurveillanceReads,
    AppealReads,
    FindingReads,
    ReportReads,
    ComplaintReads,
    RecertificationReads,
    CredentialReads,
    FeedReads,
    KeyReads,
    StatusReads,
    TokenStatusReads,
    MessageStatusReads,
    AuditReads,
    OutboxReads,
    BulkReads,
    RosterReads,
    NoticeReads,
    HolderReads,
    CertificateDesignReads,
    OfferReads,
):
    """The operations that only read, for a unit of work that must not write. Returns model
    values, never rows."""


class Tx(
    Reader,
    SchemeWrites,
    BodyInformationWrites,
    StaffWrites,
    RiskWrites,
    PersonWrites,
    CaseWrites,
    CertificationWrites,
    SurveillanceWrites,
    AppealWrites,
    FindingWrites,
    ComplaintWrites,
    RecertificationWrites,
    CredentialWrites,
    KeyWrites,
    StatusWrites,
    TokenStatusWrites,
    MessageStatusWrites,
    AuditWrites,
    OutboxWrites,
    RosterWrites,
    NoticeWrites,
    HolderWrites,
    CertificateDesignWrites,
    OfferWrites,
):
    """The operations available inside one transaction. Returns model values, never rows."""
