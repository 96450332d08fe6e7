"""A plugin that misspells its hook (``aimu_text_provider``): loaded, with a warning."""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_provider():
    return [
        TextProvider(
            name="typo", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
