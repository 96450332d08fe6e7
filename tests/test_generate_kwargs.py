"""Portable generation kwargs: merging tiers, translation to provider names, validation."""

from __future__ import annotations

import warnings
from types import MappingProxyType

import pytest

from aimu_core.errors import ConfigurationError
from aimu_core.models.generate_kwargs import PORTABLE_KWARGS, merge_kwargs, translate_kwargs


def test_merge_kwargs_later_tiers_win() -> None:
    assert merge_kwargs({"temperature": 0.7, "top_p": 0.9}, None, {"temperature": 0.1}) == {
        "temperature": 0.1,
        "top_p": 0.9,
    }
    assert merge_kwargs(MappingProxyType({"seed": 1}), {}) == {"seed": 1}


def test_translate_renames_and_passes_native_names() -> None:
    out = translate_kwargs(
        {"temperature": 0.5, "max_tokens": 64, "stop": "\n", "mirostat": 2, "seed": None},
        {"temperature": "temperature", "max_tokens": "num_predict", "stop": "stop"},
        {"mirostat"},
        provider="t-rename",
    )
    assert out == {"temperature": 0.5, "num_predict": 64, "stop": ["\n"], "mirostat": 2}


def test_unsupported_portable_kwarg_is_dropped_with_one_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert translate_kwargs({"top_k": 40}, {}, provider="t-once") == {}
    assert [str(w.message) for w in caught] == [
        "Provider 't-once' does not support 'top_k'; it is ignored."
    ]


def test_a_kwarg_one_model_cannot_use_is_said_of_that_model() -> None:
    # OpenAI's reasoning models take no temperature; its other models do.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for model in ("o3", "o3", "o4-mini"):
            translate_kwargs({"temperature": 0.2}, {}, provider="t-model", model=model)
    assert [str(w.message) for w in caught] == [
        "Model 'o3' of provider 't-model' does not support 'temperature'; it is ignored.",
        "Model 'o4-mini' of provider 't-model' does not support 'temperature'; it is ignored.",
    ]


def test_unknown_kwarg_is_rejected_with_the_valid_names() -> None:
    with pytest.raises(ConfigurationError) as info:
        translate_kwargs(
            {"temprature": 0.5}, {"temperature": "temperature"}, {"mirostat"}, provider="t-unknown"
        )
    message = str(info.value)
    assert "Unknown generation kwarg 'temprature' for provider 't-unknown'" in message
    assert "temperature" in message and "mirostat" in message


@pytest.mark.parametrize(
    "key,value",
    [
        ("temperature", -0.1),
        ("temperature", "hot"),
        ("temperature", True),
        ("top_p", 1.5),
        ("top_k", 2.5),
        ("top_k", -1),
        ("max_tokens", 0),
        ("max_tokens", 10.0),
        ("stop", ["a", 1]),
        ("seed", "42"),
        ("context_length", -5),
        ("presence_penalty", "x"),
    ],
)
def test_invalid_values_are_rejected(key: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"{key}=.* is invalid: it must be"):
        translate_kwargs({key: value}, {name: name for name in PORTABLE_KWARGS}, provider="t-bad")


@pytest.mark.parametrize(
    "key,value",
    [
        ("temperature", 0),
        ("temperature", 1.5),
        ("top_p", 1),
        ("top_k", 0),
        ("max_tokens", 1),
        ("stop", ("a", "b")),
        ("seed", -3),
        ("repeat_penalty", 1.1),
        ("frequency_penalty", -1),
    ],
)
def test_valid_values_pass(key: str, value: object) -> None:
    supported = {name: name for name in PORTABLE_KWARGS}
    assert translate_kwargs({key: value}, supported, provider="t-good") == {key: value}


def test_messages_quote_huge_input_capped() -> None:
    huge = "k" * 1_000_000
    with pytest.raises(ConfigurationError) as caught:
        translate_kwargs({huge: 1}, {"temperature": "temperature"}, frozenset(), provider="p")
    assert len(str(caught.value)) < 1_000
    with pytest.raises(ConfigurationError) as caught:
        translate_kwargs({"stop": [huge] * 3 + [3]}, {"stop": "stop"}, frozenset(), provider="p")
    assert len(str(caught.value)) < 1_000
