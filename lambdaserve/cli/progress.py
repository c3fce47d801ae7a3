"""A rich progress bar per image layer, fed by the build package's BlobProgress callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

from lambdaserve.package.registry import BlobProgress


@contextmanager
def layer_progress(console: Console | None = None) -> Iterator[Callable[[BlobProgress], None]]:
    """Yield a callback for push_image(progress=...); one bar per blob, labelled with its status."""
    progress = Progress(TextColumn("{task.description:<16}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), TextColumn("{task.fields[status]}"),
                        console=console or Console(stderr=True), transient=False)
    tasks: dict[str, TaskID] = {}

    def update(event: BlobProgress) -> None:
        task = tasks.get(event.digest)
        if task is None:
            task = tasks[event.digest] = progress.add_task(event.name, total=max(event.size, 1),
                                                           status=event.status)
        progress.update(task, completed=event.done if event.status != "exists" else event.size,
                        status=event.status)

    with progress:
        yield update
