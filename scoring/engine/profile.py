"""The tunable parameters of the engine, their defaults and their validation.

A profile is plain data (JSON-friendly) so that it can be stored, versioned, diffed and edited.
Every default below says which section of docs/model.md gives its reason.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scoring.engine.stages import Stage

CATEGORIES = (
    "delivery",
    "openness",
    "inclusion",
    "advisory",
    "reliance",
    "commercial",
    "proactive_value",
    "governance",
    "people",
)
INTERACTION_KINDS = (
    "meeting",
    "call",
    "email",
    "workshop",
    "business_review",
    "planning_session",
    "social",
    "other",
)
RISK_DRIVERS = (
    "warnings",
    "negatives",
    "silence",
    "momentum",
    "relevance",
    "plateau",
    "perception_gap",
    "single_threaded",
)
# The drivers with a weight in `risk_weights`; each warning signal carries its own.
WEIGHTED_DRIVERS = RISK_DRIVERS[1:]
GATED_STAGES = ("confidant", "consultant", "virtual_partner")

DEFAULTS: dict[str, Any] = {
    # Evidence points per signal (magnitudes; the catalog's polarity gives the sign). The
    # deeper the trust a behaviour shows, the more it weighs (docs/model.md, Position: the
    # score and the stage): delivering as promised is the entry ticket, being consulted on a
    # major decision is the top of the curve.
    "signal_weights": {
        "delivered_as_promised": 3,
        "repeat_business": 4,
        "shared_business_details": 5,
        "early_notice_of_plans": 6,
        "invited_to_planning": 8,
        "inner_circle_access": 8,
        "treated_as_team_member": 10,
        "strategy_advice_requested": 10,
        "consulted_on_major_decision": 12,
        "brought_external_insight": 6,
        "solved_underlying_problem": 7,
        "issue_resolved_jointly": 6,
        # Negative evidence (docs/model.md, Position: the score and the stage). What the client does
        # to us weighs as much as the deepest trust it once showed: a re-tender undoes a consulted
        # decision. A delivery miss and losing the person who argued our case cost about as much as
        # an invitation to planning earned; an escalation a little less; price talk least, because
        # haggling happens at every stage (docs/model.md, Decline risk: price talk).
        "delivery_miss": 10,
        "price_pressure": 6,
        "retender_or_competitive_bid": 12,
        "competitor_invited": 10,
        "escalation": 7,
        "champion_left": 10,
        "excluded_from_planning": 9,
    },
    # For signal types an admin adds to the catalog before giving them a weight.
    "default_signal_weight": 4,
    # Contact itself builds the relationship a little; richer formats more (docs/model.md, Position:
    # the score and the stage).
    "interaction_weights": {
        "meeting": 1.0,
        "call": 0.5,
        "email": 0.2,
        "workshop": 2.0,
        "business_review": 1.5,
        "planning_session": 2.5,
        "social": 1.5,
        "other": 0.3,
    },
    # The client reaching out is stronger evidence than us reaching out (docs/model.md, Position:
    # the score and the stage).
    "client_initiated_multiplier": 1.5,
    # Days for evidence to lose half its weight. Position is not kept for free (docs/model.md,
    # What the model believes): routine delivery and contact are last quarter's news, the deep
    # trust of inclusion, advice and reliance lasts about half a year (docs/model.md, Position:
    # the score and the stage). Nine months with nothing new leave a top account with
    # about a third of its evidence, so a relationship left alone visibly slips.
    "half_life_days": {
        "delivery": 90,
        "openness": 120,
        "inclusion": 150,
        "advisory": 180,
        "reliance": 180,
        "commercial": 120,
        "proactive_value": 120,
        "governance": 120,
        "people": 120,
    },
    # Bad news fades as fast as routine delivery, once dealt with: a recovery is possible
    # within a few quarters (docs/model.md, Position: the score and the stage).
    "negative_half_life_days": 90,
    "interaction_half_life_days": 45,
    # The score is 100 * E / (E + scale): `scale` evidence points make 50, and the score
    # approaches 100 without reaching it, so top accounts stay apart and a fall shows at any
    # height (docs/model.md, What the model believes: the curve does not flatten at the top).
    # Scale and thresholds come from the reference relationships, a steady account showing what
    # each position shows (docs/model.md, Where the scale and thresholds come from: reference
    # relationships): the scale is the reference confidant's evidence, so it sits at the
    # middle of the scale, and each threshold lies at the geometric mean of the evidence of
    # the two references it separates (they score 13, 50, 66 and 79).
    "score_scale": 70,
    # Score needed for each stage; demotion only below the threshold minus the hysteresis.
    "stage_thresholds": {"confidant": 28, "consultant": 58, "virtual_partner": 73},
    "hysteresis": 4,
    # A stage needs its defining behaviour within a window, whatever the score (docs/model.md,
    # Position: the score and the stage).
    "gates": {
        "confidant": ["invited_to_planning", "early_notice_of_plans"],
        "consultant": ["strategy_advice_requested"],
        "virtual_partner": ["consulted_on_major_decision"],
    },
    "gate_window_days": {"confidant": 365, "consultant": 365, "virtual_partner": 365},
    # How much a negative signal costs the *score* at each stage: tolerance for mistakes grows
    # with trust, from very low at vendor to high at virtual partner (docs/model.md, Position:
    # the score and the stage). Must not rise with the stage. It never softens the warning: the
    # risk drivers read negative signals at their full weight (docs/model.md, Decline risk).
    "tolerance": {"vendor": 1.5, "confidant": 1.0, "consultant": 0.6, "virtual_partner": 0.5},
    # Decline risk: each driver alone reaches at most its weight (0-100), and drivers combine like
    # independent chances of losing the account, 100 * (1 - (1 - a)(1 - b)...), so one strong driver
    # carries the band by itself and several weak ones add up (docs/model.md, Decline risk).
    "risk_weights": {
        # Failures and bad news: reached only in the limit; see negatives_half_points.
        "negatives": 95,
        # Silence at its full ratio of usual silences: the high band.
        "silence": 70,
        # A slide of momentum_full_drop points: a relationship left alone for months, even
        # with nothing bad logged, is high risk (docs/model.md, Decline risk: evidence fading).
        "momentum": 65,
        # Relevance at 1 of 5, or down two steps within the window: the client no longer needs what
        # we offer, and trust does not save that (docs/model.md, Decline risk: the carbon-paper
        # case).
        "relevance": 65,
        # A mature account with fading relevance and no next offering is the classic case to flag
        # (docs/model.md, Decline risk): relevance down two steps at consultant or above is high by
        # itself.
        "plateau": 60,
        "perception_gap": 30,
        "single_threaded": 20,
    },
    # Signals that warn on their own (docs/model.md, Decline risk), each with the decline risk
    # (0-100) it carries alone while its window lasts. The client sending our work out to tender,
    # inviting a competitor in or leaving us out of planning it used to share is telling us where it
    # stands, however long the history: the high band at any stage. Losing the person who argued our
    # case is a medium risk, but one that lasts until the window closes, unlike a mistake that the
    # next delivery answers. Several of them combine like the drivers.
    "warning_signals": {
        "retender_or_competitive_bid": 65,
        "competitor_invited": 65,
        "excluded_from_planning": 65,
        "champion_left": 40,
    },
    # About as long as a tender or a change of supplier takes to play out.
    "warning_window_days": 180,
    # A warning ends early when the client later shows the opposite: repeat business after a
    # re-tender or a competitor (it chose us again), an invitation back into its planning.
    "warning_resolved_by": {
        "retender_or_competitive_bid": ["repeat_business"],
        "competitor_invited": ["repeat_business"],
        "excluded_from_planning": ["invited_to_planning"],
    },
    # Other negative signals: their points within the window (at full weight, before tolerance) make
    # the negatives driver reach half its weight at this many points; it rises slowly below that and
    # quickly above. One delivery miss is a medium risk; two misses, or a miss and an escalation, in
    # a quarter are high (docs/model.md, Decline risk: repeated delivery failures in a short time).
    "negatives_half_points": 12,
    "negatives_window_days": 90,
    # Silence is measured against the account's own rhythm of contact (docs/model.md, Decline risk),
    # its usual silence (scoring/engine/windows.py): it reaches the silence weight at this many
    # usual silences, and each further one adds as much again of the risk that is left. The closer
    # the relationship, the sooner a silence says something: three at consultant and virtual partner
    # (docs/model.md, Decline risk: a top account falling silent for several of its cycles); a
    # vendor's client may simply have had nothing to order. The stage is the highest held in the
    # last year. Must not rise with the stage.
    "silence_full_ratio": {
        "vendor": 5.0,
        "confidant": 4.0,
        "consultant": 3.0,
        "virtual_partner": 3.0,
    },
    "rhythm_window_days": 365,
    # Momentum compares the positive evidence's score with its best of this many weeks, and is
    # at full weight this many points below it (beyond the few points a steady account wobbles
    # by). Half a year with nothing new costs a consultant about this much.
    "momentum_weeks": 52,
    "momentum_full_drop": 25,
    # Single-threaded: only one contact engaged within this window (docs/model.md, Decline risk).
    "contact_window_days": 120,
    # Relevance falling from its peak within this window is "fading relevance" (docs/model.md,
    # Decline risk).
    "relevance_window_days": 365,
    # How long a client-perceived stage stays current.
    "perception_window_days": 365,
    # Risk bands on the 0-100 scale.
    "risk_bands": {"medium": 30, "high": 60},
}


# One line per parameter, for the people who tune them (the tuning page shows these).
MEANINGS: dict[str, str] = {
    "signal_weights": "Evidence points one observation of the signal adds; its type says the sign.",
    "default_signal_weight": "Points for a signal type that has no weight of its own yet.",
    "interaction_weights": "Points one contact of this kind adds; richer formats build more.",
    "client_initiated_multiplier": "How much more a contact counts when the client asked for it.",
    "half_life_days": "Days for evidence of this family to lose half its weight.",
    "negative_half_life_days": "Days for negative evidence to lose half its weight.",
    "interaction_half_life_days": "Days for the weight of contact itself to halve.",
    "score_scale": "Evidence points making a score of 50; the score nears 100, never gets there.",
    "stage_thresholds": "Score each stage needs; they must rise with the stage.",
    "hysteresis": "Points below a threshold before an account drops back a stage.",
    "gates": "Signals, one of which a stage needs within its window, whatever the score.",
    "gate_window_days": "How recent a stage's defining signal must be, in days.",
    "tolerance": "What a negative signal costs the score at each stage; falls with trust.",
    "risk_weights": "Decline risk (0-100) each driver reaches alone at full strength.",
    "warning_signals": "Signals that warn on their own, with the risk (0-100) each carries alone.",
    "warning_window_days": "How long such a signal keeps warning, in days.",
    "warning_resolved_by": "Positive signals that end a warning when the client shows them later.",
    "negatives_half_points": "Recent negative points at which that driver reaches half its weight.",
    "negatives_window_days": "How far back a negative signal counts as recent, in days.",
    "silence_full_ratio": "Usual silences at which silence reaches its weight; fewer with trust.",
    "rhythm_window_days": "Days over which the usual rhythm of contact is measured.",
    "momentum_weeks": "Weeks over which the best score of the positive evidence is remembered.",
    "momentum_full_drop": "Points below that best that count as full momentum risk.",
    "contact_window_days": "Window in which one engaged contact means single-threaded, in days.",
    "relevance_window_days": "Window in which falling relevance is measured from its peak.",
    "perception_window_days": "How long a client-perceived stage stays current, in days.",
    "risk_bands": "Risk from which an account counts as medium, and as high.",
}


def flatten(params: Mapping[str, Any]) -> dict[str, Any]:
    """{dotted path: value} for every leaf (a gate's list of slugs is one leaf)."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            for inner, leaf in value.items():
                flat[f"{key}.{inner}"] = leaf
        else:
            flat[key] = value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of `flatten`."""
    params: dict[str, Any] = {}
    for path, value in flat.items():
        key, _, inner = path.partition(".")
        if inner:
            params.setdefault(key, {})[inner] = value
        else:
            params[key] = value
    return params


class ProfileError(ValueError):
    """A profile that cannot be used; `errors` maps each bad field to a readable message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))

    def __reduce__(self) -> tuple[type[ProfileError], tuple[dict[str, str]]]:
        # Raised in a forked scoring process, it reaches its parent whole.
        return type(self), (self.errors,)


