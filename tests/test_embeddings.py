"""The embedding contract in core: records, resolution, the default model, the base client's
checks, the factories, ``aimu models``, and the kit run against a toy in-process provider."""

from __future__ import annotations

import asyncio
import json
import sys
import types

import pytest

import aimu_core
import aimu_core.plugins
from aimu_core import aio
from aimu_core.cli import main
from aimu_core.embeddings import (
    BaseEmbeddingClient,
    default_embedding_model_string,
    resolve_embedding_model,
)
from aimu_core.errors import (
    ConfigurationError,
    ModelNotFoundError,
    PluginConflictError,
    PluginError,
    PluginUnavailableError,
    ProviderError,
    UnknownProviderError,
)
from aimu_core.plugins import PluginManager
from aimu_core.provider import (
    AsyncBaseEmbeddingClient,
    EmbeddingModel,
    EmbeddingSpec,
    TextProvider,
    hookimpl,
)
from aimu_core.testing import fake_vector
from aimu_core.testing.embedding_conformance import EmbeddingConformance

# -- a toy provider: vectors from a hash, a call log to count batches ----------------------


class ToyEmbeddingModel(EmbeddingModel):
    TOY_8 = EmbeddingSpec("toy-8", dimensions=8)
    TOY_4 = EmbeddingSpec("toy-4", dimensions=4)


CALLS: list[list[str]] = []


class ToyEmbeddings(BaseEmbeddingClient):
    provider = "toy"

    def __init__(self, model: EmbeddingSpec, *, size: int | None = None, **options) -> None:
        super().__init__(model, **options)
        self.size = size or model.dimensions or 6

    def _embed(self, texts: list[str]) -> list[list[float]]:
        CALLS.append(list(texts))
        if "" in texts:
            raise ConfigurationError("toy refuses empty strings")
        return [fake_vector(text, self.size) for text in texts]


class AsyncToyEmbeddings(AsyncBaseEmbeddingClient):
    provider = "toy"

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        await asyncio.sleep(0)
        if "" in texts:
            raise ConfigurationError("toy refuses empty strings")
        return [fake_vector(text, self.spec.dimensions or 6) for text in texts]


class ThreadedToyEmbeddings(ToyEmbeddings):
    """The toy under another prefix (a client class names the one prefix it serves)."""

    provider = "toyt"


class LyingEmbeddings(BaseEmbeddingClient):
    """Answers one vector too few, or vectors of two lengths."""

    provider = "liar"

    def _embed(self, texts: list[str]) -> list[list[float]]:
        if self.spec.id == "short":
            return [[1.0]] * (len(texts) - 1)
        return [[1.0] * (1 + i % 2) for i, _ in enumerate(texts)]


class NotAClient:
    pass


def _plugin(*records: TextProvider) -> object:
    class Plugin:
        @hookimpl
        def aimu_text_providers(self) -> list[TextProvider]:
            return list(records)

    return Plugin()


TOY = TextProvider(
    name="toy",
    embedding_client=f"{__name__}:ToyEmbeddings",
    async_embedding_client=f"{__name__}:AsyncToyEmbeddings",
    embedding_models=ToyEmbeddingModel,
    embedding_discover=lambda: ["toy-8"],
    discover_priority=50,
    open_catalog=True,
    accepts_base_url=True,
)
TOY_PLUGIN = _plugin(TOY)


@pytest.fixture(autouse=True)
def _no_env_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIMU_EMBEDDING_MODEL", raising=False)
    CALLS.clear()


@pytest.fixture
def toy_registered():
    aimu_core.plugins.register(TOY_PLUGIN)
    yield
    aimu_core.plugins.unregister(TOY_PLUGIN)


class TestToyConformance(EmbeddingConformance):
    """The kit against the toy provider (it refuses ""), through the process-wide registry."""

    model = "toy:toy-8"
    empty_string = "error"

    @pytest.fixture(autouse=True)
    def _registered(self, toy_registered: None) -> None:
        pass


