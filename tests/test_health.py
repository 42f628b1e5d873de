def test_the_health_check_answers_without_signing_in_or_touching_data(client):
    # No database fixture: the test fails if the view queries anything.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
