"""Any OpenAI-compatible chat-completions endpoint (OpenAI, Qwen, DeepSeek, vLLM, Ollama, llama.cpp) as a chat model.

The `openai` client speaks the wire format; this module adapts it to LangChain's BaseChatModel so the agent
loop drives it exactly like the offline model, and turns every transport failure into a ShopError that says
what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import openai
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

from shopagent.backends.base import BackendStatus
from shopagent.backends.config import OpenAISettings, config_path, openai_settings
from shopagent.tools.errors import ShopError

T = TypeVar("T")
MAX_BACKOFF_SECONDS = 8.0
STATUS_TIMEOUT_SECONDS = 3.0
# Local servers (Ollama, llama.cpp, vLLM) accept any bearer token; the client refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


class OpenAICompatChatModel(BaseChatModel):
    """A chat model behind an OpenAI-compatible endpoint; retries 429 and 5xx with exponential backoff."""

    base_url: str
    api_key: str | None = None
    model: str
    timeout: float = 60.0
    max_retries: int = 3
    _client: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any):  # noqa: ANN201
        """Send these tools (dicts, pydantic models or functions) with every request."""
        bound: dict[str, Any] = {"tools": [convert_to_openai_tool(tool) for tool in tools], **kwargs}
        if tool_choice:
            bound["tool_choice"] = tool_choice
        return self.bind(**bound)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        response = self._with_retries(lambda: self._openai().chat.completions.create(**request))
        if not response.choices:
            raise ShopError(f"the endpoint {self.base_url} answered without any choices; is it chat-completions?")
        choice = response.choices[0]
        tool_calls, invalid = [], []
        for call in choice.message.tool_calls or []:
            try:
                arguments = json.loads(call.function.arguments or "{}")
                if not isinstance(arguments, dict):
                    raise ValueError("arguments are not a JSON object")
                tool_calls.append({"name": call.function.name, "args": arguments, "id": call.id, "type": "tool_call"})
            except ValueError as error:
                invalid.append({"name": call.function.name, "args": call.function.arguments, "id": call.id,
                                "error": str(error), "type": "invalid_tool_call"})
        message = AIMessage(content=choice.message.content or "", tool_calls=tool_calls, invalid_tool_calls=invalid,
                            usage_metadata=_usage(response.usage),
                            response_metadata={"model_name": response.model, "finish_reason": choice.finish_reason})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        request.update(stream=True, stream_options={"include_usage": True})
        stream = self._with_retries(lambda: self._openai().chat.completions.create(**request))
        try:
            for event in stream:
                usage = _usage(event.usage)
                if not event.choices:
                    if usage:
                        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))
                    continue
                delta, finish = event.choices[0].delta, event.choices[0].finish_reason
                pieces = [{"name": call.function.name if call.function else None,
                           "args": call.function.arguments if call.function else None,
                           "id": call.id, "index": call.index, "type": "tool_call_chunk"}
                          for call in delta.tool_calls or []]
                chunk = ChatGenerationChunk(message=AIMessageChunk(
                    content=delta.content or "", tool_call_chunks=pieces, usage_metadata=usage,
                    response_metadata={"finish_reason": finish} if finish else {}))
                if run_manager and delta.content:
                    run_manager.on_llm_new_token(delta.content, chunk=chunk)
                yield chunk
        except openai.OpenAIError as error:
            raise self._explain(error) from None
        finally:
            stream.close()

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, "messages": convert_to_openai_messages(messages)}
        if stop:
            request["stop"] = stop
        request.update({key: value for key, value in kwargs.items() if value is not None})
        return request

    def _openai(self) -> openai.OpenAI:
        if self._client is None:
            # our own retry loop below decides what is retried; the client's would also retry a refused connection
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key or PLACEHOLDER_KEY,
                                         timeout=self.timeout, max_retries=0)
        return self._client

    def _with_retries(self, call: Callable[[], T]) -> T:
        """Retry 429 and 5xx with exponential backoff (honouring Retry-After); everything else fails at once."""
        for attempt in range(self.max_retries + 1):
            try:
                return call()
            except (openai.RateLimitError, openai.InternalServerError) as error:
                if attempt == self.max_retries:
                    raise self._explain(error, retries=attempt) from None
                time.sleep(_backoff(error, attempt))
            except openai.APIStatusError as error:
                if error.status_code < 500 or attempt == self.max_retries:
                    raise self._explain(error, retries=attempt) from None
                time.sleep(_backoff(error, attempt))
            except openai.OpenAIError as error:
                raise self._explain(error) from None
        raise AssertionError("unreachable: the loop returns or raises")

    def _explain(self, error: Exception, retries: int = 0) -> ShopError:
        return explain_error(error, base_url=self.base_url, model=self.model, timeout=self.timeout, retries=retries)


def explain_error(error: Exception, *, base_url: str, model: str | None, timeout: float, retries: int = 0) -> ShopError:
    """A ShopError naming the endpoint, what went wrong and the fix."""
    where = f"the model endpoint {base_url}"
    if isinstance(error, openai.APITimeoutError):
        return ShopError(f"{where} did not answer within {timeout:g} s; raise `timeout` in {config_path()} "
                         "(or OPENAI_TIMEOUT), or use a smaller model")
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ or error.__context__
        reason = "connection refused" if "refused" in str(cause).lower() else str(cause or error)
        return ShopError(f"cannot connect to {where} ({reason}); start the server, or point OPENAI_BASE_URL "
                         f"(or base_url in {config_path()}) at a running one")
    if isinstance(error, openai.APIStatusError):
        detail = _server_message(error)
        status = error.status_code
        if status == 401:
            return ShopError(f"{where} refused the API key (HTTP 401: {detail}); set OPENAI_API_KEY "
                             f"or api_key in {config_path()}")
        if status == 403:
            return ShopError(f"{where} does not allow this key to use model {model!r} (HTTP 403: {detail})")
        if status == 404 or (status == 400 and "model" in detail.lower() and "not" in detail.lower()):
            return ShopError(f"model {model!r} is not served by {where} (HTTP {status}: {detail}); "
                             "`shopagent backends` lists the models it serves (check too that the URL ends in /v1)")
        if status == 429:
            return ShopError(f"{where} is still rate-limiting (HTTP 429) after {retries} retries; wait a minute "
                             "or lower your request rate")
        if status >= 500:
            return ShopError(f"{where} failed with HTTP {status} after {retries} retries: {detail}")
        return ShopError(f"{where} rejected the request (HTTP {status}): {detail}")
    return ShopError(f"{where} failed: {error}")


def _server_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return error.message


def _backoff(error: openai.APIStatusError, attempt: int) -> float:
    headers = error.response.headers
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return min(float(headers[header]) * scale, 60.0)
        except (KeyError, ValueError):
            continue
    return min(0.5 * 2**attempt, MAX_BACKOFF_SECONDS)


def _usage(usage: Any) -> UsageMetadata | None:
    if usage is None:
        return None
    prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
    total = usage.total_tokens or prompt + completion
    return {"input_tokens": prompt, "output_tokens": completion, "total_tokens": total}


class OpenAIBackend:
    """`openai`: any OpenAI-compatible endpoint, configured by OPENAI_BASE_URL, OPENAI_API_KEY and --model."""

    name = "openai"
    description = "any OpenAI-compatible endpoint (OpenAI, Qwen, DeepSeek, vLLM, Ollama, llama.cpp)"

    def __init__(self, settings: OpenAISettings | None = None) -> None:
        self._settings = settings

    def settings(self, model: str | None = None) -> OpenAISettings:
        return self._settings or openai_settings(model)

    def status(self, model: str | None = None) -> BackendStatus:
        """Reachable, key present, model listed: each is checked, none raises."""
        try:
            settings = self.settings(model)
        except ShopError as error:
            return BackendStatus(name=self.name, usable=False, detail=str(error))
        common = {"name": self.name, "base_url": settings.base_url, "key_present": settings.api_key is not None,
                  "model": settings.model}
        if settings.is_openai_cloud and settings.api_key is None:
            return BackendStatus(usable=False, detail="no API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                                 "local server)", **common)
        try:
            models = list_models(settings, timeout=STATUS_TIMEOUT_SECONDS)
        except ShopError as error:
            return BackendStatus(usable=False, detail=str(error), **common)
        if settings.model is None:
            if len(models) == 1:
                return BackendStatus(usable=True, detail=f"reachable; serves one model, {models[0]}, used by default",
                                     models=models, **{**common, "model": models[0]})
            return BackendStatus(usable=False, detail="reachable, but no model chosen: pass --model, set OPENAI_MODEL "
                                 f"or model in {config_path()}", models=models, **common)
        if models and settings.model not in models:
            return BackendStatus(usable=False, detail=f"reachable, but model {settings.model!r} is not listed",
                                 models=models, **common)
        return BackendStatus(usable=True, detail="reachable; model listed" if models else "reachable", models=models,
                             **common)

    def chat_model(self, model: str | None = None) -> OpenAICompatChatModel:
        settings = self.settings(model)
        if model and self._settings is not None:
            settings = settings.model_copy(update={"model": model})
        if settings.is_openai_cloud and settings.api_key is None:
            raise ShopError("the openai backend needs OPENAI_API_KEY for api.openai.com; or set OPENAI_BASE_URL to "
                            f"a local OpenAI-compatible server (config: {config_path()})")
        chosen = settings.model
        if chosen is None:
            models = list_models(settings, timeout=min(settings.timeout, 10.0))
            if len(models) != 1:
                raise ShopError(f"choose a model with --model, OPENAI_MODEL or model in {config_path()}; "
                                f"{settings.base_url} serves: {', '.join(models[:12]) or 'none listed'}")
            chosen = models[0]
        return OpenAICompatChatModel(base_url=settings.base_url, api_key=settings.api_key, model=chosen,
                                     timeout=settings.timeout, max_retries=settings.max_retries)


def list_models(settings: OpenAISettings, *, timeout: float) -> list[str]:
    """The model ids the endpoint lists at /models, sorted; ShopError when it cannot be reached."""
    client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key or PLACEHOLDER_KEY,
                           timeout=timeout, max_retries=0)
    try:
        return sorted(model.id for model in client.models.list())
    except openai.NotFoundError:
        return []  # some servers (older llama.cpp builds) serve chat but not /models
    except openai.OpenAIError as error:
        raise explain_error(error, base_url=settings.base_url, model=settings.model, timeout=timeout) from None
    finally:
        client.close()
