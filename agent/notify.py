"""Post a markdown report to a DingTalk (钉钉), WeCom (企业微信) or Feishu/Lark (飞书) group-bot webhook.

The platform is recognised from the URL path, so a test server on 127.0.0.1 with the same path counts too.
Each platform gets its own message format and size limit: the report is turned into the markdown its chat
renders (tables become lines), split at section and line boundaries into as few messages as fit, and cut
with a note when it would take more than `max_messages`. Transient failures (network, 5xx, 429, the
platform's "too frequent" codes) are retried with exponential backoff; anything else fails at once.
httpx is imported inside `notify` so `--help` stays light.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from shopagent.tools.errors import ShopError

Platform = Literal["dingtalk", "wecom", "feishu"]
SECRET_ENV = {"dingtalk": "SHOPAGENT_DINGTALK_SECRET", "feishu": "SHOPAGENT_FEISHU_SECRET"}
NAMES = {"dingtalk": "DingTalk 钉钉", "wecom": "WeCom 企业微信", "feishu": "Feishu/Lark 飞书"}
# DingTalk and Feishu cap the request body near 20 KB; WeCom caps the markdown content at 4,096 bytes
BODY_LIMIT = {"dingtalk": 20_000, "feishu": 20_000}
WECOM_CONTENT_LIMIT = 4096
# error codes the platforms document as "busy / too frequent, try later"; every other code is final
RETRIES = 3
BACKOFF_SECONDS = 1.0  # waits 1, 2, 4 s: a busy bot (20 messages a minute) has room again within seconds
TRANSIENT_CODES = {"dingtalk": {-1, 130101}, "wecom": {-1, 45009}, "feishu": {11232}}
SECURITY_HINT = {
    "dingtalk": "check the robot's security settings: a custom keyword must appear in the message, a signing "
                "secret goes in $SHOPAGENT_DINGTALK_SECRET, and an IP allow-list must include this machine",
    "wecom": "check the webhook key in the URL (the robot may have been removed from the group)",
    "feishu": "check the robot's security settings: keywords, signature (secret in $SHOPAGENT_FEISHU_SECRET) "
              "and IP allow-list",
}


class DeliveryError(ShopError):
    """The report could not be posted; the CLI exits 1 (after the report file was written)."""


@dataclass(frozen=True)
class Delivery:
    """What was posted: platform, number of messages, and whether the report had to be cut."""

    platform: Platform
    messages: int
    truncated: bool


def detect_platform(url: str) -> Platform:
    """The group-bot platform of a webhook URL, from its path; ValueError says what URLs are accepted."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{redact(url)!r} is not an http(s) URL")
    path = parts.path.rstrip("/")
    if path.endswith("/robot/send"):
        return "dingtalk"
    if path.endswith("/cgi-bin/webhook/send"):
        return "wecom"
    if "/open-apis/bot/v2/hook/" in path + "/":
        return "feishu"
    raise ValueError(f"{redact(url)} is not a group-bot webhook this tool knows: use a DingTalk "
                     "(https://oapi.dingtalk.com/robot/send?access_token=...), WeCom "
                     "(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...) or Feishu/Lark "
                     "(https://open.feishu.cn/open-apis/bot/v2/hook/...) URL")


def redact(url: str) -> str:
    """The URL without its token (query string, Feishu hook id), safe to print in logs and cron mail."""
    parts = urllib.parse.urlsplit(url)
    path = re.sub(r"(/open-apis/bot/v2/hook/)[^/]+", r"\1***", parts.path)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "***" if parts.query else "", ""))


