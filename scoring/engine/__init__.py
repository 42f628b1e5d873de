"""The scoring engine: pure Python, no Django import (a test enforces it).

It turns dated evidence about one account into its weekly position on the relationship S-curve
and its decline risk, with the reasons for both. Start at `score_timeline`.
"""

from scoring.engine.curve import score_timeline, week_ending
from scoring.engine.profile import (
    DEFAULTS,
    MEANINGS,
    Profile,
    ProfileError,
    flatten,
    unflatten,
    validate,
)
from scoring.engine.stages import Stage
from scoring.engine.types import (
    AssessmentEvent,
    Contribution,
    Evidence,
    InteractionEvent,
    RiskDriver,
    SignalEvent,
    WeekPoint,
)

__all__ = [
    "DEFAULTS",
    "MEANINGS",
    "AssessmentEvent",
    "Contribution",
    "Evidence",
    "InteractionEvent",
    "Profile",
    "ProfileError",
    "RiskDriver",
    "SignalEvent",
    "Stage",
    "WeekPoint",
    "flatten",
    "score_timeline",
    "unflatten",
    "validate",
    "week_ending",
]
