"""Live plots (pyqtgraph): curves redrawn by a timer from growable NumPy buffers, never per message."""
