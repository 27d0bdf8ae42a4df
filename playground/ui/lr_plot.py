"""``LearningRatePlot``: the learning rate against epoch (log scale optional).

The rate axis starts at 0 and steps to a 1-2-5 ceiling (log scale: whole decades), so a
constant rate is a flat line, not a zoomed-in band; a new run starts from the empty frame.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui import plot_style as ps
from playground.ui.widgets import DrawsWhenSeen


class LearningRatePlot(DrawsWhenSeen, QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setAccessibleName("Learning rate log scale")
        self.log_check.setToolTip("Show the learning rate on a logarithmic axis")
        self.value_label = QLabel("")
        self.value_label.setAccessibleName("Current learning rate")
        self.widget = ps.make_plot_widget()
        self.plot = self.widget.getPlotItem()
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "learning rate")
        self.curve = ps.live_curve(self.plot, "lr")
        self._x_range = ps.SteppedRange(self.plot, "x", from_zero=True, min_fill=0.0,
                                        empty=ps.epoch_frame())
        self._y_range = ps.SteppedRange(self.plot, "y", from_zero=True)
        top = QHBoxLayout()
        top.addWidget(self.log_check)
        top.addStretch(1)
        top.addWidget(self.value_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.widget, 1)
        self._xy = (np.empty(0), np.empty(0))
        self.log_check.toggled.connect(self.set_log_scale)

    def set_dataset(self, dataset=None, epochs: int = 0) -> None:
        """A new run (of ``epochs``, 0: unbounded): clear the curve, frame the empty plot."""
        ps.show_xy(self.curve, np.empty(0), np.empty(0))
        self.value_label.setText("")
        self._x_range.reset(ps.epoch_frame(epochs))
        self._y_range.reset()

    def set_run(self, run) -> None:
        self.forget_unseen()
        self.set_dataset(run.dataset, run.config.train.epochs)

    skips_grid_frames = True

    def draw_snapshot(self, snap) -> None:
        self._xy = ps.finite_xy(snap.curves.get("epoch"), snap.curves.get("lr"))
        ps.show_xy(self.curve, *self._xy)
        self._step_ranges()
        self.value_label.setText(f"lr {snap.lr:.4g}")

    def _step_ranges(self) -> None:
        x, y = self._xy
        if not x.size:
            return
        self._x_range.update(0.0, float(x[-1]))
        if self.log_check.isChecked():
            y = y[y > 0]
        if y.size:
            self._y_range.update(float(y.min()), float(y.max()))

    def set_log_scale(self, on: bool) -> None:
        self._y_range.set_log(on)
        self._step_ranges()
        if self.log_check.isChecked() != bool(on):
            self.log_check.setChecked(bool(on))
