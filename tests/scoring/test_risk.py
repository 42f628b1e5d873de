"""What the decline risk promises (docs/model.md, Decline risk), in the engine alone: no database.

Decisive warnings carry the high band alone, repeated failures warn even at the top, silence
at the top is dangerous and visible in the score, the score stays readable near the top, and
drivers combine so one strong driver carries the band while weak ones add up. Last, the
engine is held to the decline stories of tests/scoring/decline_stories.py.
"""

import datetime

import pytest
from hypothesis import given, settings

from scoring.engine import DEFAULTS, Profile, Stage, score_timeline
from scoring.engine.risk import combine
from tests.scoring.decline_stories import LOSSES, ROUGH_PATCHES, tell
from tests.scoring.evidence import assessment, day, evidence, meeting, monthly_meetings, signal
from tests.scoring.references import reference
from tests.scoring.test_curve import AS_OF, histories, tuned

DEFAULT = Profile.default()
HIGH = DEFAULT["risk_bands"]["high"]
MEDIUM = DEFAULT["risk_bands"]["medium"]
WARNINGS = ("retender_or_competitive_bid", "competitor_invited", "excluded_from_planning")


def standing(events, *, on: int, profile: Profile = DEFAULT):
    return score_timeline(evidence(*events), profile, as_of=day(on))[-1]


def drivers(point) -> dict:
    return {driver.key: driver for driver in point.risk_drivers}


def contact_days(events) -> list[int]:
    """Days in touch: interactions, and the days positive signals were seen."""
    return sorted(
        {(e.occurred_on - day(0)).days for e in events if hasattr(e, "kind")}
        | {(e.observed_on - day(0)).days for e in events if getattr(e, "polarity", 0) > 0}
    )


# 1. A decisive warning is enough --------------------------------------------------------


@pytest.mark.parametrize("slug", WARNINGS)
@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("years", [2, 6])
def test_a_decisive_warning_alone_puts_any_account_in_the_high_band(slug, stage, years):
    last = 365 * years
    # Business as usual goes on afterwards, short of the client answering the warning.
    answers = DEFAULTS["warning_resolved_by"].get(slug, [])
    history = [
        e
        for e in reference(stage, last=last + 150)
        if not (getattr(e, "slug", "") in answers and e.observed_on > day(last))
    ]
    before = standing(history, on=last)
    assert before.stage is stage
    assert before.decline_risk < MEDIUM
    warned = standing([*history, signal(slug, last + 3)], on=last + 7)
    assert warned.decline_risk >= HIGH
    top = warned.risk_drivers[0]
    assert top.key == "warnings"
    assert top.detail == f"{slug.replace('_', ' ')} this week"
    # It keeps warning while a tender or a switch of supplier plays out.
    later = standing([*history, signal(slug, last + 3)], on=last + 150)
    assert later.decline_risk >= HIGH
    assert drivers(later)["warnings"].detail == f"{slug.replace('_', ' ')} 21 weeks ago"


def test_two_warnings_are_worse_than_one_and_a_repeated_one_counts_once():
    history = reference(Stage.CONSULTANT, last=800)
    one = standing([*history, signal("retender_or_competitive_bid", 740)], on=760)
    twice = standing(
        [
            *history,
            signal("retender_or_competitive_bid", 740),
            signal("retender_or_competitive_bid", 745),
        ],
        on=760,
    )
    two = standing(
        [*history, signal("retender_or_competitive_bid", 740), signal("competitor_invited", 750)],
        on=760,
    )
    assert twice.decline_risk == pytest.approx(one.decline_risk)
    assert drivers(twice)["warnings"].detail == "retender or competitive bid 2 weeks ago"
    assert two.decline_risk > one.decline_risk + 10
    assert drivers(two)["warnings"].detail == (
        "competitor invited 1 week ago; retender or competitive bid 2 weeks ago"
    )


