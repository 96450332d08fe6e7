"""Entry-point plugin of aimu-core's test provider, ``scripted:``."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..models.spec import Model, ModelSpec
from ..records import TextProvider

AIMU_PLUGIN_API = 1


class ScriptedModel(Model):
    """The scripted provider's catalog (``scripted:scripted`` can do everything)."""

    SCRIPTED = ModelSpec("scripted", tools=True, thinking=True, vision=True)
    ECHO = ModelSpec("echo")


@hookimpl
def aimu_text_providers() -> list[TextProvider]:
    return [
        TextProvider(
            name="scripted",
            client="aimu_core.testing.scripted:ScriptedClient",
            async_client="aimu_core.testing.scripted:ScriptedAsyncClient",
            models=ScriptedModel,
            open_catalog=True,
            accepts_base_url=True,
            description="Scripted replies for tests (echoes when the script is empty)",
        )
    ]
