"""The scoring admin's Django admin: reading what scoring is made of.

README sends scoring admins (staff, in the demo) to Django admin, where the group had no
permission at all and the index said "You don't have permission to view or edit anything".
The group may now read the signal catalog and everything scoring keeps: profile versions and
their history, rollouts, backtests and weekly snapshots. Changes stay on the pages that check
them (the catalog and tuning pages); nothing here is added, edited or deleted.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here rather than imported: a migration must keep meaning what it meant when written.
ROLE = "Scoring admin"
VIEWS = [
    ("relationships", "signaltype"),
    ("scoring", "scoringprofile"),
    ("scoring", "profilechange"),
    ("scoring", "profilerollout"),
    ("scoring", "backtestrun"),
    ("scoring", "scoresnapshot"),
]


def grant_scoring_admin_permissions(apps, schema_editor):
    # Django creates permissions after the last migration has run; on a new database they do
    # not exist yet, so the ones needed are created now (the same call, which skips any that
    # exist).
    for label in {app_label for app_label, _ in VIEWS}:
        app_config = apps.get_app_config(label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ROLE)
    for app_label, model in VIEWS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=f"view_{model}",
            )
        )


def revoke_scoring_admin_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=ROLE):
        for app_label, model in VIEWS:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    content_type__model=model,
                    codename=f"view_{model}",
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("relationships", "0006_interaction_date_covering_index"),
        ("scoring", "0008_decline_model_upgrade"),
    ]

    operations = [
        migrations.RunPython(grant_scoring_admin_permissions, revoke_scoring_admin_permissions)
    ]
