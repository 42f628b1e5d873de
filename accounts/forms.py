"""Forms a sales lead uses on an account: who owns it, and who else works on it."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from accounts.selectors import account_managers

# Ids are 64-bit integers in every database the app runs on. A larger number is no row's id,
# and SQLite cannot even take it as a query parameter, so it is refused before any query.
MAX_ID = 2**63 - 1


def beyond_any_id(value) -> bool:
    """Whether `value` reads as a whole number no id column can hold."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False
    return not -MAX_ID - 1 <= number <= MAX_ID


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows picked by id; a number beyond any id is an invalid choice, like any other
    id that is not on offer."""

    def clean(self, value):
        for item in value if isinstance(value, list | tuple) else ():
            if beyond_any_id(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super().clean(value)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the user name held to the length a user name can have.

    Django only sizes the input box; a longer name reached authentication, and the sign-in
    throttle (django-axes) then failed to record the attempt on PostgreSQL (its username
    column holds 255 characters): a server error instead of "wrong user name or password".
    `config/urls.py` passes it to `LoginView`.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.validators.append(MaxLengthValidator(username.max_length))


class ManagerChoiceMixin:
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class ManagerChoiceField(ManagerChoiceMixin, forms.ModelChoiceField):
    pass


class ManagersChoiceField(ManagerChoiceMixin, RowsChoiceField):
    pass


class OwnerForm(forms.Form):
    owner = ManagerChoiceField(queryset=None, label="Account manager", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, ManagerChoiceField)
        owner.queryset = account_managers()


class SharingForm(forms.Form):
    shared_with = ManagersChoiceField(
        queryset=None,
        required=False,
        label="Also worked on by",
        # Checkboxes: a multiple select needs Ctrl-click, which keyboard and touch users lack.
        widget=forms.CheckboxSelectMultiple,
        help_text="These managers may read the account and log on it too.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shared_with = self.fields["shared_with"]
        assert isinstance(shared_with, ManagersChoiceField)
        shared_with.queryset = account_managers()