@pytest.mark.parametrize(
    ("warning", "answer"),
    [
        ("retender_or_competitive_bid", "repeat_business"),
        ("competitor_invited", "repeat_business"),
        ("excluded_from_planning", "invited_to_planning"),
    ],
)
def test_a_warning_ends_when_the_client_later_shows_the_opposite(warning, answer):
    meetings = [meeting(d, 1, 2) for d in range(730, 900, 14)]
    history = [*reference(Stage.CONSULTANT, last=729), *meetings, signal(warning, 740)]
    assert standing(history, on=800).decline_risk >= HIGH
    answered = standing([*history, signal(answer, 780)], on=800)
    assert "warnings" not in drivers(answered)
    # Shown the same day, it answers nothing: which came first is not known.
    same_day = standing([*history, signal(answer, 740)], on=800)
    assert same_day.decline_risk >= HIGH


def test_a_signal_that_weighs_nothing_in_the_score_still_warns():
    history = [*reference(Stage.CONFIDANT), signal("competitor_invited", 720)]
    unweighted = tuned(signal_weights__competitor_invited=0)
    point = standing(history, on=725, profile=unweighted)
    assert point.score == pytest.approx(standing(reference(Stage.CONFIDANT), on=725).score)
    assert point.decline_risk >= HIGH


def test_a_warning_with_no_weight_of_its_own_does_not_warn():
    history = [*reference(Stage.CONFIDANT), signal("competitor_invited", 720)]
    assert standing(history, on=725).decline_risk >= HIGH
    muted = tuned(warning_signals__competitor_invited=0)
    point = standing(history, on=725, profile=muted)
    assert "warnings" not in drivers(point)
    assert point.decline_risk < HIGH


# 2. Repeated failures warn, whatever the stage -------------------------------------------


@pytest.mark.parametrize("stage", list(Stage))
def test_one_mistake_is_a_medium_risk_and_repeated_failures_within_a_quarter_are_high(stage):
    history = reference(stage, last=900)
    one = standing([*history, signal("delivery_miss", 740)], on=745)
    assert MEDIUM <= one.decline_risk < HIGH
    failures = [
        signal("delivery_miss", 740),
        signal("escalation", 755),
        signal("delivery_miss", 790),
        signal("delivery_miss", 810),
    ]
    repeated = standing([*history, *failures[:2]], on=760)
    assert repeated.decline_risk >= HIGH
    assert drivers(repeated)["negatives"].detail == (
        "delivery miss, escalation in the last 90 days"
    )
    assert standing([*history, *failures], on=815).decline_risk >= HIGH


def test_tolerance_softens_what_a_mistake_costs_the_score_never_the_warning():
    failures = [signal("delivery_miss", 740), signal("delivery_miss", 760)]
    costs, risks = {}, {}
    for stage in (Stage.CONFIDANT, Stage.VIRTUAL_PARTNER):
        history = reference(stage, last=900)
        calm = standing(history, on=765)
        hit = standing([*history, *failures], on=765)
        costs[stage] = calm.score - hit.score
        risks[stage] = drivers(hit)["negatives"].points
        assert hit.decline_risk >= HIGH
    assert costs[Stage.VIRTUAL_PARTNER] < costs[Stage.CONFIDANT]
    # The warning reads the failures at full weight at every stage.
    assert risks[Stage.VIRTUAL_PARTNER] == pytest.approx(risks[Stage.CONFIDANT], abs=3)


# 3. Silence at the top -------------------------------------------------------------------


def _usual_gap(events, last: int) -> float:
    """The usual length of a silence, as docs/model.md defines it: the gap a random day of the
    last year falls in."""
    days = [d for d in contact_days(events) if last - d < DEFAULT["rhythm_window_days"]]
    gaps = [b - a for a, b in zip(days, days[1:], strict=False)]
    return sum(g * g for g in gaps) / sum(gaps)


@pytest.mark.parametrize("stage", [Stage.CONSULTANT, Stage.VIRTUAL_PARTNER])
def test_three_usual_gaps_of_silence_put_a_top_account_in_the_high_band(stage):
    history = reference(stage, last=730)
    last_contact = contact_days(history)[-1]
    usual = _usual_gap(history, last_contact)
    short = standing(history, on=last_contact + round(1.5 * usual))
    assert short.decline_risk < HIGH
    silent = standing(history, on=last_contact + round(3 * usual) + 1)
    assert silent.decline_risk >= HIGH
    detail = drivers(silent)["silence"].detail
    assert detail.startswith(f"no contact for {round(3 * usual) + 1} days; usually every ")
    assert abs(int(detail.rsplit(" ", 1)[1]) - usual) <= 1


