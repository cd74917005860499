"""Checks responses against ``openapi/openapi.yaml``: documented status, content type and JSON schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
SPEC_URI = "urn:tickertone:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return spec


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    pointer: str
    body: dict[str, Any]


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self.templates: list[tuple[re.Pattern[str], str]] = []
        # Literal paths before templated ones, so /v1/articles never matches /v1/articles/{id}.
        for path in sorted(spec["paths"], key=lambda p: ("{" in p, p)):
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
            self.templates.append((re.compile(f"^{pattern}$"), path))
        self.checked = 0

    def operations(self) -> set[tuple[str, str]]:
        return {
            (path, method.upper())
            for path, item in self.spec["paths"].items()
            for method in item
            if method in METHODS
        }

    def operation(self, method: str, path: str) -> Operation | None:
        for pattern, template in self.templates:
            if pattern.match(path):
                body = self.spec["paths"][template].get(method.lower())
                if body is None:
                    return None
                pointer = f"/paths/{_escape(template)}/{method.lower()}"
                return Operation(template, method.lower(), pointer, body)
        return None

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{SPEC_URI}#{pointer}"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def check(self, method: str, path: str, status: int, content_type: str, content: bytes) -> None:
        """Raise AssertionError when the response is not what the spec promises."""
        media_type = content_type.split(";")[0].strip()
        if status >= 400:
            assert media_type == "application/problem+json", f"{method} {path} -> {status} {media_type}"
            problem = orjson.loads(content)
            assert problem["status"] == status and re.fullmatch(r"[a-z][a-z0-9_]*", problem["code"]), problem
        op = self.operation(method, path)
        if op is None:
            return  # not an operation of the contract (unknown path, static asset, /graphql)
        responses = op.body["responses"]
        assert str(status) in responses, f"{method} {op.path}: status {status} is not documented"
        pointer = f"{op.pointer}/responses/{status}"
        response = responses[str(status)]
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#")
            response = self.spec["components"]["responses"][pointer.rsplit("/", 1)[-1]]
        assert media_type in response.get("content", {}), f"{method} {op.path} {status}: {media_type}"
        if media_type.endswith("json"):
            schema_pointer = f"{pointer}/content/{_escape(media_type)}/schema"
            errors = sorted(self.validator(schema_pointer).iter_errors(orjson.loads(content)), key=str)
            assert not errors, f"{method} {path} {status}: " + "; ".join(
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
            )
        self.checked += 1
