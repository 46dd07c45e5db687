"""Controlled vocabularies of the report document (DESIGN §1)."""

KINDS = ("incident", "patrol", "foreigner_check", "passport_deferral", "outreach")

MODUS = (
    "fake_job_offer",
    "posing_as_tourist",
    "posing_as_student",
    "transit_route",
    "unofficial_crossing",
    "other",
)

AGENCIES = (
    "IMIGRASI",
    "POLRI",
    "TNI",
    "KEJAKSAAN",
    "BIN",
    "BNN",
    "SYAHBANDAR",
    "DISNAKER",
    "BP2MI",
    "PEMDA",
)

PERSON_ROLES = ("victim", "suspect", "witness", "foreign_national", "applicant")
SEXES = ("F", "M", "X")
VEHICLE_TYPES = ("boat", "speedboat", "car", "motorbike", "truck", "other")
DOCUMENT_TYPES = (
    "passport",
    "national_id",
    "stay_permit",
    "work_permit",
    "travel_document",
    "other",
)
ACTION_TYPES = (
    "referred",
    "rescued",
    "arrested",
    "detained",
    "deported",
    "returned",
    "warned",
    "deferred",
    "investigated",
    "other",
)
REVIEW_STATUSES = ("submitted", "in_review", "approved", "needs_info", "rejected")
ATTACHMENT_MIME_PREFIXES = ("image/",)
ATTACHMENT_MIMES = ("application/pdf",)

#: Fields each kind must have when the report is created (besides kind,
#: occurred_at and title, which every report needs).
REQUIRED_BY_KIND = {
    "incident": ("location",),
    "patrol": ("route",),
    "foreigner_check": ("location", "persons"),
    "passport_deferral": ("persons", "destination_country"),
    "outreach": ("location", "audience_size"),
}
REQUIRED_ALWAYS = ("kind", "occurred_at", "title")

#: Fields that, when true, need others: a retraction says why.
REQUIRED_WHEN_TRUE = {"retracted": ("retract_reason",)}
