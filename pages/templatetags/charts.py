"""Template helpers for pages that carry a lot of numbers."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html
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
    return format_html(
        '<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text)
    )


@register.simple_tag
def manager_rows(lines: Iterable[Any]) -> SafeString:
    """The by-manager table's rows, built in one pass: a sales floor has hundreds of managers,
    and as many rows of template variables cost more than the rest of the dashboard."""
    url = reverse("dashboard")
    rows = []
    for line in lines:
        link = f"{url}?manager={int(line.owner_id)}"
        cells = "".join(f'<td class="num">{cell}</td>' for cell in line.cells())
        rows.append(
            f'<tr><th scope="row"><a href="{link}" hx-get="{link}" hx-target="#dashboard-body" '
            f'hx-swap="outerHTML" hx-push-url="true">{html.escape(line.owner_name)}</a></th>'
            f"{cells}</tr>"
        )
    # Names are escaped; ids and cells are numbers this app formatted (ManagerLine.cells).
    return mark_safe("\n".join(rows))
