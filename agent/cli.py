"""The `shopagent` command: parse, call one tool, render, exit. Heavy modules are imported inside commands."""

from __future__ import annotations

import typer
from typer.core import TyperGroup, TyperOption

import shopagent.commands.plan_pricing  # noqa: F401  (registers `plan pricing` and `plan assortment`)
import shopagent.commands.plan_promotion  # noqa: F401  (registers `plan promotion`)
from shopagent.commands.agent import ask, backends, chat, logs
from shopagent.commands.creative import creative_app
from shopagent.commands.data import data_app
from shopagent.commands.diagnose import diagnose
from shopagent.commands.plan import plan_app
from shopagent.commands.report import report_app
from shopagent.commands.sql import sql
from shopagent.commands.whatif import whatif


class _ShopGroup(TyperGroup):
    """Turns a ShopError anywhere below into `Error: ...` on stderr and exit 1 (2 for a RequestError), with no
    traceback."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except Exception as error:
            from shopagent.tools.errors import RequestError, ShopError

            if isinstance(error, ShopError):
                from shopagent.render.common import print_error

                print_error(error)
                # a wrong request (unknown SKU, malformed value) is a usage error; bad data is a failed request
                raise typer.Exit(2 if isinstance(error, RequestError) else 1) from None
            raise


def _flag_type(self: TyperOption, ctx: object) -> str | None:
    """A flag takes no value, so help shows no type beside it (this typer prints `<bool>`, which reads as if
    `--json <bool>` wanted one)."""
    return None if self.is_flag else _option_type(self, ctx)


_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

app = typer.Typer(cls=_ShopGroup, no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False,
                  help="shopagent: your shop's analyst and planner (诊断, 全站推广, 定价, 文案).")
def _version(value: bool) -> None:
    if value:
        from shopagent import __version__

        typer.echo(f"shopagent {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """shopagent: your shop's analyst and planner (诊断, 全站推广, 定价, 文案)."""
    from shopagent.render.common import fit_terminal

    # every command lays out for the terminal it runs in now, not for a width an earlier call left behind
    fit_terminal()


app.add_typer(data_app, name="data")
app.command("sql")(sql)
app.command("diagnose")(diagnose)
app.add_typer(plan_app, name="plan")
app.command("whatif")(whatif)
app.add_typer(creative_app, name="creative")
app.command("ask")(ask)
app.command("chat")(chat)
app.command("backends")(backends)
app.command("logs")(logs)
app.add_typer(report_app, name="report")


def main() -> None:
    """Console-script entry point."""
    app()
