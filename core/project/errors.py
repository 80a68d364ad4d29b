"""The one error a project file, an import or an export can raise: a message saying what and where."""

from __future__ import annotations


class ProjectError(Exception):
    """A problem with a project, model or export file. ``where`` names the file, member or field path."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
