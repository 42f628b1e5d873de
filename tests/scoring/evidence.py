"""Small builders for engine tests: dated evidence in a line each."""

import datetime

from scoring.engine import AssessmentEvent, Evidence, InteractionEvent, SignalEvent, Stage

START = datetime.date(2024, 1, 1)  # a Monday

# A slice of the default catalog: slug -> (category, polarity).
CATALOG = {
    "delivered_as_promised": ("delivery", 1),
    "repeat_business": ("commercial", 1),
    "shared_business_details": ("openness", 1),
    "early_notice_of_plans": ("openness", 1),
    "invited_to_planning": ("inclusion", 1),
    "inner_circle_access": ("inclusion", 1),
    "treated_as_team_member": ("inclusion", 1),
    "strategy_advice_requested": ("advisory", 1),
    "consulted_on_major_decision": ("reliance", 1),
    "brought_external_insight": ("proactive_value", 1),
    "delivery_miss": ("delivery", -1),
    "price_pressure": ("commercial", -1),
    "retender_or_competitive_bid": ("commercial", -1),
    "escalation": ("governance", -1),
    "competitor_invited": ("commercial", -1),
    "excluded_from_planning": ("inclusion", -1),
    "champion_left": ("people", -1),
    "issue_resolved_jointly": ("governance", 1),
    "solved_underlying_problem": ("proactive_value", 1),
}
POSITIVE = sorted(slug for slug, (_, polarity) in CATALOG.items() if polarity > 0)
NEGATIVE = sorted(slug for slug, (_, polarity) in CATALOG.items() if polarity < 0)


def day(offset: int) -> datetime.date:
    return START + datetime.timedelta(days=offset)


def signal(slug: str, offset: int) -> SignalEvent:
    category, polarity = CATALOG[slug]
    return SignalEvent(day(offset), slug, category, polarity)


def meeting(offset: int, *contacts: int, kind="meeting", by_client=False) -> InteractionEvent:
    return InteractionEvent(day(offset), kind, by_client, tuple(contacts))


def assessment(offset: int, relevance: int, perceived: Stage | None = None) -> AssessmentEvent:
    return AssessmentEvent(day(offset), relevance, perceived)


def evidence(*events, lost_on: datetime.date | None = None) -> Evidence:
    return Evidence(
        lost_on=lost_on,
        signals=tuple(e for e in events if isinstance(e, SignalEvent)),
        interactions=tuple(e for e in events if isinstance(e, InteractionEvent)),
        assessments=tuple(e for e in events if isinstance(e, AssessmentEvent)),
    )


def monthly_meetings(first: int, last: int, *contacts: int) -> list[InteractionEvent]:
    """A meeting every 30 days, rotating through `contacts` (or none)."""
    return [
        meeting(offset, *([contacts[n % len(contacts)]] if contacts else []))
        for n, offset in enumerate(range(first, last + 1, 30))
    ]
