"""The reference relationships of docs/model.md: a steady account at each position, showing
what the client does there (the table in docs/model.md, The relationship S-curve) at a plain,
regular pace.

The default score scale and stage thresholds are derived from these (each reference sits in
its own stage's band), so a test holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable

from scoring.engine import Stage
from tests.scoring.evidence import meeting, signal


def _every(days: int, make: Callable[[int], object], first: int, last: int) -> list:
    return [make(offset) for offset in range(first, last + 1, days)]


def reference(stage: Stage, first: int = 0, last: int = 730) -> list:
    """The evidence of a steady relationship at `stage` from day `first` to day `last`."""
    events = [
        # Vendor: buys under contract. A call every three weeks, a meeting a quarter; delivers
        # as promised every two months and gets the contract again each year.
        *_every(21, lambda o: meeting(o, 1, kind="call"), first, last),
        *_every(91, lambda o: meeting(o, 1, 2), first, last),
        *_every(61, lambda o: signal("delivered_as_promised", o), first, last),
        *_every(365, lambda o: signal("repeat_business", o), first, last),
    ]
    if stage >= Stage.CONFIDANT:
        # Confidant: a meeting every fortnight; delivery every month; the client tells us what
        # is coming every two months, brings us into its planning and opens up each quarter.
        events += [
            *_every(14, lambda o: meeting(o, 1, 2), first, last),
            *_every(30, lambda o: signal("delivered_as_promised", o), first, last),
            *_every(61, lambda o: signal("early_notice_of_plans", o), first, last),
            *_every(91, lambda o: signal("invited_to_planning", o), first, last),
            *_every(91, lambda o: signal("shared_business_details", o), first, last),
        ]
        events = [e for e in events if getattr(e, "kind", "") != "call"]
    if stage >= Stage.CONSULTANT:
        # Consultant: asked for strategy help every two months, in a workshop; we bring outside
        # insight and are let into the inner circle each quarter.
        events += [
            *_every(61, lambda o: meeting(o, 1, 2, 3, kind="workshop"), first, last),
            *_every(61, lambda o: signal("strategy_advice_requested", o), first, last),
            *_every(91, lambda o: signal("brought_external_insight", o), first, last),
            *_every(91, lambda o: signal("inner_circle_access", o), first, last),
        ]
    if stage >= Stage.VIRTUAL_PARTNER:
        # Virtual partner: consulted on a major decision every month, in its planning sessions;
        # treated as part of the team every two months.
        events += [
            *_every(30, lambda o: meeting(o, 1, 2, 3, kind="planning_session"), first, last),
            *_every(30, lambda o: signal("consulted_on_major_decision", o), first, last),
            *_every(61, lambda o: signal("treated_as_team_member", o), first, last),
        ]
    return events