def test_a_silent_vendor_warns_later_than_a_silent_partner():
    vendor, partner = reference(Stage.VENDOR), reference(Stage.VIRTUAL_PARTNER)
    gaps = {}
    for name, history in (("vendor", vendor), ("partner", partner)):
        last_contact = contact_days(history)[-1]
        usual = _usual_gap(history, last_contact)
        gaps[name] = next(
            n
            for n in range(2, 30)
            if standing(history, on=last_contact + round(n * usual)).decline_risk >= HIGH
        )
    assert gaps["partner"] == 3
    assert gaps["vendor"] > gaps["partner"]


def test_a_monthly_review_with_quick_follow_ups_is_a_monthly_rhythm_not_a_silence():
    """The usual gap is the one a random day falls in: three contacts in three days every
    month make a month, not ten days, so the weeks between reviews are no silence."""
    history = [
        *reference(Stage.CONSULTANT, last=700),
        *[meeting(d + k, 1, 2) for d in range(0, 700, 30) for k in (0, 1, 2)],
    ]
    history = [e for e in history if not hasattr(e, "kind") or e.kind != "meeting"]
    history += [meeting(d + k, 1, 2) for d in range(0, 730, 30) for k in (0, 1, 2)]
    for on in range(700, 760):
        assert "silence" not in drivers(standing(history, on=on)) or (
            standing(history, on=on).decline_risk < HIGH
        )


def test_a_young_accounts_rhythm_is_not_trusted_on_two_contacts():
    history = [meeting(0, 1), meeting(1, 1), signal("delivered_as_promised", 1)]
    point = standing(history, on=56)
    assert drivers(point)["silence"].detail == "no contact for 55 days; usually every 30"
    assert point.decline_risk < HIGH


def test_a_top_account_slipping_a_stage_while_silent_stays_in_the_high_band():
    history = reference(Stage.CONSULTANT, last=730)
    last_contact = contact_days(history)[-1]
    usual = _usual_gap(history, last_contact)
    weeks = [standing(history, on=last_contact + round(3 * usual) + 7 * n) for n in range(1, 30)]
    assert any(point.stage < Stage.CONSULTANT for point in weeks)  # it does slip
    assert all(point.decline_risk >= HIGH for point in weeks)
    risks = [point.decline_risk for point in weeks]
    assert risks == sorted(risks)  # and a longer silence never looks safer


def test_trust_signals_are_contact_too_so_silence_counts_without_logged_meetings():
    signals_only = [signal("delivered_as_promised", d) for d in range(0, 400, 14)]
    signals_only += [signal("invited_to_planning", d) for d in range(0, 400, 60)]
    point = standing(signals_only, on=392 + 150)
    assert drivers(point)["silence"].detail.startswith("no contact for 150 days")
    assert point.decline_risk >= HIGH


def test_a_relevance_reading_older_than_its_window_no_longer_counts():
    history = [*reference(Stage.CONSULTANT, last=1100), assessment(0, 1)]
    assert "relevance" in drivers(standing(history, on=300))
    assert "relevance" not in drivers(standing(history, on=1100))


@pytest.mark.parametrize("stage", [Stage.CONSULTANT, Stage.VIRTUAL_PARTNER])
def test_months_of_silence_visibly_lower_a_top_accounts_score(stage):
    history = reference(stage, last=730)
    at_last = standing(history, on=730)
    after_three = standing(history, on=730 + 91)
    after_nine = standing(history, on=730 + 274)
    assert at_last.score - after_three.score > 6
    assert at_last.score - after_nine.score > 25
    assert after_nine.stage < stage


# 4. Readable position --------------------------------------------------------------------


def test_two_top_accounts_with_different_recent_evidence_show_different_scores():
    steady = reference(Stage.VIRTUAL_PARTNER, last=730)
    busier = [*steady, *reference(Stage.VIRTUAL_PARTNER, first=640, last=730)]
    # The same partner whose client showed nothing in the last quarter but kept meeting us.
    quieter = [e for e in steady if not (hasattr(e, "slug") and e.observed_on > day(640))]
    scores = [standing(events, on=730).score for events in (quieter, steady, busier)]
    assert scores[0] + 4 < scores[1] < scores[2] - 4
    assert scores[2] < 95  # even twice the evidence of a steady partner leaves room above


