def test_api_lists_a_published_session(client, make):
    event_session = make.session()
    response = client.get("/api/v1/events")
    assert response.status_code == 200
    assert response.json["total"] == 1
    assert response.json["items"][0]["sessions"][0]["id"] == event_session.id
