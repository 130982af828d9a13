"""The LLM backend for open-ended questions, for real: a llama.cpp server process
(llama-cpp-python's `python -m llama_cpp.server`) on 127.0.0.1 serving a tiny random GGUF that
the test writes, reached through OpenAIChat exactly as Ollama or vLLM would be; and a tiny random
transformers Llama through TransformersChat. Random models say gibberish; what is checked is the
protocol: a string comes back, a timeout or a dead server gives None, and gibberish naming a
garment the parse did not find is refused by grounded().

The llama.cpp part needs llama-cpp-python: `bash scripts/install_llm_server.sh` (it compiles the
wheel once into ~/.cache/stylebot/wheels and reuses it); without it those tests are skipped."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import prompts
from inference.text.llm import (
    Grounding,
    OpenAIChat,
    TransformersChat,
    ask,
    grounded,
    messages,
)
from tests.inference.text.tiny_models import WORDS, tiny_transformers, write_tiny_gguf

TOP = {
    "name": "navy top", "category": "top", "fine_label": None, "colour_name": "navy",
    "colour_family": "blue", "pattern": "solid", "area": 0.3, "confidence": 0.95,
}
#: A parse with only a navy top: the tiny models' words (dress, skirt, ...) are all not in it.
ONLY_A_TOP = Grounding(
    locale="en",
    outfit={"items": [TOP], "summary": "navy top"},
    verdict={"p_a": 0.62, "reasons": [{"text": "The navy and white agree."}]},
    preferences={"avoid": ["colour:yellow"], "love": ["style:minimal"]},
    history=[("user", "hi"), ("bot", "Hello! Send me a photo.")],
)
QUESTION = "What shoes would go with this?"
GIBBERISH = re.compile(rf"^(?:{'|'.join(WORDS)})(?:\s+(?:{'|'.join(WORDS)}))*$")
NEEDS_LLAMA_CPP = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("gguf") is None,
    reason="llama-cpp-python (and gguf) not installed: run `bash scripts/install_llm_server.sh`",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- messages and grounding


def test_messages_state_what_is_known_and_end_with_the_question() -> None:
    out = messages(ONLY_A_TOP, QUESTION)
    assert out[0] == {"role": "system",
                      "content": prompts.text_file("llm_system.txt", "en").strip()}
    assert "3 short sentences" in out[0]["content"] and "body" in out[0]["content"]
    known = out[1]["content"]
    assert "navy top" in known and "colour navy" in known
    assert "62%" in known and "The navy and white agree." in known
    assert "yellow" in known and "minimal" in known
    assert [m["role"] for m in out[2:]] == ["user", "assistant", "user"]
    assert out[-1] == {"role": "user", "content": QUESTION}
    # no photo: the model is told so; other languages fall back to the English instructions
    bare = messages(Grounding(locale="uk"), "Що вдягнути?")
    assert "No photo" in bare[1]["content"] and bare[0]["content"] == out[0]["content"]


def test_grounded_holds_answers_to_the_comments_rules() -> None:
    assert grounded("The navy top would look great with white sneakers?", ONLY_A_TOP) is False
    assert grounded("The navy top is lovely; keep the rest simple.", ONLY_A_TOP)
    assert not grounded("A red dress would suit you better.", ONLY_A_TOP)  # no dress in parse
    assert grounded("A red dress would be lovely.", Grounding())  # no photo: garments are free
    assert not grounded("That makes you look fat.", Grounding())  # banned, photo or not
    assert not grounded("That makes you look fat.", ONLY_A_TOP)
    assert not grounded("", ONLY_A_TOP) and not grounded("   ", Grounding())
    assert not grounded("Nice. " * 101, Grounding())  # over 600 characters


# ---------------------------------------------------------------- a real llama.cpp server


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free port, serving a tiny random GGUF; its base URL."""
    model = write_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
             "--model_alias", "tiny", "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "4096", "--n_threads", "1", "--verbose", "False"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited {proc.returncode}:\n"
                            f"{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start in 30 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@NEEDS_LLAMA_CPP
async def test_openai_chat_gets_an_answer_from_llama_cpp(llama_server: str) -> None:
    for url in (llama_server, llama_server + "/v1/"):  # a base URL with /v1 works as well
        backend = OpenAIChat(url, "tiny", max_tokens=12)
        answer = await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=30)
        assert isinstance(answer, str) and answer == answer.strip()
        assert GIBBERISH.match(answer), answer  # the tiny model's words, nothing else


