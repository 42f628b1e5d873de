"""The team in the order of the names the app shows: first and last name, or the user name
when both are empty, in lower case (accounts/selectors.py, `ShownName` and `by_name`). The
index of 0009 put everyone known only by a user name before everyone named; this one, on the
shown name itself and then the user name, replaces it, and the by-manager table still walks
it a page at a time.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F

OLD_INDEX = "accounts_user_name_order"
INDEX = "accounts_user_shown_name"


class _ShownName(models.Func):
    # accounts.selectors.ShownName as it was when this was written: a test checks that the
    # app's queries in that order are served by this index.
    output_field = models.CharField()

    def as_sql(self, compiler, connection, **extra_context):
        (first, _), (last, _), (user, _) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return f"LOWER(COALESCE(NULLIF(TRIM({first} || ' ' || {last}), ''), {user}))", ()


def _index() -> models.Index:
    shown = _ShownName(F("first_name"), F("last_name"), F("username"))
    return models.Index(shown, F("username"), name=INDEX)


def _users(apps):
    return apps.get_model(*settings.AUTH_USER_MODEL.split("."))


def forwards(apps, schema_editor):
    users = _users(apps)
    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(OLD_INDEX)}")
    schema_editor.add_index(users, _index())


def backwards(apps, schema_editor):
    users = _users(apps)
    schema_editor.remove_index(users, _index())
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX {quote(OLD_INDEX)} ON {quote(users._meta.db_table)} "
        "(first_name, last_name, username)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_user_name_order"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
