"""The project's lambdaserve.lock: missing, stale, or pinning other versions than this environment has.

Build reads the lock by the same rule (config/lock_file.py): without a lock, or with one made for
other requirements, the resolver chooses the function's dependencies; with one, the function ships
its pins. `invoke` and `serve` run the model in this environment, so a pin that differs from what
is installed here means the local model answers with other code than the deployed one.
"""

from __future__ import annotations

from lambdaserve.config.lock_file import LOCK_COMMAND, lock_use
from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, skipped, warning
from lambdaserve.errors import BuildError

_SHOWN = 6  # differing packages named in the message; the rest are counted


def run(ctx: DoctorContext) -> list[Finding]:
    config = ctx.config
    if config is None:
        return [skipped("no project")]
    if not config.function.requirements:
        return [skipped("function.requirements is empty: no dependencies to pin")]
    try:
        use = lock_use(config)
    except BuildError as exc:  # a line that is no pin: build stops on it too
        return [error(exc.message, exc.hint, file=str(config.lock_file))]
    name = use.path.name
    if use.state != "used" and ctx.build_follows:  # one warning, not two: build's names what floated
        return [skipped(f"{name} is {use.state}: the build that follows names the versions the resolver "
                        "chose, with the fix")]
    train_here = (f"Run `{LOCK_COMMAND}` with the Python the model was trained with (`--python PATH` for "
                  f"another environment) and commit {name}.")
    if use.state == "missing":
        return [warning(f"no {name}: build lets the resolver choose the dependencies of "
                        "function.requirements (the newest it can), not the versions the model was "
                        "trained with", train_here, file=str(config.source))]
    if use.state == "stale":
        return [warning(f"{name} was made for other requirements than function.requirements, so build "
                        "does not use its pins: the resolver chooses the dependencies", train_here,
                        file=str(use.path))]
    assert use.lock is not None  # "used"
    pins = use.lock.pins.values()
    differ = [(pin, here) for pin in pins if (here := ctx.installed(pin.name)) is not None
              and here != pin.version]
    if differ:
        listed = ", ".join(f"{pin.name} {here} here, {pin.version} locked" for pin, here in differ[:_SHOWN])
        more = f" and {len(differ) - _SHOWN} more" if len(differ) > _SHOWN else ""
        return [warning(f"this environment has other versions than {name} pins for packages the function "
                        f"ships ({listed}{more}): invoke and serve answer with other code than the "
                        "deployed function",
                        f"Run `{LOCK_COMMAND}` here if this is where the model was trained (it pins what "
                        "is installed here), and commit it; else run it with `--python` naming the "
                        "training environment's Python.", file=str(use.path))]
    return [ok(f"{name} fits function.requirements; its {len(use.lock.pins)} pins match this environment")]


CHECK = Check("lock", "package",
              "lambdaserve.lock missing, stale, or pinning other versions than this environment has", run)
