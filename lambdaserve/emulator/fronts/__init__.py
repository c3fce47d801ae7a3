"""What sits in front of the local Lambda: API Gateway, the Invoke API, one server, events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.emulator.fronts.alb import LoadBalancer
    from lambdaserve.emulator.fronts.apigw import ApiGateway, ApiKind, ApiSettings
    from lambdaserve.emulator.fronts.events import (
        IncomingRequest,
        alb_event,
        function_url_event,
        http_event,
        rest_event,
    )
    from lambdaserve.emulator.fronts.front import Front
    from lambdaserve.emulator.fronts.function_url import FunctionUrl
    from lambdaserve.emulator.fronts.invoke_api import InvokeApi
    from lambdaserve.emulator.fronts.routing import local_api_keys
    from lambdaserve.emulator.fronts.server import READ_TIMEOUT_S, EmulatorServer
    from lambdaserve.emulator.fronts.weighted import VersionStats, WeightedAlias, alarms_fired

_EXPORTS = {
    "ApiGateway": "lambdaserve.emulator.fronts.apigw",
    "VersionStats": "lambdaserve.emulator.fronts.weighted",
    "WeightedAlias": "lambdaserve.emulator.fronts.weighted",
    "alarms_fired": "lambdaserve.emulator.fronts.weighted",
    "ApiKind": "lambdaserve.emulator.fronts.apigw",
    "ApiSettings": "lambdaserve.emulator.fronts.apigw",
    "EmulatorServer": "lambdaserve.emulator.fronts.server",
    "Front": "lambdaserve.emulator.fronts.front",
    "FunctionUrl": "lambdaserve.emulator.fronts.function_url",
    "IncomingRequest": "lambdaserve.emulator.fronts.events",
    "InvokeApi": "lambdaserve.emulator.fronts.invoke_api",
    "LoadBalancer": "lambdaserve.emulator.fronts.alb",
    "READ_TIMEOUT_S": "lambdaserve.emulator.fronts.server",
    "alb_event": "lambdaserve.emulator.fronts.events",
    "function_url_event": "lambdaserve.emulator.fronts.events",
    "http_event": "lambdaserve.emulator.fronts.events",
    "local_api_keys": "lambdaserve.emulator.fronts.routing",
    "rest_event": "lambdaserve.emulator.fronts.events",
}
__all__ = [
    "ApiGateway",
    "ApiKind",
    "ApiSettings",
    "EmulatorServer",
    "Front",
    "FunctionUrl",
    "IncomingRequest",
    "InvokeApi",
    "LoadBalancer",
    "READ_TIMEOUT_S",
    "VersionStats",
    "WeightedAlias",
    "alarms_fired",
    "alb_event",
    "function_url_event",
    "http_event",
    "local_api_keys",
    "rest_event",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
