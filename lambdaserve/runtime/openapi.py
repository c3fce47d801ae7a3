"""An OpenAPI 3.1 document for the function, generated from the model's signature."""

from __future__ import annotations

from typing import Any

from lambdaserve import __version__
from lambdaserve.runtime import table
from lambdaserve.runtime.formats import zero_inputs
from lambdaserve.runtime.signature import OIP_DATATYPES, ColumnSpec, Signature, TensorSpec
from lambdaserve.runtime.validation import DEFAULT_INPUT, kind_of

_JSON_TYPE = {"number": "number", "integer": "integer", "boolean": "boolean", "string": "string"}


def _value_schema(spec: TensorSpec | None) -> dict[str, Any]:
    if spec is None:
        return {"description": "Any nesting of numbers, booleans and strings."}
    kind = kind_of(spec.dtype)
    schema: dict[str, Any] = {"type": _JSON_TYPE[kind]} if kind in _JSON_TYPE else {}
    if schema and spec.nullable and kind == "number":
        schema = {"type": ["number", "null"], "description": f"{spec.dtype}, nullable (null: missing)"}
    for dim in reversed(spec.row_shape):
        schema = {"type": "array", "items": schema}
        if dim is not None:
            schema["minItems"] = schema["maxItems"] = dim
    return schema


def _column_schema(column: ColumnSpec) -> dict[str, Any]:
    kind = _JSON_TYPE.get(kind_of(column.dtype))
    schema: dict[str, Any] = {}
    if kind is not None:
        schema["type"] = [kind, "null"] if column.nullable else kind
    allowed = column.allowed  # where the model scores any value, its categories are no enum
    if allowed is not None:
        schema["enum"] = [*allowed, *([None] if column.nullable else [])]
    example = table.example_row((column,))[column.name]
    schema["examples"] = [example]
    schema["description"] = f"{column.dtype}" + (", nullable" if column.nullable else "")
    return schema


def _table_schema(columns: tuple[ColumnSpec, ...]) -> dict[str, Any]:
    by_name = {
        "type": "object",
        "required": [c.name for c in columns if not c.nullable],
        "additionalProperties": False,
        "properties": {c.name: _column_schema(c) for c in columns},
    }
    ordered = {
        "type": "array",
        "prefixItems": [_column_schema(c) for c in columns],
        "minItems": len(columns),
        "maxItems": len(columns),
        "description": "The values in the columns' order: " + ", ".join(c.name for c in columns),
    }
    return {"oneOf": [by_name, ordered]}


def _row_schema(signature: Signature) -> dict[str, Any]:
    if signature.columns:
        return _table_schema(signature.columns)
    if len(signature.inputs) > 1:
        return {
            "type": "object",
            "required": [s.name for s in signature.inputs],
            "additionalProperties": False,
            "properties": {s.name: _value_schema(s) for s in signature.inputs},
        }
    spec = signature.inputs[0] if signature.inputs else None
    row = _value_schema(spec)
    if (
        signature.feature_names
        and spec is not None
        and spec.row_shape in ((len(signature.feature_names),), (None,))
    ):
        item = row.get("items", {})
        by_name = {
            "type": "object",
            "required": list(signature.feature_names),
            "additionalProperties": False,
            "properties": {name: dict(item) for name in signature.feature_names},
        }
        return {"oneOf": [row, by_name]}
    return row


def _example_rows(signature: Signature) -> list[Any]:
    if signature.columns:
        return [table.example_row(signature.columns)]
    zeros = zero_inputs(signature)
    if zeros is None:
        return []
    if len(zeros) == 1:
        return next(iter(zeros.values()))
    return [{name: rows[0] for name, rows in zeros.items()}]


def _oip_example(signature: Signature) -> dict[str, Any] | None:
    if signature.columns:  # one tensor per column, one value per row
        row = table.example_row(signature.columns)
        columns = [
            {"name": c.name, "shape": [1], "datatype": OIP_DATATYPES.get(c.dtype, "FP64"),
             "data": [row[c.name]]}
            for c in signature.columns
        ]
        return {"inputs": columns}
    zeros = zero_inputs(signature)
    if zeros is None:
        return None
    tensors: list[dict[str, Any]] = []
    for spec in signature.inputs:
        row_dims = [int(d or 0) for d in spec.row_shape]
        count = 1
        for d in row_dims:
            count *= d
        fill: Any = zeros[spec.name]
        while isinstance(fill, list):
            fill = fill[0] if fill else 0
        tensors.append(
            {
                "name": spec.name,
                "shape": [1, *row_dims],
                "datatype": OIP_DATATYPES.get(spec.dtype, "FP32"),
                "data": [fill] * count,
            }
        )
    return {"inputs": tensors}


