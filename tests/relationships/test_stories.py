"""The demo story generator, without a database."""

import datetime

from relationships.demo.stories import LOST_STORIES, NEGATIVE_SLUGS, STORIES, build_portfolio

AS_OF = datetime.date(2026, 11, 22)


def _build(**overrides):
    options = {"accounts": 40, "years": 3, "seed": 5, "as_of": AS_OF} | overrides
    return build_portfolio(**options)


def _slugs(account):
    return [slug for i in account.interactions for slug in i.signal_slugs]


def test_the_same_seed_gives_the_same_portfolio():
    assert _build() == _build()


def test_another_seed_gives_another_portfolio():
    assert _build(seed=5) != _build(seed=6)


def test_even_a_small_portfolio_tells_every_story():
    portfolio = _build(accounts=len(STORIES))
    assert sorted(a.story for a in portfolio.accounts) == sorted(STORIES)


def test_history_stays_inside_the_window():
    portfolio = _build(years=2)
    earliest = AS_OF - datetime.timedelta(days=2 * 365)
    dates = [i.occurred_on for a in portfolio.accounts for i in a.interactions]
    assert min(dates) >= earliest
    assert max(dates) <= AS_OF


def test_the_anchor_carries_a_large_share_of_revenue():
    portfolio = _build()
    total = sum(a.annual_revenue for a in portfolio.accounts)
    anchor = next(a for a in portfolio.accounts if a.story == "anchor")
    assert anchor.annual_revenue == max(a.annual_revenue for a in portfolio.accounts)
    assert anchor.annual_revenue / total > 0.25


def test_transactional_accounts_never_show_partner_evidence():
    portfolio = _build()
    deep = {"strategy_advice_requested", "consulted_on_major_decision", "invited_to_planning"}
    for account in portfolio.accounts:
        if account.story == "transactional":
            assert not deep & set(_slugs(account)), account.name


def test_climbers_earn_the_evidence_of_a_virtual_partner():
    portfolio = _build()
    climbers = [a for a in portfolio.accounts if a.story == "climber"]
    assert climbers
    for account in climbers:
        last_year = [
            slug
            for i in account.interactions
            if i.occurred_on > AS_OF - datetime.timedelta(days=365)
            for slug in i.signal_slugs
        ]
        assert "consulted_on_major_decision" in last_year, account.name


def test_about_one_account_in_seven_is_lost_each_after_its_own_decline_story():
    portfolio = _build(accounts=60)
    lost = [a for a in portfolio.accounts if a.lost_on is not None]
    assert len(lost) >= 8 and abs(len(lost) / 60 - 1 / 7) < 0.03
    assert {a.story for a in lost} == set(LOST_STORIES)
    for account in lost:
        assert account.lost_note
        assert max(i.occurred_on for i in account.interactions) <= account.lost_on
    # Some kept accounts go through a rough patch and recover.
    kept = {a.story for a in portfolio.accounts if a.lost_on is None}
    assert {"recovery", "retender_won", "champion_replaced", "quiet_spell"} <= kept


def _final_months(account, days=270):
    return [
        slug
        for i in account.interactions
        if i.occurred_on > account.lost_on - datetime.timedelta(days=days)
        for slug in i.signal_slugs
    ]


def _story(name, accounts=60):
    return [a for a in _build(accounts=accounts).accounts if a.story == name]


def test_each_decline_story_shows_its_own_trouble_before_the_loss():
    for account in _story("lost_retender"):
        assert {"retender_or_competitive_bid", "competitor_invited"} <= set(_final_months(account))
    for account in _story("lost_delivery"):
        assert _final_months(account).count("delivery_miss") >= 3
    for account in _story("lost_price"):
        assert _final_months(account).count("price_pressure") >= 4
    for account in _story("lost_champion"):
        assert "champion_left" in _final_months(account)
    for account in _story("lost_relevance"):
        assert account.assessments[-1].relevance <= 2 < account.assessments[0].relevance
    for account in _story("lost_silence"):
        last_met = max(i.occurred_on for i in account.interactions)
        gaps = [
            (b.occurred_on - a.occurred_on).days
            for a, b in zip(account.interactions, account.interactions[1:], strict=False)
        ]
        assert (account.lost_on - last_met).days > 60 or max(gaps) > 60


def test_the_fading_consultant_loses_relevance_and_contact():
    account = next(a for a in _build().accounts if a.story == "plateau_fading")
    assert account.assessments[0].relevance == 5
    assert account.assessments[-1].relevance <= 2
    half = len(account.interactions) // 2
    gaps = [
        (b.occurred_on - a.occurred_on).days
        for a, b in zip(account.interactions, account.interactions[1:], strict=False)
    ]
    assert sum(gaps[half:]) / len(gaps[half:]) > sum(gaps[:half]) / len(gaps[:half])


def test_the_champion_leaves_and_is_not_met_afterwards():
    account = next(a for a in _build().accounts if a.story == "lost_champion")
    champion = next(c for c in account.contacts if c.is_champion)
    assert champion.left_on is not None
    assert "champion_left" in _slugs(account)
    after = [i for i in account.interactions if i.occurred_on >= champion.left_on]
    assert after and all(champion.key not in i.participant_keys for i in after)


def test_the_recovery_follows_a_delivery_miss_with_positive_evidence():
    account = next(a for a in _build().accounts if a.story == "recovery")
    slugs = _slugs(account)
    miss = slugs.index("delivery_miss")
    assert "issue_resolved_jointly" in slugs[miss:]


def test_the_retender_that_was_won_is_followed_by_repeat_business():
    account = next(a for a in _build().accounts if a.story == "retender_won")
    slugs = _slugs(account)
    assert "repeat_business" in slugs[slugs.index("retender_or_competitive_bid") :]
    assert account.lost_on is None


def test_a_champion_who_leaves_can_be_replaced():
    account = next(a for a in _build().accounts if a.story == "champion_replaced")
    gone, successor = account.contacts[0], account.contacts[-1]
    assert gone.left_on is not None and successor.is_champion and successor.joined_on
    met = [i.occurred_on for i in account.interactions if successor.key in i.participant_keys]
    assert met and min(met) >= successor.joined_on


def test_negative_signals_come_with_low_sentiment_when_recorded():
    portfolio = _build()
    moods = [
        i.sentiment
        for a in portfolio.accounts
        for i in a.interactions
        if NEGATIVE_SLUGS & set(i.signal_slugs)
    ]
    assert moods and sum(moods) / len(moods) < 0


def test_active_accounts_carry_a_plan_that_fits_them_and_lost_ones_none():
    accounts = _build(accounts=200).accounts
    active = [a for a in accounts if a.lost_on is None]
    lost = [a for a in accounts if a.lost_on is not None]
    assert lost and all((a.objective, a.next_step, a.next_step_due) == ("", "", None) for a in lost)
    assert all(a.objective for a in active)
    regular = [a for a in active if a.partnership_potential == "regular"]
    assert regular and all("no more than that is wanted" in a.objective for a in regular)
    planned = [a for a in active if a.next_step]
    assert 0.5 < len(planned) / len(active) < 0.95  # some managers have no next step
    assert any(a.next_step_due < AS_OF for a in planned)  # and some are overdue
    assert all(a.next_step_due is not None for a in planned)
