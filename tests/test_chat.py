"""`shopagent chat` on the offline backend: its answer arrives a sentence at a time, as a streaming LLM's does."""

from __future__ import annotations

import json
import re

import pytest

from shopagent.agent_loop import TurnEvents


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPAGENT_CONFIG_DIR", str(tmp_path / "config"))


class Heard(TurnEvents):
    def __init__(self) -> None:
        self.pieces: list[str] = []

    def token(self, text: str) -> None:
        self.pieces.append(text)


def test_the_offline_answer_streams_in_sentences_and_joins_to_the_same_text(cli, sample_db):
    from shopagent.session import AgentSession
    from shopagent.tools.store import Shop

    question = "为什么这周 GMV 掉了?"
    heard = Heard()
    streamed = AgentSession(Shop(sample_db), backend="offline", log=False).ask(question, stream=True, events=heard)
    whole = json.loads(cli("ask", question, "--db", sample_db, "--json").stdout)["answer"]

    assert len(heard.pieces) > 3, "the answer should arrive in pieces, not one block"
    assert "".join(heard.pieces) == streamed.answer == whole
    assert not any(re.fullmatch(r"\s*\d+\.", piece) for piece in heard.pieces)  # "1." stays with its finding
    assert heard.pieces[0].startswith("**") and heard.pieces[0].endswith("\n\n")  # the headline, whole
