"""JSON Schema checks with messages that name the file, the field and the reason."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from matrix import UserError


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("matrix.core.schemas").joinpath(name).read_text())
    return jsonschema.Draft202012Validator(schema)


def check(doc: Any, schema_name: str, where: str) -> None:
    errors = sorted(_validator(schema_name).iter_errors(doc), key=lambda e: list(map(str, e.path)))
    if errors:
        lines = [f"{where}: {_field(e)}: {e.message}" for e in errors[:10]]
        if len(errors) > 10:
            lines.append(f"{where}: ... and {len(errors) - 10} more problems")
        raise UserError("\n".join(lines))


def _field(e: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in e.absolute_path) or "(top level)"
