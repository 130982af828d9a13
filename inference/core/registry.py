"""Backends registered by name and created from config (timm / open_clip style).

    @register("parser", "lite0-fpn")
    def _lite0(**options): return Lite0Parser()

    create("parser", "lite0-fpn")  # unknown names fail listing the known ones
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {}


class UnknownBackend(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def register(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY.setdefault(kind, {})[name] = factory
        return factory

    return decorate


def names(kind: str) -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY.get(kind, {}))


def create(kind: str, name: str, **options: Any) -> Any:
    _load_builtin()
    try:
        factory = _REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(names(kind)) or "none"
        raise UnknownBackend(f"unknown {kind} backend {name!r}; known: {known}") from None
    return factory(**options)


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators.
    from inference import backends  # noqa: F401
