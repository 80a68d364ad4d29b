"""Projects: the ``.layerbench`` file (zip + ``project.json``), migrations, atomic saving and recovery."""

from __future__ import annotations

from core.project.errors import ProjectError
from core.project.project import Project

__all__ = ["Project", "ProjectError"]
