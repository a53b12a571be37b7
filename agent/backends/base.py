"""The backend registry: each backend names itself, says whether it is usable now, and makes a chat model."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict

from shopagent.tools.errors import ShopError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

# Adding a backend = one line here and a module with a class that follows `ChatBackend`.
BACKENDS: dict[str, str] = {
    "offline": "shopagent.backends.offline:OfflineBackend",
    "openai": "shopagent.backends.openai_compat:OpenAIBackend",
}


class BackendStatus(BaseModel):
    """What `shopagent backends` shows for one backend."""

    model_config = ConfigDict(frozen=True)

    name: str
    usable: bool
    detail: str
    model: str | None = None
    base_url: str | None = None
    key_present: bool | None = None
    models: list[str] = []


class ChatBackend(Protocol):
    """A source of chat models that the one agent loop can drive."""

    name: str
    description: str

    def status(self, model: str | None = None) -> BackendStatus:
        """Whether the backend can answer now; never raises for an unreachable endpoint."""
        ...

    def chat_model(self, model: str | None = None) -> BaseChatModel:
        """A LangChain chat model, ready for `bind_tools`; raises ShopError when it cannot be made."""
        ...


class UnknownBackend(ShopError):
    """--backend named something that is not in BACKENDS (the CLI turns it into a usage error)."""


def backend_names() -> list[str]:
    return list(BACKENDS)


def get_backend(name: str) -> ChatBackend:
    """The backend called `name`."""
    target = BACKENDS.get(name)
    if target is None:
        raise UnknownBackend(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)()
