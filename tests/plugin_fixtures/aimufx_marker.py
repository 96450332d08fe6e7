"""A plugin that leaves a file behind when imported, to prove blocked plugins never are."""

import os
from pathlib import Path

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1

if os.environ.get("AIMUFX_MARKER"):
    Path(os.environ["AIMUFX_MARKER"]).write_text("imported")


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="marker", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
