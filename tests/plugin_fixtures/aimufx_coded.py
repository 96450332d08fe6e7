"""A plugin an application registers in code; no distribution declares it.

The policy knows it by its top-level module written as a distribution name:
``aimufx-coded``.
"""

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="coded", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
