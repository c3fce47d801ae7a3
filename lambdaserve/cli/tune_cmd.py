"""`lambdaserve tune`: local power tuning in the emulator, before any deploy.

Each memory size runs in real awslambdaric workers under that size's memory cap and CPU
share (a CFS quota, emulator/sandbox/cpu.py); lambdaserve.tune turns the measurements into cost per
1M requests and recommendations. stdout gets the table; the progress bar goes to stderr.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lambdaserve.cli import wiring
from lambdaserve.cli.invoke_io import read_event
from lambdaserve.config import Config, load_config
from lambdaserve.emulator import Function
from lambdaserve.emulator.sandbox import CpuLimit, host_cpus
from lambdaserve.errors import LambdaServeError, UsageError
from lambdaserve.runtime.formats import zero_inputs
from lambdaserve.tune import (
    DEFAULT_PRICES,
    DEFAULT_SIZES,
    STRATEGIES,
    CpuNote,
    Runner,
    SizeResult,
    SizeRun,
    analyse,
    load_prices,
    parse_sizes,
    recommend,
    render_svg,
    run_sizes,
    set_memory,
)

if TYPE_CHECKING:
    from lambdaserve.emulator import Sandbox


def _payload(config: Config, event: Path | None, data: str | None) -> bytes:
    if event is not None and data is not None:
        raise UsageError("pass at most one of --event and --data",
                         hint="--event FILE holds a whole event; --data '[[...]]' holds rows.")
    if event is not None or data is not None:  # read as invoke reads them: the same messages
        return json.dumps(read_event(None if event is None else str(event), data)).encode()
    zeros = zero_inputs(config.signature) if config.signature is not None else None
    if zeros is None:
        zeros = _model_sample(config)
    return json.dumps({"data": next(iter(zeros.values()))} if len(zeros) == 1 else
                      {"data": [{name: rows[0] for name, rows in zeros.items()}]}).encode()


def _model_sample(config: Config) -> dict[str, list[Any]]:
    """One all-zero row from the model's own signature (loads the model here, once)."""
    from lambdaserve.config import runtime_env
    from lambdaserve.runtime.loaders import load_model
    from lambdaserve.runtime.settings import RuntimeSettings

    signature = load_model(RuntimeSettings.from_env(runtime_env(config))).signature
    zeros = zero_inputs(signature)
    if zeros is None:
        raise LambdaServeError("the model's signature does not say what one row looks like",
                               hint="Pass a request with --data '[[...]]' or --event FILE.")
    return zeros


def _note(limit: CpuLimit | None, vcpus: float) -> CpuNote:
    if limit is None:
        return CpuNote(vcpus, None, "none", vcpus > host_cpus(), "not asked for")
    mechanism = {"cgroup2": "cgroup2 cpu.max", "cgroup1": "cgroup1 cpu.cfs_quota_us"}.get(limit.kind, "none")
    return CpuNote(limit.requested_vcpus, limit.applied_vcpus, mechanism, limit.capped, limit.reason)


def _error_type(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("errorType", "error"))
    except (ValueError, AttributeError):
        return "error"


def emulator_runner(config: Config, payload: bytes, *, cold_starts: int, requests: int, sandbox: Sandbox,
                    ) -> Runner:
    """Measure a size: ``cold_starts`` fresh environments (one invoke each), then ``requests``
    warm invokes in the last of them."""
    base = wiring.function_spec(config, concurrency=1, sandbox=sandbox)

    def run(memory_mb: int, vcpus: float, tick: Callable[[], None]) -> SizeRun:
        spec = dataclasses.replace(base, memory_mb=memory_mb, cpu_vcpus=vcpus, idle_timeout_s=3600.0)
        inits: list[float] = []
        firsts: list[float] = []
        warm: list[float] = []
        errors: list[str] = []
        peak, limit = 0, None
        for index in range(cold_starts):
            with Function(spec) as function:
                result = function.invoke(payload)
                limit = function.cpu_limit
                tick()
                peak = max(peak, result.max_memory_mb)
                if result.function_error:
                    errors.append(_error_type(result.payload))
                    continue
                if result.init_duration_ms is not None:
                    inits.append(result.init_duration_ms)
                firsts.append(result.duration_ms)
                if index < cold_starts - 1:
                    continue
                for _ in range(requests):
                    result = function.invoke(payload)
                    tick()
                    peak = max(peak, result.max_memory_mb)
                    if result.function_error:
                        errors.append(_error_type(result.payload))
                        break
                    warm.append(result.duration_ms)
        return SizeRun(memory_mb, tuple(inits), tuple(warm), tuple(firsts), peak,
                       tuple(dict.fromkeys(errors)), _note(limit, vcpus))

    return run


def _vcpu_cell(note: CpuNote) -> str:
    if not note.enforced:
        return f"{note.requested_vcpus:.3f} NOT enforced"
    if note.capped:
        return f"{note.applied_vcpus:g} capped ({note.requested_vcpus:.2f})"
    return f"{note.applied_vcpus:.3f}"


def _table(runs: list[SizeRun], results: list[SizeResult], title: str) -> Table:
    by_memory = {r.memory_mb: r for r in results}
    table = Table(title=title)
    for name in ("MB", "vCPU", "init ms", "warm ms", "p95 ms", "peak MB", "$/1M req", "errors"):
        table.add_column(name, justify="left" if name in ("vCPU", "errors") else "right")
    for run in runs:
        result = by_memory.get(run.memory_mb)
        init = "-" if result is None or result.init_ms is None else f"{result.init_ms:,.0f}"
        warm = f"{result.warm_ms:,.2f}" if result else "-"
        p95 = f"{result.warm_p95_ms:,.2f}" if result else "-"
        cost = f"{result.cost_per_million:.4f}" if result else "-"
        table.add_row(str(run.memory_mb), _vcpu_cell(run.cpu), init, warm, p95, str(run.max_memory_mb), cost,
                      ", ".join(run.errors) or "")
    return table


