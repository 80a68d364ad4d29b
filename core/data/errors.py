"""Typed data errors: each message names what was wrong and where (file, line, column, option)."""

from __future__ import annotations


class DataError(Exception):
    """Any problem with a data source or recipe; ``where`` names the file, column or option concerned."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return self.message


class OfflineError(DataError):
    """A downloadable dataset that is not in the local cache while the network is unreachable."""


class DataShapeError(DataError):
    """The data does not fit the graph's input or output shape; the message names both shapes."""
