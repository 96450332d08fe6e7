"""The five hooks an aimu plugin can implement.

A plugin is a module (or any object) exposing functions decorated with
`hookimpl` whose names match the specs below. It is found through the
``aimu`` entry-point group of its distribution::

    # pyproject.toml of aimu-myprovider
    [project.entry-points.aimu]
    myprovider = "aimu_myprovider"

    # aimu_myprovider/__init__.py
    from aimu_core import hookimpl, TextProvider

    AIMU_PLUGIN_API = 1    # the plugin API version this plugin was written for

    @hookimpl
    def aimu_text_providers():
        return [TextProvider(name="myprov", client="aimu_myprovider._client:MyClient",
                             models=MyModel)]

Every hook takes no arguments and returns a list of records (see
[`records`][aimu_core.records]). Hooks are called once per process, when the registry
is first needed (not at ``import aimu_core``), and again after
[`refresh`][aimu_core.plugins.refresh]. Each plugin's implementation is called on
its own: one that raises or returns something malformed is recorded as failed
and the other plugins still load.

Keep the plugin module cheap to import: declare catalogs and records there and
import your SDK only inside the client module the record points to.
"""

from __future__ import annotations

import pluggy

from .records import ImageProvider, MemoryBackend, RunnerRecord, TextProvider, ToolRecord

__all__ = [
    "PROJECT_NAME",
    "aimu_image_providers",
    "aimu_memory_backends",
    "aimu_runners",
    "aimu_text_providers",
    "aimu_tools",
    "hookimpl",
    "hookspec",
]

#: The pluggy project name, also the entry-point group plugins register under.
PROJECT_NAME = "aimu"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate a plugin's hook functions with this.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def aimu_text_providers() -> list[TextProvider]:
    """Return the text-model providers this plugin contributes.

    Returns:
        a list of [`TextProvider`][aimu_core.records.TextProvider]. Each record's
        ``name`` (and every alias) becomes a model-string prefix. Claiming a
        prefix another loaded plugin also claims is an error for that prefix:
        using it raises [`PluginConflictError`][aimu_core.errors.PluginConflictError] naming
        both plugins. A record naming an ``embedding_client`` registers its
        prefixes for embedding models too, in a namespace of their own (one
        plugin may return a chat-only and an embedding-only record of one prefix).

    Called when a model string (chat or embedding) is first resolved, a default
    model is chosen, or ``aimu models`` / ``aimu plugins`` runs.
    """


@hookspec
def aimu_image_providers() -> list[ImageProvider]:
    """Return the image-generation providers this plugin contributes.

    Returns:
        a list of [`ImageProvider`][aimu_core.records.ImageProvider]. The same
        prefix rules as `aimu_text_providers` apply, in their own
        namespace (``hf`` may name a text and an image provider).

    Called when an image model string is first resolved or the plugins are
    listed.
    """


@hookspec
def aimu_runners() -> list[RunnerRecord]:
    """Return the runners (agents and workflows) this plugin contributes.

    Returns:
        a list of [`RunnerRecord`][aimu_core.records.RunnerRecord]; each names a
        ``aimu_core.agents.Runner`` subclass by import path. Core's own
        ``Agent``, ``Chain``, ``Router`` ... are registered through this hook
        by its built-in plugin.

    Called when runners are looked up by name or the plugins are listed.
    """


@hookspec
def aimu_tools() -> list[ToolRecord]:
    """Return ready-made tools this plugin contributes.

    Returns:
        a list of [`ToolRecord`][aimu_core.records.ToolRecord]; each names an
        ``@aimu_core.tool``-decorated function by import path. Tool names must
        be unique across loaded plugins.

    Called when tools are looked up by name or the plugins are listed.
    """


@hookspec
def aimu_memory_backends() -> list[MemoryBackend]:
    """Return the memory-store backends this plugin contributes.

    Returns:
        a list of [`MemoryBackend`][aimu_core.records.MemoryBackend]; each names
        a memory store class by import path.

    Called when a memory backend is looked up by name or the plugins are
    listed.
    """
