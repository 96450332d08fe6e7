"""``aimu models``: every model of every loaded provider."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    models = commands.add_parser("models", help="list every model of every loaded provider")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.add_argument(
        "--options",
        metavar="MODEL",
        help="list the provider options and generation kwargs MODEL accepts (for -o KEY VALUE; "
        "for an image model, aimu image --option KEY VALUE)",
    )
    models.set_defaults(func=_models)


def _models(args: argparse.Namespace) -> int:
    if args.options:
        return _options(args.options, as_json=args.json)
    from ..plugins import get_manager

    manager = get_manager()
    rows: list[dict[str, Any]] = []
    for prefix, record, owner, conflict in _claims(manager, "text_providers"):
        if prefix != record.name:
            continue  # an alias: listed under the provider's own name
        plugin = owner.label if owner else ""
        members = list(record.models) if record.models else []
        for member in members:
            rows.append(
                {
                    "model": f"{prefix}:{member.value}",
                    "provider": prefix,
                    "plugin": plugin,
                    "tools": member.supports_tools,
                    "thinking": member.supports_thinking,
                    "vision": member.supports_vision,
                    "conflict": conflict,
                    "kind": "text",
                }
            )
        if record.open_catalog:
            suffix = record.open_model_id + ("@<url>" if record.requires_base_url else "")
            rows.append(
                {
                    "model": f"{prefix}:{suffix}",
                    "provider": prefix,
                    "plugin": plugin,
                    "tools": None,
                    "thinking": None,
                    "vision": None,
                    "conflict": conflict,
                    "kind": "text",
                }
            )
    rows += _embedding_rows(manager)
    rows += _image_rows(manager)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No models: no provider plugin is loaded. See `aimu plugins`.")
        return 0
    width = max(len(r["model"]) for r in rows)
    for row in rows:
        if row["kind"] == "embedding":
            size = f", {row['dimensions']} dimensions" if row["dimensions"] else ""
            caps = f"embedding{size}" + ("; a model outside the catalog" if row["open"] else "")
        elif row["kind"] == "image":
            caps = _image_caps(row)
        elif row["tools"] is None:
            caps = "a model outside the catalog; capabilities from ;flags"
        else:
            caps = ", ".join(c for c in ("tools", "thinking", "vision") if row[c]) or "-"
        if row["conflict"]:
            caps += f"  [conflicted: claimed by {row['conflict']}; unusable until one is removed]"
        print(f"{row['model']:<{width}}  {caps}")
    return 0


def _options(model: str, *, as_json: bool) -> int:
    """``aimu models --options MODEL``: what ``-o KEY VALUE`` (``aimu chat``, ``aimu complete``)
    or ``--option KEY VALUE`` (``aimu image``) accepts for MODEL."""
    from ..images import client as images
    from ._args import option_names

    kind, resolved = _resolve_any(model)
    generation, options = (images.option_names if kind == "image" else option_names)(resolved)
    if as_json:
        listed = {"kind": kind, "options": options, "generate_kwargs": sorted(generation)}
        print(json.dumps(listed, indent=2))
        return 0
    print(f"{resolved.model_string} ({kind} model)")
    print(f"  provider options:   {', '.join(options)}")
    print(f"  generation kwargs:  {', '.join(sorted(generation)) or '-'}")
    return 0


def _resolve_any(model: str) -> tuple[str, Any]:
    """*model* resolved as a text or an image model string. One prefix may be both (``hf:``,
    a test provider): a catalog member wins over a model outside the catalog, then text."""
    from ..errors import AimuError
    from ..images.client import resolve_image_model
    from ..images.spec import AdHocImageModel
    from ..models.client import resolve
    from ..models.spec import AdHocModel

    text = image = None
    try:
        text = resolve(model)
    except AimuError as exc:
        failure = exc
    try:
        image = resolve_image_model(model)
    except AimuError:
        pass
    in_catalog = image is not None and not isinstance(image.model, AdHocImageModel)
    if in_catalog and (text is None or isinstance(text.model, AdHocModel)):
        return "image", image
    if text is not None:
        return "text", text
    if image is not None:
        return "image", image
    raise failure


def _embedding_rows(manager: Any) -> list[dict[str, Any]]:
    """One row per embedding model, marked ``kind: embedding``; an open catalog adds ``<id>``."""
    rows: list[dict[str, Any]] = []
    for prefix, record, owner, conflict in _claims(manager, "embedding_providers"):
        if prefix != record.name:
            continue  # an alias: listed under the provider's own name
        models = [(m.value, m.spec.dimensions, False) for m in record.embedding_models or ()]
        if record.open_catalog:
            suffix = record.open_model_id + ("@<url>" if record.requires_base_url else "")
            models.append((suffix, None, True))
        for model_id, dimensions, outside in models:
            rows.append(
                {
                    "model": f"{prefix}:{model_id}",
                    "provider": prefix,
                    "plugin": owner.label if owner else "",
                    "kind": "embedding",
                    "dimensions": dimensions,
                    "open": outside,
                    "conflict": conflict,
                }
            )
    return rows


def _image_rows(manager: Any) -> list[dict[str, Any]]:
    """One row per image model, marked ``kind: image``; an open catalog adds ``<id>``."""
    rows: list[dict[str, Any]] = []
    for prefix, record, owner, conflict in _claims(manager, "image_providers"):
        if prefix != record.name:
            continue  # an alias: listed under the provider's own name
        specs: list[tuple[str, Any]] = [(m.value, m.spec) for m in record.models or ()]
        if record.open_catalog:
            specs.append(("<id>", None))
        for model_id, spec in specs:
            rows.append(
                {
                    "model": f"{prefix}:{model_id}",
                    "provider": prefix,
                    "plugin": owner.label if owner else "",
                    "kind": "image",
                    "image_to_image": spec.image_to_image if spec else None,
                    "sizes": [f"{w}x{h}" for w, h in spec.sizes] if spec else None,
                    "steps": list(spec.steps) if spec and spec.steps else None,
                    "seeded": spec.seeded if spec else None,
                    "conflict": conflict,
                }
            )
    return rows


def _image_caps(row: dict[str, Any]) -> str:
    if row["image_to_image"] is None:
        return "image; a model outside the catalog (a local pipeline, a file)"
    caps = ["image"]
    if row["image_to_image"]:
        caps.append("image-to-image")
    if row["steps"]:
        caps.append(f"{row['steps'][0]}-{row['steps'][1]} steps")
    if row["seeded"]:
        caps.append("seeded")
    if row["sizes"]:
        caps.append("sizes " + " ".join(row["sizes"]))
    return ", ".join(caps)


def _claims(manager: Any, kind: str) -> list[tuple[str, Any, Any, str | None]]:
    """(prefix, record, owner, conflict) of every claim on a *kind* namespace, sorted.

    A prefix two plugins claim is unusable (PluginConflictError), but listed, marked.
    """
    claims: list[tuple[str, Any, Any, str | None]] = [
        (prefix, record, manager.owner(kind, prefix), None)
        for prefix, record in getattr(manager, kind).items()
    ]
    for (claimed_kind, prefix), conflicted in manager.conflicted.items():
        if claimed_kind == kind:
            claimants = " and ".join(manager.conflicts[(kind, prefix)])
            claims += [(prefix, record, owner, claimants) for record, owner in conflicted]
    claims.sort(key=lambda c: (c[0], c[2].label if c[2] else ""))
    return claims
