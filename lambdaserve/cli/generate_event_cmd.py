"""`lambdaserve generate-event`: print an event of the real shape, for `invoke --event` or tests."""

from __future__ import annotations

import json

import click

from lambdaserve.emulator.fronts import IncomingRequest, alb_event, function_url_event, http_event, rest_event
from lambdaserve.errors import UsageError

SOURCES = ("apigw", "http", "url", "alb", "direct")
_HOSTS = {"apigw": "abcdef1234.execute-api.us-east-1.amazonaws.com",
          "http": "abcdef1234.execute-api.us-east-1.amazonaws.com",
          "url": "abcdefghijklmnop1234567890abcdef.lambda-url.us-east-1.on.aws",
          "alb": "lambdaserve-alb-123456789.us-east-1.elb.amazonaws.com"}


@click.command("generate-event")
@click.argument("source", type=click.Choice(SOURCES))
@click.option("--body", default='{"data": [[5.1, 3.5, 1.4, 0.2]]}', show_default=True,
              help="The request body (JSON).")
@click.option("--path", "path", default="/predict", show_default=True, help="The request path.")
@click.option("--method", default="POST", show_default=True, help="The HTTP method.")
@click.option("--stage", default=None, help="API stage; default prod for apigw, $default for http.")
def generate_event(source: str, body: str, path: str, method: str, stage: str | None) -> None:
    """Print an event as API Gateway (REST or HTTP API), a Function URL, an ALB or a direct call sends it."""
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--body is not valid JSON: {exc}",
                         hint='Quote it for the shell: --body \'{"data": [[1, 2]]}\'.') from exc
    if source == "direct":
        click.echo(json.dumps(parsed, indent=2))
        return
    if not path.startswith("/"):
        raise UsageError(f"--path {path!r} must start with /", hint="For example --path /predict.")
    method = method.upper()
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


COMMANDS = [generate_event]