def chat_markdown(markdown: str, platform: Platform) -> str:
    """The markdown a group chat renders: tables as one line per row, no escapes; Feishu cards get bold headings."""
    lines: list[str] = []
    source = markdown.splitlines()
    index = 0
    while index < len(source):
        line = source[index]
        if line.startswith("|") and index + 1 < len(source) and re.fullmatch(r"\|[-:| ]+\|", source[index + 1]):
            header = _cells(line)
            index += 2
            while index < len(source) and source[index].startswith("|"):
                cells = _cells(source[index])
                rest = " · ".join(f"{name} {value}" for name, value in zip(header[1:], cells[1:], strict=False))
                lines.append(f"- **{cells[0]}** {rest}")
                index += 1
            continue
        if platform == "feishu" and line.startswith("#"):
            line = f"**{line.lstrip('#').strip()}**"
        lines.append(line)
        index += 1
    # group chats are not CommonMark: a backslash escape would show as a backslash
    return re.sub(r"\\([\\`*_\[\]<>|])", r"\1", "\n".join(lines))


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def split_message(text: str, size: Callable[[str], int], limit: int, max_messages: int) -> tuple[list[str], bool]:
    """Split into messages of at most `limit` (as `size` measures them), at `## ` sections where that does not
    waste a message, else at lines; beyond `max_messages` the last one ends with a note that the rest was cut."""
    chunks: list[str] = []
    current = ""
    for block in re.split(r"\n(?=## )", text.strip("\n")):
        whole = f"{current}\n\n{block}" if current else block
        if size(whole) <= limit:
            current = whole
            continue
        # a section that does not fit starts the next message, unless this one would go out mostly empty
        if current and size(current) >= limit * 0.6:
            chunks.append(current)
            current = ""
            if size(block) <= limit:
                current = block
                continue
        separator = "\n\n"
        for line in block.split("\n"):
            while size(line) > limit:
                line = line[: max(1, int(len(line) * 0.9))].rstrip() + "…"
            joined = f"{current}{separator}{line}" if current else line
            if size(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = line
            separator = "\n"
    if current:
        chunks.append(current)
    if len(chunks) <= max_messages:
        return chunks, False
    kept = chunks[:max_messages]
    note = f"\n\n…(cut: {len(chunks) - max_messages} more message(s); the full report is in the report file)"
    last = kept[-1]
    while last and size(last + note) > limit:
        last = last[: last.rfind("\n")] if "\n" in last else ""
    kept[-1] = last + note
    return kept, True


def payload(platform: Platform, title: str, text: str, *, secret: str | None = None,
            now: float | None = None) -> dict:
    """The JSON body each platform's group bot expects for one markdown message."""
    if platform == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if platform == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    body: dict = {"msg_type": "interactive",
                  "card": {"config": {"wide_screen_mode": True},
                           "header": {"title": {"tag": "plain_text", "content": title}},
                           "elements": [{"tag": "markdown", "content": text}]}}
    if secret:
        # Feishu signs "timestamp\nsecret" as the HMAC key over an empty message, timestamp in seconds
        stamp = str(int(now if now is not None else time.time()))
        digest = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        body.update(timestamp=stamp, sign=base64.b64encode(digest).decode())
    return body


def signed_url(url: str, secret: str, now: float | None = None) -> str:
    """A DingTalk URL with `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    stamp = str(int((now if now is not None else time.time()) * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    query = urllib.parse.urlencode({"timestamp": stamp, "sign": base64.b64encode(digest).decode()})
    return f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}{query}"


def _body(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def prepare(url: str, markdown: str, *, title: str, max_messages: int = 6) -> tuple[Platform, list[str], bool]:
    """The platform and the message texts the report becomes there (numbered when there are several)."""
    platform = detect_platform(url)
    text = chat_markdown(markdown, platform)
    # every part repeats the title: a DingTalk robot's keyword check looks at each message on its own
    marker = len(f"**{title} (10/10)**\n\n".encode())

    def size(chunk: str) -> int:
        if platform == "wecom":
            return len(chunk.encode()) + marker
        # the whole request body, as sent (a 64-character signature stands in for the real one)
        return len(_body(payload(platform, title, chunk, secret="x" * 64, now=0))) + marker + 64

    limit = WECOM_CONTENT_LIMIT if platform == "wecom" else BODY_LIMIT[platform]
    chunks, truncated = split_message(text, size, limit, max_messages)
    if len(chunks) > 1:
        chunks = [chunk if number == 1 else f"**{title} ({number}/{len(chunks)})**\n\n{chunk}"
                  for number, chunk in enumerate(chunks, start=1)]
    return platform, chunks, truncated


def notify(url: str, markdown: str, *, title: str, retries: int = RETRIES, backoff: float | None = None,
           timeout: float = 10.0, max_messages: int = 6, sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Post the report to the group bot at `url`, split to the platform's limit; DeliveryError if it fails."""
    import httpx

    backoff = BACKOFF_SECONDS if backoff is None else backoff
    platform, chunks, truncated = prepare(url, markdown, title=title, max_messages=max_messages)
    secret = os.environ.get(SECRET_ENV.get(platform, ""), "") or None
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=True) as client:
        for number, chunk in enumerate(chunks, start=1):
            part_title = title if len(chunks) == 1 else f"{title} ({number}/{len(chunks)})"
            for attempt in range(retries + 1):
                target = signed_url(url, secret) if platform == "dingtalk" and secret else url
                body = _body(payload(platform, part_title, chunk, secret=secret))
                problem, wait = _post(client, platform, target, body)
                if problem is None:
                    break
                if wait is None or attempt == retries:
                    sent = f" ({number - 1} of {len(chunks)} message(s) were delivered)" if number > 1 else ""
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise DeliveryError(f"posting the report to {NAMES[platform]} at {redact(url)} failed{tries}: "
                                        f"{problem}{sent}")
                sleep(max(wait, backoff * 2**attempt))
    return Delivery(platform=platform, messages=len(chunks), truncated=truncated)


def _post(client, platform: Platform, url: str, body: bytes) -> tuple[str | None, float | None]:
    """(None, None) on success, else (what went wrong, seconds to wait before a retry or None if final)."""
    import httpx

    try:
        response = client.post(url, content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    except httpx.TransportError as error:
        return f"{type(error).__name__}: {error or 'no response'}", 0.0
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = response.headers.get("Retry-After", "")
        wait = min(float(retry_after), 60.0) if retry_after.isdigit() else 0.0
        return f"HTTP {response.status_code}", wait
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}", None
    try:
        answer = response.json()
    except ValueError:
        return f"the reply is not JSON: {response.text[:200]!r}", None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode")))  # Feishu: code (StatusCode before)
    if code == 0:
        return None, None
    if code is None:
        return f"unexpected reply {response.text[:200]!r}", None
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    if code in TRANSIENT_CODES[platform]:
        return f"error {code} {message}", 0.0
    return f"error {code} {message}; {SECURITY_HINT[platform]}", None
