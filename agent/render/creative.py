"""Human output of `creative`: drafts with their angle, checks and changes; check results with the terms marked."""

from __future__ import annotations

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shopagent.render.common import escape, print_json_data, print_json_model, stdout
from shopagent.tools.brand_memory import MemoryDraft
from shopagent.tools.compliance import ComplianceResult
from shopagent.tools.creative import CreativeDraft, CreativeDrafts, DraftChange

KIND_NAMES = {"title": "标题 title", "selling_points": "卖点 selling points", "detail": "详情页 detail",
              "video_script": "短视频脚本 video script"}


def print_drafts(result: CreativeDrafts, *, json_output: bool) -> None:
    if json_output:
        print_json_model(result)
        return
    source = result.backend + (f" · {result.model}" if result.model else "")
    if result.seed is not None:
        source += f" · seed {result.seed}"
    stdout.print(f"[bold]{escape(KIND_NAMES.get(result.kind, result.kind))}[/] for {escape(result.sku_id)}"
                 f"  ({escape(result.brand or 'default voice')}, {escape(source)})")
    for number, draft in enumerate(result.drafts, start=1):
        stdout.print(_draft_panel(number, draft))
    if result.withheld:
        stdout.print("[yellow]Held back from the product data (breaks the ad law or the brand's list; fix the "
                     "listing too):[/] " + escape("、".join(result.withheld)))
    if result.memory_used:
        stdout.print(f"[dim]Follows kept draft(s) {escape(', '.join(result.memory_used))} (brand memory).[/]")
    for note in result.notes:
        stdout.print(f"[dim]{escape(note)}[/]")
    stdout.print("[dim]Keep one you like with `shopagent creative keep ID`; later drafts will follow it.[/]")


def print_check(text: str, result: ComplianceResult, *, json_output: bool) -> None:
    if json_output:
        print_json_model(result)
        return
    marked = Text(text)
    for issue in result.issues:
        marked.stylize("bold red underline" if issue.severity == "violation" else "bold yellow underline",
                       issue.start, issue.end)
    stdout.print(marked)
    if not result.issues:
        stdout.print("[green]✓ No ad-law or platform-rule problems found.[/] 未发现广告法或平台规则问题。")
        return
    table = Table("term", "where", "severity", "rule", "why", "suggestion", box=None)
    for issue in result.issues:
        colour = "red" if issue.severity == "violation" else "yellow"
        table.add_row(escape(issue.term), f"{issue.start}-{issue.end}", f"[{colour}]{issue.severity}[/]",
                      escape(issue.rule), escape(issue.why), escape(issue.suggestion))
    stdout.print(table)
    verdict = "[red]✗ Not publishable as written.[/]" if not result.ok else "[yellow]Warnings only: review them.[/]"
    stdout.print(verdict)


def print_kept(kept: list[MemoryDraft], *, json_output: bool) -> None:
    if json_output:
        print_json_data([draft.model_dump(mode="json") for draft in kept])
        return
    if not kept:
        stdout.print("No kept drafts yet. Draft with `shopagent creative draft SKU`, "
                     "then `shopagent creative keep ID`.")
        return
    table = Table("id", "brand", "kind", "angle", "SKU", "kept", box=None)
    table.add_column("text", overflow="fold", min_width=20)
    for draft in kept:
        table.add_row(draft.id, escape(draft.brand), draft.kind, draft.angle, draft.sku_id, draft.kept_at or "",
                      escape(draft.text.splitlines()[0] if draft.text else ""))
    stdout.print(table)


def print_kept_one(draft: MemoryDraft, *, verb: str, json_output: bool) -> None:
    if json_output:
        print_json_model(draft)
        return
    stdout.print(f"[green]✓[/] {verb} {draft.id} ({draft.kind}, {draft.angle}, {escape(draft.sku_id)}): "
                 f"{escape(draft.text.splitlines()[0] if draft.text else '')}")


def _draft_panel(number: int, draft: CreativeDraft) -> Panel:
    lines = [escape(draft.text)]
    status = "[green]✓ 合规 compliant[/]"
    warnings = [issue for issue in draft.compliance.issues if issue.severity == "warning"]
    if warnings:
        status += "  [yellow]warning: " + escape("; ".join(f"{issue.term}: {issue.suggestion}"
                                                        for issue in warnings[:3])) + "[/]"
    if draft.title_bytes is not None:
        status += f"  {draft.title_bytes} bytes"
    lines.append(status)
    for change in draft.changes:
        lines.append("[cyan]changed:[/] " + escape(_describe(change)))
    title = f"{number}. {draft.angle_label} ({draft.angle})  id {draft.id}"
    return Panel("\n".join(lines), title=title, title_align="left", expand=False)


def _describe(change: DraftChange) -> str:
    if change.kind == "compliance":
        after = f"“{change.after}”" if change.after else "(deleted)"
        return f"“{change.before}” → {after}: {change.reason}"
    if change.kind == "must_include":
        return f"added “{change.after}”: {change.reason}"
    if change.kind == "repeated_word":
        return f"removed a repeated word, now “{change.after}”: {change.reason}"
    if change.kind == "length":
        return f"shortened to “{change.after}”: {change.reason}"
    return f"regenerated: {change.reason}"
