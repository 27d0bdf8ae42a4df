"""``LearningRatePlot``: the learning rate against epoch (log scale optional)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui import plot_style as ps


class LearningRatePlot(QWidget):
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
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.curve = ps.live_curve(self.plot, ps.LR_COLOR)
        self._x_range = ps.SteppedRange(self.plot, "x", from_zero=True)
        top = QHBoxLayout()
        top.addWidget(self.log_check)
        top.addStretch(1)
        top.addWidget(self.value_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.widget, 1)
        self.log_check.toggled.connect(self.set_log_scale)

    def set_dataset(self, dataset=None) -> None:
        """A new run: clear the curve."""
        self.curve.setData([], [])
        self.value_label.setText("")
        self._x_range.reset()

    def set_run(self, run) -> None:
        self.set_dataset(run.dataset)

    skips_grid_frames = True

    def show_snapshot(self, snap) -> None:
        x, y = ps.finite_xy(snap.curves.get("epoch"), snap.curves.get("lr"))
        self.curve.setData(x, y)
        if x.size:
            self._x_range.update(0.0, float(x[-1]))
        if y.size and not self.log_check.isChecked():
            # linear: from 0 up, so a constant rate is a flat line, not a zoomed-in band
            top = float(y.max())
            self.plot.setYRange(0.0, top * 1.1 if top > 0 else 1.0, padding=0)
        self.value_label.setText(f"lr {snap.lr:.4g}")

    def set_log_scale(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=bool(on))
        if on:
            self.plot.enableAutoRange(axis="y")
        if self.log_check.isChecked() != bool(on):
            self.log_check.setChecked(bool(on))
