"""The two forms of the PSP program: their specification, typed records and reference data."""

from schemas.readiness_plan import ReadinessPlan
from schemas.registration_packet import RegistrationPacket
from schemas.spec import (
    FieldSpec,
    FieldType,
    FormId,
    FormSpec,
    RuleSpec,
    Severity,
    all_form_specs,
    load_form_spec,
)

RECORD_MODELS: dict[FormId, type[ReadinessPlan] | type[RegistrationPacket]] = {
    FormId.READINESS_PLAN: ReadinessPlan,
    FormId.REGISTRATION_PACKET: RegistrationPacket,
}

__all__ = [
    "RECORD_MODELS",
    "FieldSpec",
    "FieldType",
    "FormId",
    "FormSpec",
    "ReadinessPlan",
    "RegistrationPacket",
    "RuleSpec",
    "Severity",
    "all_form_specs",
    "load_form_spec",
]
