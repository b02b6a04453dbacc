"""What this package is: its version, which the caches key on and the exports record."""

from __future__ import annotations

__version__ = "0.1.0"