@dataclass(frozen=True)
class Profile:
    """A validated set of parameters. Build with `Profile.from_dict` (or `Profile.default()`)."""

    params: Mapping[str, Any]

    @classmethod
    def default(cls) -> Profile:
        return cls.from_dict(DEFAULTS)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        params = copy.deepcopy(dict(data))
        errors = validate(params)
        if errors:
            raise ProfileError(errors)
        return cls(params)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def signal_weight(self, slug: str) -> float:
        return float(self.params["signal_weights"].get(slug, self.params["default_signal_weight"]))

    def threshold(self, stage: Stage) -> float:
        return 0.0 if stage is Stage.VENDOR else float(self.params["stage_thresholds"][stage.value])

    def risk_band(self, risk: float) -> str:
        bands = self.params["risk_bands"]
        if risk >= bands["high"]:
            return "high"
        return "medium" if risk >= bands["medium"] else "low"


def _number(
    errors: dict[str, str], params: Mapping[str, Any], path: str, lo: float, hi: float
) -> float | None:
    """Check one number at `path` (dotted) lies in [lo, hi]; record a message if not. The
    number when it does, else None."""
    value: Any = params
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            errors[path] = "Missing."
            return None
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        errors[path] = f"Must be a number, not {value!r}."
        return None
    if not lo <= value <= hi:
        errors[path] = f"Must be between {lo:g} and {hi:g}; {value:g} is out of range."
        return None
    number: float = value  # an int stays an int, as the profile gave it
    return number