@click.command("tune")
@click.option("--config", "config_path", default=".", type=click.Path(path_type=Path),
              help="The project folder or its lambdaserve.toml.")
@click.option("--memory", "memory", default=",".join(map(str, DEFAULT_SIZES)), show_default=True,
              help="Memory sizes in MB, comma-separated.")
@click.option("--requests", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="Warm invocations per size.")
@click.option("--cold-starts", default=3, show_default=True, type=click.IntRange(1, 50),
              help="Fresh environments per size (each one cold start).")
@click.option("--data", default=None, help="JSON rows to send (as {\"data\": ...}); default: a zero row "
                                           "from the model's signature.")
@click.option("--event", default=None, type=click.Path(path_type=Path, dir_okay=False), help="An event file.")
@click.option("--architecture", default=None, type=click.Choice(["x86_64", "arm64"]),
              help="Whose prices apply (default: function.architecture).")
@click.option("--prices", "prices_file", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML price table overriding the built-in, dated one.")
@click.option("--cold-ratio", default=0.01, show_default=True, type=click.FloatRange(0, 1),
              help="Share of requests that are cold starts, for the init's cost.")
@click.option("--weight", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Balanced strategy: weight of cost against speed.")
@click.option("--strategy", default="balanced", show_default=True, type=click.Choice(list(STRATEGIES)),
              help="Which recommendation --apply writes.")
@click.option("--apply", "apply_", is_flag=True, help="Write the recommended memory into lambdaserve.toml.")
@click.option("--plot", "plot_path", default=None, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the SVG chart (default: tune-<name>.svg in the project folder).")
@click.option("--sandbox", default="process", type=click.Choice(["process", "namespace"]),
              help="Isolation of the local Lambda.")
def tune(config_path: Path, memory: str, requests: int, cold_starts: int, data: str | None,
         event: Path | None, architecture: str | None, prices_file: Path | None, cold_ratio: float,
         weight: float, strategy: str, apply_: bool, plot_path: Path | None, sandbox: Sandbox) -> None:
    """Measure cold start, warm latency and cost per memory size locally; recommend one."""
    config = load_config(config_path)
    sizes = parse_sizes(memory)
    prices = load_prices(prices_file) if prices_file else DEFAULT_PRICES
    arch = architecture or config.function.architecture
    payload = _payload(config, event, data)
    out = Console(highlight=False)
    runner = emulator_runner(config, payload, cold_starts=cold_starts, requests=requests, sandbox=sandbox)
    progress = Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    with progress:
        task = progress.add_task("tuning", total=len(sizes) * (cold_starts + requests))
        runs = run_sizes(sizes, runner, tick=lambda: progress.advance(task),
                         on_size=lambda mb: progress.update(task, description=f"{mb} MB"))
    results = analyse(runs, prices, arch, cold_ratio)
    title = f"{config.name}: {arch}, {prices.region} prices of {prices.as_of}, {cold_ratio:.0%} cold"
    out.print(_table(runs, results, title))
    picks = {name: recommend(results, name, weight) for name in STRATEGIES}
    for name, pick in picks.items():
        out.print(f"[bold]{name:>8}[/]: {pick.memory_mb} MB  (${pick.cost_per_million:.4f} per 1M requests, "
                  f"{pick.warm_ms:,.2f} ms warm)")
    _notes(out, runs, arch)
    plot = plot_path or config.project_dir / f"tune-{config.name}.svg"
    svg = render_svg(results, {n: p.memory_mb for n, p in picks.items()}, title=title)
    plot.write_text(svg, encoding="utf-8")
    out.print(f"plot: {plot}")
    if apply_:
        chosen = picks[strategy].memory_mb
        old = set_memory(config.source, chosen)
        out.print(f"applied: function.memory = {chosen} in {config.source} (was {old if old else 'unset'}; "
                  f"{strategy} strategy)")


def _notes(out: Console, runs: list[SizeRun], arch: str) -> None:
    cores = host_cpus()
    mechanisms = sorted({r.cpu.mechanism for r in runs if r.cpu.enforced})
    if mechanisms:
        out.print(f"CPU share enforced per environment with {', '.join(mechanisms)} (init on a full vCPU, "
                  "as on-demand Lambda; invocations on memory/1769 vCPU).")
    unenforced = [r.memory_mb for r in runs if not r.cpu.enforced]
    if unenforced:
        reason = next(r.cpu.reason for r in runs if not r.cpu.enforced)
        out.print(f"[bold yellow]note:[/] CPU share NOT enforced for {', '.join(map(str, unenforced))} MB: "
                  f"{reason}. Those latencies use the whole host and understate small sizes.")
    capped = [r.memory_mb for r in runs if r.cpu.capped]
    if capped:
        out.print(f"[bold yellow]note:[/] {', '.join(map(str, capped))} MB: Lambda's share exceeds this "
                  f"host's {cores} cores, so they ran capped at {cores} vCPU; Lambda may be faster there.")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > cores / 2:
        out.print(f"[bold yellow]note:[/] host load average {load:.1f} on {cores} cores: numbers measured "
                  "under load (a quota is a ceiling, not a reservation).")
    if arch != os.uname().machine.replace("aarch64", "arm64"):
        out.print(f"[bold yellow]note:[/] measured on this {os.uname().machine} host; {arch} prices applied.")


COMMANDS = [tune]
