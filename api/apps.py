from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API for other tools (BI, the ERP, chat): the pages' sibling at the top layer.
    It reads and writes through the same selectors, use cases and access decision as the
    pages; no app imports it."""

    name = "api"
    verbose_name = "API"
