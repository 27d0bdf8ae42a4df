"""What the network diagram draws, worked out without Qt: the columns and bars of a run, which
units and weights a big network shows, and the colour and width scales.

A run reads left to right as ``Stage``s: a ``Column`` of nodes for the inputs, one for each
hidden dense layer (its Linear and, when it has one, its activation module), bars for the
batchnorm, dropout and activation layers between them, and the output ``Column`` (the last
Linear; its activation is the loss's, ``RunInfo.output_activation``). A perceptron is the same
thing with no hidden stage: its one Linear is the output column, its activation ``step``.

Scales (TensorFlow Playground's): a weight's colour runs orange (-1) -> grey (0) -> blue (+1),
clamped, in ``SHADES`` steps; its width is linear in |w| from [0, 5] to [1, 10] px, clamped.
A node picture uses the same colours with symmetric levels [-L, L], one L per column so that
its nodes compare with each other:
- a column that shows a bounded activation's output (tanh, sigmoid): L = max(1, max |value|
  over the module's whole output), the fixed [-1, 1], so it never flickers; an unbounded
  one (ReLU, GELU, ...): L = max |value| over the column, so a layer whose units all stay
  below 1 still shows its pictures in full contrast;
- a column that shows a Linear's output z (dense units without an activation, and the output
  column, whose activation the loss applies): L = max |z|, as z has no natural scale and
  its sign is what decides (the decision boundary of a sigmoid, softmax or step output);
- the inputs: each feature is a quantity of its own (x1, x1^2, sin(x1) standardized have
  different ranges), so each gets its own L = max |value| over the plane.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from playground.config import DenseLayer, RunConfig
from playground.data.names import FEATURES_2D
from playground.io.export_spec import Module, torch_modules

#: at most this many nodes per column: the strongest MAX_NODES units, then a "+N more" node
MAX_NODES = 16
#: at most this many weights drawn (the strongest); the note says how many are hidden
MAX_EDGES = 2000
#: an input that is an s x s image (s*s features, s*s >= MIN_IMAGE) is drawn as one node
MIN_IMAGE = 16
SHADES = 61
WIDTH_STEPS = 2          # widths in half pixels
MIN_WIDTH, MAX_WIDTH, WIDTH_AT = 1.0, 10.0, 5.0
PICTURE_SIDE = 32        # node pictures are sampled down to at most this many pixels a side


@dataclass(frozen=True)
class Column:
    """A column of nodes. ``picture`` is the module index whose snapshot grid
    (``snap.units[picture]``) its nodes show, -1 for the model inputs
    (``snap.unit_inputs``); ``linear`` is the Linear module whose weights come in (None for
    the inputs); ``layer`` the hidden layer's index in ``config.model.layers``."""

    kind: str                       # "input", "dense" or "output"
    width: int
    picture: int
    linear: int | None
    activation: str
    layer: int | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class Bar:
    """A layer drawn between columns: batchnorm, dropout (with its p) or an activation."""

    module: Module
    layer: int | None

    @property
    def label(self) -> str:
        m = self.module
        if m.kind == "dropout":
            return f"dropout {m.p:g}"
        if m.kind == "activation":
            return m.activation
        return m.kind


@dataclass(frozen=True)
class Slot:
    """An input node: a model input (``unit`` >= 0) or a 2-D feature that is off (-1)."""

    name: str
    unit: int


@dataclass(frozen=True)
class Structure:
    stages: tuple[Column | Bar, ...]
    slots: tuple[Slot, ...]          # the input column's nodes, top to bottom
    toggles: bool                    # 2-D source: the inputs switch features on and off
    editable: bool                   # an MLP: its hidden stack can be edited here
    image_side: int                  # > 0: the inputs are an s x s image, one node
    output_activation: str
    n_hidden: int                    # layers in config.model.layers

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(s for s in self.stages if isinstance(s, Column))

    @property
    def bars(self) -> tuple[Bar, ...]:
        return tuple(s for s in self.stages if isinstance(s, Bar))


