"""``ModelSpec``, ``Model`` catalogs and ``AdHocModel``; what every kind of catalog shares."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from aimu_core.embeddings.spec import EmbeddingModel, EmbeddingSpec
from aimu_core.images.spec import ImageModel, ImageSpec
from aimu_core.models import (
    CAPABILITIES,
    AdHocModel,
    Model,
    ModelSpec,
)


class Catalog(Model):
    PLAIN = ModelSpec("plain-1")
    TOOLS = ModelSpec("tools-1", tools=True)
    ALL = ModelSpec(
        "all-1", tools=True, thinking=True, vision=True, generation_kwargs={"temperature": 0.6}
    )


def test_model_spec_equality_and_hash_use_the_id() -> None:
    a = ModelSpec("m", tools=True, generation_kwargs={"temperature": 0.1})
    b = ModelSpec("m")
    assert a == b and hash(a) == hash(b)
    assert a != ModelSpec("n") and a != "m"
    assert {a: 1}[b] == 1
    assert (a.tools, a.thinking, a.vision) == (True, False, False)


def test_model_spec_is_immutable() -> None:
    source = {"temperature": 0.1}
    spec = ModelSpec("m", generation_kwargs=source)
    source["temperature"] = 9  # the spec took a copy
    assert spec.generation_kwargs == {"temperature": 0.1}
    with pytest.raises(TypeError):
        spec.generation_kwargs["temperature"] = 1  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.tools = True  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["", None, 3])
def test_model_spec_needs_an_id(bad: object) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        ModelSpec(bad)  # type: ignore[arg-type]


def test_catalog_members() -> None:
    assert Catalog.ALL.value == "all-1"
    assert Catalog.ALL.spec.generation_kwargs == {"temperature": 0.6}
    assert Catalog("tools-1") is Catalog.TOOLS
    assert (
        Catalog.ALL.supports_tools,
        Catalog.ALL.supports_thinking,
        Catalog.ALL.supports_vision,
    ) == (True, True, True)
    assert not (
        Catalog.PLAIN.supports_tools
        or Catalog.PLAIN.supports_thinking
        or Catalog.PLAIN.supports_vision
    )
    assert Catalog.TOOL_MODELS == [Catalog.TOOLS, Catalog.ALL]
    assert Catalog.THINKING_MODELS == [Catalog.ALL]
    assert Catalog.VISION_MODELS == [Catalog.ALL]
    assert [m.value for m in Catalog] == ["plain-1", "tools-1", "all-1"]
    with pytest.raises(ValueError):
        Catalog("nope")
    assert pickle.loads(pickle.dumps(Catalog.ALL)) is Catalog.ALL
    assert copy.deepcopy(Catalog.ALL) is Catalog.ALL


def test_catalogs_are_distinct_even_with_shared_ids() -> None:
    class Other(Model):
        PLAIN = ModelSpec("plain-1")

    assert Other.PLAIN is not Catalog.PLAIN and Other.PLAIN != Catalog.PLAIN
    assert Other.PLAIN.spec == Catalog.PLAIN.spec  # same model id


def test_catalog_mistakes_fail_at_class_creation() -> None:
    with pytest.raises(ValueError, match=r"members \['B'\] repeat the id"):

        class Repeats(Model):
            A = ModelSpec("same")
            B = ModelSpec("same", tools=True)

    with pytest.raises(TypeError, match="members must be ModelSpec values, got 'x'"):

        class NotSpecs(Model):
            A = "x"


@pytest.mark.parametrize(
    ("base", "spec"),
    [
        pytest.param(Model, ModelSpec, id="text"),
        pytest.param(ImageModel, ImageSpec, id="image"),
        pytest.param(EmbeddingModel, EmbeddingSpec, id="embedding"),
    ],
)
def test_every_kind_of_catalog_holds_its_specs_by_id(base: Any, spec: Any) -> None:
    catalog = base("Kinds", {"ONE": spec("one"), "TWO": spec("two")})
    assert (catalog.ONE.value, catalog.ONE.spec) == ("one", spec("one"))
    assert catalog.by_id("two") is catalog.TWO and catalog.by_id("three") is None
    with pytest.raises(ValueError, match=r"members \['B'\] repeat the id"):
        base("Repeats", {"A": spec("same"), "B": spec("same")})
    with pytest.raises(TypeError, match=f"members must be {spec.__name__} values"):
        base("Wrong", {"A": ModelSpec("x") if spec is not ModelSpec else ImageSpec("x")})


def test_ad_hoc_model_quacks_like_a_member() -> None:
    model = AdHocModel(ModelSpec("local.gguf", thinking=True))
    assert (model.value, model.name) == ("local.gguf", "local.gguf")
    assert (model.supports_tools, model.supports_thinking, model.supports_vision) == (
        False,
        True,
        False,
    )
    assert CAPABILITIES == ("tools", "thinking", "vision")
