"""Screenshots of the editor for the README and for review: ``python scripts/screenshots.py [OUT_DIR]``.

Opens the app on a CNN template (offscreen unless a display is given) and saves the main window in the
light and dark themes at 100% and 200% scaling, plus the quick-add dialog. Each variant runs in its own
process because the scale factor is fixed when Qt starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "resnet_block_cnn"
VARIANTS = {
    "main_light": ("light", "1", (1600, 1000)),
    "main_dark": ("dark", "1", (1600, 1000)),
    "main_light_200": ("light", "2", (1400, 900)),
    "main_dark_200": ("dark", "2", (1400, 900)),
}


def shoot(name: str, out: Path) -> None:
    """Runs in the child process: build the window, select a layer, grab, save."""
    theme, _, (width, height) = VARIANTS[name]
    from core.catalog.templates import load_template
    from desktop.app import make_app
    from desktop.theme import apply_theme

    app = make_app()
    apply_theme(app, theme == "dark")
    from desktop.document import Document
    from desktop.main_window import MainWindow

    graph = load_template(TEMPLATE)
    window = MainWindow(Document(graph, name="resnet_block_cnn"))
    window.resize(width, height)
    window.show()
    app.processEvents()
    window.document.refresh()
    window.view.fit(min_zoom=0.7)
    convs = [n.id for n in graph.nodes if n.type == "Conv2D"]
    if convs:
        window.scene.select_nodes([convs[1 if len(convs) > 1 else 0]])
    window.document.stack.set_clean()
    for _ in range(5):
        app.processEvents()
    window.grab().save(str(out / f"{name}.png"))
    if name == "main_light":
        _quick_add(window, out)
    window.document.mark_saved()
    window.close()


def _quick_add(window: object, out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.dialogs.quick_add import QuickAddDialog

    dialog = QuickAddDialog(window)  # type: ignore[arg-type]
    dialog.search.setText("conv")
    dialog.show()
    QApplication.processEvents()
    dialog.grab().save(str(out / "quick_add.png"))
    dialog.close()


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--child":
        shoot(argv[1], Path(argv[2]))
        return 0
    out = Path(argv[0]) if argv else ROOT / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="layerbench-shots-") as tmp:
        for name, (_, scale, _) in VARIANTS.items():
            env = {**os.environ, "QT_SCALE_FACTOR": scale, "PYTHONPATH": str(ROOT)}
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
            env["XDG_CONFIG_HOME"] = env["LAYERBENCH_DATA_DIR"] = tmp  # never touch the user's own settings
            env["LAYERBENCH_SETTINGS"] = str(Path(tmp) / "settings.ini")
            subprocess.run([sys.executable, __file__, "--child", name, str(out)], cwd=ROOT, env=env, check=True)
            print(f"wrote {out / (name + '.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