class TestThreadedToyConformance(TestToyConformance):
    """The same with no async client of its own: the sync one on a worker thread."""

    model = "toyt:toy-4"

    @pytest.fixture(autouse=True)
    def _registered(self):
        record = TextProvider(
            name="toyt",
            embedding_client=f"{__name__}:ThreadedToyEmbeddings",
            embedding_models=ToyEmbeddingModel,
        )
        plugin = _plugin(record)
        aimu_core.plugins.register(plugin)
        yield
        aimu_core.plugins.unregister(plugin)


# -- records ---------------------------------------------------------------------------


def test_a_record_needs_a_client_or_an_embedding_client():
    with pytest.raises(ValueError, match="a client, an embedding_client, or both"):
        TextProvider(name="none")


def test_an_embedding_record_needs_a_catalog_or_an_open_one():
    with pytest.raises(ValueError, match="embedding_models catalog, or open_catalog"):
        TextProvider(name="x", embedding_client="m:C")
    with pytest.raises(ValueError, match="subclass of aimu_core.embeddings.EmbeddingModel"):
        TextProvider(name="x", embedding_client="m:C", embedding_models=int)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embedding_client="):
        TextProvider(name="x", embedding_client="not a path", open_catalog=True)
    with pytest.raises(ValueError, match="embedding_discover must be a callable"):
        TextProvider(name="x", embedding_client="m:C", open_catalog=True, embedding_discover=3)  # type: ignore[arg-type]


def test_catalog_members_must_be_embedding_specs():
    with pytest.raises(TypeError, match="EmbeddingSpec values"):

        class Bad(EmbeddingModel):
            X = "x"

    with pytest.raises(ValueError, match="integer > 0"):
        EmbeddingSpec("x", dimensions=0)
    assert ToyEmbeddingModel.by_id("toy-8") is ToyEmbeddingModel.TOY_8
    assert ToyEmbeddingModel.by_id("nope") is None


# -- registration: namespaces, conflicts, isolation -------------------------------------


def test_chat_and_embedding_records_of_one_prefix_live_in_their_own_namespaces():
    chat = TextProvider(
        name="both", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
    )
    embeddings = TextProvider(
        name="both", embedding_client=f"{__name__}:ToyEmbeddings", open_catalog=True
    )
    manager = PluginManager([_plugin(chat, embeddings)], builtin=False)
    assert manager.text_providers["both"] is chat
    assert manager.embedding_providers["both"] is embeddings
    assert manager.conflicts == {}
    (info,) = manager.plugins
    assert info.contributes == {"text_providers": ["both"], "embedding_providers": ["both"]}


def test_a_record_with_both_clients_is_registered_twice():
    record = TextProvider(
        name="duo",
        client="aimu_core.testing.scripted:ScriptedClient",
        embedding_client=f"{__name__}:ToyEmbeddings",
        open_catalog=True,
    )
    manager = PluginManager([_plugin(record)], builtin=False)
    assert manager.text_providers["duo"] is record is manager.embedding_providers["duo"]


def test_two_plugins_claiming_one_embedding_prefix_conflict():
    one, two = _plugin(TOY), _plugin(TOY)
    manager = PluginManager([one, two], builtin=False)
    with pytest.raises(PluginConflictError, match="embedding provider 'toy' is claimed by"):
        resolve_embedding_model("toy:toy-8", manager=manager)


def test_a_failed_plugin_makes_its_embedding_prefix_unavailable(tmp_path, monkeypatch):
    module = types.ModuleType("aimu_fx_failing_embed")

    @hookimpl
    def aimu_text_providers():
        raise RuntimeError("cannot start")

    module.aimu_text_providers = aimu_text_providers  # type: ignore[attr-defined]
    module.AIMU_PLUGIN_API = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    manager = PluginManager([module], builtin=False)
    with pytest.raises(PluginUnavailableError, match="which is failed: hook aimu_text_providers"):
        resolve_embedding_model("aimu-fx-failing-embed:x", manager=manager)


