"""Keep snapshots current: any write to an account's evidence rescores that account after the
transaction commits, whichever path made it (pages, admin, imports that save rows one by one).
Bulk loaders that bypass `save()` call `scores_recompute` themselves.

Saving an account (its name, owner, industry, revenue, plan or status) refreshes its line on
the dashboard in the same transaction (scoring/standing_lines.py).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from accounts.models import Account
from relationships.models import Assessment, Contact, Interaction, TrustSignal
from scoring.services import account_rescore_on_commit
from scoring.standing_lines import lines_forget, lines_refresh


@receiver(post_save, sender=Interaction)
@receiver(post_save, sender=TrustSignal)
@receiver(post_save, sender=Assessment)
@receiver(post_delete, sender=Interaction)
@receiver(post_delete, sender=TrustSignal)
@receiver(post_delete, sender=Assessment)
def evidence_changed(sender, instance, **kwargs) -> None:
    account_rescore_on_commit(instance.account_id)


@receiver(post_delete, sender=Contact)
def person_deleted(sender, instance, **kwargs) -> None:
    # Deleting a person (in the admin) takes them out of every interaction they took part
    # in, by cascade, without the signal above.
    account_rescore_on_commit(instance.account_id)


@receiver(m2m_changed, sender=Interaction.participants.through)
def participants_changed(sender, instance, action, **kwargs) -> None:
    # Who took part decides whether contact is single-threaded.
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Interaction):
        account_rescore_on_commit(instance.account_id)


@receiver(post_save, sender=Account)
def account_saved(sender, instance, created, raw, **kwargs) -> None:
    # A new account has no standing yet; a fixture's raw save is loaded as it is.
    if not created and not raw:
        lines_refresh(account_ids=[instance.pk])


@receiver(pre_delete, sender=Account)
def account_deleted(sender, instance, **kwargs) -> None:
    lines_forget(account_id=instance.pk)