def image_side(n_features: int, is_2d: bool) -> int:
    """s when the n inputs are an s x s image (digits 8 x 8, MNIST 28 x 28), else 0."""
    s = math.isqrt(n_features)
    return s if not is_2d and s * s == n_features and n_features >= MIN_IMAGE else 0


def output_names(n_outputs: int, classes: tuple[str, ...], targets: tuple[str, ...]
                 ) -> tuple[str, ...]:
    """One label per output unit: its class or target, or the positive class of a binary
    unit."""
    if n_outputs == len(classes):
        return tuple(classes)
    if n_outputs == len(targets):
        return tuple(targets)
    if n_outputs == 1 and len(classes) == 2:     # one logit: the positive class's
        name = str(classes[1])
        return (f"class {name}" if name.isdigit() else name,)
    return tuple(f"out {k + 1}" for k in range(n_outputs))


def structure(config: RunConfig, features: tuple[str, ...], modules: tuple[Module, ...],
              output_activation: str, classes: tuple[str, ...] = (),
              targets: tuple[str, ...] = ()) -> Structure:
    """The stages of a run with model inputs ``features`` and modules ``modules`` (its
    ``nn.Sequential`` twin, ``RunInfo.modules``)."""
    mlp = config.model.type == "mlp"
    layers = config.model.layers if mlp else ()
    is_2d = config.data.is_2d
    if is_2d:
        slots = tuple(Slot(f, features.index(f) if f in features else -1)
                      for f in FEATURES_2D)
        extra = [f for f in features if f not in FEATURES_2D]
        slots += tuple(Slot(f, features.index(f)) for f in extra)
    else:
        slots = tuple(Slot(f, k) for k, f in enumerate(features))
    stages: list[Column | Bar] = [Column("input", len(features), -1, None, "", None,
                                         tuple(features))]
    pos = 0
    for li, layer in enumerate(layers):
        m = modules[pos]
        if isinstance(layer, DenseLayer):
            act = (modules[pos + 1] if layer.activation != "linear" else None)
            stages.append(Column("dense", m.n_out, (act or m).index, m.index,
                                 layer.activation, li, ("",) * m.n_out))
            pos += 2 if act is not None else 1
        else:
            stages.append(Bar(m, li))
            pos += 1
    out = modules[pos]
    stages.append(Column("output", out.n_out, out.index, out.index, output_activation, None,
                         output_names(out.n_out, classes, targets)))
    return Structure(tuple(stages), slots, is_2d, mlp,
                     image_side(len(features), is_2d), output_activation, len(layers))


def structure_of(run) -> Structure:
    """The stages of a ``RunInfo``."""
    ds = run.dataset
    return structure(run.config, tuple(ds.feature_names), run.modules, run.output_activation,
                     tuple(ds.class_names), tuple(ds.target_names))


def structure_for_config(config: RunConfig, run) -> Structure | None:
    """The stages ``config`` will have, drawn before its run is built: only when it keeps
    ``run``'s data and differs at most in its hidden stack and 2-D features (else None: the
    window's ``set_run`` brings it)."""
    old = run.config
    same_data = config.data == old.data or (
        config.data.is_2d and _without_features(config) == _without_features(old))
    if not same_data or config.model.type != old.model.type \
            or config.train.loss != old.train.loss:
        return None
    features = tuple(config.data.features) if config.data.is_2d else \
        tuple(run.dataset.feature_names)
    ds = run.dataset
    modules = torch_modules(config.model, len(features), run.n_outputs)
    return structure(config, features, modules, run.output_activation,
                     tuple(ds.class_names), tuple(ds.target_names))


def _without_features(config: RunConfig):
    return dataclasses.replace(config.data, features=None)


