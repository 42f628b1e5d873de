import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account, AccountStatus
from relationships.models import Assessment, Contact, ExternalPressure
from tests.factories import AccountFactory, AssessmentFactory


def _db_refuses(save):
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


@pytest.mark.django_db
class TestAccount:
    def test_it_saves_a_valid_account(self, alice):
        account = Account(name="Northwind", owner=alice, annual_revenue=Decimal("1200000"))
        account.full_clean()
        account.save()
        assert Account.objects.get().annual_revenue == Decimal("1200000")

    def test_negative_revenue_gets_a_clear_message(self, alice):
        account = Account(name="Northwind", owner=alice, annual_revenue=Decimal("-1"))
        with pytest.raises(ValidationError) as error:
            account.full_clean()
        assert error.value.message_dict["annual_revenue"] == ["Annual revenue can't be negative."]

    def test_database_refuses_negative_revenue(self, alice):
        _db_refuses(lambda: AccountFactory(owner=alice, annual_revenue=Decimal("-5")))
        assert not Account.objects.exists()

    def test_database_refuses_a_blank_name(self, alice):
        _db_refuses(lambda: AccountFactory(owner=alice, name="   "))

    def test_database_refuses_an_unknown_partnership_potential(self, alice):
        _db_refuses(lambda: AccountFactory(owner=alice, partnership_potential="best_friend"))

    def test_a_lost_account_must_say_when(self, alice):
        account = Account(name="Westgate", owner=alice, status=AccountStatus.LOST)
        with pytest.raises(ValidationError) as error:
            account.full_clean()
        assert error.value.message_dict["lost_on"] == ["Say when the account was lost."]
        _db_refuses(lambda: AccountFactory(owner=alice, status=AccountStatus.LOST))

    def test_an_active_account_has_no_loss_date(self, alice):
        account = Account(name="Westgate", owner=alice, lost_on=datetime.date(2026, 1, 1))
        with pytest.raises(ValidationError) as error:
            account.full_clean()
        assert "mark it lost first" in error.value.message_dict["lost_on"][0]
        _db_refuses(lambda: AccountFactory(owner=alice, lost_on=datetime.date(2026, 1, 1)))

    def test_a_lost_account_keeps_its_date_and_reason(self, alice):
        AccountFactory(
            owner=alice,
            status=AccountStatus.LOST,
            lost_on=datetime.date(2026, 5, 1),
            lost_note="Re-tendered to a cheaper supplier.",
        )
        assert Account.objects.get().lost_note == "Re-tendered to a cheaper supplier."

    def test_external_ids_are_unique_but_optional(self, alice):
        AccountFactory(owner=alice, external_id="")
        AccountFactory(owner=alice, external_id="")
        AccountFactory(owner=alice, external_id="crm-1")
        _db_refuses(lambda: AccountFactory(owner=alice, external_id="crm-1"))
        assert Account.objects.count() == 3

    def test_it_holds_several_external_pressures(self, alices_account):
        for text in ["New data regulation", "Low-cost competitors"]:
            ExternalPressure.objects.create(account=alices_account, description=text)
        assert [p.description for p in alices_account.pressures.all()] == [
            "New data regulation",
            "Low-cost competitors",
        ]
        _db_refuses(lambda: ExternalPressure.objects.create(account=alices_account, description=""))


@pytest.mark.django_db
class TestContact:
    def test_database_refuses_an_unknown_role(self, alices_account):
        _db_refuses(lambda: Contact.objects.create(account=alices_account, name="Ana", role="boss"))

    def test_a_contact_who_left_is_no_longer_active(self, alices_account):
        contact = Contact.objects.create(
            account=alices_account,
            name="Ana Costa",
            is_champion=True,
            left_on=datetime.date(2026, 2, 1),
        )
        assert contact.is_champion and not contact.is_active


@pytest.mark.django_db
class TestAssessment:
    def test_relevance_six_gets_a_clear_message(self, alices_account):
        assessment = Assessment(
            account=alices_account, assessed_on=datetime.date(2026, 1, 1), relevance=6
        )
        with pytest.raises(ValidationError) as error:
            assessment.full_clean()
        assert error.value.message_dict["relevance"] == [
            "Relevance runs from 1 (barely) to 5 (vital)."
        ]

    @pytest.mark.parametrize("relevance", [0, 6])
    def test_database_refuses_relevance_outside_1_to_5(self, alices_account, relevance):
        _db_refuses(lambda: AssessmentFactory(account=alices_account, relevance=relevance))

    def test_database_refuses_an_unknown_perceived_stage(self, alices_account):
        _db_refuses(
            lambda: AssessmentFactory(account=alices_account, client_perceived_stage="best_friend")
        )

    def test_the_client_perceived_stage_is_optional(self, alices_account):
        AssessmentFactory(account=alices_account, client_perceived_stage="")
        AssessmentFactory(
            account=alices_account,
            assessed_on=datetime.date(2026, 4, 1),
            client_perceived_stage="consultant",
        )
        assert (
            alices_account.assessments.latest().get_client_perceived_stage_display() == "Consultant"
        )
