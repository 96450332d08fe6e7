"""A well-behaved provider plugin: prefix ``good``, served by the scripted client."""

from aimu_core.hookspecs import hookimpl
from aimu_core.models.spec import Model, ModelSpec
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


class GoodModel(Model):
    SMALL = ModelSpec("good-small", tools=True)
    LARGE = ModelSpec("good-large", tools=True, thinking=True, vision=True)


@hookimpl
def aimu_text_providers():
    return [
        TextProvider(
            name="good",
            client="aimu_core.testing.scripted:ScriptedClient",
            async_client="aimu_core.testing.scripted:ScriptedAsyncClient",
            models=GoodModel,
            open_catalog=True,
            description="fixture: a good provider",
        )
    ]
