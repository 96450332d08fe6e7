"""Provider ``versioned``; its distribution is version 2.0, for policy version ranges."""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="versioned", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
