from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Client accounts"

    def ready(self) -> None:
        from accounts import folding  # noqa: F401  (defines unaccent on SQLite connections)