def _numbers(
    errors: dict[str, str], params: Mapping[str, Any], paths: list[str], lo: float, hi: float
) -> list[float] | None:
    """`_number` for each of `paths`; the numbers when all of them are good, else None."""
    values = [_number(errors, params, path, lo, hi) for path in paths]
    good = [value for value in values if value is not None]
    return good if len(good) == len(values) else None


def _by_stage(
    errors: dict[str, str],
    params: Mapping[str, Any],
    key: str,
    *,
    lo: float = 0,
    hi: float,
    falling: bool,
    reason: str,
) -> None:
    """Check a number per stage in [lo, hi] that never rises (`falling`) or never falls as
    the stage rises; `reason` starts the message for the stage that breaks the order."""
    stages = sorted(Stage)
    values = _numbers(errors, params, [f"{key}.{stage.value}" for stage in stages], lo, hi)
    if values is None:
        return
    for index in range(1, len(stages)):
        now, before = values[index], values[index - 1]
        if (now > before) if falling else (now < before):
            errors[f"{key}.{stages[index].value}"] = (
                f"{reason} at {stages[index].label.lower()} ({now:g}) than at "
                f"{stages[index - 1].label.lower()} ({before:g})."
            )


def validate(params: Mapping[str, Any]) -> dict[str, str]:
    """Every problem with a profile, as {dotted field: message}; empty when it is usable."""
    errors: dict[str, str] = {}
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        errors["profile"] = f"Unknown parameters: {', '.join(unknown)}."
    _validate_evidence(errors, params)
    _validate_stages(errors, params)
    _validate_warnings(errors, params)
    _validate_drivers(errors, params)
    return errors


