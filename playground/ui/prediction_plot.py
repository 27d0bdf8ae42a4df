"""``PredictionPlot``: predicted against true values for regression, with the y = x line.

Points on the diagonal are perfect predictions; the spread around it is the error. Drawn for
the test split (the training split without one), refreshed with the decision grid.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from playground.ui import plot_style as ps


class PredictionPlot(QWidget):
    """A square scatter of (true, predicted) and the identity line; items made once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = ps.make_plot_widget()
        self.widget.setAccessibleName("Predicted versus true")
        self.widget.setToolTip("Each point is a sample: true value across, prediction up; "
                               "the line marks perfect predictions")
        self.plot = self.widget.getPlotItem()
        self.plot.setLabel("bottom", "true")
        self.plot.setLabel("left", "predicted")
        self.plot.setTitle("Predicted vs true", color=ps.theme().foreground, size="10pt")
        self.identity = self.plot.plot([], [])
        self.scatter = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(ps.BLUE))
        self.plot.addItem(self.scatter)
        ps.follow_theme(self, PredictionPlot._restyle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)
        self._range: tuple[float, float] | None = None
        self.applies = False

    def _restyle(self, t: ps.PlotTheme) -> None:
        """The line in the theme's ink; each point ringed in the ground's colour."""
        self.identity.setPen(pg.mkPen(t.foreground, width=1,
                                      style=pg.QtCore.Qt.PenStyle.DashLine))
        self.scatter.setPen(pg.mkPen(t.background, width=0.8))

    def set_range(self, values: np.ndarray) -> None:
        """Fix both axes to the targets' range (padded), so the view holds still as
        predictions move."""
        v = np.asarray(values, dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
        pad = 0.08 * max(hi - lo, 1e-9)
        self._range = (lo - pad, hi + pad)
        self.identity.setData(list(self._range), list(self._range))
        self.plot.setRange(xRange=self._range, yRange=self._range, padding=0)
        self.scatter.setData([], [])

    def set_run(self, run) -> None:
        ds = run.dataset
        self.applies = ds.task == "regression"
        if self.applies:
            # the first target of each split (an empty test split is (0, targets): reshaping
            # it to (0, -1) is what NumPy refuses)
            self.set_range(np.concatenate([np.asarray(y, np.float64).reshape(len(y), -1)[:, 0]
                                           for y in (ds.y_train, ds.y_test) if len(y)]))

    def show_snapshot(self, snap) -> None:
        if snap.predictions is not None and self.applies:
            self.show_predictions(*snap.predictions)

    def show_predictions(self, true: np.ndarray, predicted: np.ndarray) -> None:
        ok = np.isfinite(true) & np.isfinite(predicted)
        self.scatter.setData(x=np.asarray(true)[ok], y=np.asarray(predicted)[ok])
