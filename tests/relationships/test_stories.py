"""The demo story generator, without a database."""

import datetime

from relationships.demo.stories import NEGATIVE_SLUGS, STORIES, build_portfolio

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


def test_lost_accounts_decline_before_the_loss_and_go_quiet_after():
    portfolio = _build()
    lost = [a for a in portfolio.accounts if a.story == "lost"]
    assert lost
    for account in lost:
        assert account.lost_on is not None and account.lost_reason
        assert max(i.occurred_on for i in account.interactions) <= account.lost_on
        final_months = [
            slug
            for i in account.interactions
            if i.occurred_on > account.lost_on - datetime.timedelta(days=180)
            for slug in i.signal_slugs
        ]
        assert "competitor_invited" in final_months
        assert account.assessments[-1].relevance < account.assessments[0].relevance


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
    account = next(a for a in _build().accounts if a.story == "champion_leaves")
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


def test_the_retender_is_there():
    account = next(a for a in _build().accounts if a.story == "retender")
    assert {"retender_or_competitive_bid", "price_pressure"} <= set(_slugs(account))


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
