"""`deploy --target local` after the stack update: the alias moved and smoke-tested, or with a
traffic shift, the canary rehearsed in the local cloud.

What CodeDeploy does on AWS, done here in seconds: the new version is published but the alias
stays on the old one; a pre-traffic check replays the build's golden requests against the new
version alone; then the alias's routing config (AdditionalVersionWeights, kept by the local
cloud) gives the new version its share, step by step as the configured shift says. The emulator
serves both versions by the weights it reads back from the local cloud's alias, while the
rehearsal sends the golden requests through the local API Gateway as traffic. During each step,
the new version's own errors, 5xx answers and p99 duration are held against the alarm thresholds
(deploy.alarm_*) once a minute of the shift, as CloudWatch evaluates them: one firing points the
alias back at the old version at once.

Time is compressed by ``speed`` (default 60: a minute of the shift takes a second), so
Canary10Percent5Minutes is 5 s at 10 %, then 100 %.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from lambdaserve.cli import serve_cmd
from lambdaserve.cli.cloud_session import CloudSession, TerminalUI
from lambdaserve.cli.local_serve import deployed_spec, smoke_deployed
from lambdaserve.cloud.cfn import ALIAS_NAME
from lambdaserve.cloud.stack import (
    LOCAL_SHIFT_SPEED,
    SmokeResult,
    alias_version,
    point,
    publish,
    publish_and_point,
    roll_back,
    shift_schedule,
    smoke_test,
    urllib_get,
    urllib_post,
)
from lambdaserve.config import Config
from lambdaserve.emulator.execution import Function, unreported
from lambdaserve.emulator.fronts import ApiGateway, EmulatorServer, InvokeApi, WeightedAlias, alarms_fired
from lambdaserve.errors import CloudError
from lambdaserve.package import cause_of
from lambdaserve.runtime.golden import GoldenSet

# How long the rehearsal waits for the new version's last invocations to be logged (their REPORT)
# before it reads why they failed: a wrong 200 answer reaches the client before its lines do.
LOG_SETTLE_S = 5.0
# Requests per minute of the shift: a fixed count (not a rate), so a loaded machine stretches the
# minute instead of thinning the sample the alarms judge; with a seeded draw the routing repeats.
PER_MINUTE = 20


@dataclass(frozen=True)
class CanaryResult:
    promoted: bool
    reason: str  # why it was rolled back ("" when promoted)
    new_requests: int  # requests the new version served while it took a share
    requests: int  # all requests of the shift's steps
    seconds: float  # how long (here) the new version took a share of the traffic
    minutes: float  # what that stands for in the shift's own time
    cause: str = ""  # the new version's log lines explaining a failure

    def share(self) -> str:
        part = self.new_requests / self.requests if self.requests else 0.0
        return (f"the new version served {self.new_requests} of {self.requests} requests ({part:.1%}) for "
                f"{self.seconds:.1f} s here ({self.minutes:g} min of the shift)")


def release_locally(config: Config, cloud: CloudSession, ui: TerminalUI, outputs: dict[str, str],
                   description: str, golden: GoldenSet | None, speed: float,
                   smoke: bool) -> tuple[SmokeResult | None, str]:
    """The local cloud's alias moved to the deployed code (moto's CloudFormation has no aliases), then
    checked: a smoke test that points the alias back on a failure, or with deploy.traffic_shift the
    shift rehearsed (rehearse_shift). Returns the smoke result and the shift's verdict ("" for none)."""
    function = outputs["FunctionName"]
    previous = alias_version(cloud.clients, function, ALIAS_NAME)  # a failure points the alias back there
    shift = config.deploy.traffic_shift
    if shift and previous:
        new = publish(cloud.clients, function, description)
        if new != previous:
            ui.info(f"local cloud: published version {new}; alias {ALIAS_NAME!r} stays on version {previous} "
                    "until the shift moves it")
            canary = rehearse_shift(config, cloud, outputs, golden, previous=previous, new=new, log=ui.info,
                                    speed=speed)
            if not canary.promoted:
                log = f"The new version's log says:\n{canary.cause}\n" if canary.cause else ""
                raise CloudError(f"traffic shift {shift}: version {new} rolled back: {canary.reason}; "
                                 f"{canary.share()}; alias {ALIAS_NAME!r} serves version {previous} again",
                                 hint=f"{log}Fix the model and deploy again; `lambdaserve serve --built` "
                                      "runs the package locally.")
            return None, f"promoted: version {new} serves all traffic; {canary.share()}"
        ui.info(f"local cloud: the code did not change (version {new}): nothing to shift")
    elif shift:
        ui.info(f"traffic shift {shift}: a first deploy has no version to shift from; the alias points at "
                "the first version directly (as CodeDeploy does on a stack's create)")
    version = publish_and_point(cloud.clients, function, ALIAS_NAME, description, ui.warn)
    ui.info(f"local cloud: alias {ALIAS_NAME!r} set to version {version} through Lambda's API")
    if not smoke:
        return None, ""
    return smoke_deployed(config, cloud, outputs, golden, log=ui.info, previous=previous), ""


