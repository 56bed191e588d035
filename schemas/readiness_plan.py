"""PSP Organizational Readiness Plan (form PSP-ORP, version 2025.1) as a typed record.

Field names are the specification's keys; ``tests/schemas/test_models_match_spec.py`` checks that
this model and ``schemas/forms/readiness_plan.yaml`` agree on every key, type, requirement, choice
and bound.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.types import (
    CREDENTIALS,
    EMPLOYERS,
    CheckedBox,
    CmhspName,
    Email,
    FormDate,
    LongText,
    MichiganCounties,
    MichiganZip,
    Phone,
    Signature,
    Text,
    choice,
    decimal_number,
    whole_number,
)


class ReadinessPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    FORM_ID: ClassVar[str] = "PSP-ORP"
    FORM_VERSION: ClassVar[str] = "2025.1"

    # Section 1. Agency Information
    cmhsp_name: CmhspName
    employment_model: EMPLOYERS
    provider_agency_name: Text | None = None
    agency_street: Text
    agency_city: Text
    agency_zip: MichiganZip
    counties_served: MichiganCounties
    contact_name: Text
    contact_title: Text
    contact_email: Email
    contact_phone: Phone
    director_name: Text
    # Section 2. Parent Support Partner Positions
    submission_type: choice("Initial plan", "Update: change in model implementation or hiring practices")
    psp_positions_planned: whole_number(1, 50)
    fte_per_position: decimal_number(0.1, 1.0)
    planned_start_date: FormDate
    hiring_lived_experience: CheckedBox
    # Section 3. Supervision
    supervisor_name: Text
    supervisor_credential: CREDENTIALS
    supervisor_credential_other: Text | None = None
    supervisor_is_qmhp: CheckedBox
    supervisor_email: Email
    supervisor_phone: Phone
    supervisor_direct_knowledge: CheckedBox
    supervisor_clinical_direction: CheckedBox
    supervisor_team_integration: CheckedBox
    supervision_frequency: choice("Weekly", "Every two weeks", "Monthly")
    # Section 4. Agency Commitments
    commit_employ: CheckedBox
    commit_supervisor: CheckedBox
    commit_clinical_supervision: CheckedBox
    commit_data_collection: CheckedBox
    commit_staff_training: CheckedBox
    commit_travel_funds: CheckedBox
    commit_personnel_time: CheckedBox
    commit_equipment: CheckedBox
    # Section 5. Service Integration
    service_attached_to_goal: CheckedBox
    integrated_in_fcp: CheckedBox
    integration_plan: LongText
    referral_process: LongText
    # Section 6. Signatures
    director_signature: Signature
    director_signature_date: FormDate
    supervisor_signature: Signature
    supervisor_signature_date: FormDate

    @property
    def earliest_signature_date(self) -> date:
        """The earlier of the director's and the supervisor's signature dates."""
        return min(self.director_signature_date, self.supervisor_signature_date)
