"""Loggers that load structlog only when they write a line.

Importing structlog brings its console renderer and, through it, rich's traceback and pretty
printers: about 7 % of a command's start-up, spent even by the runs (most of them) that log
nothing at the default level. A module's logger here drops a line below the configured level
without looking at structlog; the first line at or above it imports structlog and runs the
configuration the CLI registered (`configure`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from structlog.typing import BindableLogger


class _Settings:
    level = logging.WARNING
    setup: Callable[[], None] | None = None  # run once, before the first line is written


_settings = _Settings()


def configure(level: int, setup: Callable[[], None]) -> None:
    """Write lines at `level` and above; `setup` configures structlog before the first one."""
    _settings.level = level
    _settings.setup = setup


class Logger:
    """`structlog.get_logger(name)`, fetched at the first line written."""

    __slots__ = ("_name", "_structlog")

    def __init__(self, name: str) -> None:
        self._name = name
        self._structlog: BindableLogger | None = None

    def debug(self, event: str, **fields: Any) -> None:
        self._write(logging.DEBUG, "debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._write(logging.INFO, "info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._write(logging.WARNING, "warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._write(logging.ERROR, "error", event, fields)

    def _write(self, level: int, method: str, event: str, fields: dict[str, Any]) -> None:
        if level >= _settings.level:
            getattr(self._logger(), method)(event, **fields)

    def _logger(self) -> Any:
        setup, _settings.setup = _settings.setup, None
        if setup is not None:
            setup()
        if self._structlog is None:
            import structlog

            self._structlog = structlog.get_logger(self._name)
        return self._structlog


def get_logger(name: str) -> Logger:
    return Logger(name)
