"""One request on a loaded transformers model: the prompt, ``generate()``, the reply as Deltas.

The prompt is rendered by the tokenizer's chat template (tools included), or,
for a tokenizer without one, by aimu's plain transcript (see
``aimu_core.models.text_replies``). ``model.generate`` runs on a thread of its
own, holding the model's lock, and hands text to the caller's thread through
transformers' ``TextIteratorStreamer``, exactly as transformers' own streaming
examples do. The caller's side cuts the reply at a stop string, takes tool
calls out of it, and counts the tokens generated (exact usage, streamed or
not). An abandoned stream stops the generation at its next token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aimu_core.provider import (
    TRANSCRIPT_STOP,
    AimuError,
    ConfigurationError,
    ContextLengthError,
    Delta,
    ProviderError,
    ToolCallDelta,
    ToolCallExtractor,
    Trim,
    content_text,
    parse_call,
    plain_transcript,
)

from ._text_cache import LoadedModel

__all__ = ["Prompt", "Unloaded", "chat_prompt", "message_text", "run"]

PROVIDER = "hf"


class Unloaded(Exception):
    """The model was unloaded before this request's turn came; load it again and retry."""


@dataclass
class Prompt:
    """What to feed the model, and how to read its reply."""

    text: str
    #: add the tokenizer's special tokens (BOS); a chat template writes its own
    special_tokens: bool = True
    #: stop strings of the format, besides the request's own
    stop: list[str] = field(default_factory=list)
    #: strip whitespace around the reply (the plain transcript)
    trim: bool = False
    #: shown before the reply: ``"<think>"`` when the prompt ends inside a thinking block
    head: str = ""
    #: ``"tags"``: ``<tool_call>`` blocks; ``"json"``: a reply that is one JSON call object
    tool_calls: str = ""


def message_text(content: Any) -> str:
    """A message's text: the string, or the text parts of a content list joined."""
    return content_text(content, no_images="hf: text models take text only; a message has an image")


def _template_message(message: dict[str, Any]) -> dict[str, Any]:
    """*message* as chat templates expect it: text content, tool-call arguments as a dict."""
    out = {**message, "content": message_text(message.get("content"))}
    calls = message.get("tool_calls")
    if calls:
        out["tool_calls"] = [
            {**c, "function": {**c["function"], "arguments": _arguments(c["function"])}}
            for c in calls
        ]
    return out


def _arguments(function: dict[str, Any]) -> Any:
    arguments = function.get("arguments") or "{}"
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def chat_prompt(
    model: LoadedModel,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    *,
    template: str | None,
    template_kwargs: dict[str, Any],
    thinking: bool,
) -> Prompt:
    """Render *messages* with the chat template (the option, else the tokenizer's), or
    the plain transcript when there is none."""
    tokenizer = model.tokenizer
    template = template or getattr(tokenizer, "chat_template", None) or None
    if template is None:
        text = plain_transcript(messages, message_text)
        return Prompt(text, special_tokens=True, stop=list(TRANSCRIPT_STOP), trim=True)
    try:
        text = tokenizer.apply_chat_template(
            [_template_message(m) for m in messages],
            tools=tools or None,
            chat_template=template,
            add_generation_prompt=True,
            tokenize=False,
            **template_kwargs,
        )
    except Exception as exc:  # jinja2 errors and the template's own raise_exception()
        raise ProviderError(
            f"The model's chat template rejected the conversation: {exc}", provider=PROVIDER
        ) from exc
    # A model may write a call even when none is offered (use_tools=False): kept, not run.
    calls = "tags" if "<tool_call>" in template else "json" if tools else ""
    head = "<think>" if thinking and text.rstrip().endswith("<think>") else ""
    return Prompt(text, special_tokens=False, head=head, tool_calls=calls)


#: Portable kwargs -> ``generate()`` names; ``temperature`` 0 means greedy decoding.
GENERATE_KWARGS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "max_new_tokens",
    "stop": "stop",
    "seed": "seed",
    "repeat_penalty": "repetition_penalty",
}
#: ``generate()`` kwargs passed through as they are.
NATIVE_KWARGS = frozenset(
    {
        "do_sample",
        "min_p",
        "typical_p",
        "no_repeat_ngram_size",
        "repetition_penalty",
        "logits_processor",
        "bad_words_ids",
    }
)


