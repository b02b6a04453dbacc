"""Command-line front door. Only argument parsing and printing live here."""

from narratives.cli.app import app, main

__all__ = ["app", "main"]