def test_doubling_the_evidence_of_any_account_moves_its_score():
    for stage in Stage:
        steady = reference(stage)
        doubled = [*steady, *reference(stage)]
        assert standing(doubled, on=730).score > standing(steady, on=730).score + 5


def test_a_decline_shows_as_a_drop_and_momentum_fires():
    history = reference(Stage.VIRTUAL_PARTNER, last=730)
    # Contact goes on for a quarter, but the client shows none of what it used to.
    contact_only = [meeting(d, 1, 2) for d in range(744, 730 + 91, 14)]
    before = standing(history, on=730)
    after = standing([*history, *contact_only], on=730 + 91)
    assert before.score - after.score > 6
    momentum = drivers(after)["momentum"]
    assert momentum.detail.endswith("points below its best of the last 52 weeks")
    assert momentum.points > 10


# 5. Drivers combine ----------------------------------------------------------------------


def test_one_strong_driver_carries_the_band_and_weak_ones_add_up():
    risk, parts = combine([("warnings", 65, "a"), ("single_threaded", 0.0, "b")])
    assert risk == pytest.approx(65)
    assert [p.key for p in parts] == ["warnings"]
    # Three weak drivers, none of them even medium on its own, make a medium risk together;
    # two medium ones make a high one.
    weak, _ = combine([("a", 20, ""), ("b", 20, ""), ("c", 20, "")])
    assert MEDIUM < weak < HIGH
    strong, parts = combine([("a", 40, ""), ("b", 40, "")])
    assert strong == pytest.approx(64)
    assert sum(p.points for p in parts) == pytest.approx(strong)
    assert combine([("a", 100, ""), ("b", 100, "")])[0] <= 100


@given(histories)
@settings(max_examples=60)
def test_risk_stays_within_0_to_100_and_its_drivers_add_up_to_it(history):
    for point in score_timeline(history, DEFAULT, as_of=AS_OF):
        assert 0 <= point.decline_risk <= 100
        assert sum(d.points for d in point.risk_drivers) == pytest.approx(point.decline_risk)
        points = [d.points for d in point.risk_drivers]
        assert points == sorted(points, reverse=True)


# 6. Each driver on its own ---------------------------------------------------------------

HEALTHY = [
    *monthly_meetings(0, 400, 1, 2, 3),
    *[signal("delivered_as_promised", n) for n in range(0, 400, 30)],
    assessment(0, 4),
]


def test_a_healthy_account_has_little_decline_risk():
    point = standing(HEALTHY, on=400)
    assert point.decline_risk < MEDIUM
    assert not {"silence", "single_threaded", "warnings", "negatives"} & set(drivers(point))


def test_silence_counts_against_the_accounts_own_rhythm():
    monthly = [*monthly_meetings(0, 300, 1, 2, 3), assessment(0, 4)]
    point = standing(monthly, on=300 + 75)
    assert drivers(point)["silence"].detail == "no contact for 75 days; usually every 30"
    # The same 75 days mean nothing for an account met only every quarter.
    quarterly = [*[meeting(n, 1 + n % 3) for n in range(0, 301, 90)], assessment(0, 4)]
    assert "silence" not in drivers(standing(quarterly, on=270 + 75))


def test_falling_business_relevance_raises_risk_and_at_one_of_five_is_high():
    calm = standing(HEALTHY, on=400)
    falling = standing([*HEALTHY, assessment(300, 2)], on=400)
    assert drivers(falling)["relevance"].detail == "business relevance 2 of 5, down 2"
    assert falling.decline_risk >= HIGH > MEDIUM > calm.decline_risk
    # A dip from 5 to 4 is ordinary; 3 with no fall is no risk by itself.
    dip = standing([*HEALTHY[:-1], assessment(0, 5), assessment(300, 4)], on=400)
    assert "relevance" not in drivers(dip)
    assert "relevance" not in drivers(standing([*HEALTHY[:-1], assessment(0, 3)], on=400))


