from __future__ import annotations

from django import forms

from relationships.csv_bundle import formats

MAX_FILE_BYTES = 10 * 1024 * 1024


class BundleUploadForm(forms.Form):
    accounts = forms.FileField(label="accounts.csv")
    interactions = forms.FileField(label="interactions.csv")
    assessments = forms.FileField(label="assessments.csv", required=False, help_text="Optional.")
    contacts = forms.FileField(label="contacts.csv", required=False, help_text="Optional.")
    dry_run = forms.BooleanField(
        label="Dry run: show what would change, write nothing", required=False, initial=True
    )

    def _limited(self, name: str):
        upload = self.cleaned_data.get(name)
        if upload and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                "This file is %(size).1f MB; the limit is 10 MB per file. Split it, or use "
                "the import_portfolio command.",
                params={"size": upload.size / 1024 / 1024},
            )
        return upload

    def clean_accounts(self):
        return self._limited("accounts")

    def clean_interactions(self):
        return self._limited("interactions")

    def clean_assessments(self):
        return self._limited("assessments")

    def clean_contacts(self):
        return self._limited("contacts")

    def files_by_name(self) -> dict[str, bytes]:
        names = {
            "accounts": formats.ACCOUNTS,
            "interactions": formats.INTERACTIONS,
            "assessments": formats.ASSESSMENTS,
            "contacts": formats.CONTACTS,
        }
        return {
            names[field]: upload.read()
            for field, upload in self.cleaned_data.items()
            if field in names and upload
        }
