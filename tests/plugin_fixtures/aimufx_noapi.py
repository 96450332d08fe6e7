"""A plugin that declares no ``AIMU_PLUGIN_API``: it loads, with a warning."""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="noapi", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