def test_a_plateau_at_consultant_with_fading_relevance_is_flagged():
    mature = [*reference(Stage.CONSULTANT, last=400), assessment(0, 4)]
    point = standing([*mature, assessment(300, 3)], on=400)
    assert point.stage is Stage.CONSULTANT
    assert drivers(point)["plateau"].detail == (
        "consultant this year, relevance fading: time for the next offering"
    )
    # The same fall at vendor is fading relevance, but not a plateau.
    vendor = [*reference(Stage.VENDOR, last=400), assessment(0, 4), assessment(300, 3)]
    point = standing(vendor, on=400)
    assert point.stage is Stage.VENDOR
    assert "plateau" not in drivers(point)


def test_a_gap_between_the_clients_view_and_the_evidence_raises_risk():
    point = standing([*HEALTHY, assessment(350, 4, Stage.VIRTUAL_PARTNER)], on=400)
    assert drivers(point)["perception_gap"].detail == (
        "client sees virtual partner, evidence says vendor"
    )
    same = standing([*HEALTHY, assessment(350, 4, Stage.VENDOR)], on=400)
    assert "perception_gap" not in drivers(same)


def test_single_threaded_contact_raises_risk():
    point = standing([*monthly_meetings(0, 400, 7), assessment(0, 4)], on=400)
    assert drivers(point)["single_threaded"].detail == "only 1 contact engaged in 120 days"


@pytest.mark.parametrize(
    ("driver", "history", "weight"),
    [
        ("silence", [*monthly_meetings(0, 300, 1, 2, 3), assessment(0, 4)], "risk_weights"),
        ("relevance", [*HEALTHY, assessment(300, 2)], "risk_weights"),
        ("negatives", [*HEALTHY, signal("escalation", 390)], "risk_weights"),
        ("perception_gap", [*HEALTHY, assessment(350, 4, Stage.CONSULTANT)], "risk_weights"),
        ("single_threaded", [*monthly_meetings(0, 400, 7)], "risk_weights"),
        ("warnings", [*HEALTHY, signal("competitor_invited", 380)], "warning_signals"),
    ],
)
def test_each_risk_driver_is_tunable(driver, history, weight):
    key = "competitor_invited" if driver == "warnings" else driver
    base = standing(history, on=400)
    assert drivers(base)[driver].points > 0
    silenced = standing(history, on=400, profile=tuned(**{f"{weight}__{key}": 0}))
    assert driver not in drivers(silenced)
    halved = tuned(**{f"{weight}__{key}": DEFAULTS[weight][key] / 2})
    assert standing(history, on=400, profile=halved).decline_risk < base.decline_risk


# 7. The decline stories of docs/model.md -----------------------------------------------------

DRAWINGS = 5  # of each story at each stage


def _warned_weeks_ahead(story) -> int | None:
    timeline = score_timeline(story.evidence, DEFAULT, as_of=story.as_of)
    since = story.lost_on - datetime.timedelta(weeks=52)
    for point in timeline:
        if since < point.week_ending and point.decline_risk >= HIGH:
            return max(0, (story.lost_on - point.week_ending).days // 7)
    return None


def _flagged_in_the_last_year(story) -> bool:
    timeline = score_timeline(story.evidence, DEFAULT, as_of=story.as_of)
    since = story.as_of - datetime.timedelta(weeks=52)
    return any(p.week_ending > since and p.decline_risk >= HIGH for p in timeline)


def test_losses_of_every_decline_story_are_warned_at_least_eight_weeks_ahead():
    warned = {}
    for name in LOSSES:
        stories = [tell(name, stage, seed) for stage in Stage for seed in range(DRAWINGS)]
        warned[name] = sum((_warned_weeks_ahead(s) or 0) >= 8 for s in stories) / len(stories)
    assert sum(warned.values()) / len(warned) >= 0.85, warned
    assert min(warned.values()) >= 0.6, warned
    assert warned["retender"] == warned["delivery_failures"] == 1.0, warned


def test_steady_accounts_are_never_flagged_and_rough_patches_seldom():
    flagged = {}
    for name in ROUGH_PATCHES:
        stories = [tell(name, stage, seed) for stage in Stage for seed in range(DRAWINGS)]
        flagged[name] = sum(_flagged_in_the_last_year(s) for s in stories) / len(stories)
    assert flagged["steady"] == 0, flagged
    assert sum(flagged.values()) / len(flagged) <= 0.12, flagged
