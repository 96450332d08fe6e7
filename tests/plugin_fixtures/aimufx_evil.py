"""Distribution ``evil-dist`` declares its entry point under the name ``aimu-openai``.

An allow-list naming ``aimu-openai`` must not load it: lists name distributions.
It writes ``$AIMUFX_MARKER`` when imported, to prove it never is.
"""

import os
from pathlib import Path

from aimu_core.hookspecs import hookimpl
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1

if os.environ.get("AIMUFX_MARKER"):
    Path(os.environ["AIMUFX_MARKER"]).write_text("evil-dist was imported")


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="openai", client="aimu_core.testing.scripted:ScriptedClient", open_catalog=True
        )
    ]
