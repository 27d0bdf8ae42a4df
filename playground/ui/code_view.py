"""``CodeView``: the current model as PyTorch and as Keras code, copyable, kept up to date.

The text comes from ``playground.io.codegen``, the same generator the ``.py`` export uses: the
layers, the loss, the optimizer with its settings, the schedule, clipping and regularization.
It is regenerated whenever the config changes (a run's structure or a live hyperparameter).
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from playground.config import RunConfig
from playground.io import codegen

FRAMEWORKS = (("PyTorch", codegen.pytorch_code), ("Keras", codegen.keras_code))


class CodeView(QWidget):
    """One read-only editor per framework, and a button that copies the visible one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Model code")
        self.editors: dict[str, QPlainTextEdit] = {}
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        for name, _make in FRAMEWORKS:
            editor = QPlainTextEdit()
            editor.setReadOnly(True)
            editor.setLineWrapMode(QPlainTextEdit.NoWrap)
            editor.setFont(font)
            editor.setAccessibleName(f"{name} code")
            editor.setToolTip(f"The current model, loss, optimizer and schedule as {name} code")
            self.editors[name] = editor
            self.tabs.addTab(editor, name)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setAccessibleName("Copy code")
        self.copy_button.setToolTip("Copy the code shown to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.note = QLabel("")
        self.note.setAccessibleName("Code note")
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.tabs, 1)
        self._key = None
        self._run = None
        self._preprocessing = None

    def follow(self, model) -> None:
        """Regenerate on every accepted config change (live ones too: a new learning rate
        shows at once), with the run's inputs, outputs and loss."""
        model.changed.connect(lambda config, _part: self._run is not None and self.show_model(
            config, self._run.dataset.n_features, self._run.n_outputs, self._run.loss))

    def set_run(self, run) -> None:
        """A new run; its preprocessing (a regression's target statistics, which the code
        undoes so that its predictions are in the data's units) goes into the code."""
        self._run = run
        self._preprocessing = run.dataset.preprocessing()
        self._key = None
        self.show_model(run.config, run.dataset.n_features, run.n_outputs, run.loss)

    def show_snapshot(self, snap) -> None:
        """The code does not depend on the weights."""

    def show_model(self, config: RunConfig, n_features: int, n_outputs: int, loss: str) -> None:
        """Regenerate the code when anything it depends on changed (scroll positions stay)."""
        key = (config, n_features, n_outputs, loss)
        if key == self._key:
            return
        self._key = key
        for name, make in FRAMEWORKS:
            editor = self.editors[name]
            try:
                text = make(config, n_features, n_outputs, loss=loss,
                            preprocessing=self._preprocessing)
            except Exception as exc:  # a generator gap must not take the window down
                text = f"# Cannot write {name} code for this model: {exc}"
            bar = editor.verticalScrollBar()
            position = bar.value()
            editor.setPlainText(text)
            bar.setValue(position)
        self.note.setText(f"{_count(n_features, 'input')}, {_count(n_outputs, 'output')}, "
                          f"loss {loss}")

    def full_line_width(self) -> int:
        """Pixels the editor needs to show its longest line whole (plus its frame and a
        scroll bar)."""
        editor = self.editors[self.tabs.tabText(self.tabs.currentIndex())]
        longest = max((len(line) for line in editor.toPlainText().splitlines()), default=0)
        return editor.fontMetrics().horizontalAdvance("M") * (longest + 2) + 40

    def text(self) -> str:
        return self.editors[self.tabs.tabText(self.tabs.currentIndex())].toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
