"""Template helpers for pages that carry a lot of numbers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def chart_data(figure: Any, element_id: str) -> SafeString:
    """Like Django's `json_script`, for figures of hundreds of kilobytes.

    The escaping is the same (<, > and & as \\u escapes, so the JSON can never close the
    script element); `str.replace` does it many times faster than `json_script`'s per-character
    `translate` on a large string.
    """
    text = (
        json.dumps(figure, cls=DjangoJSONEncoder, separators=(",", ":"))
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
        .replace("&", "\\u0026")
    )
    # The text is JSON escaped as above, which is what makes it safe in a script element;
    # this is how Django's own json_script marks it.
    return format_html(
        '<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text)
    )


# One row of the by-manager table; the name is escaped by format_html like every argument.
MANAGER_ROW = (
    '<tr><th scope="row"><a href="{link}" hx-get="{link}" hx-target="#dashboard-body" '
    'hx-swap="outerHTML" hx-push-url="true">{name}</a></th>{cells}</tr>'
)


@register.simple_tag
def manager_rows(lines: Iterable[Any]) -> SafeString:
    """The by-manager table's rows, built in one pass: a sales floor has hundreds of managers,
    and as many rows of template variables cost more than the rest of the dashboard."""
    url = reverse("dashboard")
    return format_html_join(
        "\n",
        MANAGER_ROW,
        (
            {
                "link": f"{url}?manager={int(line.owner_id)}",
                "name": line.owner_name,
                "cells": _cells(line.cells()),
            }
            for line in lines
        ),
    )


def _cells(numbers: list[str]) -> SafeString:
    """A row's number cells. The values are numbers that `ManagerLine.cells` formatted (digits,
    separators, a sign), nothing a person typed, so they need no escaping; `format_html` per
    cell cost a third of the dashboard's time with a few hundred managers."""
    return mark_safe("".join(f'<td class="num">{number}</td>' for number in numbers))
