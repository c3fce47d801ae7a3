"""The body formats: {"data"}, TF-Serving {"instances"} and Open Inference Protocol v2 {"inputs"}.

``read_request`` turns a parsed body into validated inputs for ``Model.predict``;
``rows_answer`` and ``oip_answer`` shape the model's outputs for the client.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

from lambdaserve.errors import RequestError
from lambdaserve.runtime.encode import Plain, flatten, oip_datatype, shape_of
from lambdaserve.runtime.signature import OIP_DATATYPES, Signature
from lambdaserve.runtime.validation import DEFAULT_INPUT, MAX_DEPTH, RowChecker, checkers, kind_of, shown

FORMAT_ROWS: Final = "rows"
FORMAT_OIP: Final = "oip"
Protocol = Literal["rows", "oip"]  # FORMAT_ROWS or FORMAT_OIP
_OIP_KIND = {"BOOL": "boolean", "BYTES": "string"}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_EXAMPLE_HINT = 'Send {"data": [[...]]}, {"instances": [...]} or Open Inference Protocol {"inputs": [...]}.'


class PredictRequest:
    """A validated request: the model's inputs, the number of rows and what to answer.

    A plain class, compared by identity (one per request): a dataclass compiles its methods at import.
    """

    __slots__ = ("protocol", "inputs", "rows", "probabilities", "oip_id")

    def __init__(self, protocol: Protocol, inputs: dict[str, list[Any]], rows: int, probabilities: bool,
                 oip_id: str | None = None) -> None:
        self.protocol = protocol
        self.inputs = inputs
        self.rows = rows
        self.probabilities = probabilities
        self.oip_id = oip_id


def _probabilities(body: dict[str, Any], query: str | None, default: bool, signature: Signature) -> bool:
    asked: bool | None = None
    params = body.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise RequestError('"parameters" must be an object, e.g. {"probabilities": true}')
    if isinstance(params, dict) and "probabilities" in params:
        if not isinstance(params["probabilities"], bool):
            raise RequestError(
                f"parameters.probabilities must be true or false, not {shown(params['probabilities'])}"
            )
        asked = params["probabilities"]
    elif query is not None:
        if query.strip().lower() not in _TRUE + _FALSE:
            raise RequestError(f"?probabilities={query[:20]} must be true or false")
        asked = query.strip().lower() in _TRUE
    if asked and not signature.has_proba:
        why = signature.extra.get("no_proba")
        raise RequestError(
            "this model cannot return probabilities" + (f": {why}" if why else ""),
            hint="Only classifiers with predict_proba can; drop the probabilities option." if not why
            else "Drop the probabilities option: each row's prediction is its labels, one per output.",
        )
    return asked if asked is not None else default and signature.has_proba


def read_request(
    body: Any,
    signature: Signature,
    *,
    query_probabilities: str | None = None,
    default_probabilities: bool = False,
) -> PredictRequest:
    if not isinstance(body, dict):
        raise RequestError(f"the body must be a JSON object, not {shown(body)}", hint=_EXAMPLE_HINT)
    keys = [k for k in ("data", "instances", "inputs") if k in body]
    if len(keys) != 1:
        found = "none of them" if not keys else " and ".join(keys)
        raise RequestError(
            f'the body needs exactly one of "data", "instances" or "inputs"; it has {found}',
            hint=_EXAMPLE_HINT,
        )
    probabilities = _probabilities(body, query_probabilities, default_probabilities, signature)
    if signature.columns:
        return _table_request(body, keys[0], signature, probabilities)
    if keys[0] == "inputs" and isinstance(body["inputs"], list):
        inputs, rows = _oip_inputs(body["inputs"], signature)
        oip_id = body.get("id")
        return PredictRequest(
            FORMAT_OIP, inputs, rows, probabilities, oip_id if isinstance(oip_id, str) else None
        )
    inputs, rows = _row_inputs(body[keys[0]], signature)
    return PredictRequest(FORMAT_ROWS, inputs, rows, probabilities)


def _table_request(
    body: dict[str, Any], key: str, signature: Signature, probabilities: bool
) -> PredictRequest:
    from lambdaserve.runtime import table  # tables only: not every function's cold start

    if key == "inputs" and isinstance(body["inputs"], list):
        inputs, rows = table.read_oip(body["inputs"], signature.columns)
        oip_id = body.get("id")
        return PredictRequest(
            FORMAT_OIP, inputs, rows, probabilities, oip_id if isinstance(oip_id, str) else None
        )
    inputs, rows = table.read_rows(body[key], signature.columns)
    return PredictRequest(FORMAT_ROWS, inputs, rows, probabilities)


def _row_inputs(data: Any, signature: Signature) -> tuple[dict[str, list[Any]], int]:
    checks = checkers(signature)
    if len(checks) == 1:
        name, check = next(iter(checks.items()))
        if isinstance(data, dict) and set(data) == {name}:
            data = data[name]  # columnar {"<input>": rows}
        rows = check.check_rows(data)
        return {name: rows}, len(rows)
    if isinstance(data, dict):  # columnar: {"<input>": rows, ...}
        _known_names(data, checks)
        inputs = {name: checks[name].check_rows(data[name]) for name in checks}
    elif isinstance(data, list) and data:  # one object per row: [{"<input>": row, ...}, ...]
        inputs = {name: [] for name in checks}
        for i, row in enumerate(data):
            if not isinstance(row, dict):
                raise RequestError(
                    f"row {i} is {shown(row)}; this model has several inputs, so each row "
                    "is an object keyed by input name",
                    hint="Inputs: " + ", ".join(checks),
                )
            _known_names(row, checks, f"row {i}")
            for name, check in checks.items():
                inputs[name].append(check.check_row(i, row[name]))
    else:
        raise RequestError(
            "the list of rows is empty; send at least one row"
            if data == []
            else f"the rows must be a list or an object keyed by input name, not {shown(data)}",
            hint="Inputs: " + ", ".join(checks),
        )
    sizes = {len(v) for v in inputs.values()}
    if len(sizes) != 1:
        raise RequestError(
            "the inputs have different numbers of rows: "
            + ", ".join(f"{n}={len(v)}" for n, v in inputs.items())
        )
    return inputs, sizes.pop()


def _known_names(given: dict[str, Any], checks: dict[str, RowChecker], where: str = "the data") -> None:
    unknown = [k for k in given if k not in checks]
    if unknown:
        raise RequestError(
            f"{where} names unknown input {shown(unknown[0])}", hint="Inputs: " + ", ".join(checks)
        )
    missing = [k for k in checks if k not in given]
    if missing:
        raise RequestError(f"{where} is missing input {missing[0]!r}", hint="Inputs: " + ", ".join(checks))


def _ordered_flat(data: list[Any], name: str) -> list[Any]:
    if list not in set(map(type, data)):  # already flat, as the protocol sends it
        return data
    out: list[Any] = []
    stack = [(iter(data), 0)]
    while stack:
        it, depth = stack[-1]
        for item in it:
            if isinstance(item, list):
                if depth + 1 > MAX_DEPTH:
                    raise RequestError(
                        f"input {name!r}: data is nested deeper than {MAX_DEPTH} levels",
                        hint="Open Inference Protocol data is flat, in row-major order.",
                    )
                stack.append((iter(item), depth + 1))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _reshape(flat: list[Any], dims: list[int]) -> list[Any]:
    if len(dims) <= 1:
        return flat
    step = math.prod(dims[1:])
    return [_reshape(flat[i * step : (i + 1) * step], dims[1:]) for i in range(dims[0])]


def _oip_tensor(raw: Any, i: int, checks: dict[str, RowChecker], free: bool) -> tuple[str, list[Any]]:
    """One tensor's name and checked rows. Without a signature (``free``) the model takes one
    input named "input" in every format, so the predictor reads the same key for rows and OIP."""
    from lambdaserve.runtime.oip_check import OIP_DATATYPE_NAMES, check_datatype, check_shape  # OIP only

    if not isinstance(raw, dict):
        raise RequestError(f"inputs[{i}] must be an object with name, shape, datatype and data")
    name = raw.get("name")
    if not isinstance(name, str):
        raise RequestError(f'inputs[{i}] needs a "name" (a string)', hint="Inputs: " + ", ".join(checks))
    if name not in checks:
        if free:
            raise RequestError(
                f"unknown input {shown(name)}; a model without a signature takes one input, named "
                f"{DEFAULT_INPUT!r}",
                hint=f'Name the tensor "{DEFAULT_INPUT}", or declare the inputs in [signature] of '
                "lambdaserve.toml.",
            )
        raise RequestError(f"unknown input {shown(name)}", hint="Inputs: " + ", ".join(checks))
    shape, datatype, data = raw.get("shape"), raw.get("datatype"), raw.get("data")
    if (
        not isinstance(shape, list)
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise RequestError(
            f"input {name!r}: shape must be a list of non-negative integers, not {shown(shape)}"
        )
    if datatype not in OIP_DATATYPE_NAMES:
        raise RequestError(
            f"input {name!r}: datatype {shown(datatype)} is not an Open Inference Protocol type",
            hint="Use one of " + ", ".join(OIP_DATATYPE_NAMES),
        )
    check = checks.get(name) or RowChecker(None)
    want = _OIP_KIND.get(str(datatype), "number")
    have = check.kind if check.kind != "integer" else "number"
    if check.spec is not None and want != have:
        model_type = OIP_DATATYPES.get(check.dtype, check.dtype)
        raise RequestError(f"input {name!r}: datatype {datatype} does not fit the model's {model_type}")
    if not isinstance(data, list):
        raise RequestError(f"input {name!r}: data must be a list, not {shown(data)}")
    flat = _ordered_flat(data, name)
    check_shape(name, shape, len(flat), check.spec.shape if check.spec is not None else None)
    check_datatype(name, str(datatype), flat, shape, check.nullable)
    return name, check.check_rows(_reshape(flat, shape))


def _oip_inputs(raw_inputs: list[Any], signature: Signature) -> tuple[dict[str, list[Any]], int]:
    if not raw_inputs:
        raise RequestError('"inputs" is empty; send one tensor per model input')
    checks = checkers(signature)
    free = not signature.inputs
    inputs: dict[str, list[Any]] = {}
    for i, raw in enumerate(raw_inputs):
        name, rows = _oip_tensor(raw, i, checks, free)
        if name in inputs:
            raise RequestError(f"input {name!r} is given twice")
        inputs[name] = rows
    _known_names(inputs, checks, '"inputs"')
    sizes = {len(v) for v in inputs.values()}
    if len(sizes) != 1:
        raise RequestError(
            "the inputs have different batch sizes: " + ", ".join(f"{n}={len(v)}" for n, v in inputs.items())
        )
    return inputs, sizes.pop()


class OutputError(Exception):
    """The model answered something that does not fit the request (a server-side fault)."""


def _plain_outputs(outputs: Any, rows: int, plain: Plain) -> dict[str, tuple[Any, Any]]:
    if not isinstance(outputs, dict) or not outputs:
        raise OutputError(f"the model returned {type(outputs).__name__}, not a dict of outputs")
    out: dict[str, tuple[Any, Any]] = {}
    for name, value in outputs.items():
        converted = plain.convert(value)
        if not isinstance(converted, list):  # e.g. np.float64(x.sum()): one value for the whole batch
            raise OutputError(f"output {name!r} is one {type(value).__name__}, not a value per row, "
                              f"for {rows} inputs")
        if len(converted) != rows:
            raise OutputError(f"output {name!r} has {len(converted)} rows for {rows} inputs")
        out[str(name)] = (value, converted)
    return out


def rows_answer(outputs: Any, rows: int, plain: Plain) -> dict[str, Any]:
    """{"predictions": [...]}: one per row; a dict per row when the model has several outputs."""
    converted = _plain_outputs(outputs, rows, plain)
    if len(converted) == 1:
        return {"predictions": next(iter(converted.values()))[1]}
    return {"predictions": [{name: c[i] for name, (_, c) in converted.items()} for i in range(rows)]}


def oip_answer(outputs: Any, rows: int, plain: Plain, model_name: str, oip_id: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"model_name": model_name}
    if oip_id is not None:
        answer["id"] = oip_id
    converted = _plain_outputs(outputs, rows, plain)
    answer["outputs"] = [_answer_tensor(name, value, c) for name, (value, c) in converted.items()]
    return answer


def _answer_tensor(name: str, value: Any, plain: Any) -> dict[str, Any]:
    """One output as an Open Inference Protocol tensor: a shape and its flat values. A predictor's
    rows of JSON objects, or of lists of different lengths, are no tensor: shape and data would
    disagree, so the client is told to ask in the form that carries them."""
    shape = shape_of(value, plain)
    if not _regular(plain, shape):
        raise RequestError(f"output {name!r} holds JSON objects or rows of different lengths, which an "
                           "Open Inference Protocol tensor cannot carry",
                           hint='Send the rows as {"data": [...]} (or "instances"): the answer comes as '
                                '{"predictions": [...]}.')
    return {"name": name, "shape": shape, "datatype": oip_datatype(value, plain), "data": flatten(plain)}


def _regular(plain: Any, shape: list[int]) -> bool:
    """True when ``plain`` is nested lists of exactly ``shape`` holding scalars."""
    if not shape:
        return not isinstance(plain, list | dict)
    return (isinstance(plain, list) and len(plain) == shape[0]
            and all(_regular(item, shape[1:]) for item in plain))


def zero_inputs(signature: Signature) -> dict[str, list[Any]] | None:
    """One all-zero row per input for the warm-up, or None when a shape is not fully known."""
    if signature.columns:
        from lambdaserve.runtime import table

        return table.example_inputs(signature.columns)
    if not signature.inputs:
        return None
    zeros = {"number": 0.0, "integer": 0, "boolean": False, "string": ""}
    out: dict[str, list[Any]] = {}
    for spec in signature.inputs:
        dims = spec.row_shape
        if any(d is None for d in dims) or kind_of(spec.dtype) == "any":
            return None
        out[spec.name] = [_filled(zeros[kind_of(spec.dtype)], [int(d or 0) for d in dims])]
    return out


def _filled(value: Any, dims: list[int]) -> Any:
    return [_filled(value, dims[1:]) for _ in range(dims[0])] if dims else value
