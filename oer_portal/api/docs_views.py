"""``/api/v1/docs``: the generated OpenAPI document, rendered for people by a page of the
portal (no Swagger UI or ReDoc: no third-party front-end code, no CDN, works without
JavaScript).  Each operation shows its method, path, summary, parameters, request body,
responses with their schemas and examples, and whether it needs a token; the problem types
and the authentication scheme are listed after them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import lazy_gettext as _l

from oer_portal.api import api_of
from oer_portal.api.problems import PROBLEM_TYPES

bp = Blueprint("api_docs_page", __name__)

METHODS = ("get", "post", "put", "patch", "delete")
#: The document's tags (its blueprints' names) as the page titles them.
TAG_TITLES = {"api_search": _l("Search"), "api_materials": _l("Materials"),
              "api_reference": _l("Licences and vocabularies"),
              "api_writes": _l("Writing: materials, versions, review, remix")}
#: How deep nested schemas are unfolded on the page (the outline is recursive).
MAX_DEPTH = 4


@dataclass
class Property:
    name: str
    type: str
    required: bool
    description: str = ""
    example: str | None = None
    children: list[Property] = field(default_factory=list)


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    token: str  # "optional" or "required"
    parameters: list[dict[str, Any]]
    body: list[Property] | None
    body_example: str | None
    responses: list[dict[str, Any]]


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def _type_of(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(spec, schema)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return " | ".join(kind)
    if kind == "array":
        return f"array of {_type_of(spec, schema.get('items', {}))}"
    if "enum" in schema:
        return f"{kind}: " + ", ".join(map(str, schema["enum"]))
    return str(kind)


def _properties(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> list[Property]:
    schema = _resolve(spec, schema)
    if schema.get("type") == "array" or "items" in schema:
        schema = _resolve(spec, schema.get("items", {}))
    required = set(schema.get("required", ()))
    result = []
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(spec, prop)
        inner = resolved.get("items", resolved) if "items" in resolved else resolved
        children = _properties(spec, inner, depth + 1) \
            if depth < MAX_DEPTH and "properties" in _resolve(spec, inner) else []
        example = resolved.get("example", prop.get("example"))
        result.append(Property(name, _type_of(spec, prop), name in required,
                               resolved.get("description", ""),
                               None if example is None else json.dumps(example,
                                                                       ensure_ascii=False),
                               children))
    return result


def _example_of(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    schema = _resolve(spec, schema)
    if "example" in schema:
        return schema["example"]
    if "items" in schema:
        return [_example_of(spec, schema["items"], depth + 1)] if depth < MAX_DEPTH else []
    if "properties" in schema and depth < MAX_DEPTH:
        return {name: _example_of(spec, prop, depth + 1)
                for name, prop in schema["properties"].items()}
    return None


def _anchor(method: str, path: str) -> str:
    """``get-api-v1-materials-material_id`` for ``GET /api/v1/materials/{material_id}``."""
    return f"{method}-" + path.strip("/").replace("/", "-").replace("{", "").replace("}", "")


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, list[Operation]]]:
    tags = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    grouped: dict[str, list[Operation]] = {name: [] for name in tags}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = []
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = _resolve(spec, parameter)
                parameters.append({
                    "name": parameter["name"], "in": parameter["in"],
                    "required": parameter.get("required", False),
                    "type": _type_of(spec, parameter.get("schema", {})),
                    "description": parameter.get("description", "")
                    or _resolve(spec, parameter.get("schema", {})).get("description", ""),
                    "example": json.dumps(parameter.get("example", _resolve(
                        spec, parameter.get("schema", {})).get("example")),
                        ensure_ascii=False)})
            body = body_example = None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                body = _properties(spec, schema)
                body_example = json.dumps(_example_of(spec, schema), indent=2,
                                          ensure_ascii=False)
            responses = []
            for status, response in operation.get("responses", {}).items():
                response = _resolve(spec, response)
                media, schema = next(iter(response.get("content", {}).items()),
                                     (None, None))
                responses.append({
                    "status": status, "description": response.get("description", ""),
                    "media_type": media, "headers": sorted(response.get("headers", {})),
                    "properties": _properties(spec, schema["schema"])
                    if schema and status.startswith("2") else [],
                    "example": json.dumps(_example_of(spec, schema["schema"]), indent=2,
                                          ensure_ascii=False)
                    if schema and status.startswith("2") else None})
            security = operation.get("security", [])
            tag = (operation.get("tags") or ["API"])[0]
            grouped.setdefault(tag, []).append(Operation(
                method=method.upper(), path=path,
                anchor=_anchor(method, path),
                summary=operation.get("summary", ""),
                description=operation.get("description", ""),
                token="optional" if {} in security or not security else "required",
                parameters=parameters, body=body, body_example=body_example,
                responses=responses))
    return [(name, str(TAG_TITLES.get(name, name)), tags.get(name, ""), operations)
            for name, operations in grouped.items() if operations]


@bp.route("/api/v1/docs")
def docs() -> str:
    """The API's documentation, generated from the same OpenAPI document as the JSON."""
    spec = api_of().spec.to_dict()
    return render_template("api/docs.html", spec=spec, groups=_operations(spec),
                           problems=PROBLEM_TYPES, tokens_url=url_for("tokens.index"),
                           openapi_url=url_for("api-docs.openapi_json", _external=True),
                           base_url=url_for("api_reference.licences", _external=True)
                           .removesuffix("/licences"))