def _validate_evidence(errors: dict[str, str], params: Mapping[str, Any]) -> None:
    """What evidence weighs, how fast it fades, and the scale of the score."""
    for slug in params.get("signal_weights", {}) or {}:
        _number(errors, params, f"signal_weights.{slug}", 0, 50)
    if not isinstance(params.get("signal_weights"), Mapping):
        errors["signal_weights"] = "Must map signal slugs to weights."
    _number(errors, params, "default_signal_weight", 0, 50)
    for kind in INTERACTION_KINDS:
        _number(errors, params, f"interaction_weights.{kind}", 0, 10)
    _number(errors, params, "client_initiated_multiplier", 1, 5)
    for category in CATEGORIES:
        _number(errors, params, f"half_life_days.{category}", 7, 3650)
    _number(errors, params, "negative_half_life_days", 7, 3650)
    _number(errors, params, "interaction_half_life_days", 7, 3650)
    _number(errors, params, "score_scale", 1, 1000)


def _validate_stages(errors: dict[str, str], params: Mapping[str, Any]) -> None:
    """Thresholds rising with the stage, the hysteresis below the first, the gates, and the
    tolerance for mistakes falling as trust grows."""
    paths = [f"stage_thresholds.{stage}" for stage in GATED_STAGES]
    thresholds = _numbers(errors, params, paths, 1, 99)
    if thresholds is not None:
        for index in range(1, len(GATED_STAGES)):
            lower, upper = GATED_STAGES[index - 1], GATED_STAGES[index]
            if thresholds[index] <= thresholds[index - 1]:
                errors[f"stage_thresholds.{upper}"] = (
                    f"Thresholds must rise with the stage: {upper} ({thresholds[index]:g}) "
                    f"must be above {lower} ({thresholds[index - 1]:g})."
                )
    hysteresis = _number(errors, params, "hysteresis", 0, 20)
    if hysteresis is not None and thresholds is not None and hysteresis >= thresholds[0]:
        errors["hysteresis"] = "Must be smaller than the confidant threshold."
    gates = params.get("gates")
    if not isinstance(gates, Mapping):
        errors["gates"] = "Must name the defining signals of each stage."
    else:
        for stage in GATED_STAGES:
            slugs = gates.get(stage)
            if not isinstance(slugs, list) or not all(isinstance(s, str) and s for s in slugs):
                errors[f"gates.{stage}"] = "Must be a list of signal slugs (may be empty)."
    for stage in GATED_STAGES:
        _number(errors, params, f"gate_window_days.{stage}", 7, 3650)
    _by_stage(
        errors,
        params,
        "tolerance",
        hi=5,
        falling=True,
        reason="Tolerance grows with trust, so a mistake may not cost more",
    )


