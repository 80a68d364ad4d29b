"""Export of a trained RL agent's network as a SavedModel: the project (with the run stored in it) is written
to a temporary file and ``layerbench export --run RUN`` runs on it in a child process (TensorFlow never loads
in the window)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.worker import CliJob


def export_savedmodel(lab: Any, out: Path | None, parent: QWidget) -> bool:
    """Start the export of ``lab``'s stored run; the outcome is shown in the panel's result line."""
    project = lab.project()
    if lab.run_id is None or project is None:
        lab.panel.result.setText("Train an agent with a network (DQN or REINFORCE) first.")
        return False
    if out is None:
        chosen = QFileDialog.getExistingDirectory(parent, "Export the agent network into folder", str(Path.home()))
        if not chosen:
            return False
        out = Path(chosen) / "agent_savedmodel"
    from core.project.io import save_project

    tmp = tempfile.TemporaryDirectory(prefix="layerbench-rl-export-")
    snapshot = Path(tmp.name) / "snapshot.layerbench"
    save_project(project, snapshot, backup=False, adopt=False)
    args = ["export", str(snapshot), "--format", "savedmodel", "--out", str(out), "--run", lab.run_id]

    def done(ok: bool, text: str) -> None:
        tmp.cleanup()
        lab.exported = (ok, str(out))
        if ok:
            lab.panel.result.setText(f"Exported the network as a SavedModel to {out}")
            lab.log.emit(f"Exported the RL agent network to {out}")
        else:
            tail = "\n".join(text.splitlines()[-3:])
            lab.panel.result.setText(f"Export failed: {tail or 'the export process failed'}")

    lab.export_job = CliJob(parent, "Exporting the agent network…", args, done)
    lab.panel.result.setText("Exporting the network (TensorFlow loads in a separate process)…")
    lab.export_job.start()
    return True
