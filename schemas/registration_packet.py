"""Portal PSP Registration Packet (form PSP-REG, version 2025.1) as a typed record.

Field names are the specification's keys; ``tests/schemas/test_models_match_spec.py`` checks that
this model and ``schemas/forms/registration_packet.yaml`` agree on every key, type, requirement,
choice and bound. The three child-condition checkboxes of the form arrive here as one list.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.types import (
    CREDENTIALS,
    EMPLOYERS,
    CheckedBox,
    CmhspName,
    Email,
    FormDate,
    LongText,
    Phone,
    Signature,
    Text,
    UsState,
    UsZip,
    choice,
    whole_number,
)

ChildConditions = Annotated[list[Literal["SED", "I/DD", "Autism"]], Field(min_length=1)]


class RegistrationPacket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    FORM_ID: ClassVar[str] = "PSP-REG"
    FORM_VERSION: ClassVar[str] = "2025.1"

    # Section 1. Parent Support Partner
    psp_first_name: Text
    psp_last_name: Text
    psp_preferred_name: Text | None = None
    psp_email: Email
    psp_phone: Phone
    psp_street: Text
    psp_city: Text
    psp_state: UsState
    psp_zip: UsZip
    psp_county: Text
    hire_date: FormDate
    position_type: choice("Full-time", "Part-time")
    hours_per_week: whole_number(1, 40)
    # Section 2. Lived Experience
    lived_experience_parent: CheckedBox
    lived_experience_systems: CheckedBox
    child_condition: ChildConditions
    # Section 3. Employing Agency and Supervisor
    cmhsp_name: CmhspName
    employer_type: EMPLOYERS
    provider_agency_name: Text | None = None
    supervisor_name: Text
    supervisor_credential: CREDENTIALS
    supervisor_email: Email
    supervisor_phone: Phone
    # Section 4. Training Registration
    training_session: Text
    lodging_needed: choice("Yes", "No")
    accommodations: LongText | None = None
    # Section 5. Certification Commitments
    commit_classroom: CheckedBox
    commit_coaching: CheckedBox
    commit_quarterly_pd: CheckedBox
    ack_confidentiality: CheckedBox
    # Section 6. Signatures
    psp_signature: Signature
    psp_signature_date: FormDate
    supervisor_signature: Signature
    supervisor_signature_date: FormDate
    director_signature: Signature
    director_signature_date: FormDate
