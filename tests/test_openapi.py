"""The API's OpenAPI document: it covers every route, says what the validation does, and its
reference page reads it in both languages."""

from __future__ import annotations

import pytest
import schemathesis
from flask import jsonify

from outreach.api import openapi
from outreach.contract import Text, Whole
from outreach.registrations.limits import NAME_LENGTH, PHONE_LENGTH

REGISTER = "/sessions/{session_id}/registrations"


def _document(client, language="en"):
    response = client.get(f"/api/v1/openapi.json?lang={language}")
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.json


def test_document_is_openapi_3_1_that_schemathesis_loads(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1.")
    loaded = schemathesis.openapi.from_dict(document)
    labels = {result.ok().label for result in loaded.get_all_operations()}
    assert "POST /sessions/{session_id}/registrations" in labels
    assert "DELETE /registrations/{token}" in labels


def test_every_api_route_is_in_the_document(app, client):
    paths = _document(client)["paths"]
    rules = list(openapi.api_rules())
    assert len(rules) >= 8
    for rule, method in rules:
        path = openapi._path(rule.rule.removeprefix(openapi.PREFIX))
        assert method.lower() in paths.get(path, {}), f"{method} {rule.rule} is not documented"


def test_a_route_added_without_a_description_fails_the_document(new_app):
    other = new_app()
    other.add_url_rule("/api/v1/undocumented", "api.undocumented", lambda: jsonify())
    with other.test_request_context(), pytest.raises(LookupError, match="undocumented"):
        openapi.document()


def test_registration_body_schema_is_the_validation_s_own(client):
    operation = _document(client)["paths"][REGISTER]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name", "phone", "consent"]
    fields = body["properties"]
    assert fields["name"]["maxLength"] == NAME_LENGTH and fields["name"]["minLength"] == 1
    assert fields["phone"]["maxLength"] == PHONE_LENGTH
    assert fields["consent"] == {"const": True, "description": fields["consent"]["description"]}
    assert fields["party_size"]["type"] == ["integer", "null"]
    assert fields["email"]["format"] == "email"
    assert {"201", "400", "404", "409", "413", "415", "422", "429"} <= set(operation["responses"])
    assert "Location" in operation["responses"]["201"]["headers"]


def test_query_parameters_come_from_the_listing_parser(client):
    parameters = _document(client)["paths"]["/events"]["get"]["parameters"]
    names = [p["name"] for p in parameters]
    assert names == [
        "township",
        "community",
        "category",
        "organisation",
        "from",
        "to",
        "per_page",
        "cursor",
    ]
    assert "opaque" in parameters[-1]["description"]
    per_page = parameters[-2]["schema"]
    assert per_page["maximum"] == 100 and per_page["minimum"] == 1


def test_document_speaks_the_caller_s_language(client):
    english = _document(client, "en")["paths"]["/places"]["get"]["summary"]
    chinese = _document(client, "zh")["paths"]["/places"]["get"]["summary"]
    assert english.startswith("Townships") and chinese != english


def test_text_field_reads_and_describes_the_same_limits():
    field = Text(5, required=True)
    assert field.read("abcde") == "abcde"
    for bad in ("", None, "abcdef", 5):
        with pytest.raises(ValueError):
            field.read(bad)
    assert field.schema() == {"type": "string", "maxLength": 5, "minLength": 1}
    assert Text(5).read("") is None and Text(5).schema()["type"] == ["string", "null"]


def test_whole_field_refuses_booleans_and_numbers_out_of_bounds():
    field = Whole(minimum=1, maximum=3)
    assert field.read(2) == 2 and field.read(None) is None
    for bad in (True, 2.5, "2", 0, 4):
        with pytest.raises(ValueError):
            field.read(bad)
    assert field.schema() == {"type": ["integer", "null"], "minimum": 1, "maximum": 3}


def test_slot_beyond_any_id_is_refused_as_a_field(client, make):
    event_session = make.event_session()
    response = client.post(
        f"/api/v1/sessions/{event_session.id}/registrations",
        json={"name": "王", "phone": "13912345678", "consent": True, "slot": 2**40},
    )
    assert response.status_code == 422 and response.json["field"] == "slot"


def test_reference_page_lists_every_operation_in_both_languages(client):
    english = client.get("/developers/api?lang=en")
    assert english.status_code == 200
    text = english.get_data(as_text=True)
    assert "POST /api/v1/sessions/{session_id}/registrations" in text
    assert "DELETE /api/v1/registrations/{token}" in text
    assert "<code>Registration</code>" in text and "API reference" in text
    chinese = client.get("/developers/api?lang=zh").get_data(as_text=True)
    assert "POST /api/v1/sessions/{session_id}/registrations" in chinese
    assert "API reference" not in chinese