@NEEDS_LLAMA_CPP
async def test_gibberish_naming_garments_not_in_the_parse_is_refused(llama_server: str) -> None:
    backend = OpenAIChat(llama_server, "tiny", max_tokens=12)
    answer = await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=30)
    assert answer and re.search(r"\b(dress|skirt|coat|boots|jeans)\b", answer)
    assert not grounded(answer, ONLY_A_TOP)
    assert await ask(backend, ONLY_A_TOP, QUESTION, timeout=30) is None
    # with no photo, garment words are allowed: the whole path returns the model's words
    no_photo = Grounding(history=[("user", "hello")])
    said = await ask(backend, no_photo, "What goes with a navy top?", timeout=30)
    assert said is not None and GIBBERISH.match(said)


@NEEDS_LLAMA_CPP
async def test_an_http_error_gives_none(llama_server: str) -> None:
    backend = OpenAIChat(llama_server + "/no/such/path", "tiny")
    assert await backend.answer(messages(Grounding(), QUESTION), timeout=10) is None


async def test_a_dead_port_gives_none_quickly() -> None:
    backend = OpenAIChat(f"http://127.0.0.1:{_free_port()}", "tiny")
    start = time.monotonic()
    assert await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=5) is None
    assert await ask(backend, ONLY_A_TOP, QUESTION, timeout=5) is None
    assert time.monotonic() - start < 5


@NEEDS_LLAMA_CPP
async def test_a_slow_answer_times_out_to_none(llama_server: str) -> None:
    # last of the server tests: the server goes on generating after the client has gone
    backend = OpenAIChat(llama_server, "tiny", max_tokens=3000)
    start = time.monotonic()
    assert await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=0.05) is None
    assert time.monotonic() - start < 2


# ---------------------------------------------------------------- transformers, in process


@pytest.fixture(scope="module")
def tiny_lm() -> tuple:
    return tiny_transformers(chat_template=True)


async def test_transformers_chat_answers_through_the_chat_template(tiny_lm: tuple) -> None:
    model, tokenizer = tiny_lm
    backend = TransformersChat("tiny", max_new_tokens=10, model=model, tokenizer=tokenizer)
    ids = backend._prompt_ids(messages(ONLY_A_TOP, QUESTION))[0].tolist()
    assert ids[-2:] == tokenizer.convert_tokens_to_ids(["assistant", ":"])  # the template's
    assert ids.count(tokenizer.bos_token_id) == 6  # two system messages, three turns, answer
    answer = await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=30)
    assert answer is not None and GIBBERISH.match(answer)
    assert not grounded(answer, ONLY_A_TOP)
    assert await ask(backend, ONLY_A_TOP, QUESTION, timeout=30) is None
    assert GIBBERISH.match(await ask(backend, Grounding(), QUESTION, timeout=30) or "")


async def test_transformers_chat_without_a_chat_template_joins_the_turns() -> None:
    model, tokenizer = tiny_transformers(chat_template=False)
    assert not tokenizer.chat_template
    backend = TransformersChat("tiny", max_new_tokens=10, model=model, tokenizer=tokenizer)
    ids = backend._prompt_ids(messages(ONLY_A_TOP, QUESTION))[0].tolist()
    assert ids[-2:] == tokenizer.convert_tokens_to_ids(["assistant", ":"])
    answer = await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=30)
    assert answer is not None and GIBBERISH.match(answer)


async def test_transformers_chat_does_not_block_the_loop_and_times_out(tiny_lm: tuple) -> None:
    model, tokenizer = tiny_lm
    backend = TransformersChat("tiny", max_new_tokens=120, model=model, tokenizer=tokenizer)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    start = time.monotonic()
    assert await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=0.1) is None
    assert time.monotonic() - start < 1
    assert ticks >= 3  # the event loop ran while the model was generating
    ticker.cancel()


async def test_transformers_chat_gives_up_when_the_model_stays_busy(tiny_lm: tuple) -> None:
    model, tokenizer = tiny_lm
    backend = TransformersChat("tiny", max_new_tokens=10, model=model, tokenizer=tokenizer)
    with backend._lock:  # another generation (say one that timed out) still holds the model
        start = time.monotonic()
        assert await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=0.1) is None
        assert time.monotonic() - start < 1
    assert await backend.answer(messages(ONLY_A_TOP, QUESTION), timeout=30)


async def test_transformers_chat_that_cannot_load_gives_none(tmp_path: Path) -> None:
    backend = TransformersChat(str(tmp_path))  # a folder with no model in it
    assert await backend.answer(messages(Grounding(), QUESTION), timeout=5) is None
