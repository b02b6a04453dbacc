"""Named implementations of each stage, chosen by name from the config.

A registry maps a name (``"bertopic"``, ``"prototype"``) to a factory. Looking up an
unknown name raises :class:`~narratives.errors.ConfigError` listing the known names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from narratives.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A small name → factory map for one pipeline stage."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator that registers ``factory`` under ``name``."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.stage}: '{name}' is registered twice")
            self._factories[name] = factory
            return factory

        return decorate

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name``."""
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise ConfigError(
                f"unknown {self.stage} method '{name}'; choose one of: {known}"
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, sorted."""
        return tuple(sorted(self._factories))
