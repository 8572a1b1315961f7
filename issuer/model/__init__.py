"""The issuer's records as the rules see them: frozen dataclasses named in the standard's words.

Rows never leave ``issuer.store``; everything else works on these values. Clause numbers
refer to ISO/IEC 17024.

This package is the vocabulary's public face: every name is imported from ``issuer.model``,
never from the module that holds it. The modules hold the values by aggregate —
:mod:`~issuer.model.appeals` (appeals against decisions about a person),
:mod:`~issuer.model.body_information` (what the body publishes about itself),
:mod:`~issuer.model.complaints` (complaints, misuse of certificates and marks among them),
:mod:`~issuer.model.schemes` (schemes and their marks), :mod:`~issuer.model.staff` (staff and
API tokens), :mod:`~issuer.model.impartiality_risks` (the register of threats to
impartiality), :mod:`~issuer.model.cases` (persons, applications, examinations, decisions),
:mod:`~issuer.model.certifications` (certifications and their lifecycle),
:mod:`~issuer.model.credentials` (credentials, signing keys, status lists),
:mod:`~issuer.model.regulators` (regulators' access), :mod:`~issuer.model.notices` (notices
owed to persons), :mod:`~issuer.model.management`
(findings, corrective actions and examiner figures of the management system),
:mod:`~issuer.model.surveillance`
(surveillance of certified persons and the suspensions it proposes) and
:mod:`~issuer.model.bulk` (bulk issuance). The package imports nothing else of certreg,
so every layer of the issuer may import it.
"""

from __future__ import annotations

from issuer.model.appeals import (
    APPEAL_TRANSITIONS,
    AWAITING_DECISION,
    Appeal,
    AppealedKind,
    AppealOutcome,
    AppealRemedy,
    AppealState,
    AppealStep,
    Appellant,
    ContactChannel,
)
from issuer.model.body_information import Accreditation, BodyInformation
from issuer.model.bulk import (
    BulkItem,
    PreparedRoster,
    PreparedRosterRow,
    RosterEvidence,
    RosterGrant,
    RosterState,
)
from issuer.model.cases import (
    APPLICATION_TRANSITIONS,
    AiUse,
    Application,
    ApplicationState,
    Decision,
    DecisionOutcome,
    Examination,
    ExaminationResult,
    InvigilationMode,
    Person,
    PersonConfidential,
)
from issuer.model.certificate_design import CertificateDesign
from issuer.model.certifications import (
    Certification,
    CertificationStatus,
    LifecycleDecision,
    LifecycleKind,
    OverdueSuspension,
    RecertificationEvidence,
    RecertificationEvidenceKind,
    SuspensionEscalation,
)
from issuer.model.complaints import (
    COMPLAINT_TRANSITIONS,
    Complaint,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintState,
    ComplaintStep,
    ComplaintSubject,
    PublicComplaintState,
)
from issuer.model.credentials import (
    Credential,
    CredentialKind,
    KeyState,
    SigningKey,
    StatusList,
    StatusPurpose,
    StatusSlot,
)
from issuer.model.holders import DecisionAbout, HolderSession, SignInLink, SignInVia
from issuer.model.impartiality_risks import (
    ACCEPTABLE_SCORE,
    ImpartialityRisk,
    RiskActivity,
    RiskSource,
    RiskState,
)
from issuer.model.management import (
    FINDING_TRANSITIONS,
    ExaminationTally,
    Finding,
    FindingSeverity,
    FindingSource,
    FindingState,
    FindingStep,
)
from issuer.model.notices import NoticeKind, NoticeState, PersonNotice
from issuer.model.regulators import (
    CertificationChange,
    ChangeKind,
    ConfidentialField,
    Disclosure,
    PublicCertification,
    RegulatorRequest,
)
from issuer.model.schemes import (
    MarkAgreement,
    Scheme,
    SchemeContent,
    SchemeMark,
    SchemeVersion,
    ScopeItem,
    SurveillanceActivity,
)
from issuer.model.staff import (
    ApiToken,
    CompetenceRecord,
    ConflictDeclaration,
    ExaminerApproval,
    Role,
    Staff,
    TrainerRelation,
)
from issuer.model.surveillance import (
    ProposalClosing,
    ProposalReason,
    ProposedSuspension,
    SurveillanceDue,
    SurveillanceItem,
    SurveillanceOutcome,
    SurveillanceState,
)
from issuer.model.wallet import SdJwtVc, TokenSlot, TokenStatusList

__all__ = [
    "ACCEPTABLE_SCORE",
    "APPEAL_TRANSITIONS",
    "APPLICATION_TRANSITIONS",
    "AWAITING_DECISION",
    "COMPLAINT_TRANSITIONS",
    "FINDING_TRANSITIONS",
    "Accreditation",
    "AiUse",
    "ApiToken",
    "Appeal",
    "AppealOutcome",
    "AppealRemedy",
    "AppealState",
    "AppealStep",
    "AppealedKind",
    "Appellant",
    "Application",
    "ApplicationState",
    "BodyInformation",
    "BulkItem",
    "CertificateDesign",
    "Certification",
    "CertificationChange",
    "CertificationStatus",
    "ChangeKind",
    "CompetenceRecord",
    "Complaint",
    "ComplaintChannel",
    "ComplaintOutcome",
    "ComplaintState",
    "ComplaintStep",
    "ComplaintSubject",
    "ConfidentialField",
    "ConflictDeclaration",
    "ContactChannel",
    "Credential",
    "CredentialKind",
    "Decision",
    "DecisionAbout",
    "DecisionOutcome",
    "Disclosure",
    "Examination",
    "ExaminationResult",
    "ExaminationTally",
    "ExaminerApproval",
    "Finding",
    "FindingSeverity",
    "FindingSource",
    "FindingState",
    "FindingStep",
    "HolderSession",
    "ImpartialityRisk",
    "InvigilationMode",
    "KeyState",
    "LifecycleDecision",
    "LifecycleKind",
    "MarkAgreement",
    "NoticeKind",
    "NoticeState",
    "OverdueSuspension",
    "Person",
    "PersonConfidential",
    "PersonNotice",
    "PreparedRoster",
    "PreparedRosterRow",
    "ProposalClosing",
    "ProposalReason",
    "ProposedSuspension",
    "PublicCertification",
    "PublicComplaintState",
    "RecertificationEvidence",
    "RecertificationEvidenceKind",
    "RegulatorRequest",
    "RiskActivity",
    "RiskSource",
    "RiskState",
    "Role",
    "RosterEvidence",
    "RosterGrant",
    "RosterState",
    "Scheme",
    "SchemeContent",
    "SchemeMark",
    "SchemeVersion",
    "ScopeItem",
    "SdJwtVc",
    "SignInLink",
    "SignInVia",
    "SigningKey",
    "Staff",
    "StatusList",
    "StatusPurpose",
    "StatusSlot",
    "SurveillanceActivity",
    "SurveillanceDue",
    "SurveillanceItem",
    "SurveillanceOutcome",
    "SurveillanceState",
    "SuspensionEscalation",
    "TokenSlot",
    "TokenStatusList",
    "TrainerRelation",
]
