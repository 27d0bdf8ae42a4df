"""The desktop app (Qt). The only package that may import PySide6 or pyqtgraph."""