def test_a_chat_only_provider_offers_no_embeddings():
    manager = PluginManager(builtin=False, plugins=[aimu_core.testing.scripted])
    with pytest.raises(UnknownProviderError, match="Unknown embedding provider 'scripted'"):
        resolve_embedding_model("scripted:echo", manager=manager)


# -- model strings and the default -----------------------------------------------------


@pytest.fixture
def manager() -> PluginManager:
    return PluginManager([TOY_PLUGIN], builtin=False)


def test_model_strings_resolve_to_specs(manager):
    assert resolve_embedding_model("toy:toy-4", manager=manager).spec.dimensions == 4
    adhoc = resolve_embedding_model("toy:any-thing@http://u:pw@127.0.0.1:9/v1", manager=manager)
    assert adhoc.spec == EmbeddingSpec("any-thing")
    assert adhoc.base_url == "http://u:pw@127.0.0.1:9/v1"
    assert adhoc.model_string == "toy:any-thing@http://***@127.0.0.1:9/v1"
    assert resolve_embedding_model(ToyEmbeddingModel.TOY_4, manager=manager).spec.id == "toy-4"


@pytest.mark.parametrize(
    ("text", "error", "says"),
    [
        ("", ConfigurationError, "empty"),
        ("toy", ConfigurationError, "names no provider"),
        ("toy:toy-8;tools", ConfigurationError, "only chat models take"),
        ("toy:toy-8@ftp://x", ConfigurationError, "must start with http"),
        ("nope:x", UnknownProviderError, "Unknown embedding provider 'nope'"),
    ],
)
def test_bad_model_strings_are_typed(manager, text, error, says):
    with pytest.raises(error, match=says):
        resolve_embedding_model(text, manager=manager)


def test_a_closed_catalog_names_close_matches():
    closed = TextProvider(
        name="shut",
        embedding_client=f"{__name__}:ToyEmbeddings",
        embedding_models=ToyEmbeddingModel,
    )
    manager = PluginManager([_plugin(closed)], builtin=False)
    with pytest.raises(ModelNotFoundError, match="Did you mean 'toy-8'"):
        resolve_embedding_model("shut:toy-9", manager=manager)
    with pytest.raises(ConfigurationError, match="as an embedding model"):
        resolve_embedding_model(42, manager=manager)  # type: ignore[arg-type]


def test_the_default_is_the_env_var_then_local_discovery(manager, monkeypatch):
    assert default_embedding_model_string(manager=manager) == "toy:toy-8"
    monkeypatch.setenv("AIMU_EMBEDDING_MODEL", "toy:toy-4")
    assert default_embedding_model_string(manager=manager) == "toy:toy-4"
    assert resolve_embedding_model(manager=manager).spec.id == "toy-4"


def test_discovery_follows_priority_and_survives_a_raising_discover(caplog):
    def broken() -> list[str]:
        raise OSError("disk gone")

    first = TextProvider(
        name="first",
        embedding_client=f"{__name__}:ToyEmbeddings",
        open_catalog=True,
        embedding_discover=broken,
        discover_priority=1,
    )
    later = TextProvider(
        name="later",
        embedding_client=f"{__name__}:ToyEmbeddings",
        open_catalog=True,
        embedding_discover=lambda: ["found"],
        discover_priority=90,
    )
    empty = TextProvider(
        name="empty",
        embedding_client=f"{__name__}:ToyEmbeddings",
        open_catalog=True,
        embedding_discover=lambda: [],
        discover_priority=5,
    )
    manager = PluginManager([_plugin(later, first, empty)], builtin=False)
    assert default_embedding_model_string(manager=manager) == "later:found"
    assert "embedding_discover() of provider 'first'" in caplog.text


def test_no_default_is_a_clear_error_naming_the_fix():
    manager = PluginManager(builtin=False)
    with pytest.raises(ConfigurationError, match=r"aimu-hf\[default-embeddings\]"):
        default_embedding_model_string(manager=manager)


def test_a_chat_discover_never_picks_an_embedding_model():
    chat_only = TextProvider(
        name="chat",
        client="aimu_core.testing.scripted:ScriptedClient",
        open_catalog=True,
        discover=lambda: ["local"],
    )
    manager = PluginManager([_plugin(chat_only)], builtin=False)
    with pytest.raises(ConfigurationError, match="No embedding model"):
        default_embedding_model_string(manager=manager)


