"""A plugin whose module cannot be imported: its dependency is not installed."""

import aimufx_sdk_that_is_not_installed  # noqa: F401

AIMU_PLUGIN_API = 1
