import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from relationships.models import Interaction, Polarity, SignalType, TrustSignal
from tests.factories import ContactFactory, InteractionFactory, TrustSignalFactory


def _db_refuses(save):
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


@pytest.mark.django_db
class TestInteraction:
    def test_an_interaction_dated_in_the_far_future_gets_a_clear_message(self, alices_account):
        interaction = Interaction(
            account=alices_account, occurred_on=timezone.localdate() + datetime.timedelta(days=400)
        )
        with pytest.raises(ValidationError) as error:
            interaction.full_clean()
        assert "is in the future" in error.value.message_dict["occurred_on"][0]

    def test_todays_meeting_is_fine(self, alices_account):
        Interaction(account=alices_account, occurred_on=timezone.localdate()).full_clean()

    def test_sentiment_outside_minus_two_to_two_gets_a_clear_message(self, alices_account):
        interaction = Interaction(
            account=alices_account, occurred_on=timezone.localdate(), sentiment=3
        )
        with pytest.raises(ValidationError) as error:
            interaction.full_clean()
        assert error.value.message_dict["sentiment"] == [
            "Sentiment runs from -2 (hostile) to +2 (warm)."
        ]
        _db_refuses(lambda: InteractionFactory(account=alices_account, sentiment=3))

    def test_database_refuses_an_unknown_kind(self, alices_account):
        _db_refuses(lambda: InteractionFactory(account=alices_account, kind="telepathy"))

    def test_participants_must_be_contacts_of_the_account(self, alices_account, bobs_account):
        interaction = InteractionFactory(account=alices_account)
        ours = ContactFactory(account=alices_account)
        theirs = ContactFactory(account=bobs_account)
        interaction.participants.add(ours)
        _db_refuses(lambda: interaction.participants.add(theirs))
        assert list(interaction.participants.all()) == [ours]

    def test_an_interaction_cannot_move_away_from_its_signals(self, alices_account, bobs_account):
        interaction = InteractionFactory(account=alices_account)
        TrustSignalFactory(account=alices_account, interaction=interaction)
        interaction.account = bobs_account
        _db_refuses(interaction.save)


@pytest.mark.django_db
class TestTrustSignal:
    def test_a_signal_for_another_accounts_interaction_gets_a_clear_message(
        self, alices_account, bobs_account
    ):
        bobs_meeting = InteractionFactory(account=bobs_account)
        signal = TrustSignal(
            account=alices_account,
            signal_type=SignalType.objects.get(slug="invited_to_planning"),
            observed_on=datetime.date(2026, 3, 2),
            interaction=bobs_meeting,
        )
        with pytest.raises(ValidationError) as error:
            signal.full_clean()
        assert error.value.message_dict["interaction"] == [
            "That interaction belongs to another account."
        ]

    def test_database_refuses_a_signal_for_another_accounts_interaction(
        self, alices_account, bobs_account
    ):
        bobs_meeting = InteractionFactory(account=bobs_account)
        _db_refuses(lambda: TrustSignalFactory(account=alices_account, interaction=bobs_meeting))
        assert not TrustSignal.objects.exists()

    def test_a_signal_without_an_interaction_is_fine(self, alices_account):
        TrustSignalFactory(account=alices_account, interaction=None)
        assert alices_account.signals.count() == 1

    def test_a_signal_dated_in_the_future_gets_a_clear_message(self, alices_account):
        signal = TrustSignal(
            account=alices_account,
            signal_type=SignalType.objects.get(slug="delivery_miss"),
            observed_on=timezone.localdate() + datetime.timedelta(days=30),
        )
        with pytest.raises(ValidationError) as error:
            signal.full_clean()
        assert "is in the future" in error.value.message_dict["observed_on"][0]

    def test_deleting_an_interaction_deletes_the_signals_seen_in_it(self, alices_account):
        meeting = InteractionFactory(account=alices_account)
        TrustSignalFactory(account=alices_account, interaction=meeting)
        TrustSignalFactory(account=alices_account, interaction=None)
        meeting.delete()
        assert alices_account.signals.count() == 1


@pytest.mark.django_db
class TestSignalType:
    def test_database_refuses_a_zero_polarity(self):
        _db_refuses(
            lambda: SignalType.objects.create(
                slug="shrug", name="Shrug", category="people", polarity=0
            )
        )

    def test_database_refuses_an_unknown_category(self):
        _db_refuses(
            lambda: SignalType.objects.create(
                slug="vibes", name="Vibes", category="mood", polarity=1
            )
        )

    def test_database_refuses_a_malformed_slug(self):
        _db_refuses(
            lambda: SignalType.objects.create(
                slug="Big Win!", name="Big win", category="delivery", polarity=1
            )
        )

    def test_an_admin_can_add_a_signal_type(self):
        signal_type = SignalType.objects.create(
            slug="joint_press_release", name="Joint press release", category="inclusion", polarity=1
        )
        assert signal_type.polarity == Polarity.POSITIVE and signal_type.is_active
