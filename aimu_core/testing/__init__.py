"""Test kit: the scripted provider, a loopback HTTP server and the provider conformance kit.

See ``docs/how-to/test-a-plugin.md``. The conformance kit lives in
:mod:`aimu_core.testing.conformance` (it imports pytest).
"""

from .loopback import LoopbackServer, Request, Response
from .scripted import FAILURES, Script, ScriptedAsyncClient, ScriptedClient, ScriptedModel, Turn

__all__ = [
    "FAILURES",
    "LoopbackServer",
    "Request",
    "Response",
    "Script",
    "ScriptedAsyncClient",
    "ScriptedClient",
    "ScriptedModel",
    "Turn",
]
