"""Test helpers for ``hf:`` text models: a tiny random-weight causal LM and a real tokenizer,
and logits processors that make a random model write a chosen text.

Used by aimu-hf's tests and ``bench/hf_text_throughput.py``; useful to anyone
testing code on top of ``hf:`` models without downloading one. Needs the
``text`` extra (torch, transformers, tokenizers).

The tokenizer is a byte-level BPE trained here with the ``tokenizers`` library
(so any text round-trips exactly) wrapped in ``PreTrainedTokenizerFast``, with
a ChatML chat template that renders tools the Hermes/Qwen way. The model is a
2-layer Qwen2 with hidden size 32: transformers' real loading and generation
code, in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["CHATML_TEMPLATE", "THINKING_TEMPLATE", "ForceText", "ForcedScript", "build_tiny_model"]

#: ChatML, tools as Hermes/Qwen render them (``<tools>`` in the system turn, calls as
#: ``<tool_call>{json}</tool_call>``, results as ``<tool_response>``).
CHATML_TEMPLATE = """\
{%- if tools -%}
<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}

{% endif %}# Tools
<tools>
{% for t in tools %}{{ t | tojson }}
{% endfor %}</tools>
Call a tool as <tool_call>{"name": <name>, "arguments": <args>}</tool_call><|im_end|>
{% elif messages[0].role == 'system' -%}
<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif -%}
{%- for m in messages -%}
{%- if m.role == 'tool' -%}
<|im_start|>user
<tool_response>{{ m.content }}</tool_response><|im_end|>
{% elif m.role != 'system' -%}
<|im_start|>{{ m.role }}
{{ m.content or '' }}{% for c in m.tool_calls or [] %}<tool_call>{"name": "{{ c.function.name }}", \
"arguments": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}<|im_end|>
{% endif -%}
{%- endfor -%}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif -%}"""

#: The same, opening a thinking block for the reply (as Qwen3-style templates can).
THINKING_TEMPLATE = CHATML_TEMPLATE.replace(
    "<|im_start|>assistant\n{% endif -%}", "<|im_start|>assistant\n<think>{% endif -%}"
)

_CORPUS = [
    "Once upon a time there was a small model that told stories.",
    "The secret number of alpha is 42. Hello from the model!",
    '<tool_call>{"name": "secret_number", "arguments": {"name": "alpha"}}</tool_call>',
    "<think>Let me think about it.</think> The answer is short.",
    "User: hi\nAssistant: hello there, how are you today?",
] * 4


def build_tiny_model(
    root: str | Path,
    *,
    chat_template: str | None = CHATML_TEMPLATE,
    hidden_size: int = 32,
    layers: int = 2,
) -> Path:
    """Save a tiny Qwen2 model and its tokenizer under *root*; return the directory."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_CORPUS, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=2048,
    )
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root


class ForceText:
    """A ``LogitsProcessor`` that makes the model write each of *turns*, one per generation.

    The real generation, streaming, decoding and parsing code runs; only the
    choice of each next token is fixed, so a random-weight model writes what a
    test needs (a tool call, thinking tags). Each turn ends with the end-of-turn
    token; the last turn repeats for any further generation.
    """

    def __init__(self, tokenizer: Any, *turns: str) -> None:
        eos = tokenizer.eos_token_id
        self.turns = [tokenizer(t, add_special_tokens=False)["input_ids"] + [eos] for t in turns]
        self._turn, self._start, self._last = -1, 0, -1

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        length = input_ids.shape[1]
        if length != self._last + 1:  # a new generation
            self._turn, self._start = min(self._turn + 1, len(self.turns) - 1), length
        self._last = length
        ids = self.turns[self._turn]
        forced = torch.full_like(scores, float("-inf"))
        forced[:, ids[min(length - self._start, len(ids) - 1)]] = 0.0
        return forced


class ForcedScript:
    """The conformance kit's ``script`` over real generation: each scripted turn is forced.

    A :class:`~aimu_core.testing.Turn` becomes the text a Hermes-style model
    would write (``<think>`` tags, the answer, ``<tool_call>`` blocks), forced
    token by token through ``model.generate``; a failing turn raises its error
    inside ``generate`` (a ``stream_cut`` after its text), as a device error would.
    """

    def __init__(self, tokenizer: Any) -> None:
        from collections import deque

        self._tokenizer = tokenizer
        self._turns: Any = deque()
        self._ids: list[int] = []
        self._fail: str | None = None
        self._start, self._last = 0, -1

    def add(self, turns: list[Any]) -> None:
        self._turns.extend(turns)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import json

        import torch

        from aimu_core.testing.scripted import Turn, scripted_error

        length = input_ids.shape[1]
        if length != self._last + 1:  # a new generation: the next turn
            turn = self._turns.popleft() if self._turns else Turn("ok")
            text = f"<think>{turn.thinking}</think>" if turn.thinking else ""
            text += turn.text + "".join(
                f'<tool_call>{{"name": "{n}", "arguments": {json.dumps(a)}}}</tool_call>'
                for n, a in turn.tool_calls
            )
            eos = self._tokenizer.eos_token_id
            self._ids = self._tokenizer(text, add_special_tokens=False)["input_ids"] + [eos]
            self._fail, self._start = turn.fail, length
            if self._fail and self._fail != "stream_cut":
                self._last = -1
                raise scripted_error(self._fail)
        self._last = length
        step = length - self._start
        if self._fail == "stream_cut" and step >= len(self._ids) - 1:
            self._last = -1
            raise scripted_error("stream_cut")
        forced = torch.full_like(scores, float("-inf"))
        forced[:, self._ids[min(step, len(self._ids) - 1)]] = 0.0
        return forced
