"""``SampleGallery``: the samples of an image-shaped data set as thumbnails, each with its true
and its predicted class, the misclassified first.

Image-shaped: the raw inputs form a square picture (``sample_predictions.image_side``:
``digits`` is 8 x 8, a 784-column CSV 28 x 28). Thumbnails are the raw rows reshaped
row-major, grey level = 255 (raw - lo) / (hi - lo) with lo, hi the smallest and largest raw
value of the whole data set (train and test), so every thumbnail shares one scale.

The view computes nothing from the model: predictions arrive as (rows, predicted classes),
``sample_predictions.gallery`` run on the worker, through ``show_predictions`` or a snapshot's
``gallery`` field. Items are made when the run (or the rows shown) changes; a snapshot only
updates captions and order.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QLabel, QListView, QListWidget, QListWidgetItem, QStackedWidget,
                               QVBoxLayout, QWidget)

from playground.engine import sample_predictions as sp

#: A thumbnail's picture is about this many pixels wide (small pictures drawn in whole
#: multiples of their size, with no smoothing, so each input stays one crisp square).
THUMB = 56
FRAME = 1                    # a mid-grey frame: a black picture still shows its edge
FRAME_COLOR = "#8c8c8c"
#: The misclassified caption on a light and on a dark ground (both over 4.5:1 contrast).
WARNING_LIGHT = "#b34700"
WARNING_DARK = "#ff9e5e"
ROW_ROLE = Qt.ItemDataRole.UserRole


def scaled_pixels(raw: np.ndarray, lo: float, hi: float, side: int) -> np.ndarray:
    """Grey levels (n, side, side) uint8 of raw rows (n, side * side): round(255 (raw - lo) /
    (hi - lo)), clipped to 0..255 (a constant set: all 0; NaN counts as lo)."""
    span = hi - lo if hi > lo else 1.0
    v = np.nan_to_num((np.asarray(raw, np.float64) - lo) / span, nan=0.0)
    return np.rint(255 * np.clip(v, 0.0, 1.0)).astype(np.uint8).reshape(-1, side, side)


def thumbnail(pixels: np.ndarray) -> QPixmap:
    """A framed pixmap of one (side, side) uint8 picture: each pixel a k x k square
    (k = THUMB // side) when the picture is smaller than THUMB, else smoothed down to THUMB."""
    side = pixels.shape[0]
    data = np.ascontiguousarray(pixels)
    image = QImage(data.tobytes(), side, side, side, QImage.Format.Format_Grayscale8).copy()
    if side <= THUMB:
        k = max(1, THUMB // side)
        image = image.scaled(side * k, side * k, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.FastTransformation)
    else:
        image = image.scaled(THUMB, THUMB, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    framed = QPixmap(image.width() + 2 * FRAME, image.height() + 2 * FRAME)
    framed.fill(QColor(FRAME_COLOR))
    painter = QPainter(framed)
    painter.drawImage(FRAME, FRAME, image)
    painter.end()
    return framed


class _Thumb(QListWidgetItem):
    """One sample; sorts misclassified first, then by its place in the gallery's rows."""

    def __init__(self, icon: QIcon, row: int, place: int) -> None:
        super().__init__(icon, "")
        self.row, self.place = row, place
        self.wrong = False
        self.setData(ROW_ROLE, row)

    def __lt__(self, other: QListWidgetItem) -> bool:
        return (not self.wrong, self.place) < (not other.wrong, other.place)


class SampleGallery(QWidget):
    """Thumbnails of the gallery split's samples in a grid that reflows with the width;
    a click or the arrow keys select one (``sample_selected``)."""

    #: (row index in the split shown, that split: "test" or "train")
    sample_selected = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Sample gallery")
        self.summary = QLabel("")
        self.summary.setAccessibleName("Sample gallery summary")
        self.summary.setWordWrap(True)      # never wider than the pane the grid reflows in
        self.list = QListWidget()
        self.list.setAccessibleName("Sample thumbnails")
        self.list.setToolTip("Test samples (training samples without a test split): true "
                             "class -> predicted class, the misclassified first")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # reflow as the width changes
        self.list.setWrapping(True)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSpacing(4)
        self.message = QLabel("")
        self.message.setAccessibleName("Sample gallery message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        grid = QWidget()
        grid_layout = QVBoxLayout(grid)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.summary)
        grid_layout.addWidget(self.list, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(grid)
        self.pages.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self.run = None
        self.split = "test"
        self.side: int | None = None
        self.rows = np.zeros(0, np.int64)
        self._pixels = np.zeros((0, 0, 0), np.uint8)
        self._labels = np.zeros(0, np.int64)
        self._items: list[_Thumb] = []
        self._predicted: np.ndarray | None = None
        self._quiet = False
        #: the run has a gallery (image-shaped classification): the window may hide the page
        self.applies = False
        # selection, not the current item: focusing the list makes an item current (for the
        # arrow keys) without selecting it; a click or an arrow key selects
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self._say("No run yet.")

    # --- RunView ----------------------------------------------------------------------------

    def set_run(self, run) -> None:
        """A new run: the gallery rows' thumbnails with their true classes, or one line on
        why this data has no gallery."""
        self.run = run
        ds = run.dataset
        self.split = sp.gallery_split(ds)
        self.side = sp.image_side(len(ds.input_names))
        self._predicted = None
        self.applies = self.side is not None and ds.task == "classification"
        if self.side is None:
            n = len(ds.input_names)
            self._clear()
            self._say(f"No sample gallery: the {n} input{'s' if n != 1 else ''} of "
                      f"{run.config.data.source} do not form a square image "
                      "(8 x 8 = 64, 28 x 28 = 784, ...).")
            return
        if ds.task != "classification":
            self._clear()
            self._say("No sample gallery: it shows predicted classes, and this run is a "
                      "regression.")
            return
        self._build(sp.gallery_rows(ds))

    def show_snapshot(self, snap) -> None:
        """Show the snapshot's ``gallery`` (rows, predicted), if it carries one for this run."""
        gallery = getattr(snap, "gallery", None)
        if gallery is None or self.run is None:
            return
        run_id = getattr(snap, "run_id", 0)
        if run_id and run_id != self.run.run_id:
            return  # still in flight from a replaced run
        self.show_predictions(*gallery)

    def show_predictions(self, rows, predicted) -> None:
        """Predicted class indices (n,) for ``rows`` (n,) of the split shown: captions, the
        warning colour and the order (misclassified first) follow; nothing is made unless the
        rows differ from those shown."""
        if self.run is None or self.side is None or self.run.dataset.task != "classification":
            return
        rows = np.asarray(rows, np.int64).reshape(-1)
        predicted = np.asarray(predicted, np.int64).reshape(-1)
        if rows.shape != predicted.shape:
            raise ValueError(f"{rows.size} rows but {predicted.size} predictions")
        if not np.array_equal(rows, self.rows):
            self._build(rows)
        if self._predicted is not None and np.array_equal(predicted, self._predicted):
            return
        self._predicted = predicted.copy()
        self._caption()

    # --- what is shown ----------------------------------------------------------------------

    def shown_rows(self) -> list[int]:
        """The rows in display order (first: top left)."""
        return [self.list.item(i).row for i in range(self.list.count())]

    def pixels(self, row: int) -> np.ndarray:
        """The (side, side) uint8 grey levels the thumbnail of split row ``row`` shows."""
        return self._pixels[int(np.flatnonzero(self.rows == row)[0])]

    def item_of(self, row: int) -> QListWidgetItem:
        return self._items[int(np.flatnonzero(self.rows == row)[0])]

    def misclassified(self) -> list[int]:
        """The rows whose predicted class is not their true class (display order)."""
        return [item.row for item in map(self.list.item, range(self.list.count()))
                if item.wrong]

    @property
    def selected_row(self) -> int | None:
        """The split row of the selected thumbnail, or None."""
        items = self.list.selectedItems()
        return items[0].row if items else None

    def select_row(self, row: int) -> None:
        """Select the thumbnail of split row ``row`` (emits ``sample_selected``)."""
        self.list.setCurrentItem(self.item_of(row))

    # --- building and captions --------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)

    def _clear(self) -> None:
        self._quiet = True
        self.list.clear()
        self._quiet = False
        self._items = []
        self.rows = np.zeros(0, np.int64)
        self._pixels = np.zeros((0, 0, 0), np.uint8)

    def _build(self, rows: np.ndarray) -> None:
        ds = self.run.dataset
        raw, labels = sp.split_arrays(ds)
        everything = [r for r in (ds.raw_train, ds.raw_test) if r.size]
        lo = min(float(np.nanmin(r)) for r in everything) if everything else 0.0
        hi = max(float(np.nanmax(r)) for r in everything) if everything else 1.0
        self._clear()
        self.rows = np.asarray(rows, np.int64).copy()
        self._pixels = scaled_pixels(raw[self.rows], lo, hi, self.side)
        self._labels = np.asarray(labels, np.int64)[self.rows]
        first = thumbnail(self._pixels[0]) if len(self.rows) else QPixmap(THUMB, THUMB)
        self.list.setIconSize(first.size())
        width = max(first.width(), self.fontMetrics().horizontalAdvance("✗ 00 → 00")) + 16
        self.list.setGridSize(QSize(width, first.height() + self.fontMetrics().height() + 12))
        self._quiet = True
        for place, (row, pixels) in enumerate(zip(self.rows, self._pixels)):
            item = _Thumb(QIcon(thumbnail(pixels)), int(row), place)
            self._items.append(item)
            self.list.addItem(item)
        self._quiet = False
        self._predicted = None
        self._caption()
        self.pages.setCurrentIndex(0)

    def _warning_color(self) -> QColor:
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        return QColor(WARNING_DARK if dark else WARNING_LIGHT)

    def _caption(self) -> None:
        names = [str(n) for n in self.run.dataset.class_names]
        split = "test" if self.split == "test" else "training"
        warning = self._warning_color()
        wrong = 0
        for k, item in enumerate(self._items):
            true = names[self._labels[k]]
            if self._predicted is None:
                item.wrong = False
                item.setText(f"{true} → ?")
                item.setToolTip(f"{split} sample {item.row}: true {true}")
                item.setData(Qt.ItemDataRole.ForegroundRole, None)
                continue
            p = int(self._predicted[k])
            guess = names[p] if 0 <= p < len(names) else str(p)
            item.wrong = p != self._labels[k]
            wrong += item.wrong
            # a mark as well as a colour: the caption reads without colour vision
            item.setText(f"✗ {true} → {guess}" if item.wrong else f"{true} → {guess}")
            item.setToolTip(f"{split} sample {item.row}: true {true}, predicted {guess}"
                            + (" (misclassified)" if item.wrong else ""))
            item.setData(Qt.ItemDataRole.ForegroundRole, warning if item.wrong else None)
        self._quiet = True
        self.list.sortItems()
        self._quiet = False
        total = len(sp.split_arrays(self.run.dataset)[1])
        shown = (f"{len(self._items)} of {total}" if len(self._items) < total
                 else f"all {total}")
        tail = ("waiting for predictions" if self._predicted is None
                else f"{wrong} misclassified, shown first")
        self.summary.setText(f"{shown} {split} samples ({self.side} x {self.side}), "
                             f"true → predicted: {tail}")

    def _selection_changed(self) -> None:
        row = self.selected_row
        if row is not None and not self._quiet:
            self.sample_selected.emit(row, self.split)

    def changeEvent(self, event) -> None:
        # a theme switch: the warning colour follows the new ground
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) \
                and self._items:
            self._caption()
        super().changeEvent(event)


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    from playground.config import RunConfig
    from playground.engine.trainer import Trainer
    from playground.run_info import RunInfo

    app = QApplication(sys.argv)
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "digits", "test_fraction": 0.2},
                               "model": {"type": "mlp", "layers": []},
                               "train": {"epochs": 2}})
    trainer = Trainer(cfg)
    trainer.run_epochs(2)
    view = SampleGallery()
    view.set_run(RunInfo.of(trainer))
    view.show_predictions(*sp.gallery(trainer))
    view.resize(640, 480)
    view.show()
    sys.exit(app.exec())
