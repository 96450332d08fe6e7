"""Providers whose client classes break the client contract, each in its own way."""

from aimu_core.hookspecs import hookimpl
from aimu_core.models.base import BaseModelClient
from aimu_core.records import TextProvider

AIMU_PLUGIN_API = 1


class NoChat(BaseModelClient):
    """A client that forgot ``_chat``."""

    provider = "nochat"


class NotAClient:
    """Has a ``chat`` method, but is no ``BaseModelClient``."""

    def __init__(self, model, **options):
        self.model = model

    def chat(self, prompt, **kwargs):
        return prompt


def _provider(name: str, client: str, async_client: str | None = None) -> TextProvider:
    return TextProvider(name=name, client=client, async_client=async_client, open_catalog=True)


@hookimpl
def aimu_text_providers():
    return [
        _provider("nochat", "aimufx_badclient:NoChat"),
        _provider("notclient", "aimufx_badclient:NotAClient"),
        _provider("missingcls", "aimufx_badclient:NotThere"),
        _provider("nosdk", "aimufx_sdk_that_is_not_installed.client:Client"),
        # a sync class where the async client belongs
        _provider(
            "syncasasync",
            "aimu_core.testing.scripted:ScriptedClient",
            async_client="aimu_core.testing.scripted:ScriptedClient",
        ),
    ]