# -- the base client -------------------------------------------------------------------


def test_batches_are_cut_by_batch_size_and_no_texts_make_no_call(toy_registered):
    with aimu_core.embedding_client("toy:toy-8", batch_size=2) as client:
        assert client.embed([]) == []
        assert CALLS == []
        client.embed(["a", "b", "c", "d", "e"])
        assert CALLS == [["a", "b"], ["c", "d"], ["e"]]
        CALLS.clear()
        client.embed(["a", "b", "c"], batch_size=3)
        assert CALLS == [["a", "b", "c"]]


def test_dimensions_come_from_the_catalog_or_one_call(toy_registered):
    assert aimu_core.embedding_client("toy:toy-8").dimensions == 8
    assert CALLS == []
    client = aimu_core.embedding_client("toy:open-model", size=5)
    assert client.dimensions == 5
    assert CALLS == [["dimensions"]]
    assert client.dimensions == 5 and len(CALLS) == 1


def test_options_go_to_the_provider_client_and_urls_are_masked(toy_registered):
    client = aimu_core.embedding_client("toy:m@http://user:secret@127.0.0.1:1/v1", size=3)
    assert client.base_url == "http://user:secret@127.0.0.1:1/v1"
    assert "secret" not in repr(client) and "secret" not in client.model_string
    with pytest.raises(TypeError):
        aimu_core.embedding_client("toy:toy-8", no_such_option=1)


def test_a_provider_answering_the_wrong_vectors_is_a_provider_error():
    record = TextProvider(
        name="liar", embedding_client=f"{__name__}:LyingEmbeddings", open_catalog=True
    )
    manager = PluginManager([_plugin(record)], builtin=False)
    short = aimu_core.embeddings.embedding_client("liar:short", manager=manager)
    with pytest.raises(ProviderError, match="returned 1 vectors for 2 texts"):
        short.embed(["a", "b"])
    ragged = aimu_core.embeddings.embedding_client("liar:ragged", manager=manager)
    with pytest.raises(ProviderError, match="a vector of 2 numbers; expected 1"):
        ragged.embed(["a", "b"])


@pytest.mark.parametrize(
    ("path", "error", "says"),
    [
        ("no_such_module_x:Client", PluginUnavailableError, "cannot load its client"),
        (f"{__name__}:NotAClient", PluginError, "not a subclass of aimu_core BaseEmbeddingClient"),
        (f"{__name__}:BaseEmbeddingClient", PluginError, "does not implement _embed"),
    ],
)
def test_a_broken_embedding_client_path_is_a_plugin_error(path, error, says):
    record = TextProvider(name="broken", embedding_client=path, open_catalog=True)
    manager = PluginManager([_plugin(record)], builtin=False)
    with pytest.raises(error, match=says):
        aimu_core.embeddings.embedding_client("broken:x", manager=manager)


def test_one_shot_embed_sync_and_async(toy_registered):
    vectors = aimu_core.embed(["a", "b"], "toy:toy-4")
    assert vectors == [fake_vector("a", 4), fake_vector("b", 4)]
    assert asyncio.run(aio.embed(["a", "b"], "toy:toy-4")) == vectors
    assert aimu_core.embed(["a"]) == [fake_vector("a", 8)]  # the discovered default


# -- aimu models -----------------------------------------------------------------------


def test_aimu_models_lists_embedding_models_marked(toy_registered, capsys):
    assert main(["models", "--json"]) == 0
    rows = {row["model"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["toy:toy-8"]["kind"] == "embedding" and rows["toy:toy-8"]["dimensions"] == 8
    assert rows["toy:<id>"] == {**rows["toy:<id>"], "kind": "embedding", "dimensions": None}
    assert rows["scripted:echo"]["kind"] == "text"
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert any(
        line.startswith("toy:toy-8") and "embedding, 8 dimensions" in line
        for line in text.splitlines()
    )
