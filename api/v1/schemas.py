"""What the API reads and writes, as typed schemas: django-ninja validates requests against
them and builds the OpenAPI document from them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from accounts.models import PartnershipPotential
from relationships.models import ContactRole, InteractionKind, StageChoice

# The furthest a list may be paged: far past any portfolio, and well inside the 64-bit integer
# the database takes for an OFFSET (past it SQLite and PostgreSQL both fail the query).
MAX_OFFSET = 1_000_000_000

# What a JSON body that is not an object is, in JSON's own words.
JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
JSON_KINDS |= {bool: "true or false", type(None): "null"}


class BodyIn(Schema):
    """A request body: a JSON object of the named fields only. A misspelt field (`note` for
    `notes`) is refused with its name rather than dropped, and a body that is not an object
    (`[]`, `null`, `1`) is refused rather than read as an object with every field left out."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # ninja validates twice: the JSON itself, then the same wrapped in its DjangoGetter.
        if not isinstance(data, dict | DjangoGetter):
            raise PydanticCustomError(
                "object_expected",
                "The body should be a JSON object of named fields, not {kind}.",
                {"kind": JSON_KINDS.get(type(data), "that")},
            )
        return data


class Error(Schema):
    """A refusal, in words: 400, 401, 403, 404, 409, 413, 429."""

    detail: str


class Problem(Schema):
    loc: list[str | int] = Field(description='Where: ["body", "payload", field], ["query", name].')
    msg: str
    type: str


class Invalid(Schema):
    """Bad input (422): each problem with the field it is about."""

    detail: list[Problem]


def refusals(*codes: int) -> dict[int, type[Schema]]:
    """The error answers an operation gives besides its own `codes`: every call may answer 401
    (no live token) and 429 (past the rate limit)."""
    return {code: Invalid if code == 422 else Error for code in sorted({401, 429, *codes})}


class Person(Schema):
    id: int
    username: str
    name: str


class Page(Schema):
    count: int = Field(description="How many items there are in all, over every page.")
    limit: int
    offset: int


class AccountFilters(Schema):
    """The portfolio dashboard's filters (active accounts only), checked by its own form."""

    manager: int | None = Field(None, description="The owner's user id.")
    industry: str | None = None
    stage: StageChoice | None = None
    potential: PartnershipPotential | None = None
    risk_band: Literal["low", "medium", "high"] | None = None
    revenue_min: Decimal | None = Field(None, ge=0)
    revenue_max: Decimal | None = Field(None, ge=0)


class AccountFacts(Schema):
    """What every answer about an account starts with: who it is and whose."""

    id: int
    name: str
    external_id: str
    owner: Person
    industry: str
    annual_revenue: Decimal
    partnership_potential: str
    status: str


class AccountRow(AccountFacts):
    # The standing: every field null while the account is not scored yet.
    score: float | None = Field(description="0-100")
    stage: str | None
    stage_label: str | None
    decline_risk: float | None = Field(description="0-100")
    risk_band: str | None
    next_stage_gap: str | None = Field(description="What the next stage still needs, in words.")
    top_risk_driver: str | None
    week_ending: datetime.date | None = Field(description="The week the standing is from.")
    next_step: str
    next_step_due: datetime.date | None
    url: str = Field(description="The account's page.")


class AccountPage(Page):
    items: list[AccountRow]


class Contribution(Schema):
    key: str = Field(description="The category of evidence, in words.")
    points: int
    signals: list[str]


class RiskDriver(Schema):
    key: str
    label: str
    points: int
    detail: str


class StandingNow(Schema):
    week_ending: datetime.date
    score: float = Field(description="0-100")
    stage: str
    stage_label: str
    decline_risk: float = Field(description="0-100")
    risk_band: str
    next_stage_gap: str
    contributions: list[Contribution] = Field(
        description="What adds up to the score (whole points adding up to the rounded score)."
    )
    risk_drivers: list[RiskDriver] = Field(
        description="What drives the decline risk (whole points adding up to the rounded risk)."
    )


class AccountDetail(AccountFacts):
    lost_on: datetime.date | None
    lost_reason: str
    mission: str
    objective: str
    next_step: str
    next_step_due: datetime.date | None
    email_domains: list[str]
    url: str
    standing: StandingNow | None = Field(description="None until the account is first scored.")


class Week(Schema):
    week_ending: datetime.date
    score: float
    stage: str
    decline_risk: float


class ContactRef(Schema):
    id: int
    name: str


class InteractionOut(Schema):
    id: int
    occurred_on: datetime.date
    kind: str
    initiated_by_client: bool
    notes: str
    sentiment: int | None = Field(description="-2 (hostile) to +2 (warm); None if not noted.")
    logged_by: str | None = Field(description="The username of who logged it.")
    participants: list[ContactRef]
    signals: list[str] = Field(description="Slugs of the trust signals observed.")


class InteractionPage(Page):
    items: list[InteractionOut]


class InteractionIn(BodyIn):
    occurred_on: datetime.date | None = Field(None, description="Default: today.")
    kind: InteractionKind = InteractionKind.MEETING
    initiated_by_client: bool = False
    notes: str = ""
    sentiment: int | None = Field(None, description="-2 (hostile) to +2 (warm).")
    participants: list[int] = Field(
        default_factory=list, description="Ids of the account's current contacts."
    )
    new_contact_name: str = Field("", description="Someone new who took part.")
    new_contact_title: str = ""
    signals: list[str] = Field(
        default_factory=list, description="Slugs of active signal types (GET /signals)."
    )


class StandingBrief(Schema):
    week_ending: datetime.date
    score: float
    stage: str
    stage_label: str
    decline_risk: float
    risk_band: str
    next_stage_gap: str


class InteractionLogged(Schema):
    interaction: InteractionOut
    standing_before: StandingBrief | None
    standing: StandingBrief | None
    summary: str = Field(description='What changed, in words: "score 54 → 58, still ...".')


class ContactOut(Schema):
    id: int
    name: str
    title: str
    email: str
    phone: str
    role: str
    is_champion: bool
    reports_to: int | None = Field(description="The id of their manager at the client.")
    left_on: datetime.date | None


class ContactIn(BodyIn):
    name: str
    title: str = ""
    email: str = ""
    phone: str = ""
    role: ContactRole = ContactRole.USER
    is_champion: bool = False
    reports_to: int | None = Field(None, description="The id of another contact of the account.")


class SignalTypeOut(Schema):
    slug: str
    name: str
    description: str
    category: str
    polarity: int = Field(description="1 builds trust, -1 erodes it.")
    is_active: bool = Field(description="Retired types are kept in history, not logged anew.")


class ExportRow(Schema):
    """One account of the dashboard's CSV export, with typed values."""

    external_id: str
    name: str
    owner: str
    # Null while the account is not scored yet (the CSV's cells are empty).
    stage: str | None
    score: int | None
    decline_risk: int | None
    top_risk_driver: str | None
    annual_revenue: Decimal
    last_contact_on: datetime.date | None
    next_step: str
    next_step_due: datetime.date | None
