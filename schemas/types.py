"""Field types of the two forms as pydantic annotated types: each parses a value as people write it
and normalises it (dates, phones, ZIPs, counties, CMHSP names and aliases, choices).

Types that check against reference data (CMHSPs, counties) read it from the validation context
(``model_validate(data, context={"reference": ReferenceData})``), falling back to the packaged
defaults, so that the coordinator's own lists are used without any global state.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationInfo

from schemas import values
from schemas.reference import ReferenceData, load_reference


@cache
def _default_reference() -> ReferenceData:
    return load_reference(None)


def reference_from(info: ValidationInfo) -> ReferenceData:
    """The reference data the validation was given (``context={"reference": ...}``), else the
    copies shipped with the package."""
    context = info.context or {}
    reference = context.get("reference")
    return reference if isinstance(reference, ReferenceData) else _default_reference()


def _text(value: Any) -> Any:
    return values.clean_text(value) if isinstance(value, str) else value


def _date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    return values.parse_date(str(value))


# Longer than any CMHSP's name or alias (the longest has a dozen words).
CMHSP_MOST_WORDS = 16


def _cmhsp(value: Any, info: ValidationInfo) -> str:
    reference = reference_from(info)
    name = reference.canonical_cmhsp(str(value))
    if name is None:
        # A CMHSP's name followed by more words: the reading ran on into the next line (a heading
        # of the agency's own form), or a note was added. Not a different agency: a person reads it.
        words = str(value).split()[:CMHSP_MOST_WORDS + 1]  # no name is longer: never every prefix of a long text
        for end in range(len(words) - 1, 0, -1):
            if (start := reference.canonical_cmhsp(" ".join(words[:end]))) is not None:
                raise values.Unreadable(f"'{value}' begins with the name of {start} and goes on")
        raise ValueError(
            f"'{value}' is not one of Michigan's Community Mental Health Services Programs; "
            "write the CMHSP's full name as the state lists it"
        )
    return name


def _counties(value: Any, info: ValidationInfo) -> list[str]:
    reference = reference_from(info)
    names = value if isinstance(value, list) else values.split_list(str(value))
    canonical: list[str] = []
    unknown: list[str] = []
    for name in names:
        county = reference.canonical_county(name)
        if county is None:
            unknown.append(name)
        elif county not in canonical:
            canonical.append(county)
    if unknown:
        raise ValueError(
            f"{', '.join(repr(u) for u in unknown)} {'is not a Michigan county' if len(unknown) == 1 else 'are not Michigan counties'}; "
            "list only Michigan counties, separated by commas"
        )
    return canonical


def _must_be_checked(value: bool) -> bool:
    if not value:
        raise ValueError("this box must be checked")
    return value


def _choice_parser(options: tuple[str, ...]):
    def parse(value: Any) -> Any:
        return values.match_choice(str(value), options) if isinstance(value, str) else value

    return parse


def choice(*options: str) -> Any:
    """A drop-down of the form: one of ``options``, as printed."""
    return Annotated[Literal[options], BeforeValidator(_choice_parser(options))]  # type: ignore[valid-type]


Text = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
LongText = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
Signature = Annotated[str, BeforeValidator(_text), Field(min_length=1)]
Email = Annotated[str, BeforeValidator(values.normalise_email)]
Phone = Annotated[str, BeforeValidator(values.normalise_phone)]
MichiganZip = Annotated[str, BeforeValidator(lambda v: values.normalise_zip(str(v), michigan_only=True))]
UsZip = Annotated[str, BeforeValidator(lambda v: values.normalise_zip(str(v), michigan_only=False))]
_STATE_PARSER = BeforeValidator(lambda v: values.normalise_state(str(v)))
UsState = Annotated[str, _STATE_PARSER]
FormDate = Annotated[date, BeforeValidator(_date)]
CmhspName = Annotated[str, BeforeValidator(_cmhsp)]
MichiganCounties = Annotated[list[str], BeforeValidator(_counties), Field(min_length=1)]
Checkbox = Annotated[bool, BeforeValidator(values.parse_checkbox)]
CheckedBox = Annotated[bool, BeforeValidator(values.parse_checkbox), AfterValidator(_must_be_checked)]


def whole_number(minimum: int, maximum: int) -> Any:
    """The type of a whole-number field from ``minimum`` to ``maximum``, read as people write it
    (``values.parse_int``)."""
    return Annotated[int, BeforeValidator(lambda v: values.parse_int(str(v))), Field(ge=minimum, le=maximum)]


def decimal_number(minimum: float, maximum: float) -> Any:
    """The type of a decimal field from ``minimum`` to ``maximum``, read as people write it
    (``values.parse_decimal``) and compared exactly, as a Decimal."""
    return Annotated[
        Decimal,
        BeforeValidator(lambda v: values.parse_decimal(str(v))),
        Field(ge=Decimal(str(minimum)), le=Decimal(str(maximum))),
    ]


CREDENTIALS = choice(
    "Licensed Psychologist (LP)",
    "Limited Licensed Psychologist (LLP)",
    "Licensed Master Social Worker (LMSW)",
    "Licensed Professional Counselor (LPC)",
    "Limited Licensed Professional Counselor (LLPC)",
    "Licensed Marriage and Family Therapist (LMFT)",
    "Registered Nurse (RN)",
    "Physician (MD/DO)",
    "Other",
)
EMPLOYERS = choice("CMHSP", "Contract provider agency")


def holds_state_code(model: type[BaseModel], key: str) -> bool:
    """Whether the record's field ``key`` is a US state's two-letter code (``UsState``)."""
    field = model.model_fields.get(key)
    return field is not None and any(m is _STATE_PARSER for m in field.metadata)