def _validate_warnings(errors: dict[str, str], params: Mapping[str, Any]) -> None:
    """The drivers' weights, and the signals that warn on their own: their risk, how long
    they warn, and what answers them."""
    for driver in WEIGHTED_DRIVERS:
        _number(errors, params, f"risk_weights.{driver}", 0, 100)
    if isinstance(params.get("warning_signals"), Mapping):
        for slug in params["warning_signals"]:
            _number(errors, params, f"warning_signals.{slug}", 0, 100)
    else:
        errors["warning_signals"] = "Must map signal slugs to the risk each carries."
    _number(errors, params, "warning_window_days", 7, 3650)
    resolved = params.get("warning_resolved_by")
    if not isinstance(resolved, Mapping):
        errors["warning_resolved_by"] = "Must map warning signals to the signals that end them."
    else:
        for slug, resolvers in resolved.items():
            if not isinstance(resolvers, list) or not all(
                isinstance(r, str) and r for r in resolvers
            ):
                errors[f"warning_resolved_by.{slug}"] = (
                    "Must be a list of signal slugs (may be empty)."
                )


def _validate_drivers(errors: dict[str, str], params: Mapping[str, Any]) -> None:
    """The scales and windows of the other drivers, and the risk bands."""
    _number(errors, params, "negatives_half_points", 1, 500)
    _by_stage(
        errors,
        params,
        "silence_full_ratio",
        lo=1.1,
        hi=20,
        falling=True,
        reason="Silence says more the closer the relationship, so it may not take longer",
    )
    _number(errors, params, "rhythm_window_days", 30, 3650)
    momentum_weeks = _number(errors, params, "momentum_weeks", 1, 104)
    if momentum_weeks is not None and momentum_weeks != int(momentum_weeks):
        errors["momentum_weeks"] = f"Must be a whole number of weeks, not {momentum_weeks:g}."
    _number(errors, params, "momentum_full_drop", 6, 100)
    _number(errors, params, "negatives_window_days", 7, 3650)
    _number(errors, params, "contact_window_days", 7, 3650)
    _number(errors, params, "relevance_window_days", 7, 3650)
    _number(errors, params, "perception_window_days", 7, 3650)
    medium = _number(errors, params, "risk_bands.medium", 1, 99)
    high = _number(errors, params, "risk_bands.high", 1, 99)
    if medium is not None and high is not None and high <= medium:
        errors["risk_bands.high"] = (
            f"The high band ({high:g}) must start above medium ({medium:g})."
        )
