"""Time to save one conversation turn, against how much history is already stored.

For 100, 1,000 and 10,000 stored messages, in two shapes:

* **spread**: over many conversations (10 messages each), the turn goes to one of them;
* **long**: one conversation holding them all, the turn goes to its end;

we time ``ConversationManager.update_conversation`` (aimu's journal storage:
one fsynced line per turn, compaction now and then) and, side by side, the
same document layout saved through TinyDB's default ``JSONStorage`` (which
rewrites the whole file on every write, without fsync). Each figure is the
median of *turns* saves (compactions included in the mean, shown too).
"disk floor" is one bare append + ``fdatasync`` of a turn-sized line in the same
folder, measured between aimu's saves: what any crash-safe save pays the disk,
whatever the library. "no flush" is aimu's own work: the same run, flush off.

Goal: a crash-safe save of one turn in <= 3 ms, flat in both the store's size and
the conversation's length.

    python bench/history.py [--turns 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_MS = 3.0
PER_CONVERSATION = 10


def _message(i: int) -> dict[str, str]:
    role = "user" if i % 2 == 0 else "assistant"
    return {"role": role, "content": f"message {i}: " + "lorem ipsum dolor sit amet " * 4}


def _conversations(stored: int, shape: str) -> list[list[dict[str, str]]]:
    if shape == "long":
        return [[_message(i) for i in range(stored)]]
    return [
        [_message(i) for i in range(PER_CONVERSATION)]
        for _ in range(max(1, stored // PER_CONVERSATION))
    ]


def _aimu(
    folder: Path, conversations: list[list[dict[str, Any]]], turns: int
) -> tuple[list[float], list[float]]:
    """aimu's save times, and the disk floor measured between them (the disk's load drifts)."""
    from aimu_core.history import ConversationManager

    manager = ConversationManager(folder / "aimu.jsonl")
    for messages in conversations:
        manager.create_new_conversation()
        manager.update_conversation(messages)
    messages = list(conversations[-1])
    times, floor = [], []
    for turn in range(turns):
        messages += [_message(2 * turn), _message(2 * turn + 1)]
        started = time.perf_counter()
        manager.update_conversation(messages)
        times.append(time.perf_counter() - started)
        floor.append(_floor(folder))
    manager.close()
    return times, floor


def _tinydb(folder: Path, conversations: list[list[dict[str, Any]]], turns: int) -> list[float]:
    from tinydb import TinyDB

    with TinyDB(folder / "tinydb.json") as db:
        table = db.table("conversations")
        ids = table.insert_multiple({"title": "", "messages": m} for m in conversations)
        messages = list(conversations[-1])
        times = []
        for turn in range(turns):
            messages += [_message(2 * turn), _message(2 * turn + 1)]
            started = time.perf_counter()
            table.update({"messages": messages}, doc_ids=[ids[-1]])
            times.append(time.perf_counter() - started)
    return times


def _floor(folder: Path) -> float:
    """The disk's own price of a crash-safe append: one line written and flushed, nothing else."""
    import os

    from aimu_core.history.journal import _sync

    line = (repr([_message(0), _message(1)]) + "\n").encode()
    fd = os.open(folder / "floor.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        started = time.perf_counter()
        os.write(fd, line)
        _sync(fd)
        return time.perf_counter() - started
    finally:
        os.close(fd)


def _without_flush(
    folder: Path, conversations: list[list[dict[str, Any]]], turns: int
) -> list[float]:
    """aimu's own work per save: the same run with the flush to disk switched off."""
    from aimu_core.history import journal

    sync, journal._sync = journal._sync, lambda fd: None
    try:
        (folder / "aimu.jsonl").unlink()
        return _aimu(folder, conversations, turns)[0]
    finally:
        journal._sync = sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=50)
    args = parser.parse_args()
    print(
        f"{'shape':<7}{'stored':>8}  {'aimu median':>12} {'(mean)':>9}  {'disk floor':>10}  "
        f"{'no flush':>9}  {'tinydb json':>12}  ratio"
    )
    worst = worst_cpu = 0.0
    for shape in ("spread", "long"):
        for stored in (100, 1_000, 10_000):
            conversations = _conversations(stored, shape)
            with tempfile.TemporaryDirectory() as tmp:
                ours, floors = _aimu(Path(tmp), conversations, args.turns)
                floor = statistics.median(floors) * 1e3
                cpu = statistics.median(_without_flush(Path(tmp), conversations, args.turns)) * 1e3
                theirs = _tinydb(Path(tmp), conversations, args.turns)
            med, mean = statistics.median(ours) * 1e3, statistics.fmean(ours) * 1e3
            ref = statistics.median(theirs) * 1e3
            worst, worst_cpu = max(worst, med), max(worst_cpu, cpu)
            print(
                f"{shape:<7}{stored:>8}  {med:>9.2f} ms {mean:>6.2f} ms  {floor:>7.2f} ms  "
                f"{cpu:>6.2f} ms  {ref:>9.2f} ms  {ref / med:>5.1f}x faster"
            )
    verdict = "meets" if worst <= GOAL_MS else "misses"
    print(
        f"worst median {worst:.2f} ms ({worst_cpu:.2f} ms of it aimu's own work, the rest "
        "the disk's flush): "
        f"{verdict} the goal of <= {GOAL_MS:g} ms per turn"
    )


if __name__ == "__main__":
    main()
