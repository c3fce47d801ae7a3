"""`lambdaserve generate-event`: print an event of the real shape, for `invoke --event` or tests.

Without --body, the body is one the project's model answers: the first of golden.json (the
sample rows `init --sample` recorded, or the user's own), else the first golden request the last
proved build recorded for its zip (a zero row from the package's own signature), else a zero row
from the declared [signature]; the path is api.path. Where it came from goes to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from lambdaserve.config import Config, load_config, project_config
from lambdaserve.emulator.fronts import IncomingRequest, alb_event, function_url_event, http_event, rest_event
from lambdaserve.errors import UsageError

SOURCES = ("apigw", "http", "url", "alb", "direct")
_HOSTS = {"apigw": "abcdef1234.execute-api.us-east-1.amazonaws.com",
          "http": "abcdef1234.execute-api.us-east-1.amazonaws.com",
          "url": "abcdefghijklmnop1234567890abcdef.lambda-url.us-east-1.on.aws",
          "alb": "lambdaserve-alb-123456789.us-east-1.elb.amazonaws.com"}


@click.command("generate-event")
@click.argument("source", type=click.Choice(SOURCES))
@click.option("--body", default=None,
              help="The request body (JSON); default: one the project's model answers (golden.json, the "
                   "last build's golden request, or a zero row from [signature]).")
@click.option("--path", "path", default=None, help="The request path; default: api.path (/predict).")
@click.option("--method", default="POST", show_default=True, help="The HTTP method.")
@click.option("--stage", default=None, help="API stage; default prod for apigw, $default for http.")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project (its lambdaserve.toml) the default body and path come from.")
def generate_event(source: str, body: str | None, path: str | None, method: str, stage: str | None,
                   config_path: Path) -> None:
    """Print an event as API Gateway (REST or HTTP API), a Function URL, an ALB or a direct call sends it."""
    method = method.upper()
    if path is not None and not path.startswith("/"):
        raise UsageError(f"--path {path!r} must start with /", hint="For example --path /predict.")
    needs_body = body is None and method not in ("GET", "HEAD", "OPTIONS", "DELETE")
    # the project is looked up once: required for the body, optional for the path alone
    config = load_config(config_path) if needs_body else project_config(config_path) if path is None else None
    path = path if path is not None else config.api.path if config is not None else "/predict"
    if body is None:
        parsed: Any = None
        if needs_body and config is not None:
            parsed, where = project_body(config)
            click.echo(f"body: {where}", err=True)
        body = "" if parsed is None else json.dumps(parsed)
    else:
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--body is not valid JSON: {exc}",
                             hint='Quote it for the shell: --body \'{"data": [[1, 2]]}\'.') from exc
    if source == "direct":
        click.echo(json.dumps(parsed, indent=2))
        return
    path, _, query = path.partition("?")
    req = IncomingRequest(method=method, path=path, query=query, body=body.encode() if body else b"",
                          source_ip="203.0.113.10",
                          headers=[("Host", _HOSTS[source]), ("Content-Type", "application/json"),
                                   ("Accept", "*/*"), ("User-Agent", "curl/8.5.0")])
    if source == "apigw":
        event = rest_event(req, resource=path, stage=stage or "prod")
    elif source == "http":
        event = http_event(req, route_key=f"{method} {path}", stage=stage or "$default")
    elif source == "url":
        event = function_url_event(req)
    else:
        event = alb_event(req)
    click.echo(json.dumps(event, indent=2))


def project_body(config: Config) -> tuple[Any, str]:
    """A request body the project's model answers, and where it came from (see the module's doc)."""
    from lambdaserve.cli.build_proof import given_bodies, golden_for, zero_row_body
    from lambdaserve.runtime.golden import requests_from_bodies

    bodies, _ = given_bodies(config, None)
    if bodies:
        name, first = bodies[0]
        return requests_from_bodies([(name, first)], config.api.path)[0].body, name
    built = config.build_dir / f"{config.name}.zip"
    if built.is_file():
        golden, _why = golden_for(config, built)
        if golden is not None and golden.requests and golden.requests[0].answer is not None:
            first = golden.requests[0]
            return first.body, f"{first.name}, recorded by the last build of {built.name}"
    zero = zero_row_body(config.signature) if config.signature is not None else None
    if zero is not None:
        return requests_from_bodies([("", zero)], config.api.path)[0].body, "a zero row from [signature]"
    raise UsageError(f"nothing in {config.project_dir} says what {config.name}'s model takes: no "
                     "golden.json, no proved build, no [signature] with every input's shape",
                     hint="Pass --body '{\"data\": [[...]]}', or run `lambdaserve build` first.")


COMMANDS = [generate_event]
