"""`shopagent report daily`: the morning briefing, written to a file or stdout and posted to the team's group chat."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from shopagent.commands.options import DbOption, LangOption, TopOption, language, parse_date, progress_of

report_app = typer.Typer(no_args_is_help=True, help="Reports for the team: the daily briefing (日报).")
FORMATS = ("md", "html", "json")
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}


@report_app.command("daily")
def daily(
    day: Annotated[str | None, typer.Option("--date", help="Day to report, YYYY-MM-DD (default: last day of data).")]
    = None,
    output_format: Annotated[str | None, typer.Option(
        "--format", help="md, html or json (default: from the --out suffix, else md).")] = None,
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="Write the report here (default: stdout).")]
    = None,
    notify: Annotated[str | None, typer.Option(
        "--notify", metavar="WEBHOOK_URL", help="Post the markdown report to a DingTalk, WeCom or Feishu group bot "
                                                "(DingTalk signing secret: $SHOPAGENT_DINGTALK_SECRET).")] = None,
    wait: Annotated[float, typer.Option(
        "--wait", min=0, help="Seconds to wait for a report still running on the same shop (0: give up at once).")]
    = 600.0,
    top: TopOption = 5,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    """The morning briefing: the day's KPIs, the last 7 days' diagnosis and today's proposed actions.

    Example: shopagent report daily --format html --out today.html --notify "$DINGTALK_WEBHOOK"
    """
    chosen = output_format or SUFFIXES.get(out.suffix.lower() if out else "", "md")
    if chosen not in FORMATS:
        raise typer.BadParameter(f"--format must be md, html or json, not {chosen!r}")
    if notify is not None:
        from shopagent.notify import detect_platform

        try:
            detect_platform(notify)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--notify") from None
    report_day = parse_date(day, "--date")
    language(lang)
    with _single_run(db, wait):
        from shopagent.location import open_shop
        from shopagent.tools.daily_report import daily_report

        shop = open_shop(db)
        chosen_lang = language(lang, shop)
        # the progress line is gone before anything else is written to the terminal
        with progress_of(chosen_lang, "report", json_output=chosen == "json") as step:
            report = daily_report(shop, day=report_day, lang=chosen_lang, top=top, progress=step)
            step("render")
            markdown = None
            if chosen == "json":
                text = report.model_dump_json(indent=2) + "\n"
            elif chosen == "html":
                from shopagent.render.report_html import render_html

                text = render_html(report)
            else:
                from shopagent.render.report_md import render_markdown

                text = markdown = render_markdown(report)
        if out is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_atomically(out, text)
            print(f"Report for {report.date} written to {out}", file=sys.stderr)
        if notify is not None:
            from shopagent.notify import NAMES
            from shopagent.notify import notify as post
            from shopagent.render.report_md import render_markdown

            delivery = post(notify, markdown or render_markdown(report), title=f"店铺日报 {report.date}")
            cut = " (cut to fit; the full report is in the file)" if delivery.truncated else ""
            print(f"Posted to {NAMES[delivery.platform]} in {delivery.messages} message(s){cut}", file=sys.stderr)


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename over it: a reader (or a killed run) never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        # mkstemp makes the file private (0600); a report is meant to be read, e.g. by the web server in cron setups
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def lock_path(db: Path | None) -> Path:
    """The lock file of one shop's daily report, in the data directory (one per shop database)."""
    from shopagent.location import data_dir

    shop = str(Path(db).resolve()) if db is not None else "sample"
    return data_dir() / f"report-daily-{hashlib.sha256(shop.encode()).hexdigest()[:12]}.lock"


@contextlib.contextmanager
def _single_run(db: Path | None, wait: float) -> Iterator[None]:
    """One report at a time per shop: a lock file in the data directory, waited on for up to `wait` seconds."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; scheduled overlap there is the scheduler's to prevent
        yield
        return
    from shopagent.tools.errors import ShopError

    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the lock lives as long as the open file: a crashed run releases it, no stale lock to clean up by hand
    with open(path, "a+", encoding="utf-8") as lock:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    lock.seek(0)
                    holder = lock.read().strip() or "another process"
                    raise ShopError(f"a daily report for this shop is still running ({holder}); waited {wait:g}s "
                                    "and did not start a second one. Raise --wait to wait longer; the lock "
                                    f"({path}) frees itself when that run ends: there is nothing to delete") from None
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
