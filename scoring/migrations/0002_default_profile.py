"""Version 1 of the scoring profile: the defaults of scoring/engine/profile.py, each justified
there against docs/model.md. Later versions are made by scoring admins, never by editing this one.
"""

from django.db import migrations

from scoring.engine import DEFAULTS


def create_default_profile(apps, schema_editor):
    ScoringProfile = apps.get_model("scoring", "ScoringProfile")
    if not ScoringProfile.objects.exists():
        ScoringProfile.objects.create(
            version=1,
            params=DEFAULTS,
            is_active=True,
            frozen=True,
            note="Default profile",
        )


def remove_default_profile(apps, schema_editor):
    apps.get_model("scoring", "ScoringProfile").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_snapshots")]

    operations = [migrations.RunPython(create_default_profile, remove_default_profile)]
