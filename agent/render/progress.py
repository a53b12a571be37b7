"""Progress of long work on stderr: a spinner, the step running and the time so far, so a terminal is never blank.

Shown only when stderr is a terminal and the command is not writing JSON (a script reading stdout, or a cron
log, must not get spinner frames). SHOPAGENT_PROGRESS=1 forces it on, as plain `step: N.N s` lines when stderr is
not a terminal (useful in a cron log); SHOPAGENT_PROGRESS=0 turns it off.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator

Step = Callable[[str], None]


def wanted(json_output: bool) -> bool:
    """Whether to show progress: never under --json, else on a terminal or when SHOPAGENT_PROGRESS=1 asks."""
    forced = os.environ.get("SHOPAGENT_PROGRESS", "")
    if json_output or forced == "0":
        return False
    return forced == "1" or sys.stderr.isatty()


@contextlib.contextmanager
def progress(title: str, *, json_output: bool = False, labels: dict[str, str] | None = None) -> Iterator[Step]:
    """Yield `step(name)`: each call says the named step has started. Nothing is shown when `wanted` says no."""
    if not wanted(json_output):
        yield lambda _name: None
        return
    names = labels or {}
    started = time.monotonic()
    if not sys.stderr.isatty():
        def line(name: str) -> None:
            print(f"{title}: {names.get(name, name)} ({time.monotonic() - started:.1f} s)", file=sys.stderr,
                  flush=True)

        yield line
        print(f"{title}: done ({time.monotonic() - started:.1f} s)", file=sys.stderr, flush=True)
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from shopagent.render.common import stderr

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task(title)
        yield lambda name: bar.update(task, description=f"{title}: {names.get(name, name)}")


class Elapsed:
    """A rich renderable that shows `text` and the seconds since it was made, re-read at every Live refresh."""

    def __init__(self, text: str, style: str = "cyan") -> None:
        self.text, self.style, self.started = text, style, time.monotonic()

    def __rich__(self) -> object:
        from rich.text import Text

        return Text(f"{self.text} {time.monotonic() - self.started:.1f}s", style=self.style)
