"""Validation: from an extracted document to a validation result (outcome, findings citing rule
ids, normalised values, the typed record). Knows nothing of files or databases.
"""

from pipeline.validate.outcome import decide_outcome
from pipeline.validate.rules import ValidationContext, validate_document

__all__ = ["ValidationContext", "decide_outcome", "validate_document"]