def rehearse_shift(config: Config, cloud: CloudSession, outputs: dict[str, str], golden: GoldenSet | None, *,
                   previous: str, new: str, log: Callable[[str], None], speed: float = LOCAL_SHIFT_SPEED,
                   rng: random.Random | None = None, clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> CanaryResult:
    """Shift the alias from ``previous`` to ``new`` as deploy.traffic_shift says, with the checks."""
    name = outputs["FunctionName"]
    schedule = shift_schedule(config.deploy.traffic_shift)
    old_spec, _ = deployed_spec(config, cloud, outputs, previous)
    new_spec, new_what = deployed_spec(config, cloud, outputs, new)
    new_lines: list[str] = []
    old_fn = Function(old_spec, log_sink=lambda _line: None)
    new_fn = Function(new_spec, log_sink=new_lines.append)
    alias = WeightedAlias({previous: old_fn, new: new_fn}, previous, rng or random.Random(0))
    api = serve_cmd.api_settings(config, None, new_spec)
    server = EmulatorServer(ApiGateway(alias, api), InvokeApi({name: alias}, region=new_spec.region), port=0)
    with old_fn, new_fn, server:
        server.start()
        base = server.url + ("" if api.stage == "$default" else f"/{api.stage}")
        alias.route(new)  # the pre-traffic hook invokes the new version itself, as CodeDeploy's does
        log(f"traffic shift {config.deploy.traffic_shift} (local, {speed:g}x faster): pre-traffic check, "
            f"{new_what} answers the golden requests")
        hook = smoke_test(base, golden=golden, auth=config.api.auth, attempts=1)
        alias.route(previous)
        alias.take_stats()  # the hook's requests are not traffic
        if not hook.ok:
            cause, _hint = cause_of(settled_log(new_lines, clock, sleep), last_line=False)
            return CanaryResult(False, f"the pre-traffic check failed: {hook.detail}", 0, 0, 0.0, 0.0, cause)
        log(f"  pre-traffic check passed: {hook.detail}")
        served = total = 0
        seconds = minutes = 0.0
        for number, (share, wait_minutes) in enumerate(schedule, 1):
            if share < 1.0:
                point(cloud.clients, name, ALIAS_NAME, previous, {new: share})
            else:
                point(cloud.clients, name, ALIAS_NAME, new)
            routing = cloud.clients.call("lambda", "get_alias", FunctionName=name, Name=ALIAS_NAME)
            weights = routing.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
            alias.route(str(routing["FunctionVersion"]), {str(v): float(w) for v, w in weights.items()})
            if share >= 1.0:
                log(f"  step {number}/{len(schedule)}: version {new} takes 100% of the traffic: promoted")
                return CanaryResult(True, "", served, total, seconds, minutes)
            log(f"  step {number}/{len(schedule)}: version {new} takes {share:.0%} (alias {ALIAS_NAME!r} on "
                f"version {previous}, weights {dict(weights)}) for {wait_minutes:g} min")
            # CloudWatch evaluates the alarms once a minute (their period): so does the rehearsal
            for minute in range(1, math.ceil(wait_minutes) + 1):
                window = min(1.0, wait_minutes - (minute - 1)) * 60.0 / speed
                fraction = window * speed / 60.0
                count = max(1, round(PER_MINUTE * fraction))
                sent, took = _traffic(base, golden, count, window, clock, sleep)
                stats = alias.take_stats()
                mine = stats[new]
                served, total = served + mine.requests, total + sum(s.requests for s in stats.values())
                seconds, minutes = seconds + took, minutes + fraction
                fired = alarms_fired(mine, config.deploy)
                log(f"    minute {minute} ({took:.1f} s here): {sent} requests, version {new} served "
                    f"{mine.requests}: errors {mine.errors}, 5xx {mine.status_5xx}, "
                    f"p99 {mine.p99_ms():.0f} ms; alarms: {', '.join(fired) or 'OK'}")
                if fired:
                    roll_back(cloud.clients, name, ALIAS_NAME, to=previous)
                    alias.route(previous)
                    cause, _hint = cause_of(settled_log(new_lines, clock, sleep), last_line=False)
                    return CanaryResult(False, f"alarm {fired[0]}", served, total, seconds, minutes, cause)
    return CanaryResult(True, "", served, total, seconds, minutes)  # a schedule always ends at 100 %


def settled_log(lines: list[str], clock: Callable[[], float], sleep: Callable[[float], None],
                wait_s: float = LOG_SETTLE_S) -> str:
    """The log once every invocation in it has its REPORT (the server writes END and REPORT after
    the client has the answer, so a failed answer's own lines may still be on their way), or
    what is there after ``wait_s``."""
    deadline = clock() + wait_s
    while unreported(list(lines)) and clock() < deadline:
        sleep(0.01)
    return "\n".join(lines)


def _traffic(base: str, golden: GoldenSet | None, count: int, window: float, clock: Callable[[], float],
             sleep: Callable[[float], None]) -> tuple[int, float]:
    """Send ``count`` golden requests round-robin (else GET /health) spread over ``window`` seconds;
    returns how many were sent and the seconds it took (longer than ``window`` on a busy machine)."""
    requests = list(golden.requests) if golden is not None else []
    start = clock()
    for sent in range(count):
        try:
            if requests:
                request = requests[sent % len(requests)]
                urllib_post(request.url(base), request.data(), 30.0)
            else:
                urllib_get(base + "/health", 30.0)
        except OSError:
            pass  # a dropped answer counts in the version's own stats, or not at all
        sleep(max(0.0, start + window * (sent + 1) / count - clock()))
    return count, clock() - start
