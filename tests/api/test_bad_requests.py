"""What a careless or hostile client sends is refused in JSON, with the problem named, and
nothing is saved: a body that is not an object, a misspelt field, an offset past any page,
a body larger than the server takes."""

from __future__ import annotations

import json

import pytest

from relationships.models import AuditEntry


def _post_raw(api, path: str, text: str):
    return api.client.post(
        f"/api/v1{path}", text, content_type="application/json", headers=api.headers
    )


@pytest.mark.parametrize("body", [[], None, 1, "x", True])
def test_an_interaction_body_that_is_not_an_object_is_refused_and_logs_nothing(
    book, as_alice, body
):
    north = book["north"]
    audited = AuditEntry.objects.filter(account=north).count()

    response = _post_raw(as_alice, f"/accounts/{north.pk}/interactions", json.dumps(body))

    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail[0]["loc"][:2] == ["body", "payload"]
    assert detail[0]["msg"].startswith("The body should be a JSON object of named fields, not ")
    assert north.interactions.count() == 2
    assert AuditEntry.objects.filter(account=north).count() == audited


def test_a_misspelt_interaction_field_is_named_rather_than_dropped(book, as_alice):
    north = book["north"]

    response = as_alice.post(f"/accounts/{north.pk}/interactions", {"note": "Lunch with Maria"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "payload", "note"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]
    assert north.interactions.count() == 2


@pytest.mark.parametrize("body", ["[]", "null", '"Eve"', '{"name": "Eve", "mail": "e@x.example"}'])
def test_a_contact_body_that_is_not_an_object_of_known_fields_adds_no_one(book, as_alice, body):
    north = book["north"]

    response = _post_raw(as_alice, f"/accounts/{north.pk}/contacts", body)

    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][:2] == ["body", "payload"]
    assert north.contacts.count() == 1


@pytest.mark.parametrize(
    "path",
    ["/accounts", "/accounts/{north}/interactions"],
)
@pytest.mark.parametrize("offset", ["1000000001", "9223372036854775808"])
def test_an_offset_past_any_page_is_a_422_naming_it(book, as_lena, as_alice, path, offset):
    response = as_alice.get(path.format(north=book["north"].pk), {"offset": offset})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "offset"]]


@pytest.mark.parametrize("param", ["manager", "revenue_min", "revenue_max"])
def test_a_huge_filter_value_is_a_422_not_a_server_error(book, as_lena, param):
    response = as_lena.get("/accounts", {param: "9223372036854775808000"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", param]


def test_a_huge_account_id_in_the_path_is_a_404_or_422_not_a_server_error(book, as_alice):
    response = as_alice.get("/accounts/9223372036854775808")
    assert response.status_code in {404, 422}
    assert "detail" in response.json()


def test_a_body_over_the_upload_limit_is_refused_in_json(book, as_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    north = book["north"]

    response = as_alice.post(f"/accounts/{north.pk}/interactions", {"notes": "x" * 2000})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "1000 bytes" in response.json()["detail"]
    assert north.interactions.count() == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("interactions", {"participants": [9223372036854775808]}),
        ("interactions", {"sentiment": 9223372036854775808}),
        ("contacts", {"name": "Eve", "reports_to": 9223372036854775808}),
    ],
)
def test_a_huge_id_in_a_body_is_a_422_not_a_server_error(book, as_alice, path, body):
    north = book["north"]
    response = as_alice.post(f"/accounts/{north.pk}/{path}", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "payload"]
    assert (north.interactions.count(), north.contacts.count()) == (2, 1)


def test_a_body_over_the_servers_own_line_is_refused_in_json_before_anything_reads_it(
    book, as_alice, settings
):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    north = book["north"]

    response = as_alice.post(f"/accounts/{north.pk}/contacts", {"name": "x" * 1024 * 1024})

    assert response.status_code == 413
    assert response.json() == {"detail": "This request is too large: the limit is 1 MB."}
    assert north.contacts.count() == 1
