"""``RunsPlot``: the shown runs' curves of one metric overlaid, each in its run's colour.

The metric chooser lists what the runs recorded (``runs.series.metrics_for``: losses,
accuracies or R², the learning rate, per-layer gradient norms). The smoothing slider sets
the weight beta of TensorBoard's debiased exponential moving average (``runs.smoothing``):
the smoothed curve is drawn solid over the raw one, faint, so smoothing never hides what
happened. Log scale plots log10 of the values (non-positive values left out).

Items are made once per run and then only ``setData``; the live run is redrawn alone
(``update_run``). The runs' names are the table's swatches on screen; ``export(path)``
writes the overlay as a figure of its own, with a legend (``runs_figure``), PNG or SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QLabel, QSlider, QToolBar, QVBoxLayout, QWidget,
)

from playground.runs.record import RunRecord
from playground.runs.series import Metric, metrics_for, series
from playground.runs.smoothing import ema
from playground.ui import plot_style as ps
from playground.ui.runs_figure import Line, export_figure

#: the slider's steps: beta = step / SMOOTH_STEPS, up to 0.99
SMOOTH_STEPS = 100
#: the raw curve's opacity behind a smoothed one (0-255)
RAW_ALPHA = 70


class RunsPlot(QWidget):
    """The overlay; ``show_runs(records)`` draws them, ``update_run(record)`` one of them."""

    metric_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric_combo = QComboBox()
        self.metric_combo.setAccessibleName("Runs metric")
        self.metric_combo.setToolTip("The metric: which curve of the shown runs to overlay")
        self.metric_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.metric_combo.setMinimumContentsLength(8)
        self.smooth_slider = QSlider(Qt.Horizontal)
        self.smooth_slider.setAccessibleName("Runs smoothing")
        self.smooth_slider.setRange(0, SMOOTH_STEPS - 1)
        self.smooth_slider.setToolTip(
            "Smoothing: a debiased exponential moving average of weight beta, "
            "s_t = beta s_(t-1) + (1 - beta) x_t, divided by 1 - beta^t (TensorBoard's); "
            "the raw curve stays faint behind")
        self.smooth_slider.setFixedWidth(72)
        self.smooth_label = QLabel("0.00")
        self.smooth_label.setAccessibleName("Runs smoothing weight")
        self.smooth_label.setMinimumWidth(self.smooth_label.fontMetrics().horizontalAdvance(
            "0.00") + 4)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setAccessibleName("Runs log scale")
        self.log_check.setToolTip("Plot the values on a logarithmic axis")
        self.widget = ps.make_plot_widget()
        self.widget.setAccessibleName("Runs plot")
        self.widget.setMinimumHeight(120)
        self.plot = self.widget.getPlotItem()
        self.plot.setLabel("bottom", "epoch")
        self.plot.getAxis("left").setWidth(56)
        self.empty = pg.TextItem("", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty, ignoreBounds=True)
        self._items: dict[int, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        # curves made ahead for runs about to join (``reserve``), hidden until taken
        self._spares: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self._reserved = 0
        self._spare_timer = QTimer(self)
        self._spare_timer.setSingleShot(True)
        self._spare_timer.timeout.connect(self._make_spare)
        self._records: dict[int, RunRecord] = {}
        self._metrics: list[Metric] = []
        self._order: list[int] = []      # the runs in the table's order (for exports)
        self._all: list[RunRecord] = []    # every run the chooser offers the metrics of

        # a tool bar: what does not fit a narrow window goes to its overflow menu
        controls = QToolBar("Runs plot")
        controls.setAccessibleName("Runs plot controls")
        smooth_text = QLabel(" Smooth ")
        smooth_text.setBuddy(self.smooth_slider)
        for w in (self.metric_combo, self.log_check, smooth_text,
                  self.smooth_slider, self.smooth_label):
            controls.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(controls)
        layout.addWidget(self.widget, 1)
        self.metric_combo.currentIndexChanged.connect(self._metric_chosen)
        self.smooth_slider.valueChanged.connect(self._smoothing_changed)
        self.log_check.toggled.connect(self._log_changed)
        ps.follow_theme(self, RunsPlot._restyle)

    # --- state ------------------------------------------------------------------------------

    @property
    def metric(self) -> Metric | None:
        i = self.metric_combo.currentIndex()
        return self._metrics[i] if 0 <= i < len(self._metrics) else None

    @property
    def beta(self) -> float:
        return self.smooth_slider.value() / SMOOTH_STEPS

    def set_metric(self, label: str) -> None:
        """Choose the metric by its label (as the chooser lists it)."""
        i = self.metric_combo.findText(label)
        if i < 0:
            raise KeyError(f"no metric {label!r}: {[m.label for m in self._metrics]}")
        self.metric_combo.setCurrentIndex(i)

    def set_smoothing(self, beta: float) -> None:
        self.smooth_slider.setValue(round(beta * SMOOTH_STEPS))

    def curves(self, run_id: int) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """(raw, smoothed) items of a shown run."""
        return self._items[run_id]

    # --- drawing -----------------------------------------------------------------------------

    def show_runs(self, records: Sequence[RunRecord], all_records: Sequence[RunRecord] = ()
                  ) -> None:
        """Draw ``records`` (the shown runs); the chooser offers what ``all_records`` (or
        these) recorded, keeping the chosen metric while it is offered."""
        self._all = list(all_records) or list(records)
        before = self.metric.label if self.metric is not None else None
        self._update_metrics(self._all)
        same_metric = before == (self.metric.label if self.metric is not None else None)
        wanted = {r.id: r for r in records}
        self._order = [r.id for r in records]
        for run_id in [i for i in self._items if i not in wanted]:
            for item in self._items.pop(run_id):
                self.plot.removeItem(item)
            self._records.pop(run_id, None)
        for record in records:
            drawn = (same_metric and record.id in self._items
                     and self._records.get(record.id) is record)   # records are immutable
            self._records[record.id] = record
            if drawn:             # a sweep's runs join a plot of many: only theirs drawn
                continue
            if record.id not in self._items:
                self._items[record.id] = self._take_pair()
            self._style(record)
            self._draw(record)
        self._frame()

    def reserve(self, runs: int) -> None:
        """Make the curves of ``runs`` runs about to join (a sweep's) ahead, one run's per
        event-loop turn: a pyqtgraph curve takes milliseconds to make, and sixteen runs
        joining at once would otherwise make all of theirs in one turn."""
        self._reserved = max(self._reserved, int(runs))
        if len(self._spares) < self._reserved and not self._spare_timer.isActive():
            self._spare_timer.start(0)

    def _make_spare(self) -> None:
        if len(self._spares) < self._reserved:
            pair = self._new_pair()
            for item in pair:
                item.hide()         # hidden items are left out of the view's auto-range
            self._spares.append(pair)
        if len(self._spares) < self._reserved:
            self._spare_timer.start(0)

    def _take_pair(self) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        self._reserved = max(0, self._reserved - 1)   # a reserved run has joined
        if not self._spares:
            return self._new_pair()
        pair = self._spares.pop()
        for item in pair:
            item.show()
        return pair

    def _new_pair(self) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """A run's (raw, smoothed) curves, empty."""
        raw = self.plot.plot([], [])
        smooth = self.plot.plot([], [])
        for item in (raw, smooth):
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
        return raw, smooth

    def update_run(self, record: RunRecord) -> None:
        """Redraw one run (the live one) with new data; the chooser gains what it has
        newly recorded (a gradient norm's first record)."""
        self._all = [record if r.id == record.id else r for r in self._all]
        if not set(metrics_for([record])) <= set(self._metrics):
            self._update_metrics(self._all)
        if record.id in self._items:
            old = self._records.get(record.id)
            self._records[record.id] = record
            if old is None or (old.name, old.colour) != (record.name, record.colour):
                self._style(record)
            self._draw(record)
            self._frame()

    def _update_metrics(self, records: list[RunRecord]) -> None:
        metrics = metrics_for(records)
        if metrics == self._metrics:
            return
        current = self.metric
        self._metrics = metrics
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        self.metric_combo.addItems([m.label for m in metrics])
        labels = [m.label for m in metrics]
        if current is not None and current.label in labels:
            self.metric_combo.setCurrentIndex(labels.index(current.label))
        self.metric_combo.blockSignals(False)
        self.plot.setLabel("left", self.metric.label if self.metric else "")

    def _style(self, record: RunRecord) -> None:
        raw, smooth = self._items[record.id]
        faint = pg.mkColor(record.colour)
        faint.setAlpha(RAW_ALPHA)
        raw.setPen(pg.mkPen(faint, width=1))
        smooth.setPen(pg.mkPen(record.colour, width=2))
        for item, colour in ((raw, faint), (smooth, pg.mkColor(record.colour))):
            item.setSymbolPen(pg.mkPen(colour))
            item.setSymbolBrush(pg.mkBrush(colour))
        smooth.opts["name"] = record.name

    def _draw(self, record: RunRecord) -> None:
        raw, smooth = self._items[record.id]
        metric = self.metric
        x, y = series(record, metric) if metric is not None else (np.empty(0), np.empty(0))
        if self.log_check.isChecked():
            keep = y > 0
            x, y = x[keep], y[keep]
        beta = self.beta
        s = ema(y, beta) if beta > 0 and y.size else y
        ps.show_xy(smooth, x, s)
        ps.show_xy(raw, x if beta > 0 else x[:0], y if beta > 0 else y[:0])

    def _frame(self) -> None:
        """Fit the view to the drawn curves; say why the plot is empty when it is."""
        metric = self.metric
        drawn = any(len(s.xData) for _, s in self._items.values()
                    if s.xData is not None)
        if not self._items:
            text = "Tick runs in the table to overlay their curves"
        elif metric is None or not drawn:
            text = "No shown run has recorded this yet" if metric else "Nothing recorded yet"
        else:
            text = ""
        self.empty.setText(text, color=ps.theme().foreground)
        self.empty.setVisible(bool(text))
        if text:
            self.plot.setXRange(0, 10, padding=0)
            self.plot.setYRange(*((-1, 0) if self.log_check.isChecked() else (0, 1)))
            self.empty.setPos(5, -0.5 if self.log_check.isChecked() else 0.5)
        else:
            self.plot.enableAutoRange()

    def _redraw(self) -> None:
        for record in self._records.values():
            if record.id in self._items:
                self._draw(record)
        self._frame()

    def _metric_chosen(self, _index: int) -> None:
        metric = self.metric
        self.plot.setLabel("left", metric.label if metric else "")
        ps.style_plot(self.plot)
        self._redraw()
        self.metric_changed.emit(metric.label if metric else "")

    def _smoothing_changed(self, value: int) -> None:
        self.smooth_label.setText(f"{value / SMOOTH_STEPS:.2f}")
        self._redraw()

    def _log_changed(self, on: bool) -> None:
        self.plot.setLogMode(y=bool(on))
        self._redraw()

    def _restyle(self, t: ps.PlotTheme) -> None:
        self.empty.setColor(pg.mkColor(t.foreground))

    # --- export ------------------------------------------------------------------------------

    def lines(self) -> list[Line]:
        """What is drawn, in the table's order: each shown run's raw curve (when smoothed)
        and its smoothed one, named."""
        out = []
        for run_id in self._order:
            if run_id not in self._items:
                continue
            raw, smooth = self._items[run_id]
            for item, name in ((raw, None), (smooth, self._records[run_id].name)):
                x = item.xData if item.xData is not None else np.empty(0)
                y = item.yData if item.yData is not None else np.empty(0)
                out.append(Line(np.asarray(x), np.asarray(y), item.opts["pen"], name))
        return out

    def export(self, path: str | Path) -> None:
        """Write the overlay as a figure (``runs_figure``): PNG or SVG by the extension
        (ValueError for another), atomically (OSError when it cannot be written)."""
        metric = self.metric
        label = metric.label if metric else ""
        beta = self.beta
        title = label + (f", smoothed (debiased EMA, beta {beta:.2f})" if beta > 0 else "")
        export_figure(path, self.lines(), label, title, self.log_check.isChecked())
