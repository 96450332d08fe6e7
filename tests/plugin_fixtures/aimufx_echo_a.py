"""Distribution aimu-fx-a, entry point ``echo``: the other aimu-fx-* shares that name."""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="fxa", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
