"""Options the scoring commands share: a profile version and an as-of date."""

from __future__ import annotations

import argparse
import datetime

from django.core.management.base import CommandError

from scoring.models import ScoringProfile
from scoring.selectors import profile_active


def iso_date(text: str) -> datetime.date:
    """An argparse type: YYYY-MM-DD, or a message saying so."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD.") from None


def profile_chosen(version: int | None) -> ScoringProfile:
    """The profile `version`, or the active one when None; a clear error when there is none."""
    if version is None:
        return profile_active()
    try:
        return ScoringProfile.objects.get(version=version)
    except ScoringProfile.DoesNotExist:
        versions = ", ".join(
            str(v)
            for v in ScoringProfile.objects.order_by("version").values_list("version", flat=True)
        )
        raise CommandError(
            f"There is no profile version {version}; versions: {versions}."
        ) from None
