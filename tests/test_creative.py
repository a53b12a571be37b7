"""Creative drafting as the merchant meets it: the CLI's drafts, checks, brand memory and the model path."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import tomllib
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shopagent.prompts import load_prompt
from shopagent.tools.brand import BrandProfile
from shopagent.tools.compliance import check_text
from shopagent.tools.creative import draft_offline
from shopagent.tools.creative_facts import creative_facts, load_brand
from shopagent.tools.creative_formats import (
    DraftContent,
    Shot,
    format_problems,
    join_title,
    segment_title,
    shorten_title,
    taobao_bytes,
)
from shopagent.tools.store import Shop

from .conftest import BRAND_TOML, build_world, file_digest, write_folder

KINDS = ("title", "selling_points", "detail", "video_script")
SAMPLE_BRAND = tomllib.loads((Path(__file__).parents[1] / "sample_shop" / "brand.toml").read_text(encoding="utf-8"))


def _draft_json(cli, *args: str) -> dict:
    result = cli("creative", "draft", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def violations_world(tmp_path_factory: pytest.TempPathFactory):
    """A shop whose titles and selling points are laced with ad-law violations (~40% of SKUs)."""
    return build_world(tmp_path_factory.mktemp("violations"), seed=7, violations=True)


@pytest.fixture
def mini_db(tmp_path: Path, mini_tables: dict[str, list[str]]) -> Path:
    """The two-SKU shop with a brand that must say 栖木 and 包邮 and keeps titles within 40 bytes."""
    from shopagent.tools.importer import import_folder

    brand = BRAND_TOML.replace('must_include = ["栖木"]', 'must_include = ["栖木", "包邮"]') + "title_max_bytes = 40\n"
    folder = write_folder(tmp_path / "mini", mini_tables, brand=brand)
    import_folder(folder, tmp_path / "mini.duckdb", replace=True)
    return tmp_path / "mini.duckdb"


# --- creative check: hits and non-hits, through the CLI ---------------------------------------------------------

@pytest.mark.parametrize(("text", "term"), [("高端真丝衬衫国家级面料", "国家级"), ("全网最低价 纯棉T恤", "全网最低价"),
                                            ("销量第一 保温杯", "销量第一"), ("祛痘面霜 治疗痘痘", "治疗")])
def test_check_flags_violations_and_exits_1(cli, text, term):
    result = cli("creative", "check", text, "--json")

    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    issue = next(issue for issue in payload["issues"] if issue["term"] == term)
    assert text[issue["start"]:issue["end"]] == term
    assert issue["rule"] and issue["suggestion"]


@pytest.mark.parametrize("text", ["最近很火的ins风帆布包", "第一次穿就爱上了", "最后一天发货 拍下48小时内发出",
                                  "100%纯棉 亲肤透气"])
def test_check_passes_everyday_copy_with_exit_0(cli, text):
    result = cli("creative", "check", text, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ok": True, "issues": []}


def test_check_warning_only_exits_0_and_names_the_rule(cli):
    result = cli("creative", "check", "美白精华 提亮肤色", "--category", "skincare", "--json")

    assert result.exit_code == 0
    [issue] = json.loads(result.stdout)["issues"]
    assert issue["term"] == "美白" and issue["severity"] == "warning"


def test_check_applies_the_brand_forbidden_list_only_with_db(cli, mini_db):
    assert cli("creative", "check", "今夏爆款 T恤").exit_code == 0
    result = cli("creative", "check", "今夏爆款 T恤", "--db", mini_db, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["issues"][0]["term"] == "爆款"


def test_human_check_output_shows_term_and_suggestion(cli):
    result = cli("creative", "check", "国家级品质 真丝衬衫")

    assert result.exit_code == 1
    assert "国家级" in result.stdout and "高品质" in result.stdout


# --- formats -------------------------------------------------------------------------------------------------------

def test_taobao_counts_a_chinese_character_as_two_bytes():
    assert taobao_bytes("栖木T恤") == 7
    assert taobao_bytes("ＡＢ") == 4  # full-width Latin is double-width on Taobao too


def test_title_words_are_never_repeated_and_the_title_fits():
    title = join_title(["栖木", "冰丝", "休闲裤", "冰丝", "垂感", "垂感好", "女春秋", "通勤", "显瘦", "高腰", "九分"],
                       max_bytes=24, keep=3)

    assert title == "栖木冰丝休闲裤垂感女春秋"
    assert taobao_bytes(title) <= 24


def test_shorten_title_drops_words_from_the_end_but_keeps_the_brand_and_core():
    shorter = shorten_title("栖木冰丝锥形休闲裤女春秋通勤显瘦百搭", max_bytes=20, keep=["栖木", "休闲裤"])

    assert shorter == "栖木冰丝锥形休闲裤"
    assert [word.role for word in segment_title("今年最火冰丝休闲裤")] == ["other", "material", "core"]


def test_a_script_needs_a_three_second_hook_two_second_shots_and_a_call_to_action():
    shots = [Shot(start=0, end=3, role="hook", visual="a", voiceover="b"),
             Shot(start=3, end=5, role="demo", visual="c", voiceover="d"),
             Shot(start=5, end=9, role="demo", visual="e", voiceover="f"),
             Shot(start=9, end=12, role="cta", visual="g", voiceover="h")]
    problems = format_problems(DraftContent(kind="video_script", shots=shots), max_title_bytes=60, must_include=[])

    assert problems == ["shot at 00:05 must be a demonstration of 1.5-2.5 s"]


def test_every_template_phrase_and_title_word_passes_the_checker():
    brand = BrandProfile.model_validate(SAMPLE_BRAND)
    phrases: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            phrases.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for name in ("common", "title", "selling_points", "detail", "video_script", "words"):
        collect(tomllib.loads(load_prompt(f"creative_{name}.toml")))
    flagged = {phrase: [issue.term for issue in check_text(phrase, brand_forbidden=brand.forbidden).issues]
               for phrase in phrases}
    # product nouns that are cosmetics needing registration are warnings about the product, not our wording
    assert {phrase: terms for phrase, terms in flagged.items() if terms and phrase not in ("防晒乳", "防晒霜")} == {}


# --- drafts through the CLI ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_drafts_follow_the_contract_shape_and_pass_the_checker(cli, sample_db, kind):
    payload = _draft_json(cli, "S003", "--kind", kind, "--db", sample_db)

    assert payload["sku_id"] == "S003" and payload["kind"] == kind and payload["backend"] == "offline"
    assert len(payload["drafts"]) == 3
    assert len({draft["angle"] for draft in payload["drafts"]}) == 3  # each variant takes its own angle
    for draft in payload["drafts"]:
        assert draft["compliance"]["ok"] is True
        assert check_text(draft["text"], category="pants", brand_forbidden=SAMPLE_BRAND["forbidden"]).ok
        assert "栖木" in draft["text"]


def test_titles_fit_the_brands_byte_limit_and_carry_every_must_include_word(cli, mini_db):
    for sku in ("S001", "S002"):
        for kind in KINDS:
            payload = _draft_json(cli, sku, "--kind", kind, "--n", "4", "--db", mini_db)
            for draft in payload["drafts"]:
                assert "栖木" in draft["text"] and "包邮" in draft["text"], draft["text"]
                if kind == "title":
                    assert taobao_bytes(draft["text"]) <= 40 and draft["title_bytes"] <= 40


def test_same_seed_same_bytes_and_another_seed_other_drafts(cli, sample_db):
    first = cli("creative", "draft", "S012", "--kind", "detail", "--seed", "5", "--db", sample_db, "--json")
    again = cli("creative", "draft", "S012", "--kind", "detail", "--seed", "5", "--db", sample_db, "--json")
    other = cli("creative", "draft", "S012", "--kind", "detail", "--seed", "6", "--db", sample_db, "--json")

    assert first.stdout_bytes == again.stdout_bytes
    assert json.loads(first.stdout)["drafts"] != json.loads(other.stdout)["drafts"]


def test_unknown_sku_and_backend_fail_with_exit_codes(cli, sample_db):
    missing = cli("creative", "draft", "S999", "--db", sample_db)
    wrong = cli("creative", "draft", "S003", "--backend", "gpt", "--db", sample_db)

    # an unknown SKU is a wrong request, like an unknown backend: usage error
    assert missing.exit_code == 2 and "S999" in missing.stderr
    assert wrong.exit_code == 2


def test_a_shop_with_violations_in_its_product_data_gets_compliant_drafts(violations_world):
    shop = Shop(violations_world.db)
    brand = load_brand(shop)
    planted = {issue.sku_id for issue in violations_world.truth.compliance}
    assert len(planted) >= 20
    for sku_id in sorted(planted):
        facts = creative_facts(shop, sku_id, brand=brand)
        assert facts.withheld, sku_id
        for kind in KINDS:
            for draft in draft_offline(facts, brand, kind, 3).drafts:
                result = check_text(draft.text, category=facts.category, brand_forbidden=brand.forbidden)
                assert result.ok, (sku_id, draft.text, result.issues)
                assert not any(phrase in draft.text for phrase in facts.withheld), (sku_id, draft.text)


def test_review_text_never_reaches_a_draft(sample_world):
    shop = Shop(sample_world.db)
    with shop.connect() as con:
        [(sku_id,)] = con.execute("SELECT DISTINCT sku_id FROM reviews WHERE review_id IN (SELECT unnest(?))",
                                  [sample_world.truth.untrusted_review_ids]).fetchall()
    brand = load_brand(shop)
    facts = creative_facts(shop, sku_id, brand=brand)
    texts = [draft.text for kind in KINDS for draft in draft_offline(facts, brand, kind, 6).drafts]

    assert texts and not any(word in text for text in texts for word in ("999999", "忽略", "DROP", "指令"))


# --- brand memory --------------------------------------------------------------------------------------------------

def test_a_kept_draft_steers_later_drafts_and_the_shop_stays_untouched(cli, sample_db, tmp_path):
    before = file_digest(sample_db)
    unsteered = _draft_json(cli, "S020", "--kind", "title", "--db", sample_db)["drafts"][0]
    drafted = _draft_json(cli, "S003", "--kind", "title", "--n", "5", "--db", sample_db)
    # an angle every SKU supports, which S020 would not have led with on its own
    liked = next(draft for draft in drafted["drafts"]
                 if draft["angle"] in ("scenario", "audience", "value") and draft["angle"] != unsteered["angle"])

    kept = cli("creative", "keep", liked["id"], "--json")
    assert kept.exit_code == 0, kept.output
    later = _draft_json(cli, "S020", "--kind", "title", "--db", sample_db)

    assert later["drafts"][0]["angle"] == liked["angle"]
    assert later["drafts"][0]["structure"] == liked["structure"]
    assert later["memory_used"] == [liked["id"]]
    listed = json.loads(cli("creative", "kept", "--json").stdout)
    assert [draft["id"] for draft in listed] == [liked["id"]]
    assert (tmp_path / "userdata" / "creative" / "brand_memory.jsonl").is_file()
    assert file_digest(sample_db) == before
    assert cli("creative", "forget", liked["id"]).exit_code == 0
    assert json.loads(cli("creative", "kept", "--json").stdout) == []


def test_keeping_an_unknown_draft_says_what_to_do(cli):
    result = cli("creative", "keep", "dnothere")

    assert result.exit_code == 1
    assert "creative draft" in result.stderr


def test_creative_help_imports_no_heavy_module():
    code = ("import sys\nfrom shopagent.cli import app\n"
            "for args in (['creative', '--help'], ['creative', 'draft', '--help']):\n"
            "    try:\n        app(args)\n    except SystemExit:\n        pass\n"
            "heavy = ('duckdb', 'numpy', 'openai', 'langchain_core')\n"
            "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert output.strip().endswith("HEAVY:")


# --- the OpenAI-compatible path against a real local server --------------------------------------------------------

class ChatCompletions:
    """A chat-completions endpoint on 127.0.0.1:0 that answers from a script and records every request."""

    def __init__(self) -> None:
        self.replies: deque[str] = deque()
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                outer.headers.append({name.lower(): value for name, value in self.headers.items()})
                content = outer.replies.popleft() if outer.replies else "{}"
                self._send({"id": f"chatcmpl-{len(outer.requests)}", "object": "chat.completion", "created": 0,
                            "model": body["model"],
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": content}}],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})

            def do_GET(self) -> None:  # noqa: N802
                self._send({"object": "list", "data": [{"id": "shop-writer", "object": "model", "owned_by": "test"}]})

            def _send(self, payload: dict) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    server = ChatCompletions()
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-creative")
    monkeypatch.setenv("SHOPAGENT_CONFIG_DIR", str(tmp_path / "config"))
    yield server
    server.server.shutdown()
    server.server.server_close()


def _titles(*drafts: tuple[str, str]) -> str:
    return json.dumps({"drafts": [{"angle": angle, "text": text} for angle, text in drafts]}, ensure_ascii=False)


def test_a_non_compliant_model_draft_is_repaired_and_the_change_is_shown(cli, sample_db, endpoint):
    endpoint.replies.append(_titles(("material", "栖木顶级冰丝休闲裤垂感锥形女春秋"),
                                    ("scenario", "冰丝休闲裤通勤显瘦女春秋"),
                                    ("value", "栖木国家级品质冰丝休闲裤锥形垂感女春秋通勤显瘦"
                                              "百搭高腰九分直筒阔腿微喇高级感垂感")))

    payload = _draft_json(cli, "S003", "--backend", "openai", "--model", "shop-writer", "--db", sample_db)

    assert payload["backend"] == "openai" and payload["model"] == "shop-writer"
    first, second, third = payload["drafts"]
    assert "顶级" not in first["text"] and first["compliance"]["ok"]
    assert {"kind": "compliance", "before": "顶级"}.items() <= first["changes"][0].items()
    assert second["text"].startswith("栖木") and second["changes"][0]["kind"] == "must_include"
    assert "国家级" not in third["text"] and taobao_bytes(third["text"]) <= 60
    assert [change["kind"] for change in third["changes"]] == ["compliance", "repeated_word", "length"]
    assert third["text"].count("垂感") == 1
    [request] = endpoint.requests
    assert endpoint.headers[0]["authorization"] == "Bearer sk-test-creative"
    assert request["model"] == "shop-writer"
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"]["properties"]["drafts"]["type"] == "array"
    prompt = "\n".join(message["content"] for message in request["messages"])
    assert "冰丝" in prompt and "栖木" in prompt and "尺码偏小" in prompt
    with Shop(sample_db).connect() as con:
        reviews = [text for (text,) in con.execute("SELECT text FROM reviews WHERE sku_id = 'S003'").fetchall()]
    assert reviews and not any(review in prompt for review in reviews)  # our theme labels, never a buyer's words


def test_malformed_json_is_sent_back_and_the_retry_is_used(cli, sample_db, endpoint):
    endpoint.replies.extend(["Sure! Here are your titles: 栖木冰丝休闲裤", "```json\n" + _titles(
        ("material", "栖木冰丝休闲裤垂感锥形女春秋"), ("scenario", "栖木通勤冰丝休闲裤女春秋"),
        ("praise", "栖木无异味冰丝休闲裤锥形")) + "\n```"])

    payload = _draft_json(cli, "S003", "--backend", "openai", "--model", "shop-writer", "--db", sample_db)

    assert len(payload["drafts"]) == 3 and all(draft["attempts"] == 2 for draft in payload["drafts"])
    assert "not valid JSON" in payload["notes"][0]
    assert payload["drafts"][0]["changes"][0]["kind"] == "regenerated"
    assert len(endpoint.requests) == 2
    assert "not valid JSON" in endpoint.requests[1]["messages"][-1]["content"]


def test_a_model_that_never_returns_json_fails_after_bounded_tries(cli, sample_db, endpoint):
    endpoint.replies.extend(["no", "still no", "never", "unused"])

    result = cli("creative", "draft", "S003", "--backend", "openai", "--model", "shop-writer", "--db", sample_db)

    assert result.exit_code == 1
    assert "--backend offline" in result.stderr
    assert len(endpoint.requests) == 3


def test_kept_drafts_become_few_shot_examples_for_the_model(cli, sample_db, endpoint):
    offline = _draft_json(cli, "S003", "--kind", "selling_points", "--db", sample_db)
    assert cli("creative", "keep", offline["drafts"][0]["id"]).exit_code == 0
    points = {"angle": "material", "points": ["栖木休闲裤：粘纤70% 锦纶30%", "垂感好", "遮肉显瘦"]}
    endpoint.replies.append(json.dumps({"drafts": [points]}, ensure_ascii=False))

    payload = _draft_json(cli, "S020", "--kind", "selling_points", "--n", "1", "--backend", "openai",
                          "--model", "shop-writer", "--db", sample_db)

    assert payload["memory_used"] == [offline["drafts"][0]["id"]]
    user_prompt = endpoint.requests[0]["messages"][1]["content"]
    assert json.dumps(offline["drafts"][0]["text"], ensure_ascii=False) in user_prompt


def test_a_draft_that_breaks_the_format_is_sent_back_with_the_reason(cli, sample_db, endpoint):
    too_few = {"angle": "material", "points": ["栖木休闲裤：粘纤70% 锦纶30%"]}
    fixed = {"angle": "material", "points": ["栖木休闲裤：粘纤70% 锦纶30%，再不抢就没了", "垂感好", "遮肉显瘦"]}
    endpoint.replies.extend([json.dumps({"drafts": [too_few]}, ensure_ascii=False),
                             json.dumps({"drafts": [fixed]}, ensure_ascii=False)])

    payload = _draft_json(cli, "S003", "--kind", "selling_points", "--n", "1", "--backend", "openai",
                          "--model", "shop-writer", "--db", sample_db)

    [draft] = payload["drafts"]
    assert draft["points"][0] == "栖木休闲裤：粘纤70% 锦纶30%"  # pressure words removed, no dangling comma
    assert draft["attempts"] == 2
    assert "1 selling points; write 3 to 5" in endpoint.requests[1]["messages"][-1]["content"]
