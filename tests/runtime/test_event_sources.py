"""REST routing behind a custom domain, and events from sources the runtime does not serve."""

from __future__ import annotations

import json

import pytest

from lambdaserve.runtime.events import SOURCE_REST, UnsupportedEventError, parse_event
from tests.runtime.support import Context, SumClassifier, load_event, runtime

ROWS = {"data": [[5.1, 3.5, 1.4, 0.2], [-6.0, -1.0, -1.0, -1.0]]}


def _base_path_event(path: str, resource: str, method: str = "POST") -> dict:
    # for parity: through a custom domain with base path "api", `path` carries the base path,
    # `resource` is the API's own resource and requestContext.path is what the client asked for.
    event = load_event("apigw-rest-proxy.json")
    event.update({"resource": resource, "path": path, "httpMethod": method, "isBase64Encoded": False,
                  "body": json.dumps(ROWS) if method == "POST" else None})
    event["requestContext"].update({"resourcePath": resource, "path": path, "httpMethod": method,
                                    "stage": "prod", "domainName": "models.example.com"})
    event["pathParameters"] = None
    return event


def test_rest_behind_a_base_path_mapping_routes_on_resource():
    rt, _ = runtime()
    result = rt.handle(_base_path_event("/api/predict", "/predict"), Context())
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"]) == {"predictions": [1, 0]}
    health = rt.handle(_base_path_event("/api/health", "/health", "GET"), Context())
    assert health["statusCode"] == 200


def test_rest_greedy_resource_routes_on_the_path_parameter():
    # for parity: a {proxy+} resource names the matched rest of the path in pathParameters.
    event = _base_path_event("/api/docs/swagger-ui.css", "/docs/{proxy+}", "GET")
    event["pathParameters"] = {"proxy": "swagger-ui.css"}
    request = parse_event(event, "/predict")
    assert request.source == SOURCE_REST
    assert request.path == "/docs/swagger-ui.css"
    assert request.prefix == "/api"


def test_rest_without_a_resource_still_routes_on_path():
    event = load_event("apigw-rest-proxy.json")
    event.pop("resource")
    event["path"] = "/predict"
    assert parse_event(event, "/predict").path == "/predict"


# for parity: the documented shapes' identifying keys (Lambda developer guide, "Using AWS Lambda with
# other services"): Records[].eventSource, SNS's Records[].EventSource, EventBridge's source/detail-type.
NON_HTTP = {
    "SQS": {"Records": [{"messageId": "m1", "body": "{}", "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"}]},
    "S3": {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}}]},
    "SNS": {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "Sns": {"Type": "Notification", "Message": "hi"}}]},
    "Kinesis": {"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": "e30="}}]},
    "DynamoDB": {"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {}}]},
    "EventBridge": {"version": "0", "id": "1", "detail-type": "Object Created", "source": "aws.s3",
                    "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
                    "resources": [], "detail": {}},
    "Kafka": {"eventSource": "aws:kafka", "records": {"topic-0": []}},
    "CloudWatch Logs": {"awslogs": {"data": "H4sIAAAAAAAA"}},
}


@pytest.mark.parametrize("kind", sorted(NON_HTTP))
def test_non_http_events_fail_the_invocation_naming_their_source(kind):
    # A successful answer would make SQS delete the messages and async sources skip their retries.
    model = SumClassifier()
    rt, _ = runtime(model)
    with pytest.raises(UnsupportedEventError) as info:
        rt.handle(NON_HTTP[kind], Context())
    assert kind.split()[0].lower() in info.value.message.lower()
    assert model.calls == []


def test_the_keep_warm_schedule_still_answers():
    rt, _ = runtime()
    assert rt.handle(load_event("scheduled-event.json"), Context())["status"] == "ok"
