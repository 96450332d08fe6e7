"""A plugin whose hook raises."""

from aimu_core.hookspecs import hookimpl

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_text_providers():
    raise RuntimeError("fixture: the hook broke")
