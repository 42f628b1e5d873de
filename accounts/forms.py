"""Forms a sales lead uses on an account: who owns it, and who else works on it."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from accounts import roles


class ManagerChoiceMixin:
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class ManagerChoiceField(ManagerChoiceMixin, forms.ModelChoiceField):
    pass


class ManagersChoiceField(ManagerChoiceMixin, forms.ModelMultipleChoiceField):
    pass


def _managers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.ACCOUNT_MANAGER)
        .order_by("first_name", "last_name", "username")
    )


class OwnerForm(forms.Form):
    owner = ManagerChoiceField(queryset=None, label="Account manager", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _managers()


class SharingForm(forms.Form):
    shared_with = ManagersChoiceField(
        queryset=None,
        required=False,
        label="Also worked on by",
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="These managers may read the account and log on it too.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_with"].queryset = _managers()
