"""Validation: from an extracted document to a validation result (outcome, findings citing rule
ids, normalised values, the typed record). Knows nothing of files or databases.
"""

from pipeline.validate.outcome import decide_outcome
from pipeline.validate.program import ProgramSnapshot, psp_key, subject_key
from pipeline.validate.rules import ValidationContext, validate_document

__all__ = ["ProgramSnapshot", "ValidationContext", "decide_outcome", "psp_key", "subject_key", "validate_document"]
