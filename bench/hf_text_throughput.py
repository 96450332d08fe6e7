"""transformers through aimu against raw ``model.generate``: tokens/s and time to first token.

Both sides stream the same model with the same streamer: raw is transformers'
own recipe (``model.generate(streamer=TextIteratorStreamer(...))`` on a
thread, the caller iterating the streamer); aimu is
``aimu_core.client("hf:<dir>").generate(..., stream=True)``, which runs that
same recipe plus its reply filters, usage and ``StreamChunk`` output. A
logits processor forces the same text on both sides, so both generate the
same tokens (the script checks that). Rounds alternate aimu/raw and raw/aimu so
drift hits both alike; medians are compared.

The model is random-weight (``aimu_hf.text_testing``) unless ``--model DIR``
names a saved transformers model (e.g. the Gemma 3 270M the aimu-hf tests
dequantize from the embedded GGUF, in ``$AIMU_CACHE_DIR/gemma-3-270m-transformers``).
A small model is the hard case: aimu's work per chunk weighs most when a token is cheap.

Goal: aimu >= 0.97x raw on throughput, <= 5 ms extra time to first token. On a
shared machine wall time drifts with the neighbours' load; the tokens per CPU
second of this process are printed beside it as the steadier figure.

    python bench/hf_text_throughput.py [--tokens 64] [--rounds 9] [--hidden 256] [--threads 1] [--model DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PROMPT = "Once upon a time there was a small model that told stories."
STORY = "Hello from the model! The secret number of alpha is 42. " * 40


def _processor(tokenizer: Any, tokens: int) -> Any:
    from aimu_hf.text_testing import ForceText
    from transformers import LogitsProcessorList

    ids = tokenizer(STORY, add_special_tokens=False)["input_ids"][:tokens]
    return LogitsProcessorList([ForceText(tokenizer, tokenizer.decode(ids))])


def _raw(model: Any, tokenizer: Any, tokens: int) -> tuple[float, float, float, str]:
    from transformers import TextIteratorStreamer

    cpu, start = time.process_time(), time.perf_counter()
    inputs = tokenizer(PROMPT, return_tensors="pt")
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    kwargs = {
        **inputs,
        "streamer": streamer,
        "max_new_tokens": tokens,
        "do_sample": False,
        "logits_processor": _processor(tokenizer, tokens),
        "pad_token_id": tokenizer.pad_token_id,
    }
    worker = threading.Thread(target=model.generate, kwargs=kwargs)
    worker.start()
    first, pieces = 0.0, []
    for piece in streamer:
        if piece and not first:
            first = time.perf_counter() - start
        pieces.append(piece)
    worker.join()
    return time.perf_counter() - start, first, time.process_time() - cpu, "".join(pieces)


def _aimu(client: Any, tokenizer: Any, tokens: int) -> tuple[float, float, float, str]:
    from aimu_core.models import Phase

    cpu, start = time.process_time(), time.perf_counter()
    kwargs = {
        "max_tokens": tokens,
        "temperature": 0,
        "logits_processor": _processor(tokenizer, tokens),
    }
    first, pieces = 0.0, []
    for chunk in client.generate(PROMPT, stream=True, generate_kwargs=kwargs):
        if chunk.phase is Phase.GENERATING:
            if not first:
                first = time.perf_counter() - start
            pieces.append(chunk.content)
    return time.perf_counter() - start, first, time.process_time() - cpu, "".join(pieces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--hidden", type=int, default=256, help="random model's hidden size")
    parser.add_argument("--model", help="a saved transformers model directory instead")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()

    import torch
    from aimu_hf.text_testing import build_tiny_model

    import aimu_core

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model or str(build_tiny_model(Path(tmp), hidden_size=args.hidden, layers=4))
        client = aimu_core.client(f"hf:{folder}", device="cpu")
        loaded = client._loaded()  # the same weights and tokenizer for the raw side
        model, tokenizer = loaded.model, loaded.tokenizer
        _raw(model, tokenizer, 4), _aimu(client, tokenizer, 4)  # warm up both paths
        raw_runs, aimu_runs = [], []
        for round_ in range(args.rounds):
            order = [("raw", raw_runs), ("aimu", aimu_runs)]
            for name, runs in order if round_ % 2 else order[::-1]:
                if name == "raw":
                    runs.append(_raw(model, tokenizer, args.tokens))
                else:
                    runs.append(_aimu(client, tokenizer, args.tokens))
        texts = {r[3] for r in raw_runs} | {r[3] for r in aimu_runs}
        assert len(texts) == 1, "the sides wrote different text"
        tokens = len(tokenizer(raw_runs[0][3], add_special_tokens=False)["input_ids"])

    raw_total = statistics.median(r[0] for r in raw_runs)
    aimu_total = statistics.median(r[0] for r in aimu_runs)
    raw_first = statistics.median(r[1] for r in raw_runs)
    aimu_first = statistics.median(r[1] for r in aimu_runs)
    raw_cpu = statistics.median(r[2] for r in raw_runs)
    aimu_cpu = statistics.median(r[2] for r in aimu_runs)
    ratio = raw_total / aimu_total
    extra_ms = (aimu_first - raw_first) * 1000
    print(f"model: {folder if args.model else f'random Qwen2, hidden {args.hidden}, 4 layers'}")
    print(f"{tokens} tokens streamed, median of {args.rounds} rounds each, alternating")
    print(f"{'':24}{'raw generate':>14}{'aimu':>14}")
    print(f"{'tokens/s':24}{tokens / raw_total:14.1f}{tokens / aimu_total:14.1f}")
    print(f"{'time to first text (ms)':24}{raw_first * 1000:14.2f}{aimu_first * 1000:14.2f}")
    print(f"{'tokens per CPU second':24}{tokens / raw_cpu:14.1f}{tokens / aimu_cpu:14.1f}")
    print(
        f"throughput aimu/raw: {ratio:.3f}x (goal >= 0.97x) {'OK' if ratio >= 0.97 else 'MISSED'}"
    )
    # CPU time drifts far less than wall time on a shared machine: the same work, measured
    # by what this process spent on it.
    print(f"CPU-time throughput aimu/raw: {raw_cpu / aimu_cpu:.3f}x")
    print(
        f"extra time to first token: {extra_ms:+.2f} ms (goal <= 5 ms) "
        f"{'OK' if extra_ms <= 5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
