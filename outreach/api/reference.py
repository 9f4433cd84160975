"""The API's reference page: the OpenAPI document (outreach.api.openapi) read aloud as HTML,
in the reader's language, so the page and the contract cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from outreach.api.openapi import PREFIX, document

bp = Blueprint("api_reference", __name__)


def type_label(schema: dict[str, Any]) -> str:
    """A JSON Schema in a few words: "string, at most 50 characters", "Venue or null"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return _(" or ").join(type_label(choice) for choice in schema["anyOf"])
    if "const" in schema:
        return str(schema["const"]).lower()
    kinds = schema.get("type", "object")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append(_("list of %(item)s", item=type_label(schema.get("items", {}))))
        else:
            words.append(kind)
    label = _(" or ").join(words)
    details = []
    if "format" in schema:
        details.append(schema["format"])
    if "enum" in schema:
        details.append(_("one of %(values)s", values=", ".join(schema["enum"])))
    if "minLength" in schema:
        details.append(_("not empty"))
    if "maxLength" in schema:
        details.append(_("at most %(max)d characters", max=schema["maxLength"]))
    if "minimum" in schema and "maximum" in schema:
        details.append(_("%(min)d to %(max)d", min=schema["minimum"], max=schema["maximum"]))
    elif "minimum" in schema:
        details.append(_("at least %(min)d", min=schema["minimum"]))
    if "default" in schema:
        details.append(_("default %(value)s", value=schema["default"]))
    return ", ".join([label, *details])


@dataclass(frozen=True)
class Row:
    """One line of a table: a name, its type in words, whether it is required, what it is."""

    name: str
    type: str
    required: bool
    description: str = ""


def _fields(schema: dict[str, Any]) -> list[Row]:
    required = set(schema.get("required", ()))
    return [
        Row(name, type_label(field), name in required, field.get("description", ""))
        for name, field in schema.get("properties", {}).items()
    ]


def _operation(path: str, method: str, described: dict[str, Any]) -> dict[str, Any]:
    body = described.get("requestBody", {}).get("content", {}).get("application/json")
    return {
        "anchor": described["operationId"],
        "method": method.upper(),
        "path": PREFIX + path,
        "summary": described["summary"],
        "parameters": [
            Row(p["name"], type_label(p["schema"]), p["required"], p.get("description", ""))
            for p in described.get("parameters", [])
        ],
        "body": _fields(body["schema"]) if body else [],
        "answers": [
            (status, answer["description"], _answer_type(answer))
            for status, answer in described["responses"].items()
        ],
    }


def _answer_type(answer: dict[str, Any]) -> str:
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    return type_label(schema) if schema else ""


def _resource(schema: dict[str, Any]) -> list[Row]:
    """A resource's fields, those of every part of an allOf included."""
    rows = []
    for part in schema.get("allOf", [schema]):
        rows.extend(_fields(part) if "$ref" not in part else [])
    return rows


@bp.get("/developers/api")
def reference():
    """The API reference, from its OpenAPI document."""
    doc = document()
    operations = [
        _operation(path, method, described)
        for path, methods in doc["paths"].items()
        for method, described in methods.items()
    ]
    resources = {
        name: (schema, _resource(schema)) for name, schema in doc["components"]["schemas"].items()
    }
    return render_template(
        "api/reference.html", doc=doc, operations=operations, resources=resources
    )
