"""The agent's tools, built from the typed tool functions: signature -> argument schema, docstring -> description.

Adding a tool is one line in REGISTRY naming its function. Parameters called `shop`, `lang` or `today` are
filled from the turn's context, never by the model; everything else the model sets and pydantic checks.
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from shopagent.tools.errors import ShopError


@dataclass(frozen=True)
class Entry:
    """A registered tool function; `name` renames it for the model, `hide` keeps parameters away from it."""

    target: str  # "module:function"
    name: str | None = None
    hide: tuple[str, ...] = ()


REGISTRY: tuple[Entry, ...] = (
    Entry("shopagent.readonly_tools:diagnose"),  # tools.diagnose, able to focus on SKUs
    Entry("shopagent.tools.promotion_plan:plan_promotion", hide=("seed",)),
    Entry("shopagent.tools.pricing:plan_pricing", hide=("range_slack", "min_gain")),
    Entry("shopagent.tools.whatif:whatif", hide=("seed",)),
    Entry("shopagent.tools.assortment:plan_assortment"),
    Entry("shopagent.tools.daily_report:daily_report", hide=("planners", "progress")),
    Entry("shopagent.tools.creative:draft_creative", name="creative_draft", hide=("seed", "memory")),
    Entry("shopagent.tools.compliance:check_text", name="creative_check", hide=("brand_forbidden",)),
    Entry("shopagent.readonly_tools:sql"),
    Entry("shopagent.readonly_tools:list_tables"),
)

CONTEXT_PARAMETERS = ("shop", "lang", "today")

# Descriptions for parameters whose docstring does not describe them, in the merchant's vocabulary.
PARAMETER_HELP = {
    "days": "The last N days of data, compared with the N days before (7 = this week, 30 = this month).",
    "start": "First day of the period, YYYY-MM-DD (give with end, instead of days).",
    "end": "Last day of the period, YYYY-MM-DD.",
    "compare": "previous = the same number of days just before; yoy = the same days a year before (同比).",
    "budget": "Total daily budget in yuan for full-site promotion 全站推广 (3万 = 30000).",
    "target_roi": "Target ROI 投产比 = attributed GMV / ad spend, e.g. 3.5.",
    "sku_id": "One SKU id, e.g. S012.",
    "sku_ids": "SKU ids, e.g. [\"S012\", \"S015\"]; empty = every active SKU.",
    "skus": "SKU ids, e.g. [\"S012\", \"S015\"]; empty = every active SKU.",
    "as_of": "Last day of data to use, YYYY-MM-DD (default: the data's last day).",
    "horizon_days": "Days ahead the plan is for.",
    "lead_time_days": "Days from placing a reorder to receiving it.",
    "objective": "profit (毛利) or gmv (销售额).",
    "text": "The copy to check, exactly as it would be published.",
    "category": "Product category, e.g. dress, skincare; some ad-law rules depend on it.",
    "kind": "What to draft: title, selling_points, detail or video_script.",
    "n": "How many drafts.",
}


SKU_ARGUMENTS = ("sku_id", "sku_ids", "skus", "price", "budget", "stock")  # values or keys that are SKU ids


def with_catalogue_ids(arguments: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """SKU ids as the catalogue writes them: "s12", "S-12" or "S0012" is S012 when that is the one catalogue id
    with those letters and that number; ids the catalogue has, or cannot match to one id, are left as written."""
    from shopagent.tools.sku_ids import catalogue_id, catalogue_ids

    by_number = catalogue_ids(known)

    def one(written: Any) -> Any:
        meant = catalogue_id(written, known, by_number) if isinstance(written, str) else None
        return written if meant is None else meant

    resolved = dict(arguments)
    for name in SKU_ARGUMENTS:
        value = arguments.get(name)
        if isinstance(value, str):
            resolved[name] = one(value)
        elif isinstance(value, list):
            resolved[name] = [one(item) for item in value]
        elif isinstance(value, dict):
            resolved[name] = {one(key): item for key, item in value.items()}
    return resolved


@dataclass(frozen=True)
class ToolContext:
    """What the turn supplies to every tool: the shop, the answer language, the data's last day."""

    shop: Any  # shopagent.tools.store.Shop, typed loosely so this module stays import-light
    lang: str = "en"
    _today: list[date] = field(default_factory=list)
    _sku_ids: list[frozenset[str]] = field(default_factory=list)

    def value(self, name: str) -> Any:
        if name == "sku_ids":  # the catalogue's ids, read once a turn (a tool's argument resolves against them)
            if not self._sku_ids:
                with self.shop.connect() as con:
                    rows = con.execute("SELECT sku_id FROM products").fetchall()
                self._sku_ids.append(frozenset(row[0] for row in rows))
            return self._sku_ids[0]
        if name == "today":
            if not self._today:
                self._today.append(self.shop.last_date())  # "today" is the data's last day, never the wall clock
            return self._today[0]
        return getattr(self, name)


