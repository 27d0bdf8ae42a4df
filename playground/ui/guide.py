"""Help > Guide to the views: what each part of the window shows and how to read it.

Written for a learner meeting the window for the first time, in the order the window reads,
left to right. A test checks that every dock and tab the window has is explained here, so a
new view cannot arrive without its paragraph.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

#: (title, what it shows and how to read it); the titles are the docks' and tabs' own
SECTIONS: tuple[tuple[str, str], ...] = (
    ("Data", "Pick a data set: the pictures are the 2-D generators (orange is class 0 or a "
     "negative value, blue class 1 or a positive one), the Table list holds real data sets "
     "from scikit-learn, and Open CSV reads your own file. Test fraction holds part of the "
     "samples out, to see whether the network generalises. Features feed the 2-D sources' "
     "x1, x2, their squares, product and sines to the network."),
    ("Layers", "The hidden layers, input to output: dense layers with their activation, "
     "batch normalisation, dropout. The output layer is added from the data. Tick "
     "Perceptron for Rosenblatt's single step unit."),
    ("Training", "The optimizer and its learning rate, batch size, epochs, loss, "
     "regularization, gradient clipping and the learning-rate schedule. Hover any setting "
     "for what it does. A setting the run cannot take is refused beside it, in red."),
    ("Network", "The network itself. Each square is a unit, showing what it computes over "
     "the input plane (orange negative, blue positive); hover one to see it large in the "
     "regions plot. Lines are weights: blue positive, orange negative, thicker is larger; "
     "they move as training runs. While paused, click a line or unit to read or edit its "
     "value (Edit > Undo takes it back)."),
    ("Code", "The PyTorch code of this very network and training loop, to copy into a "
     "notebook; File > Export writes the trained weights for PyTorch, ONNX, Keras or NumPy."),
    ("Runs", "Every run of the session, kept to compare: a new run starts at each Reset, "
     "rebuild, new data or opened file, and the one it replaces is listed here with its "
     "final and best losses and accuracies, its epochs and the time it trained; the last "
     "row is the live run. The columns between name and scores are the settings in which "
     "the runs differ. Tick a run to overlay its curves below (pick the metric: loss, "
     "accuracy, learning rate, each layer's gradient norm; Smooth averages out the noise, "
     "the raw curve stays faint behind), double-click a name to rename it. Duplicate... "
     "(with one change) starts a new run from the selected one with one setting changed "
     "(train.optimizer.lr = 0.1, say): the cleanest experiment. Sweep... trains every "
     "combination of some values, for a few seeds, in worker processes (one core is left "
     "to the window); its runs join the table, one colour per combination. Differences "
     "only lists the ticked runs' settings that differ. Export writes the table as CSV or the "
     "plot as a PNG or SVG figure; a saved workspace keeps the runs."),
    ("Regions", "The decision regions: the colour at each point is what the network predicts "
     "there, pale where it is unsure. Dots are the training samples, triangles the test "
     "samples; a dot on the other colour is misclassified. For data with more than two "
     "inputs, the plane box picks which two directions are drawn (the principal components, "
     "the two most informative inputs, or any pair). Scroll to zoom, drag to pan, "
     "double-click (or View > Fit) to frame the data again."),
    ("Curves", "The loss on the training split (solid) and the test split (dashed) after "
     "every epoch, and below it the accuracy. A test curve that rises while the training "
     "curve falls is overfitting; a curve that zig-zags without falling means the learning "
     "rate is too high. Tick Log scale to see small losses."),
    ("Learning rate", "The learning rate the schedule sets, epoch by epoch."),
    ("Dynamics", "How each layer trains, one colour per layer from the input side to the "
     "output. Gradient norm (log scale): a first layer far below the last is a vanishing "
     "gradient (deep sigmoid or tanh stacks), a curve shooting up an exploding one; a red "
     "triangle marks an epoch in which gradient clipping acted. Update / weight: how much a "
     "step changes a layer's weights, relative to their size; about 0.001 (the dashed line) "
     "is healthy, far below it the layer hardly learns. Weights over time: the chosen "
     "layer's weight histogram, epoch by epoch, darker where more weights lie. Activation "
     "health: the share of dead ReLU units (never active on a sample of training rows) or "
     "of saturated sigmoid and tanh outputs, whose gradient is almost zero. Small data are "
     "recorded every few epochs, so that recording never slows training much."),
    ("Confusion", "How the test samples of each true class (rows) were classified "
     "(columns): the diagonal is right, everything off it is a mistake."),
    ("Predictions", "For regression: each test sample's prediction against its true value; "
     "on the diagonal line they agree."),
    ("Samples", "For image data (digits): the test images with the network's guess, the "
     "misclassified ones first."),
    ("Inspector", "One training step on one sample, worked out: pick a training point (click "
     "it in the regions plot), a row number, or Next misclassified, and read the forward "
     "pass, the loss, the backward pass and the update, each formula typeset beside its "
     "numbers, layer by layer. Hover a line to light its unit or weight in the network; Play "
     "animation lights the layers in order. Step sample takes exactly that step and shows "
     "the sample's loss before and after. Batchnorm needs a batch: tick With its batch."),
    ("Lessons", "Guided experiments (the Lessons menu opens one): each step explains an idea "
     "with its formulas, asks you to do something, and loads its runs (Load). Check my run "
     "measures the step's claims on the run in the window; Run the experiment trains every "
     "run of the step in the background and shows each claim with the number measured. A "
     "step is done when its claims hold; then go on to the next. playground lesson check "
     "checks the same claims headless."),
    ("Notices", "Above the plots, the app says when training stopped or struggles: the loss "
     "blew up, the epochs ran out, the loss oscillates, the asked speed is not met. Each "
     "notice offers its remedy as a button."),
    ("Toolbar", "Play trains live (Space), Step batch and Step epoch train a little (Right, "
     "Shift+Right), Reset starts again from the same initial weights, New weights from "
     "other ones. Speed limits how many epochs a second Play trains."),
)


def html() -> str:
    parts = [f"<h3>{title}</h3><p>{text}</p>" for title, text in SECTIONS]
    return "<h2>A guide to the window</h2>" + "".join(parts)


class GuideDialog(QDialog):
    """The guide in a scrolling, non-modal window that can stay open beside the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guide to the views")
        self.setAccessibleName("Guide to the views")
        self.browser = QTextBrowser()
        self.browser.setHtml(html())
        self.browser.setAccessibleName("Guide text")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(560, 640)
