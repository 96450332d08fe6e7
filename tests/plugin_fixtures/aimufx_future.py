"""A plugin written for a plugin API this aimu-core does not speak."""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 99


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="future", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