def _schemas(signature: Signature) -> dict[str, Any]:
    rows = {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Row"}}
    # Only a model that answers probabilities offers the option: asked of any other, it is a 400.
    params: dict[str, Any] = {"type": "object"}
    if signature.has_proba:
        params["properties"] = {"probabilities": {"type": "boolean"}}
    name: dict[str, Any] = {"type": "string"}
    if signature.inputs:
        name["enum"] = [s.name for s in signature.inputs]
    tensor = {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": name,
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {"type": "string", "enum": sorted(set(OIP_DATATYPES.values()))},
            "data": {"type": "array", "description": "Flat, row-major."},
        },
    }
    return {
        "Row": _row_schema(signature),
        "DataRequest": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": rows, "parameters": params},
        },
        "InstancesRequest": {
            "type": "object",
            "required": ["instances"],
            "properties": {"instances": rows, "parameters": params},
        },
        "InferenceRequest": {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "inputs": {"type": "array", "minItems": 1, "items": tensor},
                "parameters": params,
            },
        },
        "Predictions": {
            "type": "object",
            "required": ["predictions"],
            "properties": {
                "predictions": {"type": "array", "description": _predictions_description(signature)}
            },
        },
        "InferenceResponse": {
            "type": "object",
            "required": ["model_name", "outputs"],
            "properties": {
                "model_name": {"type": "string"},
                "id": {"type": "string"},
                "outputs": {
                    "type": "array",
                    "items": {"type": "object", "required": ["name", "shape", "datatype", "data"]},
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "request_id"],
                    "properties": {
                        "message": {"type": "string"},
                        "hint": {"type": "string"},
                        "request_id": {"type": "string"},
                    },
                }
            },
        },
    }


def _predictions_description(signature: Signature) -> str:
    if len(signature.outputs) < 2:
        return "One per row."
    names = ", ".join(t.name for t in signature.outputs)
    return (f"One per row: the value itself when one output is answered, else an object keyed by "
            f"output ({names}).")


def _probabilities_description(signature: Signature) -> str:
    """What ``probabilities=true`` adds to each row's answer, named as the answer names it."""
    if signature.output_classes:
        last = len(signature.output_classes) - 1
        return (f"Adds probabilities_0 ... probabilities_{last}: output k's class probabilities, in the "
                "order of its labels in /metadata's signature.output_classes[k] (a multi-output "
                "classifier's predict_proba, one array per output).")
    return "Adds each row's class probabilities, in the order of /metadata's signature.classes."


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document(signature: Signature, *, name: str, api_path: str, framework: str,
                     api_key: bool = False) -> dict[str, Any]:
    """OpenAPI 3.1: the predict route with request and answer schemas and examples, and the GET routes.

    ``api_key``: the API wants ``x-api-key`` (api.auth = api_key) on predict and /metadata, as the
    template requires it; the try-it page then offers "Authorize" to send it.
    """
    examples: dict[str, Any] = {}
    rows = _example_rows(signature)
    if rows:
        examples["data"] = {"summary": "rows", "value": {"data": rows}}
        examples["instances"] = {"summary": "TF-Serving instances", "value": {"instances": rows}}
    oip = _oip_example(signature)
    if oip:
        examples["oip"] = {"summary": "Open Inference Protocol v2", "value": oip}
    request_body: dict[str, Any] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/DataRequest"},
                        {"$ref": "#/components/schemas/InstancesRequest"},
                        {"$ref": "#/components/schemas/InferenceRequest"},
                    ]
                }
            }
        },
    }
    if examples:
        request_body["content"]["application/json"]["examples"] = examples
    names = ", ".join(s.name for s in signature.inputs) or DEFAULT_INPUT
    predict: dict[str, Any] = {
        "operationId": "predict",
        "summary": f"Predict with the {framework} model (inputs: {names})",
        **({"parameters": [{"name": "probabilities", "in": "query", "required": False,
                            "schema": {"type": "boolean"},
                            "description": _probabilities_description(signature)}]}
           if signature.has_proba else {}),
        "requestBody": request_body,
        "responses": {
            "200": _json(
                {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Predictions"},
                        {"$ref": "#/components/schemas/InferenceResponse"},
                    ]
                }
            ),
            "400": _error("Malformed JSON, or rows that do not fit the model"),
            "413": _error("Body over 6 MB"),
            "415": _error("Not JSON"),
            "500": _error("Internal error"),
        },
    }
    info = {
        "title": name,
        "version": __version__,
        "description": f"Inference API for a {framework} model, served by lambdaserve on AWS Lambda.",
    }
    metadata: dict[str, Any] = {"operationId": "metadata", "responses": {"200": _json({"type": "object"})}}
    components: dict[str, Any] = {"schemas": _schemas(signature)}
    if api_key:
        components["securitySchemes"] = {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
        predict["security"] = metadata["security"] = [{"ApiKey": []}]
        predict["responses"]["403"] = {"description": "Missing or unknown x-api-key (API Gateway)"}
    return {
        "openapi": "3.1.0",
        "info": info,
        # Relative to where this document is served, so clients (the try-it page too) call the
        # same stage or Function URL they fetched it from.
        "servers": [{"url": ".", "description": "this API"}],
        "paths": {
            api_path: {"post": predict},
            "/health": {"get": {"operationId": "health", "responses": {"200": _json({"type": "object"})}}},
            "/metadata": {"get": metadata},
            "/openapi.json": {
                "get": {"operationId": "openapi", "responses": {"200": _json({"type": "object"})}}
            },
        },
        "components": components,
    }
