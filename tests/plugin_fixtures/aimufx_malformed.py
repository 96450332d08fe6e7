"""A plugin whose hook returns a dict instead of a list of records."""

from aimu_core.hookspecs import hookimpl

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers():
    return {"name": "malformed", "client": "aimufx_malformed:Client"}