@dataclass(frozen=True)
class AgentTool:
    """One tool as the model sees it (name, description, argument model) and how to run it."""

    name: str
    description: str
    arguments: type[BaseModel]
    function: Callable[..., BaseModel]
    context: tuple[str, ...]

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-tool schema (what `bind_tools` sends)."""
        parameters = self.arguments.model_json_schema()
        parameters.pop("title", None)
        for prop in parameters.get("properties", {}).values():
            prop.pop("title", None)
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": parameters}}

    def run(self, context: ToolContext, arguments: dict[str, Any]) -> BaseModel:
        """Check the model's arguments against the signature, then call the function; ShopError if they are wrong."""
        if any(name in arguments for name in SKU_ARGUMENTS) and hasattr(context.shop, "connect"):
            arguments = with_catalogue_ids(arguments, context.value("sku_ids"))
        try:
            checked = self.arguments.model_validate(arguments)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors())
            raise ShopError(f"bad arguments for {self.name}: {problems}") from None
        values = {name: getattr(checked, name) for name in type(checked).model_fields}
        values.update({name: context.value(name) for name in self.context if name != "shop"})
        if "shop" in self.context:
            return self.function(context.shop, **values)
        return self.function(**values)


class ToolSchemas(list):
    """The tools' schemas as `bind_tools` takes them; a list of every schema, built (and its tool module
    imported) only when read. `by_name` builds one, so the offline model imports only the tool it calls."""

    def __init__(self, toolbox: Toolbox) -> None:
        super().__init__()
        self.toolbox = toolbox
        self._filled = False

    def names(self) -> list[str]:
        return list(self.toolbox.entries)

    def by_name(self, name: str) -> dict[str, Any] | None:
        return self.toolbox.get(name).schema() if name in self.toolbox.entries else None

    def _fill(self) -> None:
        if not self._filled:
            self._filled = True
            super().extend(self.toolbox.get(name).schema() for name in self.toolbox.entries)

    def __iter__(self):  # noqa: ANN204 - list's own signature
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __getitem__(self, index):  # noqa: ANN001, ANN204
        self._fill()
        return super().__getitem__(index)

    def __bool__(self) -> bool:
        return bool(self.toolbox.entries)


class Toolbox:
    """The tools of one turn, by name; a registered tool's module is imported the first time it is needed."""

    def __init__(self, tools: list[AgentTool] = (), entries: tuple[Entry, ...] = ()) -> None:
        self.tools = {tool.name: tool for tool in tools}
        self.entries: dict[str, Entry | None] = {tool.name: None for tool in tools}
        self.entries.update({entry.name or entry.target.split(":")[1]: entry for entry in entries})

    def schemas(self) -> ToolSchemas:
        return ToolSchemas(self)

    def get(self, name: str) -> AgentTool:
        if name not in self.entries:
            raise ShopError(f"there is no tool called {name!r}; the tools are: {', '.join(self.entries)}")
        if name not in self.tools:
            entry = self.entries[name]
            self.tools[name] = tool_from_function(_resolve(entry.target), name=name, hide=entry.hide)
        return self.tools[name]


def build_toolbox(registry: tuple[Entry, ...] = REGISTRY) -> Toolbox:
    """Every registered tool; each is built from its function when first used."""
    return Toolbox(entries=registry)


def tool_from_function(function: Callable[..., BaseModel], *, name: str | None = None,
                       hide: tuple[str, ...] = ()) -> AgentTool:
    """An AgentTool whose arguments are the function's parameters minus the context and hidden ones."""
    hints = typing.get_type_hints(function, include_extras=True)
    documented = _documented_parameters(function.__doc__ or "")
    fields: dict[str, Any] = {}
    context = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in CONTEXT_PARAMETERS:
            context.append(parameter.name)
            continue
        if parameter.name in hide:
            if parameter.default is inspect.Parameter.empty:
                raise TypeError(f"{function.__name__}: hidden parameter {parameter.name!r} needs a default")
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        help_text = documented.get(parameter.name) or PARAMETER_HELP.get(parameter.name)
        fields[parameter.name] = (hints[parameter.name], Field(default, description=help_text))
    tool_name = name or function.__name__
    arguments = create_model(tool_name, __config__=ConfigDict(extra="forbid"), **fields)
    description = (function.__doc__ or tool_name).strip().splitlines()[0]
    return AgentTool(name=tool_name, description=description, arguments=arguments, function=function,
                     context=tuple(context))


def _resolve(target: str) -> Callable[..., BaseModel]:
    module_name, function_name = target.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def _documented_parameters(docstring: str) -> dict[str, str]:
    """Parameter descriptions from a Google-style `Args:` section (continuation lines are indented further)."""
    section = re.search(r"^\s*Args:\s*\n(.*?)(?:\n\s*\n|\Z)", docstring, flags=re.S | re.M)
    if not section:
        return {}
    lines = [line for line in section.group(1).splitlines() if line.strip()]
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    described: dict[str, str] = {}
    current = None
    for line in lines:
        match = re.match(r"\s*(\w+)(?:\s*\(.*?\))?:\s*(.*)", line)
        if match and len(line) - len(line.lstrip()) == indent:
            current = match.group(1)
            described[current] = match.group(2).strip()
        elif current:
            described[current] += " " + line.strip()
    return described
