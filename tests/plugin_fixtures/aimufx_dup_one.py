"""One of two plugins that claim the prefix ``dup``."""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="dup",
            client="aimu_core.testing.scripted:ScriptedClient",
            open_catalog=True,
            description="fixture: dup one",
        )
    ]
