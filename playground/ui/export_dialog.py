"""File > Export weights: pick a format, see how to load it, choose where to write it.

The formats, their names and their "how to load this" snippets all come from
``playground.io.weights.WEIGHT_FORMATS``, so a new export format shows up here by itself.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from playground.io.weights import WEIGHT_FORMATS


class ExportDialog(QDialog):
    """Returns (via ``path()``) the file to write; the format is its extension."""

    def __init__(self, folder: str, stem: str = "model", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export weights")
        self.folder = folder
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Export format")
        self.format_combo.setToolTip("The file format; the extension follows it")
        for ext, fmt in WEIGHT_FORMATS.items():
            self.format_combo.addItem(f"{fmt.label} ({ext})", ext)
        self.path_edit = QLineEdit(str(Path(folder) / f"{stem}.safetensors"))
        self.path_edit.setAccessibleName("Export file")
        browse = QPushButton("Browse...")
        browse.setAccessibleName("Choose the export file")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.snippet = QPlainTextEdit()
        self.snippet.setReadOnly(True)
        self.snippet.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.snippet.setAccessibleName("How to load this")
        self.snippet.setMinimumSize(560, 200)
        copy = QPushButton("Copy snippet")
        copy.setAccessibleName("Copy the snippet")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(
            self.snippet.toPlainText()))
        form = QFormLayout()
        form.addRow("Format:", self.format_combo)
        form.addRow("File:", path_row)
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.AcceptRole)
        self.export_button.setAccessibleName("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        snippet_row = QHBoxLayout()
        snippet_row.addWidget(QLabel("How to load this:"), 1)
        snippet_row.addWidget(copy)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(snippet_row)
        layout.addWidget(self.snippet, 1)
        layout.addWidget(buttons)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.path_edit.textChanged.connect(lambda _t: self._check())
        self._format_changed()

    def extension(self) -> str:
        return self.format_combo.currentData()

    def path(self) -> Path:
        return Path(self.path_edit.text().strip())

    def _format_changed(self, *_args) -> None:
        ext = self.extension()
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(_with_extension(Path(text), ext)))
        self.snippet.setPlainText(WEIGHT_FORMATS[ext].snippet.replace(
            f"model{ext}", self.path().name or f"model{ext}"))
        self._check()

    def _check(self) -> None:
        self.export_button.setEnabled(bool(self.path_edit.text().strip()))

    def _browse(self) -> None:
        ext = self.extension()
        label = WEIGHT_FORMATS[ext].label
        path, _ = QFileDialog.getSaveFileName(self, "Export weights", str(self.path()),
                                              f"{label} (*{ext})")
        if path:
            self.path_edit.setText(str(_with_extension(Path(path), ext)))


def _with_extension(path: Path, ext: str) -> Path:
    """``path`` with its export extension replaced by ``ext`` (model.npz -> model.onnx)."""
    name = path.name
    for known in sorted(WEIGHT_FORMATS, key=len, reverse=True):
        if name.lower().endswith(known):
            name = name[: -len(known)]
            break
    return path.with_name((name or "model") + ext)
