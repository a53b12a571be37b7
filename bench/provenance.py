"""Where a benchmark result came from, stored beside it so a saved file can be compared with the right baseline.

Result files under bench/out/ are overwritten by every run with the same arguments; without the commit that made
them, a file from older code is easy to take for the current baseline.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def _git(*arguments: str) -> str | None:
    try:
        done = subprocess.run(["git", *arguments], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def provenance() -> dict[str, object]:
    """The commit, whether tracked files differed from it, the command line, the Python version and the time."""
    changes = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": None if changes is None else bool(changes),
        "command": " ".join(["python", *sys.argv]),
        "python": platform.python_version(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