def _generate_options(kwargs: dict[str, Any]) -> tuple[dict[str, Any], list[str], int | None]:
    """``generate()`` kwargs from the translated request kwargs; the stops and seed apart."""
    options = dict(kwargs)
    stop = options.pop("stop", None) or []
    seed = options.pop("seed", None)
    temperature = options.get("temperature")
    if temperature is not None:
        if temperature == 0:  # greedy: sampling knobs would only draw warnings
            options.pop("temperature")
            for name in ("top_p", "top_k", "min_p", "typical_p"):
                options.pop(name, None)
            options["do_sample"] = False
        else:
            options.setdefault("do_sample", True)
    elif any(name in options for name in ("top_p", "top_k", "min_p", "typical_p")):
        options.setdefault("do_sample", True)
    return options, list(stop), seed


class _StopCut:
    """Cut the reply at the first stop string; hold back what could still begin one."""

    def __init__(self, stops: list[str]) -> None:
        self._stops = [s for s in stops if s]
        self._held = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if not self._stops or self.hit:
            return "" if self.hit else text
        buffer = self._held + text
        found = [i for i in (buffer.find(s) for s in self._stops) if i >= 0]
        if found:
            self.hit, self._held = True, ""
            return buffer[: min(found)]
        keep = max(
            (n for s in self._stops for n in range(1, len(s)) if buffer.endswith(s[:n])),
            default=0,
        )
        self._held = buffer[len(buffer) - keep :]
        return buffer[: len(buffer) - keep]

    def finish(self) -> str:
        held, self._held = self._held, ""
        return "" if self.hit else held


class _JsonCall:
    """A reply that is one JSON tool call (Llama 3.x style), held back until it ends."""

    def __init__(self) -> None:
        self._held: str | None = ""

    def feed(self, text: str) -> str:
        if self._held is None:
            return text
        self._held += text
        stripped = self._held.lstrip()
        if stripped and not stripped.startswith("{"):
            out, self._held = self._held, None
            return out
        return ""

    def finish(self) -> tuple[str, list[tuple[str, Any]]]:
        held, self._held = self._held or "", None
        call = parse_call(held.strip()) if held.strip() else None
        return ("", [call]) if call is not None else (held, [])


class _Reply:
    """The filters a reply's text goes through, in order: stop, tool calls, trim, head."""

    def __init__(self, prompt: Prompt, stops: list[str]) -> None:
        self.stop = _StopCut([*stops, *prompt.stop])
        self._calls: ToolCallExtractor | _JsonCall | None = (
            ToolCallExtractor()
            if prompt.tool_calls == "tags"
            else _JsonCall()
            if prompt.tool_calls == "json"
            else None
        )
        self._trim = Trim() if prompt.trim else None
        self._head = prompt.head

    def _after_stop(self, text: str) -> str:
        if self._calls is not None:
            text = self._calls.feed(text)
        if self._trim is not None:
            text = self._trim.feed(text)
        if self._head and text:
            text, self._head = self._head + text, ""
        return text

    def feed(self, text: str) -> str:
        return self._after_stop(self.stop.feed(text))

    def finish(self) -> tuple[str, list[ToolCallDelta]]:
        text = self._after_stop(self.stop.finish())
        calls: list[tuple[str, Any]] = []
        if self._calls is not None:
            rest, calls = self._calls.finish()
            text += self._trim.feed(rest) if self._trim is not None else rest
        if self._head:
            text, self._head = self._head + text, ""
        deltas = [ToolCallDelta(index=i, name=n, arguments=a) for i, (n, a) in enumerate(calls)]
        return text, deltas


def _cancel_criteria(cancel: threading.Event) -> Any:
    """A ``StoppingCriteria`` that ends the generation once *cancel* is set."""
    import torch
    from transformers import StoppingCriteria

    class Cancelled(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool)

    return Cancelled()


def _eos_ids(model: LoadedModel) -> set[int]:
    ids = model.model.generation_config.eos_token_id
    found = set(ids if isinstance(ids, list) else [] if ids is None else [ids])
    if model.tokenizer.eos_token_id is not None:
        found.add(model.tokenizer.eos_token_id)
    return found


