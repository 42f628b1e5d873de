from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages people use: every view, fragment, template and URL. It composes accounts,
    their evidence and their scores; no app imports it."""

    name = "pages"
    verbose_name = "Pages"
