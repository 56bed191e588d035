"""The program office's specification of the two forms, read from the YAML copies in ``schemas/forms``.

The YAML is the source of truth for keys, printed labels, types, choices, bounds and rule ids.
Everything else in the project (the pydantic models, the blank forms, the extractors, the
validators, the notices) reads it from here instead of repeating it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class FormId(StrEnum):
    READINESS_PLAN = "PSP-ORP"
    REGISTRATION_PACKET = "PSP-REG"


class FieldType(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    ZIP = "zip"
    DATE = "date"
    INT = "int"
    DECIMAL = "decimal"
    CHECKBOX = "checkbox"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    COUNTY_LIST = "county_list"
    CMHSP = "cmhsp"
    SIGNATURE = "signature"
    LONGTEXT = "longtext"


class Severity(StrEnum):
    """How a failed rule decides the outcome; the order of precedence is error > hold > review."""

    ERROR = "error"
    HOLD = "hold"
    REVIEW = "review"


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label: str
    type: FieldType
    required: bool
    must_be_checked: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    note: str | None = None

    @property
    def widget_keys(self) -> tuple[str, ...]:
        """The AcroForm field names / content-control tags that carry this field.

        A multichoice field is one checkbox per choice (``child_condition_sed``...), every
        other field is one widget named by its key.
        """
        if self.type is FieldType.MULTICHOICE:
            return tuple(f"{self.key}_{choice_slug(c)}" for c in self.choices)
        return (self.key,)


class SectionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    fields: tuple[FieldSpec, ...]


# How a rule's text states each of its numbers: the code reads them from the program office's
# words (``RuleSpec.number``), never from a copy of its own.
RULE_NUMBERS: dict[str, str] = {
    "max_age_days": r"not more than (\d+) days before",
    "max_months_after_signature": r"not more than (\d+) months after",
    "min_words": r"at least (\d+) words",
    "max_days_hired_after_signature": r"not more than (\d+) days after",
    "full_time_hours": r"Full-time: (\d+)-(\d+)",
    "part_time_hours": r"Part-time: (\d+)-(\d+)",
}


class RuleSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    severity: Severity
    text: str

    def number(self, name: str) -> Any:
        """The number ``name`` (``RULE_NUMBERS``) as the rule's text states it: an int, or a
        (low, high) pair for a range. KeyError when the text states none: a rule reworded without
        its number stops the run at once, rather than judging by a number of the code's own."""
        match = re.search(RULE_NUMBERS[name], self.text)
        if match is None:
            raise KeyError(f"rule {self.id} states no {name} ({RULE_NUMBERS[name]!r} not in its text)")
        numbers = tuple(int(n) for n in match.groups())
        return numbers[0] if len(numbers) == 1 else numbers


def _spoken(text: str) -> str:
    """A label or a name as a person types it: case and runs of spaces aside."""
    return " ".join(text.casefold().split())


class FormSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: FormId
    title: str
    version: str
    marker: str
    sections: tuple[SectionSpec, ...]
    rules: tuple[RuleSpec, ...] = Field(default=())

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        """Every field of the form, section by section, in form order."""
        return tuple(f for s in self.sections for f in s.fields)

    def field(self, key: str) -> FieldSpec:
        """The field with this key; KeyError when the form has none."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self.form_id} has no field {key!r}")

    def fields_named(self, name: str) -> tuple[FieldSpec, ...]:
        """The fields a person may mean by ``name`` (the review commands and the desk take a field
        so): the field whose key it is; else the one whose printed label it is, case and spacing
        aside; else every field whose label holds it (more than one: the name is ambiguous)."""
        spoken = _spoken(name)
        by_key = tuple(f for f in self.fields if f.key == name.strip())
        if by_key or not spoken:
            return by_key
        by_label = tuple(f for f in self.fields if _spoken(f.label) == spoken)
        return by_label or tuple(f for f in self.fields if spoken in _spoken(f.label))

    def rule(self, rule_id: str) -> RuleSpec:
        """The rule with this id (``REG-R05``); KeyError when the form has none."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"{self.form_id} has no rule {rule_id!r}")

    @property
    def required_fields_rule(self) -> str:
        """The rule every form has first: required fields filled in and required boxes checked."""
        return self.rules[0].id

    @property
    def widget_keys(self) -> tuple[str, ...]:
        """Every AcroForm field name / content-control tag of the official form, in form order."""
        return tuple(k for f in self.fields for k in f.widget_keys)

    def field_for_widget(self, widget_key: str) -> FieldSpec | None:
        """The field a widget belongs to (a multichoice field has one per choice); None for a
        widget that is not one of this form's."""
        for f in self.fields:
            if widget_key in f.widget_keys:
                return f
        return None


def choice_slug(choice: str) -> str:
    """``"I/DD"`` -> ``"idd"``: the suffix a multichoice option's checkbox carries."""
    return "".join(ch for ch in choice.lower() if ch.isalnum())


SPEC_FILES: dict[FormId, str] = {
    FormId.READINESS_PLAN: "readiness_plan.yaml",
    FormId.REGISTRATION_PACKET: "registration_packet.yaml",
}


@cache
def load_form_spec(form_id: FormId | Literal["PSP-ORP", "PSP-REG"]) -> FormSpec:
    """The specification of one form, parsed once per process."""
    text = resources.files("schemas").joinpath("forms", SPEC_FILES[FormId(form_id)]).read_text("utf-8")
    return FormSpec.model_validate(yaml.safe_load(text))


def all_form_specs() -> tuple[FormSpec, ...]:
    """The specification of every form the pipeline reads, in ``FormId`` order."""
    return tuple(load_form_spec(f) for f in FormId)