def run(
    model: LoadedModel, prompt: Prompt, kwargs: dict[str, Any], *, stream: bool
) -> Iterator[Delta]:
    """Generate the reply to *prompt*; yield it as Deltas (one when not *stream*)."""
    from transformers import StoppingCriteriaList, TextIteratorStreamer

    tokenizer = model.tokenizer
    if tokenizer is None:
        raise Unloaded
    options, stops, seed = _generate_options(kwargs)
    encoded = tokenizer(prompt.text, return_tensors="pt", add_special_tokens=prompt.special_tokens)
    n_prompt = int(encoded["input_ids"].shape[1])
    if n_prompt == 0:
        raise ConfigurationError("The prompt is empty; give the model some text to continue")
    room = model.n_ctx - n_prompt
    if room < 1:
        raise ContextLengthError(
            f"The prompt is {n_prompt} tokens but the model's context window is {model.n_ctx} "
            "tokens (a reply needs at least one more). Shorten the conversation (client.reset()).",
            provider=PROVIDER,
        )
    options["max_new_tokens"] = min(options.get("max_new_tokens") or room, room)
    eos = _eos_ids(model)
    cancel = threading.Event()
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    outcome: dict[str, Any] = {}
    all_stops = [*stops, *prompt.stop]

    def generate() -> None:
        try:
            with model.lock:
                if model.closed:
                    raise Unloaded
                model.generations += 1
                if seed is not None:
                    import torch

                    torch.manual_seed(seed)
                criteria = [_cancel_criteria(cancel)]
                if all_stops:
                    criteria.append(_stop_criteria(model, all_stops))
                inputs = {k: v.to(model.model.device) for k, v in encoded.items()}
                out = model.model.generate(
                    **inputs,
                    streamer=streamer,
                    stopping_criteria=StoppingCriteriaList(criteria),
                    eos_token_id=sorted(eos) or None,
                    pad_token_id=_pad_id(model, eos),
                    **options,
                )
                outcome["tokens"] = out[0, n_prompt:].tolist()
        except BaseException as exc:  # handed to the consumer, who raises it
            outcome["error"] = exc
            streamer.end()

    worker = threading.Thread(target=generate, name=f"aimu-hf:{model.source}", daemon=True)
    worker.start()
    reply = _Reply(prompt, stops)
    try:
        if stream:
            for piece in streamer:
                text = reply.feed(piece)
                if text:
                    yield Delta(text=text)
                if reply.stop.hit:
                    break
        else:
            text = "".join(reply.feed(piece) for piece in streamer)
        cancel.set()  # a stop string was seen: generation need not go on
        worker.join()
        if "error" in outcome:
            raise _translate(outcome["error"])
        rest, calls = reply.finish()
        tokens = outcome["tokens"]
        ended = bool(tokens) and tokens[-1] in eos
        completion = len(tokens) - ended
        if calls:
            finish = "tool_calls"
        elif ended or reply.stop.hit or completion < options["max_new_tokens"]:
            finish = "stop"
        else:
            finish = "length"
        usage = {
            "prompt_tokens": n_prompt,
            "completion_tokens": completion,
            "total_tokens": n_prompt + completion,
        }
        yield Delta(
            text=rest if stream else text + rest,
            tool_calls=calls,
            usage=usage,
            finish_reason=finish,
        )
    finally:
        cancel.set()  # the consumer stopped (done, failed or abandoned)


def _stop_criteria(model: LoadedModel, stops: list[str]) -> Any:
    """transformers' ``StopStringCriteria`` for *stops*, built once per model and stop list."""
    key = ("stop", tuple(stops))
    if key not in model.memo:
        from transformers import StopStringCriteria

        model.memo[key] = StopStringCriteria(model.tokenizer, stops)
    return model.memo[key]


def _pad_id(model: LoadedModel, eos: set[int]) -> int | None:
    pad = model.model.generation_config.pad_token_id
    if pad is None:
        pad = model.tokenizer.pad_token_id
    return pad if pad is not None else min(eos, default=None)


def _translate(exc: BaseException) -> BaseException:
    if isinstance(exc, (AimuError, Unloaded)):
        return exc
    if not isinstance(exc, Exception):
        return exc
    if isinstance(exc, (TypeError, ValueError)) and "generat" in str(exc).lower():
        return ConfigurationError(f"transformers rejected the generation kwargs: {exc}")
    return ProviderError(f"transformers failed: {type(exc).__name__}: {exc}", provider=PROVIDER)
