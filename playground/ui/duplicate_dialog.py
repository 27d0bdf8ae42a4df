"""``DuplicateDialog``: a run's config with one key changed, started as a new run.

The key is a config key path as the error messages write it (``train.optimizer.lr``,
``model.layers[0].units``; completed from the run's own keys, its value now shown beside);
the value is JSON (``0.1``, ``"relu"``, ``true``, ``[1, 2]``), or plain text for a name
(``relu``). ``submit(key, value)`` starts the run or returns why it cannot; the reason shows
in one line under the fields and the dialog stays open, so a typo costs one edit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCompleter, QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from playground.config import RunConfig
from playground.errors import PlaygroundError
from playground.runs.compare import editable_dict, flatten, get_key
from playground.runs.table import format_value
from playground.ui.widgets import ErrorLabel, lay_out_form_dialog

#: what the key field starts with: the change a learner tries first
DEFAULT_KEY = "train.optimizer.lr"

Submit = Callable[[str, Any], "str | None"]


def parse_value(text: str) -> Any:
    """The value typed: JSON where it parses, else the text itself (a name such as relu);
    ValueError for nothing typed."""
    text = text.strip()
    if not text:
        raise ValueError("type the new value (a number, a name, true or false)")
    try:
        return json.loads(text)
    except ValueError:
        return {"True": True, "False": False, "None": None}.get(text, text)


class DuplicateDialog(QDialog):
    """Key path + value for a copy of ``config`` (the run named ``name``)."""

    def __init__(self, config: RunConfig, name: str, submit: Submit,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Duplicate with one change")
        self.setAccessibleName("Duplicate with one change")
        self.config, self.submit = config, submit
        self._plain = editable_dict(config)
        keys = sorted(flatten(self._plain))
        intro = QLabel(f"A new run: <b>{_html(name)}</b>'s config with one key changed.")
        intro.setWordWrap(True)
        self.key_edit = QLineEdit(DEFAULT_KEY if DEFAULT_KEY in keys else "")
        self.key_edit.setAccessibleName("Key path")
        self.key_edit.setPlaceholderText("train.optimizer.lr")
        self.key_edit.setToolTip("A config key path: dots between names, [i] for a layer")
        completer = QCompleter(keys, self)
        completer.setCaseSensitivity(Qt.CaseInsensitive)
        completer.setFilterMode(Qt.MatchContains)
        self.key_edit.setCompleter(completer)
        self.now_label = QLabel("")
        self.now_label.setAccessibleName("Value now")
        self.value_edit = QLineEdit()
        self.value_edit.setAccessibleName("New value")
        self.value_edit.setPlaceholderText("0.1, relu, true, [0.9, 0.999]")
        self.error = ErrorLabel("Duplicate error")
        form = QFormLayout()
        form.addRow("Key", self.key_edit)
        form.addRow("Now", self.now_label)
        form.addRow("New value", self.value_edit)
        self.buttons = lay_out_form_dialog(self, intro, form, self.error, "Start run")
        self.key_edit.textChanged.connect(self._key_changed)
        self.value_edit.textChanged.connect(lambda _t: self.error.report(None))
        self._key_changed(self.key_edit.text())
        self.setMinimumWidth(420)
        self.value_edit.setFocus()

    def _key_changed(self, text: str) -> None:
        self.error.report(None)
        try:
            value = get_key(self._plain, text.strip(), _MISSING)
        except PlaygroundError:
            value = _MISSING
        self.now_label.setText("—" if value is _MISSING else format_value(value))

    def accept(self) -> None:
        """Start the run, or say in one line why not (the dialog stays open)."""
        try:
            value = parse_value(self.value_edit.text())
        except ValueError as exc:
            self.error.report(str(exc))
            return
        error = self.submit(self.key_edit.text().strip(), value)
        if error:
            self.error.report(error.splitlines()[0])
            return
        super().accept()


_MISSING = object()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