def toggled(features: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The 2-D feature list with ``name`` switched: removed if on, else added (in the
    canonical FEATURES_2D order when the list already follows it). May be empty: the
    config says why that is refused."""
    if name in features:
        return tuple(f for f in features if f != name)
    order = [f for f in FEATURES_2D if f in features]
    if list(features) == order:
        return tuple(f for f in FEATURES_2D if f in features or f == name)
    return tuple(features) + (name,)


# --- which units and weights a big network shows ---------------------------------------------

def unit_scores(structure: Structure, weights: dict[str, np.ndarray] | None
                ) -> list[np.ndarray | None]:
    """Per column, each unit's summed |incoming| + |outgoing| weight (None without weights)."""
    cols = structure.columns
    scores: list[np.ndarray | None] = []
    for c, col in enumerate(cols):
        if not weights:
            scores.append(None)
            continue
        s = np.zeros(col.width)
        if col.linear is not None:
            w = weights.get(f"{col.linear}.weight")
            if w is not None:
                s += np.nan_to_num(np.abs(np.asarray(w, np.float64))).sum(axis=1)
        if c + 1 < len(cols):
            w = weights.get(f"{cols[c + 1].linear}.weight")
            if w is not None:
                s += np.nan_to_num(np.abs(np.asarray(w, np.float64))).sum(axis=0)
        scores.append(s)
    return scores


def shown_units(width: int, score: np.ndarray | None, limit: int = MAX_NODES) -> np.ndarray:
    """The units a column draws, top to bottom in unit order: all of them up to ``limit``,
    else the ``limit`` strongest (the first ones without scores)."""
    if width <= limit:
        return np.arange(width)
    if score is None:
        return np.arange(limit)
    strongest = np.argsort(-score, kind="stable")[:limit]
    return np.sort(strongest)


@dataclass(frozen=True)
class EdgeSet:
    """The weights drawn between two columns: ``rows`` (target units) and ``cols`` (source
    units) index ``{linear}.weight``; ``src``/``dst`` are node positions in the columns."""

    linear: int
    rows: np.ndarray
    cols: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    total: int        # weights of the whole Linear


def edge_sets(structure: Structure, shown: list[np.ndarray],
              weights: dict[str, np.ndarray] | None, cap: int = MAX_EDGES) -> list[EdgeSet]:
    """Every weight between drawn nodes (``shown[c]``: the units column c draws, in node
    order; an image input column draws none, its weights come as one bundle per unit), at
    most ``cap`` in all: shared out between the column pairs by their counts, each keeping
    its largest |w| (its first ones without weights)."""
    cols = structure.columns
    counts = [len(shown[c - 1]) * len(shown[c]) for c in range(1, len(cols))]
    total = sum(counts)
    out = []
    for c, count in zip(range(1, len(cols)), counts):
        col, src_units, dst_units = cols[c], shown[c - 1], shown[c]
        rows = np.repeat(dst_units, len(src_units))
        cols_ = np.tile(src_units, len(dst_units))
        dst = np.repeat(np.arange(len(dst_units)), len(src_units))
        src = np.tile(np.arange(len(src_units)), len(dst_units))
        keep = count if total <= cap else min(count, max(1, cap * count // total))
        if keep < count:
            w = (weights or {}).get(f"{col.linear}.weight")
            order = (np.argsort(-np.nan_to_num(np.abs(np.asarray(w)[rows, cols_])),
                                kind="stable")[:keep] if w is not None else np.arange(keep))
            order = np.sort(order)
            rows, cols_, src, dst = rows[order], cols_[order], src[order], dst[order]
        out.append(EdgeSet(col.linear, rows, cols_, src, dst, col.width * cols[c - 1].width))
    return out


# --- scales ----------------------------------------------------------------------------------

def _hex(color: str) -> np.ndarray:
    color = color.lstrip("#")
    return np.array([int(color[i:i + 2], 16) for i in (0, 2, 4)], np.float64)


def diverging_lut(negative: str, neutral: str, positive: str, n: int = 256) -> np.ndarray:
    """(n, 4) uint8 RGBA: negative (index 0) -> neutral (middle) -> positive (n - 1)."""
    t = np.linspace(-1.0, 1.0, n)[:, None]
    lo, mid, hi = _hex(negative), _hex(neutral), _hex(positive)
    rgb = np.where(t < 0, mid + (lo - mid) * -t, mid + (hi - mid) * t)
    out = np.empty((n, 4), np.uint8)
    out[:, :3] = np.round(rgb)
    out[:, 3] = 255
    return out


def shade_index(values: np.ndarray, n: int = SHADES) -> np.ndarray:
    """Colour steps 0..n-1 of values over [-1, 1], clamped (NaN: the neutral middle)."""
    v = np.clip(np.nan_to_num(np.asarray(values, np.float64), nan=0.0), -1.0, 1.0)
    return np.rint((v + 1.0) * 0.5 * (n - 1)).astype(np.int64)


def width_of(values: np.ndarray) -> np.ndarray:
    """Stroke widths in px: linear in |w| from [0, 5] to [1, 10], clamped (NaN: 1)."""
    a = np.abs(np.nan_to_num(np.asarray(values, np.float64), nan=0.0))
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * np.minimum(a / WIDTH_AT, 1.0)


def width_index(values: np.ndarray) -> np.ndarray:
    """``width_of`` in steps of 1 / WIDTH_STEPS px, as integers."""
    return np.rint(width_of(values) * WIDTH_STEPS).astype(np.int64)


#: Activations whose output stays within [-1, 1].
BOUNDED = frozenset({"tanh", "sigmoid"})


def level(array: np.ndarray, floor: float = 1.0) -> float:
    """The symmetric colour level L of a column's pictures: max(floor, max |finite value|)
    (1 when that is 0 or there is none)."""
    a = np.abs(np.asarray(array))
    finite = a[np.isfinite(a)]
    top = float(finite.max()) if finite.size else 0.0
    return max(floor, top) if max(floor, top) > 0 else 1.0


def feature_levels(grids: np.ndarray) -> np.ndarray:
    """Per input feature (last axis of grids (r, r, k)), its own level: max |finite value|
    over the plane (1 where there is none)."""
    a = np.abs(np.asarray(grids, np.float64)).reshape(-1, grids.shape[-1])
    a = np.where(np.isfinite(a), a, 0.0).max(axis=0) if a.size else np.ones(grids.shape[-1])
    return np.where(a > 0, a, 1.0)


def sample_indices(r: int, side: int = PICTURE_SIDE) -> np.ndarray:
    """Which of r grid rows (columns) a picture of at most ``side`` pixels keeps."""
    if r <= side:
        return np.arange(r)
    return np.rint(np.linspace(0, r - 1, side)).astype(np.int64)


def heat_rgba(grids: np.ndarray, lev: float, lut: np.ndarray) -> np.ndarray:
    """RGBA pictures (side, side, k, 4) of grids (r, r, k) with [j, i] at plane point
    (us[i], vs[j]): rows flipped so that v grows upward, sampled to at most PICTURE_SIDE,
    colours from ``lut`` over [-lev, lev] (NaN: the neutral middle)."""
    r = grids.shape[0]
    idx = sample_indices(r)
    g = np.asarray(grids)[idx[::-1]][:, idx]
    n = lut.shape[0]
    with np.errstate(invalid="ignore"):
        t = np.nan_to_num(np.asarray(g, np.float64) / lev, nan=0.0)
    k = np.rint((np.clip(t, -1.0, 1.0) + 1.0) * 0.5 * (n - 1)).astype(np.intp)
    return lut[k]


def grey_rgba(image: np.ndarray, dark: str, light: str) -> np.ndarray:
    """RGBA (h, w, 4) of a 2-D array from ``light`` (its minimum) to ``dark`` (maximum)."""
    a = np.nan_to_num(np.asarray(image, np.float64))
    lo, hi = a.min(), a.max()
    t = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    rgb = _hex(light) + (_hex(dark) - _hex(light)) * t[..., None]
    out = np.empty(a.shape + (4,), np.uint8)
    out[..., :3] = np.round(rgb)
    out[..., 3] = 255
    return out
