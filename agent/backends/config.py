"""Where a backend's settings come from: --model, then OPENAI_* variables, then config.toml, then defaults."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from shopagent.tools.errors import ShopError

OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
CONFIG_EXAMPLE = """\
# {path}
backend = "openai"              # what `ask` and `chat` use without --backend (default: offline)

[openai]
base_url = "http://127.0.0.1:11434/v1"   # Ollama; vLLM, llama.cpp, Qwen, DeepSeek work the same way
api_key = "sk-..."                        # or OPENAI_API_KEY; local servers usually need none
model = "qwen2.5:7b-instruct"
timeout = 60                              # seconds per request
max_retries = 3                           # on 429 and 5xx, with backoff
"""


class OpenAISettings(BaseModel):
    """Everything needed to talk to one OpenAI-compatible endpoint."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    api_key: str | None
    model: str | None
    timeout: float = 60.0
    max_retries: int = 3

    @property
    def is_openai_cloud(self) -> bool:
        return self.base_url.rstrip("/") == OPENAI_DEFAULT_URL


def config_dir() -> Path:
    """The user config directory ($SHOPAGENT_CONFIG_DIR overrides it, e.g. in tests)."""
    override = os.environ.get("SHOPAGENT_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("shopagent", appauthor=False))


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config() -> dict:
    """The parsed config.toml, or {} when there is none."""
    path = config_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ShopError(f"{path} is not valid TOML ({error}); fix it or delete it. Example:\n"
                        + CONFIG_EXAMPLE.format(path=path)) from None


def default_backend() -> str:
    """The backend `ask` and `chat` use when --backend is not given."""
    return str(load_config().get("backend", "offline"))


def openai_settings(model: str | None = None) -> OpenAISettings:
    """Resolve the endpoint, key and model; a flag beats an environment variable beats config.toml."""
    section = load_config().get("openai", {})
    if not isinstance(section, dict):
        raise ShopError(f"[openai] in {config_path()} must be a table")
    try:
        timeout = float(os.environ.get("OPENAI_TIMEOUT") or section.get("timeout", 60))
        retries = int(section.get("max_retries", 3))
    except (TypeError, ValueError):
        raise ShopError(f"timeout and max_retries in {config_path()} must be numbers") from None
    return OpenAISettings(
        base_url=os.environ.get("OPENAI_BASE_URL") or section.get("base_url") or OPENAI_DEFAULT_URL,
        api_key=os.environ.get("OPENAI_API_KEY") or section.get("api_key") or None,
        model=model or os.environ.get("OPENAI_MODEL") or section.get("model") or None,
        timeout=timeout,
        max_retries=retries,
    )
