"""Regenerate the PyTorch golden fixtures in tests/golden/ (needs torch; the tests do not).

    pip install torch==2.13.0
    python tools/make_golden.py            # writes tests/golden/*.npz, prints a diagnostics table
    python tools/make_golden.py --trace    # only the trace fixtures, tests/golden/trace/*.npz

The trace fixtures (``TRACE_CASES``, at the end) are one step each as ``playground trace``
shows it, made by torch autograd and torch.optim: see ``trace_twin`` and tests/golden/README.md.

Each case is a tiny run (20-60 samples, 2-5 features, hidden widths 3-16, 5-40 epochs) trained by a
PyTorch twin of the engine's training loop (PRODUCT.md section 1):

- model: ``nn.Sequential`` built from the config layers in order (dense -> ``nn.Linear`` plus its
  activation module unless linear; batchnorm -> ``nn.BatchNorm1d``; dropout -> a replaying dropout;
  an activation layer -> its module, ``linear`` -> ``nn.Identity``), then the output ``nn.Linear``;
- per batch: ``zero_grad``, forward (train mode), loss (mean), backward, L1/L2 added to every
  Linear weight's gradient, then ``clip_grad_norm_``/``clip_grad_value_``, then ``optimizer.step()``;
- batches in order from ``x[perm]``, ``perm = shuffle_gen.permutation(n_train)`` drawn at the start
  of every epoch when shuffling (``playground.rng.stream(seed, "shuffle")``, one per run);
- dropout: for every training forward pass, each dropout layer in order draws
  ``u = dropout_gen.random((batch, units))`` (``playground.rng.stream(seed, "dropout")``, one per
  run) and keeps units where ``u >= p``, scaled by ``1 / (1 - p)`` (as ATen: the mask is divided by
  ``1 - p``, then multiplied into the input); identity in eval mode;
- end of epoch: eval-mode full passes on train and test (loss without penalty, accuracy; for
  regression R² and MAE from ``sklearn.metrics`` in the data's units), then the scheduler steps
  (plateau on the test loss, or the train loss without a test split);
- ``data.standardize_target`` (regression): the twin trains on ``(y - mean) / std`` with the
  training split's mean and population std (a 0 std taken as 1), so its losses are in those
  units, and undoes it (``std * out + mean``) for R², MAE and the predictions.

Every fixture is an ``.npz`` (no pickle) holding:

=====================  ======================================================================
``config``             0-d str: the run config JSON (format 1) exactly as the twin read it
``meta``               0-d str: JSON with name, description, epochs, final_lr, diagnostics
``x_train`` ...        ``x_train, y_train, x_test, y_test`` float64 (labels int64); values are
                       float32-representable so both dtypes see the same data
``initial.<key>``      the initial state dict (float64; ``num_batches_tracked`` int64 0-d)
``final.<key>``        the state dict after ``epochs`` epochs, in the config dtype
``history.<field>``    per-epoch float64 arrays: lr, train_loss, test_loss, train_accuracy,
                       test_accuracy (NaN where the engine reports None); regression cases also
                       train_r2, test_r2, train_mae, test_mae
``predict.<split>``    regression only: the final model's predictions in the data's units on
                       ``train`` and ``test`` (eval mode, float64)
=====================  ======================================================================

The script also checks that every case is well-conditioned enough to be a fair test: it trains each
case in both float32 and float64 and requires the float32-vs-float64 drift to be far below the test
tolerance (float32 cases) or small enough that float64 rounding cannot approach it (float64 cases),
and that no plateau decision or accuracy count sits on a knife edge. A case that fails a check
stops the script; fix the case (data seed, lr, epochs) rather than loosening the test.
"""

from __future__ import annotations

import io
import json
import math
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground import rng as prng  # noqa: E402
from playground.config import RunConfig  # noqa: E402

OUT = ROOT / "tests" / "golden"
TORCH_VERSION = "2.13.0"

ACT_MODULES = {
    "linear": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU,
    "gelu": lambda: nn.GELU(approximate="none"),
    "silu": nn.SiLU,
}
ACTIVATION_NAMES = tuple(ACT_MODULES)


# ---------------------------------------------------------------------------------------------
# cases

@dataclass
class Case:
    name: str
    description: str
    data: dict[str, Any]              # kind, n_train, n_test, features, classes/targets, seed
    layers: list[dict[str, Any]]
    train: dict[str, Any]             # the config's train section (sparse, as a user writes it)
    seed: int = 0
    init_seed: int = 0
    # What the case must exercise (see check_case): at least this many plateau reductions;
    # clipping on at least this fraction of the steps (norm) or gradient elements (value), not all.
    min_plateau_reductions: int = 0
    min_clip_fraction: float = 0.0
    standardize_target: bool = False  # data.standardize_target (regression)


def D(kind: str, n_train: int, n_test: int, features: int, seed: int, **kw) -> dict[str, Any]:
    return {"kind": kind, "n_train": n_train, "n_test": n_test, "features": features,
            "seed": seed, **kw}


def T(epochs: int, batch_size: int, optimizer: dict[str, Any], *, dtype: str = "float64",
      shuffle: bool = False, loss: str = "auto", schedule: dict[str, Any] | None = None,
      regularization: dict[str, Any] | None = None, clip: dict[str, Any] | None = None
      ) -> dict[str, Any]:
    out: dict[str, Any] = {"loss": loss, "epochs": epochs, "batch_size": batch_size,
                           "shuffle": shuffle, "dtype": dtype, "optimizer": optimizer}
    if regularization is not None:
        out["regularization"] = regularization
    if clip is not None:
        out["clip"] = clip
    if schedule is not None:
        out["schedule"] = schedule
    return out


def dense(units: int, activation: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "dense", "units": units}
    if activation is not None:
        out["activation"] = activation
    return out


def bn(**kw) -> dict[str, Any]:
    return {"type": "batchnorm", **kw}


def drop(p: float) -> dict[str, Any]:
    return {"type": "dropout", "p": p}


def act(name: str) -> dict[str, Any]:
    return {"type": name}


F32, F64 = "float32", "float64"

CASES: list[Case] = [
    # --- SGD and each of its options -----------------------------------------------------
    Case("sgd_plain", "SGD, no momentum; bce; tanh; short last batch (30 = 3*8 + 6)",
         D("binary", 30, 10, 2, 1), [dense(6, "tanh")],
         T(20, 8, {"name": "sgd", "lr": 0.1}), seed=11, init_seed=1),
    Case("sgd_plain_f32", "SGD, no momentum, float32, shuffled",
         D("binary", 30, 10, 3, 2), [dense(5, "tanh")],
         T(15, 8, {"name": "sgd", "lr": 0.1}, dtype=F32, shuffle=True), seed=12, init_seed=2),
    Case("sgd_momentum", "SGD momentum 0.9, shuffled",
         D("binary", 32, 8, 2, 3), [dense(6, "relu")],
         T(20, 8, {"name": "sgd", "lr": 0.05, "momentum": 0.9}, shuffle=True),
         seed=13, init_seed=3),
    Case("sgd_dampening", "SGD momentum 0.9 with dampening 0.3",
         D("multiclass", 36, 12, 3, 4, classes=3), [dense(6, "tanh")],
         T(20, 12, {"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
         seed=14, init_seed=4),
    Case("sgd_nesterov", "SGD Nesterov momentum 0.8, float32",
         D("binary", 30, 10, 2, 5), [dense(6, "tanh")],
         T(12, 10, {"name": "sgd", "lr": 0.1, "momentum": 0.8, "nesterov": True}, dtype=F32),
         seed=15, init_seed=5),
    Case("sgd_nesterov_f64", "SGD Nesterov momentum 0.8, float64, weight decay",
         D("regression", 30, 10, 3, 6, targets=1), [dense(6, "tanh")],
         T(20, 10, {"name": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True,
                    "weight_decay": 0.01}), seed=16, init_seed=6),
    Case("sgd_weight_decay", "SGD weight decay 0.05 (no momentum) on every parameter incl. BN",
         D("binary", 36, 12, 3, 7), [dense(6, "relu"), bn(), dense(4, "tanh")],
         T(20, 12, {"name": "sgd", "lr": 0.1, "weight_decay": 0.05}), seed=17, init_seed=7),

    # --- RMSprop and each of its options ---------------------------------------------------
    Case("rmsprop_plain", "RMSprop defaults (alpha 0.99, eps 1e-8)",
         D("binary", 30, 10, 2, 8), [dense(6, "tanh")],
         T(20, 10, {"name": "rmsprop", "lr": 0.01}), seed=18, init_seed=8),
    Case("rmsprop_plain_f32", "RMSprop defaults, float32, alpha 0.9",
         D("multiclass", 36, 12, 3, 9, classes=3), [dense(6, "tanh")],
         T(12, 12, {"name": "rmsprop", "lr": 0.005, "alpha": 0.9}, dtype=F32),
         seed=19, init_seed=9),
    Case("rmsprop_momentum", "RMSprop momentum 0.8, alpha 0.9",
         D("binary", 30, 10, 2, 10), [dense(6, "tanh")],
         T(20, 10, {"name": "rmsprop", "lr": 0.005, "alpha": 0.9, "momentum": 0.8}),
         seed=20, init_seed=10),
    Case("rmsprop_centered", "RMSprop centered, eps 1e-6",
         D("regression", 30, 10, 3, 11, targets=2), [dense(6, "tanh")],
         T(20, 10, {"name": "rmsprop", "lr": 0.005, "centered": True, "eps": 1e-6}),
         seed=21, init_seed=11),
    Case("rmsprop_centered_momentum_f32", "RMSprop centered + momentum, float32",
         D("binary", 30, 10, 2, 12), [dense(5, "tanh")],
         T(10, 10, {"name": "rmsprop", "lr": 0.003, "centered": True, "momentum": 0.5},
           dtype=F32), seed=22, init_seed=12),
    Case("rmsprop_weight_decay", "RMSprop weight decay 0.05",
         D("multiclass", 36, 12, 3, 13, classes=4), [dense(6, "elu")],
         T(20, 12, {"name": "rmsprop", "lr": 0.005, "weight_decay": 0.05}),
         seed=23, init_seed=13),

    # --- Adam / AdamW -------------------------------------------------------------------
    Case("adam_plain", "Adam defaults, lr 0.01",
         D("binary", 30, 10, 2, 14), [dense(6, "tanh")],
         T(20, 10, {"name": "adam", "lr": 0.01}), seed=24, init_seed=14),
    Case("adam_plain_f32", "Adam defaults, float32, shuffled, short last batch",
         D("multiclass", 34, 10, 3, 15, classes=3), [dense(6, "relu")],
         T(12, 8, {"name": "adam", "lr": 0.01}, dtype=F32, shuffle=True), seed=25, init_seed=15),
    Case("adam_amsgrad", "Adam amsgrad, betas (0.8, 0.99), eps 1e-6",
         D("binary", 30, 10, 3, 16), [dense(6, "tanh")],
         T(25, 10, {"name": "adam", "lr": 0.02, "amsgrad": True, "betas": [0.8, 0.99],
                    "eps": 1e-6}), seed=26, init_seed=16),
    Case("adam_weight_decay", "Adam weight decay 0.05 (L2 into the gradient)",
         D("regression", 30, 10, 3, 17, targets=1), [dense(6, "tanh")],
         T(20, 10, {"name": "adam", "lr": 0.01, "weight_decay": 0.05}), seed=27, init_seed=17),
    Case("adamw_default", "AdamW default weight decay 0.01",
         D("binary", 30, 10, 2, 18), [dense(6, "tanh")],
         T(20, 10, {"name": "adamw", "lr": 0.01}), seed=28, init_seed=18),
    Case("adamw_amsgrad_f32", "AdamW weight decay 0.1, amsgrad, float32",
         D("multiclass", 36, 12, 3, 19, classes=3), [dense(6, "gelu")],
         T(12, 12, {"name": "adamw", "lr": 0.01, "weight_decay": 0.1, "amsgrad": True,
                    "betas": [0.85, 0.995], "eps": 1e-7}, dtype=F32), seed=29, init_seed=19),

    # --- schedules ---------------------------------------------------------------------
    Case("schedule_step", "StepLR step_size 3 gamma 0.5",
         D("binary", 30, 10, 2, 20), [dense(6, "tanh")],
         T(15, 10, {"name": "sgd", "lr": 0.2, "momentum": 0.5},
           schedule={"name": "step", "step_size": 3, "gamma": 0.5}), seed=30, init_seed=20),
    Case("schedule_step_f32", "StepLR step_size 2 gamma 0.7, float32",
         D("binary", 30, 10, 2, 21), [dense(6, "tanh")],
         T(10, 10, {"name": "adam", "lr": 0.02},
           dtype=F32, schedule={"name": "step", "step_size": 2, "gamma": 0.7}),
         seed=31, init_seed=21),
    Case("schedule_exponential", "ExponentialLR gamma 0.85",
         D("multiclass", 36, 12, 3, 22, classes=3), [dense(6, "tanh")],
         T(20, 12, {"name": "adam", "lr": 0.03},
           schedule={"name": "exponential", "gamma": 0.85}), seed=32, init_seed=22),
    Case("schedule_cosine_default", "CosineAnnealingLR, t_max defaults to the run's epochs, "
         "eta_min 0.001",
         D("binary", 30, 10, 2, 23), [dense(6, "tanh")],
         T(16, 10, {"name": "sgd", "lr": 0.2, "momentum": 0.5},
           schedule={"name": "cosine", "eta_min": 0.001}), seed=33, init_seed=23),
    Case("schedule_cosine_past_tmax", "CosineAnnealingLR t_max 4 < 15 epochs: goes past T_max "
         "and rises again",
         D("regression", 30, 10, 2, 24, targets=1), [dense(6, "tanh")],
         T(15, 10, {"name": "sgd", "lr": 0.1}, schedule={"name": "cosine", "t_max": 4}),
         seed=34, init_seed=24),
    Case("schedule_cosine_f32", "CosineAnnealingLR t_max 3, eta_min 0.002, float32",
         D("binary", 30, 10, 2, 25), [dense(6, "tanh")],
         T(10, 10, {"name": "adam", "lr": 0.02}, dtype=F32,
           schedule={"name": "cosine", "t_max": 3, "eta_min": 0.002}), seed=35, init_seed=25),
    Case("schedule_plateau_test", "ReduceLROnPlateau on the test loss, patience 1, factor 0.5; "
         "lr high enough that it reduces",
         D("binary", 30, 20, 3, 26, noise=1.0), [dense(8, "tanh")],
         T(30, 6, {"name": "sgd", "lr": 0.5, "momentum": 0.5},
           schedule={"name": "plateau", "factor": 0.5, "patience": 1}),
         seed=36, init_seed=26, min_plateau_reductions=2),
    Case("schedule_plateau_train", "ReduceLROnPlateau on the train loss (no test split), "
         "patience 0, threshold 0.05, min_lr 0.02",
         D("binary", 30, 0, 2, 27, noise=0.8), [dense(6, "tanh")],
         T(25, 5, {"name": "sgd", "lr": 0.8, "momentum": 0.5},
           schedule={"name": "plateau", "factor": 0.3, "patience": 0, "threshold": 0.05,
                     "min_lr": 0.02}),
         seed=37, init_seed=27, min_plateau_reductions=2),
    Case("schedule_plateau_f32", "ReduceLROnPlateau defaults but patience 2, float32",
         D("multiclass", 30, 15, 3, 28, classes=3, noise=1.5), [dense(6, "tanh")],
         T(20, 6, {"name": "adam", "lr": 0.05},
           dtype=F32, schedule={"name": "plateau", "patience": 2}),
         seed=38, init_seed=28, min_plateau_reductions=1),

    # --- losses --------------------------------------------------------------------------
    Case("loss_bce_explicit", "loss bce given explicitly",
         D("binary", 30, 10, 3, 29), [dense(5, "sigmoid")],
         T(20, 10, {"name": "adam", "lr": 0.02}, loss="bce"), seed=39, init_seed=29),
    Case("loss_ce_3", "cross_entropy, 3 classes",
         D("multiclass", 36, 12, 4, 30, classes=3), [dense(6, "relu")],
         T(20, 12, {"name": "adam", "lr": 0.01}, loss="cross_entropy"), seed=40, init_seed=30),
    Case("loss_ce_4_f32", "cross_entropy, 4 classes, float32",
         D("multiclass", 40, 12, 3, 231, classes=4), [dense(7, "tanh")],
         T(12, 10, {"name": "adam", "lr": 0.01}, dtype=F32, loss="cross_entropy"),
         seed=41, init_seed=31),
    Case("loss_ce_binary", "cross_entropy on 2 classes: 2 output units",
         D("binary", 30, 10, 2, 32), [dense(5, "tanh")],
         T(15, 10, {"name": "sgd", "lr": 0.2}, loss="cross_entropy"), seed=42, init_seed=32),
    Case("loss_mse_1", "mse, 1 target, explicit",
         D("regression", 30, 10, 3, 33, targets=1), [dense(6, "tanh")],
         T(20, 10, {"name": "adam", "lr": 0.02}, loss="mse"), seed=43, init_seed=33),
    Case("loss_mse_2_f32", "mse, 2 targets (auto), float32",
         D("regression", 30, 10, 4, 34, targets=2), [dense(6, "tanh")],
         T(12, 10, {"name": "adam", "lr": 0.01}, dtype=F32), seed=44, init_seed=34),
    Case("loss_mse_2", "mse, 2 targets, explicit, no test split",
         D("regression", 32, 0, 3, 35, targets=2), [dense(5, "silu")],
         T(20, 8, {"name": "sgd", "lr": 0.05, "momentum": 0.9}, loss="mse"),
         seed=45, init_seed=35),
    Case("target_std_mse_1", "standardized target (mean 40, std ~25): losses in z units",
         D("regression", 30, 10, 3, 68, targets=1, target_scale=[25.0], target_offset=[40.0]),
         [dense(6, "tanh")], T(15, 10, {"name": "adam", "lr": 0.02}), seed=78, init_seed=68,
         standardize_target=True),
    Case("target_std_mse_2_f32", "2 standardized targets of unlike scales, float32, shuffled",
         D("regression", 32, 8, 3, 69, targets=2, target_scale=[0.01, 300.0],
           target_offset=[-2.0, 1000.0]),
         [dense(5, "silu")], T(10, 8, {"name": "sgd", "lr": 0.03, "momentum": 0.9},
                               dtype=F32, shuffle=True),
         seed=79, init_seed=69, standardize_target=True),

    # --- activations as the dense layers' activation -----------------------------------------
    Case("act_dense_a", "dense activations sigmoid, tanh, relu",
         D("binary", 30, 10, 3, 36), [dense(6, "sigmoid"), dense(5, "tanh"), dense(4, "relu")],
         T(20, 10, {"name": "adam", "lr": 0.01}), seed=46, init_seed=36),
    Case("act_dense_b", "dense activations leaky_relu, elu, gelu",
         D("multiclass", 36, 12, 3, 37, classes=3),
         [dense(6, "leaky_relu"), dense(5, "elu"), dense(4, "gelu")],
         T(20, 12, {"name": "adam", "lr": 0.01}), seed=47, init_seed=37),
    Case("act_dense_c", "dense activations silu and an explicit linear",
         D("regression", 30, 10, 3, 38, targets=1), [dense(6, "silu"), dense(5, "linear")],
         T(20, 10, {"name": "adam", "lr": 0.01}), seed=48, init_seed=38),
    Case("act_dense_f32", "all activations as dense activations, float32",
         D("binary", 30, 10, 3, 39),
         [dense(5, "sigmoid"), dense(5, "tanh"), dense(5, "relu"), dense(5, "leaky_relu"),
          dense(5, "elu"), dense(5, "gelu"), dense(5, "silu"), dense(4, "linear")],
         T(8, 10, {"name": "adam", "lr": 0.005}, dtype=F32), seed=49, init_seed=39),

    # --- activations as layers of their own --------------------------------------------------
    Case("act_layer_a", "activation layers sigmoid, tanh, relu",
         D("binary", 30, 10, 3, 40),
         [dense(6), act("sigmoid"), dense(5), act("tanh"), dense(4), act("relu")],
         T(20, 10, {"name": "adam", "lr": 0.01}), seed=50, init_seed=40),
    Case("act_layer_b", "activation layers leaky_relu, elu, gelu",
         D("multiclass", 36, 12, 3, 41, classes=3),
         [dense(6), act("leaky_relu"), dense(5), act("elu"), dense(4), act("gelu")],
         T(20, 12, {"name": "adam", "lr": 0.01}), seed=51, init_seed=41),
    Case("act_layer_c", "activation layer silu; two activations stacked (tanh after relu dense)",
         D("regression", 30, 10, 3, 42, targets=1),
         [dense(6), act("silu"), dense(5, "relu"), act("tanh")],
         T(20, 10, {"name": "adam", "lr": 0.01}), seed=52, init_seed=42),
    Case("act_layer_linear", "a linear activation layer is nn.Identity and takes an index",
         D("binary", 30, 10, 2, 43), [dense(5, "tanh"), act("linear"), dense(4, "relu")],
         T(15, 10, {"name": "adam", "lr": 0.01}), seed=53, init_seed=43),
    Case("act_layer_f32", "all activations as layers, float32",
         D("multiclass", 36, 12, 3, 44, classes=3),
         [dense(5), act("sigmoid"), dense(5), act("tanh"), dense(5), act("relu"), dense(5),
          act("leaky_relu"), dense(5), act("elu"), dense(5), act("gelu"), dense(5),
          act("silu")],
         T(8, 12, {"name": "adam", "lr": 0.005}, dtype=F32), seed=54, init_seed=44),

    # --- batchnorm ---------------------------------------------------------------------------
    Case("bn_middle", "batchnorm between two dense layers; short last batch (36 = 4*8 + 4); "
         "eval-mode evaluation uses the running stats",
         D("binary", 36, 12, 3, 45), [dense(6, "tanh"), bn(), dense(5, "relu")],
         T(20, 8, {"name": "sgd", "lr": 0.05, "momentum": 0.9}), seed=55, init_seed=145),
    Case("bn_options", "batchnorm momentum 0.3 eps 1e-3 after a sigmoid layer; second BN "
         "with momentum 0.01; shuffled",
         D("multiclass", 40, 12, 3, 46, classes=3),
         [dense(6), act("sigmoid"), bn(momentum=0.3, eps=1e-3), dense(5, "tanh"),
          bn(momentum=0.01)],
         T(20, 10, {"name": "adam", "lr": 0.01}, shuffle=True), seed=56, init_seed=246),
    Case("bn_input", "batchnorm as the first layer (normalizes the inputs), momentum 0.9, "
         "full batch",
         D("regression", 30, 10, 3, 47, targets=1, scale=3.0), [bn(momentum=0.9), dense(6, "tanh")],
         T(20, 0, {"name": "adam", "lr": 0.03}), seed=57, init_seed=47),
    Case("bn_f32", "batchnorm in the middle, float32, shuffled, batch 12",
         D("binary", 36, 12, 3, 48), [dense(6, "relu"), bn(), dense(5, "tanh")],
         T(12, 12, {"name": "sgd", "lr": 0.05, "momentum": 0.9}, dtype=F32, shuffle=True),
         seed=58, init_seed=248),

    # --- dropout -----------------------------------------------------------------------------
    Case("dropout_single", "dropout 0.3 after a dense relu; shuffled; masks replayed from "
         "the dropout stream",
         D("binary", 32, 8, 3, 49), [dense(8, "relu"), drop(0.3)],
         T(20, 8, {"name": "adam", "lr": 0.01}, shuffle=True), seed=59, init_seed=49),
    Case("dropout_two_bn_fullbatch", "two dropout layers (0.2, 0.5) around a batchnorm; full "
         "batch with shuffling (the mask rows follow the permuted batch)",
         D("multiclass", 36, 12, 3, 50, classes=3),
         [dense(8, "tanh"), drop(0.2), bn(), dense(6, "relu"), drop(0.5)],
         T(20, 0, {"name": "adam", "lr": 0.01}, shuffle=True), seed=60, init_seed=50),
    Case("dropout_input_f32", "input dropout 0.1 then dense; float32; short last batch",
         D("regression", 30, 10, 4, 51, targets=1),
         [drop(0.1), dense(6, "tanh"), drop(0.25)],
         T(12, 8, {"name": "adam", "lr": 0.01}, dtype=F32), seed=61, init_seed=51),

    # --- regularization ----------------------------------------------------------------------
    Case("reg_l1", "L1 0.01 on every Linear weight (not biases, not BN)",
         D("binary", 30, 10, 3, 52), [dense(6, "tanh"), bn(), dense(4, "relu")],
         T(20, 10, {"name": "sgd", "lr": 0.05, "momentum": 0.9},
           regularization={"kind": "l1", "rate": 0.01}), seed=62, init_seed=52),
    Case("reg_l2", "L2 0.05 on every Linear weight",
         D("multiclass", 36, 12, 3, 53, classes=3), [dense(6, "tanh"), dense(4, "relu")],
         T(20, 12, {"name": "adam", "lr": 0.01}, regularization={"kind": "l2", "rate": 0.05}),
         seed=63, init_seed=53),
    Case("reg_l1_f32", "L1 0.003, float32",
         D("regression", 30, 10, 3, 54, targets=1), [dense(6, "tanh")],
         T(10, 10, {"name": "adam", "lr": 0.01}, dtype=F32,
           regularization={"kind": "l1", "rate": 0.003}), seed=64, init_seed=54),
    Case("reg_l2_f32", "L2 0.02 with BN, float32",
         D("binary", 36, 12, 3, 55), [dense(6, "relu"), bn(), dense(4, "tanh")],
         T(10, 12, {"name": "sgd", "lr": 0.1}, dtype=F32,
           regularization={"kind": "l2", "rate": 0.02}), seed=65, init_seed=55),

    # --- clipping ----------------------------------------------------------------------------
    Case("clip_norm", "clip_grad_norm_ 0.3 (triggers on some steps, not all) with L2 "
         "(clipping sees the penalty)",
         D("binary", 30, 10, 3, 56), [dense(6, "tanh"), bn(), dense(4, "relu")],
         T(20, 10, {"name": "sgd", "lr": 0.2, "momentum": 0.5}, clip={"norm": 0.3},
           regularization={"kind": "l2", "rate": 0.01}),
         seed=66, init_seed=56, min_clip_fraction=0.2),
    Case("clip_value", "clip_grad_value_ 0.04",
         D("multiclass", 36, 12, 3, 57, classes=3), [dense(6, "relu")],
         T(20, 12, {"name": "sgd", "lr": 0.2, "momentum": 0.5}, clip={"value": 0.04}),
         seed=67, init_seed=57, min_clip_fraction=0.2),
    Case("clip_norm_f32", "clip_grad_norm_ 1.2, float32",
         D("regression", 30, 10, 3, 58, targets=2), [dense(6, "tanh")],
         T(10, 10, {"name": "adam", "lr": 0.01}, dtype=F32, clip={"norm": 1.2}),
         seed=68, init_seed=58, min_clip_fraction=0.2),
    Case("clip_value_f32", "clip_grad_value_ 0.02, float32, L1",
         D("binary", 30, 10, 2, 59), [dense(6, "tanh")],
         T(10, 10, {"name": "sgd", "lr": 0.3}, dtype=F32, clip={"value": 0.02},
           regularization={"kind": "l1", "rate": 0.005}),
         seed=69, init_seed=59, min_clip_fraction=0.2),

    # --- batching ----------------------------------------------------------------------------
    Case("batch_full_zero", "batch_size 0 = full batch, no test split",
         D("binary", 30, 0, 2, 60), [dense(6, "tanh")],
         T(30, 0, {"name": "sgd", "lr": 0.5, "momentum": 0.9}), seed=70, init_seed=60),
    Case("batch_full_large", "batch_size > n_train = full batch; shuffled (only the order of "
         "the sums changes)",
         D("multiclass", 30, 10, 3, 61, classes=3), [dense(6, "tanh")],
         T(30, 100, {"name": "adam", "lr": 0.05}, shuffle=True), seed=71, init_seed=61),
    Case("batch_one_short", "batch 7 over 30 samples: last batch of 2, shuffled",
         D("regression", 30, 10, 2, 62, targets=1), [dense(5, "tanh")],
         T(15, 7, {"name": "sgd", "lr": 0.05}, shuffle=True), seed=72, init_seed=62),
    Case("batch_full_f32", "full batch, float32, no test split",
         D("regression", 30, 0, 3, 63, targets=1), [dense(6, "tanh")],
         T(20, 0, {"name": "adam", "lr": 0.02}, dtype=F32), seed=73, init_seed=63),

    # --- the notebook's Iris example, on a synthetic 4-feature 3-class set ------------------
    Case("iris_notebook", "the notebook's Iris MLP: 4-16-8-3 ReLU, Adam 0.01, batch 16, "
         "plateau 0.5/5, clip norm 1.0, float32, shuffled; synthetic 48/12 data",
         D("multiclass", 48, 12, 4, 64, classes=3),
         [dense(16, "relu"), dense(8, "relu")],
         T(30, 16, {"name": "adam", "lr": 0.01}, dtype=F32, shuffle=True,
           schedule={"name": "plateau", "factor": 0.5, "patience": 5}, clip={"norm": 1.0}),
         seed=42, init_seed=68),
    Case("iris_notebook_f64", "the notebook's Iris MLP in float64",
         D("multiclass", 48, 12, 4, 64, classes=3),
         [dense(16, "relu"), dense(8, "relu")],
         T(30, 16, {"name": "adam", "lr": 0.01}, dtype=F64, shuffle=True,
           schedule={"name": "plateau", "factor": 0.5, "patience": 5}, clip={"norm": 1.0}),
         seed=42, init_seed=68),

    # --- everything at once --------------------------------------------------------------------
    Case("kitchen_sink", "BN + dropout + L2 + clip norm + cosine + rmsprop centered momentum, "
         "shuffled, short last batch",
         D("multiclass", 44, 12, 5, 65, classes=4),
         [dense(8, "gelu"), bn(momentum=0.2), drop(0.2), dense(6), act("silu"), drop(0.1)],
         T(25, 10, {"name": "rmsprop", "lr": 0.003, "centered": True, "momentum": 0.5,
                    "weight_decay": 0.001},
           shuffle=True, schedule={"name": "cosine", "t_max": 10, "eta_min": 0.0005},
           regularization={"kind": "l2", "rate": 0.005}, clip={"norm": 0.5}),
         seed=75, init_seed=65),
    Case("kitchen_sink_f32", "BN + dropout + L1 + clip value + step + sgd nesterov, float32",
         D("binary", 38, 12, 4, 66),
         [dense(7, "leaky_relu"), drop(0.3), bn(eps=1e-4), dense(5, "elu")],
         T(10, 12, {"name": "sgd", "lr": 0.1, "momentum": 0.7, "nesterov": True,
                    "weight_decay": 0.001},
           dtype=F32, shuffle=True, schedule={"name": "step", "step_size": 3, "gamma": 0.5},
           regularization={"kind": "l1", "rate": 0.002}, clip={"value": 0.1}),
         seed=76, init_seed=266),
    Case("long_run", "40 epochs, two hidden layers, adam + exponential, shuffled",
         D("binary", 40, 20, 3, 67), [dense(6, "tanh"), dense(4, "tanh")],
         T(40, 8, {"name": "adam", "lr": 0.01}, shuffle=True,
           schedule={"name": "exponential", "gamma": 0.97}), seed=77, init_seed=67),
]


# ---------------------------------------------------------------------------------------------
# data

def make_data(spec: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """x/y train/test; x and regression y are float32-representable float64 values."""
    r = np.random.default_rng(spec["seed"])
    n_train, n_test, f = spec["n_train"], spec["n_test"], spec["features"]
    n = n_train + n_test
    noise = spec.get("noise", 0.3)
    kind = spec["kind"]
    for _ in range(100):
        x = r.normal(size=(n, f)) * spec.get("scale", 1.0)
        if kind == "binary":
            w = r.normal(size=f)
            score = x @ w + 0.7 * np.sin(2 * x[:, 0]) + noise * r.normal(size=n)
            y = (score > 0).astype(np.int64)
            k = 2
        elif kind == "multiclass":
            k = spec["classes"]
            centers = r.normal(scale=1.5, size=(k, f))
            y = r.integers(k, size=n)
            x = centers[y] + noise * 2.5 * r.normal(size=(n, f)) * 0.5
        else:
            t = spec["targets"]
            w = r.normal(size=(f, t))
            y = np.tanh(x @ w) + 0.3 * (x[:, :1] ** 2) + noise * 0.3 * r.normal(size=(n, t))
            y = y * np.asarray(spec.get("target_scale", 1.0)) + np.asarray(
                spec.get("target_offset", 0.0))
            k = 0
        if kind == "regression" or (
                len(np.unique(y[:n_train])) == k and (n_test == 0 or len(np.unique(y[n_train:])) >= 2)):
            break
    else:
        raise RuntimeError(f"could not draw data with every class for {spec}")
    x = x.astype(np.float32).astype(np.float64)
    if kind == "regression":
        y = y.astype(np.float32).astype(np.float64)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


# ---------------------------------------------------------------------------------------------
# config

def make_config(case: Case, x_train: np.ndarray, x_test: np.ndarray) -> dict[str, Any]:
    n_train, n_test = len(x_train), len(x_test)
    task = "regression" if case.data["kind"] == "regression" else "classification"
    data: dict[str, Any] = {"source": "csv", "path": f"{case.name}.csv", "task": task,
                            "test_fraction": round(n_test / (n_train + n_test), 4),
                            "standardize": False}
    if case.standardize_target:
        data["standardize_target"] = True
    return {
        "format": 1,
        "seed": case.seed,
        "data": data,
        "model": {"type": "mlp", "layers": case.layers},
        "train": case.train,
    }


# ---------------------------------------------------------------------------------------------
# the torch twin

class ReplayDropout(nn.Module):
    """Inverted dropout whose masks come from the run's numpy "dropout" stream."""

    def __init__(self, p: float, gen: np.random.Generator) -> None:
        super().__init__()
        self.p = p
        self.gen = gen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        u = self.gen.random(tuple(x.shape))
        # ATen's dropout: noise = bernoulli(1 - p); noise.div_(1 - p); input * noise.
        scale = torch.from_numpy(u >= self.p).to(x.dtype).div_(1 - self.p)
        return x * scale


def resolve_loss(loss: str, task: str, k: int) -> str:
    if loss != "auto":
        return loss
    if task == "regression":
        return "mse"
    return "bce" if k == 2 else "cross_entropy"


def build_model(cfg: dict[str, Any], n_features: int, out_units: int,
                dropout_gen: np.random.Generator | None) -> nn.Sequential:
    mods: list[nn.Module] = []
    width = n_features
    for layer in cfg["model"]["layers"]:
        kind = layer["type"]
        if kind == "dense":
            mods.append(nn.Linear(width, layer["units"]))
            width = layer["units"]
            a = layer.get("activation", "linear")
            if a != "linear":
                mods.append(ACT_MODULES[a]())
        elif kind == "batchnorm":
            mods.append(nn.BatchNorm1d(width, eps=layer.get("eps", 1e-5),
                                       momentum=layer.get("momentum", 0.1)))
        elif kind == "dropout":
            mods.append(ReplayDropout(layer["p"], dropout_gen) if dropout_gen is not None
                        else nn.Dropout(layer["p"]))
        else:
            mods.append(ACT_MODULES[kind]())
    mods.append(nn.Linear(width, out_units))
    return nn.Sequential(*mods)


def initial_state(case: Case, cfg: dict[str, Any], n_features: int, out_units: int
                  ) -> dict[str, np.ndarray]:
    """torch's default init (seeded), plus perturbed batchnorm affine/running stats so a swapped or
    ignored BN tensor shows."""
    torch.manual_seed(case.init_seed)
    model = build_model(cfg, n_features, out_units, None).to(torch.float64)
    g = torch.Generator().manual_seed(1000 + case.init_seed)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.BatchNorm1d):
                c = m.num_features
                m.weight.copy_(1 + 0.2 * (torch.rand(c, generator=g, dtype=torch.float64) - 0.5))
                m.bias.copy_(0.2 * (torch.rand(c, generator=g, dtype=torch.float64) - 0.5))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g, dtype=torch.float64))
                m.running_var.copy_(0.75 + 0.5 * torch.rand(c, generator=g, dtype=torch.float64))
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


@dataclass
class Run:
    final: dict[str, np.ndarray]
    history: dict[str, np.ndarray]
    final_lr: float
    clip_fraction: float
    plateau_reductions: int
    plateau_margin: float          # min relative distance of the metric to best * (1 - thr)
    logit_margin: float            # min |logit| (binary bce) or top-2 gap, at evaluations
    predictions: dict[str, np.ndarray]  # regression: final predictions in the data's units


@dataclass
class Twin:
    """The torch twin of one run, set up: model (train mode, initial weights loaded), data as
    tensors, loss, optimizer, scheduler, and the config's batch, penalty and clipping."""

    model: nn.Sequential
    X: torch.Tensor
    Y: torch.Tensor
    Xt: torch.Tensor
    Yt: torch.Tensor
    y_lab: np.ndarray
    yt_lab: np.ndarray
    task: str
    loss_name: str
    loss_fn: nn.Module
    opt: torch.optim.Optimizer
    sched: Any
    sname: str
    tr: dict[str, Any]
    reg: dict[str, Any]
    clip: dict[str, Any]
    n: int
    bs: int
    shuffle_gen: np.random.Generator
    y_mean: Any = 0.0  # data.standardize_target: Y, Yt are (y - y_mean) / y_std
    y_std: Any = 1.0

    def add_penalty(self) -> None:
        """L1/L2 into every Linear weight's gradient (after backward, before clipping)."""
        with torch.no_grad():
            for m in self.model:
                if not isinstance(m, nn.Linear):
                    continue
                if self.reg["kind"] == "l1":
                    m.weight.grad.add_(torch.sign(m.weight), alpha=self.reg["rate"])
                elif self.reg["kind"] == "l2":
                    m.weight.grad.add_(m.weight, alpha=self.reg["rate"])


def twin_setup(cfg: dict[str, Any], data, init: dict[str, np.ndarray], dtype: torch.dtype,
               perturb: float = 0.0) -> Twin:
    """``perturb`` > 0 multiplies the initial weights and the inputs by 1 + perturb * N(0, 1)
    (a stand-in for another implementation's rounding)."""
    x_train, y_train, x_test, y_test = data
    if perturb:
        g = np.random.default_rng(12345)
        x_train = x_train * (1 + perturb * g.normal(size=x_train.shape))
        x_test = x_test * (1 + perturb * g.normal(size=x_test.shape))
        init = {k: v if v.dtype.kind == "i" else v * (1 + perturb * g.normal(size=v.shape))
                for k, v in init.items()}
    task = cfg["data"]["task"]
    tr = cfg["train"]
    k = int(max(y_train.max(), y_test.max() if len(y_test) else 0)) + 1 \
        if task == "classification" else 0
    loss_name = resolve_loss(tr.get("loss", "auto"), task, k)
    out_units = {"bce": 1, "cross_entropy": k}.get(loss_name, y_train.shape[1] if task ==
                                                   "regression" else 0)
    streams = prng.streams(cfg["seed"])
    shuffle_gen, dropout_gen = streams["shuffle"], streams["dropout"]
    model = build_model(cfg, x_train.shape[1], out_units, dropout_gen).to(dtype)
    model.load_state_dict({key: torch.from_numpy(v) for key, v in init.items()})
    model.train()
    for key, t in model.state_dict().items():
        assert t.dtype == (torch.int64 if key.endswith("num_batches_tracked") else dtype), key

    def tens(a, target=False):
        if target and task == "classification":
            t = torch.from_numpy(np.asarray(a, np.int64))
            return t.to(dtype).reshape(-1, 1) if loss_name == "bce" else t
        return torch.from_numpy(np.asarray(a, np.float64)).to(dtype)

    # data.standardize_target: train on z-scores (as fit_standardize: population std, 0 -> 1)
    y_mean, y_std = 0.0, 1.0
    if task == "regression" and cfg["data"].get("standardize_target", False):
        y_mean, y_std = y_train.mean(axis=0), y_train.std(axis=0)
        y_std[y_std == 0] = 1.0
    X, Y = tens(x_train), tens((y_train - y_mean) / y_std if task == "regression" else y_train,
                               True)
    Xt, Yt = tens(x_test), tens((y_test - y_mean) / y_std if task == "regression" else y_test,
                                True)
    y_lab, yt_lab = np.asarray(y_train), np.asarray(y_test)
    loss_fn = {"bce": nn.BCEWithLogitsLoss(), "cross_entropy": nn.CrossEntropyLoss(),
               "mse": nn.MSELoss()}[loss_name]

    o = dict(tr["optimizer"])
    name = o.pop("name")
    if "betas" in o:
        o["betas"] = tuple(o["betas"])
    opt_cls = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
               "adamw": torch.optim.AdamW}[name]
    opt = opt_cls(model.parameters(), **o)

    epochs = tr["epochs"]
    s = dict(tr.get("schedule", {"name": "constant"}))
    sname = s.pop("name")
    sched = None
    if sname == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    elif sname == "exponential":
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=s["gamma"])
    elif sname == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=s.get("t_max", max(epochs, 1)), eta_min=s.get("eta_min", 0.0))
    elif sname == "plateau":
        kw = {"factor": s.get("factor", 0.1), "patience": s.get("patience", 10),
              "threshold": s.get("threshold", 1e-4), "min_lr": s.get("min_lr", 0.0)}
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min",
                                                           threshold_mode="rel", **kw)
    else:
        assert sname == "constant"

    reg = tr.get("regularization", {"kind": "none", "rate": 0.0})
    clip = tr.get("clip", {})
    n = len(X)
    bs = tr["batch_size"]
    if bs == 0 or bs >= n:
        bs = n
    return Twin(model, X, Y, Xt, Yt, y_lab, yt_lab, task, loss_name, loss_fn, opt, sched, sname,
                tr, reg, clip, n, bs, shuffle_gen, y_mean=y_mean, y_std=y_std)


def train_twin(cfg: dict[str, Any], data, init: dict[str, np.ndarray], dtype: torch.dtype,
               perturb: float = 0.0) -> Run:
    """Train the twin; ``perturb`` > 0 multiplies the initial weights and the inputs by
    1 + perturb * N(0, 1) (a stand-in for another implementation's rounding)."""
    tw = twin_setup(cfg, data, init, dtype, perturb)
    model, opt, sched, sname, loss_fn = tw.model, tw.opt, tw.sched, tw.sname, tw.loss_fn
    X, Y, Xt, Yt, y_lab, yt_lab = tw.X, tw.Y, tw.Xt, tw.Yt, tw.y_lab, tw.yt_lab
    task, loss_name, tr, epochs = tw.task, tw.loss_name, tw.tr, tw.tr["epochs"]
    clip, n, bs, shuffle_gen = tw.clip, tw.n, tw.bs, tw.shuffle_gen
    y_mean, y_std = tw.y_mean, tw.y_std
    hist_keys = ["lr", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    if task == "regression":
        hist_keys += ["train_r2", "test_r2", "train_mae", "test_mae"]
    hist: dict[str, list[float]] = {key: [] for key in hist_keys}
    from sklearn.metrics import mean_absolute_error, r2_score

    def in_data_units(Xe):
        with torch.no_grad():
            return model(Xe).to(torch.float64).numpy() * y_std + y_mean
    clipped = steps = 0
    reductions = 0
    plateau_margin = math.inf
    logit_margin = math.inf

    def evaluate(Xe, Ye, labels):
        nonlocal logit_margin
        with torch.no_grad():
            out = model(Xe)
            loss = float(loss_fn(out, Ye))
            if task != "classification":
                pred = out.to(torch.float64).numpy() * y_std + y_mean
                r2 = r2_score(labels, pred) if len(labels) >= 2 else math.nan
                return loss, (r2, mean_absolute_error(labels, pred))
            z = out.to(torch.float64).numpy()
            if loss_name == "bce":
                pred = (z[:, 0] > 0).astype(np.int64)
                logit_margin = min(logit_margin, float(np.abs(z).min()))
            else:
                pred = z.argmax(axis=1)
                srt = np.sort(z, axis=1)
                logit_margin = min(logit_margin, float((srt[:, -1] - srt[:, -2]).min()))
            return loss, float((pred == labels).mean())

    for _epoch in range(epochs):
        lr = opt.param_groups[0]["lr"]
        idx = shuffle_gen.permutation(n) if tr.get("shuffle", True) else np.arange(n)
        Xp, Yp = X[torch.from_numpy(idx)], Y[torch.from_numpy(idx)]
        for start in range(0, n, bs):
            xb, yb = Xp[start:start + bs], Yp[start:start + bs]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            tw.add_penalty()
            steps += 1
            if "norm" in clip:
                total = torch.nn.utils.clip_grad_norm_(model.parameters(), clip["norm"])
                clipped += bool(float(total) + 1e-6 > clip["norm"])
            elif "value" in clip:
                # for value clipping count clipped elements, not steps
                over = sum(int((p.grad.abs() > clip["value"]).sum()) for p in model.parameters())
                clipped += over / sum(p.numel() for p in model.parameters())
                torch.nn.utils.clip_grad_value_(model.parameters(), clip["value"])
            opt.step()
        model.eval()
        nothing = (math.nan, math.nan) if task == "regression" else math.nan
        train_loss, train_acc = evaluate(X, Y, y_lab)
        if len(Xt):
            test_loss, test_acc = evaluate(Xt, Yt, yt_lab)
        else:
            test_loss, test_acc = math.nan, nothing
        model.train()
        hist["lr"].append(lr)
        hist["train_loss"].append(train_loss)
        hist["test_loss"].append(test_loss)
        if task == "regression":  # evaluate gave (R², MAE) where accuracy would be
            for split, (r2, mae) in (("train", train_acc), ("test", test_acc)):
                hist[f"{split}_r2"].append(r2)
                hist[f"{split}_mae"].append(mae)
            train_acc = test_acc = math.nan
        hist["train_accuracy"].append(train_acc)
        hist["test_accuracy"].append(test_acc)
        if sched is not None:
            if sname == "plateau":
                metric = test_loss if len(Xt) else train_loss
                if sched.best != math.inf:
                    edge = sched.best * (1 - sched.threshold)
                    plateau_margin = min(plateau_margin, abs(metric - edge) / abs(edge))
                before = opt.param_groups[0]["lr"]
                sched.step(metric)
                reductions += opt.param_groups[0]["lr"] < before
            else:
                sched.step()

    final = {}
    for key, t in model.state_dict().items():
        a = t.detach().numpy().copy()
        final[key] = a.reshape(()) if key.endswith("num_batches_tracked") else a
    predictions = {}
    if task == "regression":
        model.eval()
        predictions = {"train": in_data_units(X), "test": in_data_units(Xt)}
    return Run(final, {key: np.asarray(v, np.float64) for key, v in hist.items()},
               opt.param_groups[0]["lr"], clipped / max(steps, 1), reductions,
               plateau_margin, logit_margin, predictions)


# ---------------------------------------------------------------------------------------------
# checks: each case must be a fair test at the parity tolerances

RTOL = {"float64": 1e-9, "float32": 1e-5}
ATOL = {"float64": 1e-12, "float32": 1e-6}


def usage(a: np.ndarray, b: np.ndarray, dtype: str) -> float:
    """max |a - b| / (atol + rtol |b|): 1.0 means at the test's tolerance."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = ~(np.isnan(a) & np.isnan(b))
    if not ok.any():
        return 0.0
    return float((np.abs(a - b) / (ATOL[dtype] + RTOL[dtype] * np.abs(b)))[ok].max())


def check_case(case: Case, run: Run, r32: Run, r64: Run, r64p: Run) -> dict[str, Any]:
    """Is the case a fair test at the parity tolerances? Returns diagnostics with "problems".

    Another implementation rounds differently, and training amplifies those differences (most
    of all where a gradient is pure rounding noise, e.g. a bias feeding a batchnorm, which
    Adam and RMSprop rescale to full-size steps). Two stand-ins estimate that:

    - float32 cases: torch's float32 run against its float64 run. The engine's float32 rounding
      differs from torch's about as much as torch's float32 differs from exact, so this drift
      must use well under the float32 tolerance (limit 0.2 of it: the engine-vs-torch difference
      holds two such drifts, and this leaves a margin).
    - float64 cases: the float64 run with the inputs and initial weights perturbed by ~1e-14
      relative (about 50 ulp) against the unperturbed run, at the float64 tolerance (limit 0.1).

    Discrete decisions must not sit on a knife edge either: plateau comparisons, accuracy counts.
    """
    dtype = case.train["dtype"]
    keys = [k for k in r64.final if not k.endswith("num_batches_tracked")]
    hist_keys = [h for h in ("lr", "train_loss", "test_loss", "train_r2", "test_r2",
                             "train_mae", "test_mae") if h in r64.history]

    def drift(a: Run, b: Run, tol: str) -> float:
        return max([usage(a.final[k], b.final[k], tol) for k in keys]
                   + [usage(a.history[h], b.history[h], tol) for h in hist_keys]
                   + [usage(a.predictions[s], b.predictions[s], tol) for s in a.predictions])

    def same_decisions(a: Run, b: Run) -> bool:
        return (all(np.array_equal(a.history[h], b.history[h], equal_nan=True)
                    for h in ("train_accuracy", "test_accuracy"))
                and a.plateau_reductions == b.plateau_reductions)

    d32 = drift(r32, r64, "float32")
    d64 = drift(r64p, r64, "float64")
    diag = {"f32_drift": d32, "f64_perturbation": d64, "clip_fraction": run.clip_fraction,
            "plateau_reductions": run.plateau_reductions,
            "plateau_margin": None if math.isinf(run.plateau_margin) else run.plateau_margin,
            "logit_margin": None if math.isinf(run.logit_margin) else run.logit_margin}
    problems = []
    if dtype == "float32":
        if d32 > 0.2:
            problems.append(f"float32/float64 drift uses {d32:.3g} of the float32 tolerance")
        if not same_decisions(r32, r64):
            problems.append("float32 and float64 disagree on an accuracy or plateau decision")
    else:
        if d64 > 0.1:
            problems.append(f"a 1e-14 perturbation uses {d64:.3g} of the float64 tolerance")
        if not same_decisions(r64p, r64):
            problems.append("a 1e-14 perturbation changes an accuracy or plateau decision")
    if run.plateau_reductions < case.min_plateau_reductions:
        problems.append(f"plateau reduced {run.plateau_reductions} times, "
                        f"want >= {case.min_plateau_reductions}")
    margin_min = 1e-4 if dtype == "float32" else 1e-8
    if not math.isinf(run.plateau_margin) and run.plateau_margin < margin_min:
        problems.append(f"a plateau decision is on a knife edge ({run.plateau_margin:.3g})")
    if not math.isinf(run.logit_margin) and run.logit_margin < margin_min:
        problems.append(f"an accuracy decision is on a knife edge ({run.logit_margin:.3g})")
    clip = case.train.get("clip", {})
    if clip and run.clip_fraction == 0:
        problems.append("clipping never triggered")
    if case.min_clip_fraction and not (case.min_clip_fraction <= run.clip_fraction < 1.0):
        what = "elements" if "value" in clip else "steps"
        problems.append(f"clipping triggered on {run.clip_fraction:.0%} of {what}, want between "
                        f"{case.min_clip_fraction:.0%} and 100% (exclusive)")
    if not all(np.isfinite(v).all() for v in run.final.values()):
        problems.append("non-finite final weights")
    diag["problems"] = problems
    return diag


# ---------------------------------------------------------------------------------------------
# writing: a reproducible npz (fixed zip timestamps, no pickle)

def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            arr = np.asarray(arrays[key])  # (ascontiguousarray would make 0-d arrays 1-d)
            assert arr.dtype != object, key
            member = io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    path.write_bytes(buf.getvalue())


def prepare(case: Case) -> tuple[tuple[np.ndarray, ...], dict[str, Any], dict[str, np.ndarray],
                                 str, str]:
    """(data, config, initial state dict, task, loss name) of a case."""
    data = make_data(case.data)
    cfg = make_config(case, data[0], data[2])
    RunConfig.from_dict(json.loads(json.dumps(cfg)))  # valid for the engine too
    x_train, y_train = data[0], data[1]
    task = cfg["data"]["task"]
    k = int(max(data[1].max(), data[3].max() if len(data[3]) else 0)) + 1 \
        if task == "classification" else 0
    loss_name = resolve_loss(case.train.get("loss", "auto"), task, k)
    out_units = {"bce": 1, "cross_entropy": k}.get(loss_name, 0) or y_train.shape[1]
    init = initial_state(case, cfg, x_train.shape[1], out_units)
    return data, cfg, init, task, loss_name


def case_arrays(cfg: dict[str, Any], meta: dict[str, Any], data, init) -> dict[str, np.ndarray]:
    """What every fixture holds: config, meta, the data and the initial state dict."""
    arrays: dict[str, np.ndarray] = {
        "config": np.array(json.dumps(cfg, sort_keys=True)),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
        "x_train": data[0], "y_train": data[1], "x_test": data[2], "y_test": data[3],
    }
    arrays.update({f"initial.{k}": v for k, v in init.items()})
    return arrays


def main() -> int:
    if not torch.__version__.startswith(TORCH_VERSION):
        print(f"warning: fixtures were made with torch {TORCH_VERSION}, this is "
              f"{torch.__version__}", file=sys.stderr)
    torch.set_num_threads(1)
    names = [c.name for c in CASES + TRACE_CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    args = sys.argv[1:]
    only = set(a for a in args if a != "--trace")
    failed = [] if "--trace" in args else make_parity(only)
    failed += make_traces(only)
    if failed:
        print(f"cases that are not fair tests: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def make_parity(only: set[str]) -> list[str]:
    """The training-run fixtures (CASES) in tests/golden; returns the unfair cases' names."""
    OUT.mkdir(parents=True, exist_ok=True)
    failed = []
    print(f"{'case':34s} {'dtype':7s} {'f32drift':>8s} {'f64pert':>8s} {'clip':>5s} {'plat':>4s} "
          f"{'p.margin':>9s} {'l.margin':>9s}  problems")
    for case in CASES:
        if only and case.name not in only:
            continue
        data, cfg, init, task, loss_name = prepare(case)
        r64 = train_twin(cfg, data, init, torch.float64)
        r32 = train_twin(cfg, data, init, torch.float32)
        r64p = train_twin(cfg, data, init, torch.float64, perturb=1e-14)
        dtype = case.train["dtype"]
        run = r64 if dtype == "float64" else r32
        diag = check_case(case, run, r32, r64, r64p)
        pm, lm = diag["plateau_margin"], diag["logit_margin"]
        print(f"{case.name:34s} {dtype:7s} {diag['f32_drift']:8.3g} {diag['f64_perturbation']:8.3g} "
              f"{run.clip_fraction:5.2f} {run.plateau_reductions:4d} "
              f"{'-' if pm is None else f'{pm:9.2g}':>9s} {'-' if lm is None else f'{lm:9.2g}':>9s}"
              f"  {'; '.join(diag['problems'])}")
        if diag["problems"]:
            failed.append(case.name)
        meta = {"name": case.name, "description": case.description,
                "epochs": case.train["epochs"], "task": task, "loss": loss_name,
                "has_test": bool(len(data[2])), "final_lr": run.final_lr,
                "torch": torch.__version__, "diagnostics": diag}
        arrays = case_arrays(cfg, meta, data, init)
        arrays.update({f"final.{k}": v for k, v in run.final.items()})
        arrays.update({f"history.{k}": v for k, v in run.history.items()})
        arrays.update({f"predict.{k}": v for k, v in run.predictions.items()})
        write_npz(OUT / f"{case.name}.npz", arrays)
    tidy(OUT, CASES, only, "fixtures")
    return failed


def tidy(folder: Path, cases: list[Case], only: set[str], what: str) -> None:
    """Delete the folder's fixtures that no case makes (unless only some cases were made);
    print how many there are."""
    wanted = {f"{c.name}.npz" for c in cases}
    for stale in folder.glob("*.npz"):
        if stale.name not in wanted and not only:
            stale.unlink()
    total = sum(p.stat().st_size for p in folder.glob("*.npz"))
    print(f"{len(list(folder.glob('*.npz')))} {what}, {total / 1024:.0f} KiB")


# ---------------------------------------------------------------------------------------------
# trace fixtures: one step, as ``playground trace`` shows it, made by torch autograd + torch.optim

TRACE_OUT = OUT / "trace"


@dataclass
class TraceCase(Case):
    """A run's step after ``pre_steps`` batch steps (so the optimizer has state), on ``rows``
    of the training split (None: the batch the next step takes)."""

    pre_steps: int = 0
    rows: list[int] | None = None


TRACE_CASES: list[TraceCase] = [
    TraceCase("sgd_bce_tanh", "SGD, bce, tanh: the first batch of the first epoch",
              D("binary", 24, 8, 2, 101), [dense(4, "tanh")],
              T(5, 6, {"name": "sgd", "lr": 0.3}), seed=201, init_seed=101),
    TraceCase("sgd_nesterov_ce_relu_sigmoid", "SGD nesterov 0.9, weight decay, L2; cross "
              "entropy; relu then a sigmoid layer; 3 steps in (momentum buffer set)",
              D("multiclass", 30, 6, 3, 102, classes=3),
              [dense(6, "relu"), dense(4), act("sigmoid")],
              T(5, 10, {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True,
                        "weight_decay": 0.01}, regularization={"kind": "l2", "rate": 0.02}),
              seed=202, init_seed=102, pre_steps=3),
    TraceCase("sgd_momentum_first_elu", "SGD momentum 0.8 dampening 0.2: the first step "
              "(the buffer starts as the gradient); elu; custom rows",
              D("binary", 24, 0, 3, 103), [dense(5, "elu")],
              T(5, 8, {"name": "sgd", "lr": 0.2, "momentum": 0.8, "dampening": 0.2}),
              seed=203, init_seed=103, rows=[4, 0, 17, 9]),
    TraceCase("rmsprop_centered_mse_gelu_clipnorm", "RMSprop centered + momentum; mse on 2 "
              "targets; gelu; clip norm that triggers; 4 steps in",
              D("regression", 24, 6, 3, 104, targets=2), [dense(6, "gelu")],
              T(5, 6, {"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5},
                clip={"norm": 0.05}), seed=204, init_seed=104, pre_steps=4),
    TraceCase("rmsprop_leaky_clipvalue", "RMSprop plain, weight decay; bce; leaky_relu; clip "
              "value on some entries; 2 steps in",
              D("binary", 24, 6, 3, 105), [dense(6, "leaky_relu")],
              T(5, 8, {"name": "rmsprop", "lr": 0.01, "weight_decay": 0.01},
                clip={"value": 0.02}), seed=205, init_seed=105, pre_steps=2),
    TraceCase("adam_bn_l1_silu_shuffled", "Adam; batchnorm after tanh; L1; silu; cross "
              "entropy; shuffled, 5 steps in (the next batch of epoch 2)",
              D("multiclass", 32, 8, 3, 106, classes=3),
              [dense(6, "tanh"), bn(momentum=0.2), dense(5, "silu")],
              T(5, 8, {"name": "adam", "lr": 0.01}, shuffle=True,
                regularization={"kind": "l1", "rate": 0.01}), seed=206, init_seed=106,
              pre_steps=5),
    TraceCase("adam_amsgrad_wd_layers", "Adam amsgrad with weight decay; activation layers "
              "(tanh, linear = Identity); bce; 3 steps in",
              D("binary", 24, 6, 2, 107), [dense(5), act("tanh"), act("linear"), dense(3, "relu")],
              T(5, 8, {"name": "adam", "lr": 0.02, "amsgrad": True, "weight_decay": 0.01,
                       "betas": [0.8, 0.99]}), seed=207, init_seed=107, pre_steps=3),
    TraceCase("adamw_dropout_replayed", "AdamW; dropout 0.3 with the stream's mask (replayed); "
              "relu; shuffled; custom rows after 2 steps",
              D("binary", 24, 6, 3, 108), [dense(8, "relu"), drop(0.3)],
              T(5, 8, {"name": "adamw", "lr": 0.01}, shuffle=True), seed=208, init_seed=108,
              pre_steps=2, rows=[3, 7, 11, 0, 20]),
    TraceCase("adamw_dropout0_bn_l2_clipvalue", "AdamW; dropout p=0; batchnorm; L2; clip "
              "value; mse; 1 step in",
              D("regression", 24, 6, 3, 109, targets=1),
              [dense(6, "sigmoid"), bn(), drop(0.0), dense(4, "tanh")],
              T(5, 6, {"name": "adamw", "lr": 0.01, "weight_decay": 0.05},
                regularization={"kind": "l2", "rate": 0.01}, clip={"value": 0.01}),
              seed=209, init_seed=109, pre_steps=1),
    TraceCase("adam_single_row_ce", "Adam; a single row (a batch of one, no batchnorm); "
              "cross entropy with 4 classes; 2 steps in",
              D("multiclass", 28, 0, 3, 110, classes=4), [dense(5, "tanh")],
              T(5, 7, {"name": "adam", "lr": 0.01}), seed=210, init_seed=110, pre_steps=2,
              rows=[13]),
    TraceCase("sgd_step_schedule_lr", "SGD with a step schedule (gamma 0.5 each epoch): 4 steps "
              "in, the step at epoch 2's lr; L1 with clip norm",
              D("binary", 24, 6, 2, 111), [dense(4, "tanh")],
              T(5, 8, {"name": "sgd", "lr": 0.4}, schedule={"name": "step", "step_size": 1,
                                                           "gamma": 0.5},
                regularization={"kind": "l1", "rate": 0.01}, clip={"norm": 0.1}),
              seed=211, init_seed=111, pre_steps=4),
    TraceCase("mse_standardized_target", "mse on a standardized target (mean 40, std ~25): "
              "the trace works on the targets the engine trains on; Adam; 2 steps in",
              D("regression", 24, 6, 3, 112, targets=1, target_scale=[25.0],
                target_offset=[40.0]), [dense(5, "tanh")],
              T(5, 8, {"name": "adam", "lr": 0.02}), seed=212, init_seed=112, pre_steps=2,
              standardize_target=True),
    TraceCase("kitchen_f32", "float32: batchnorm, dropout 0.2, clip norm, L2, Adam, shuffled, "
              "3 steps in",
              D("multiclass", 30, 6, 4, 115, classes=3),
              [dense(8, "gelu"), bn(), drop(0.2), dense(5, "elu")],
              T(5, 10, {"name": "adam", "lr": 0.01}, dtype=F32, shuffle=True,
                regularization={"kind": "l2", "rate": 0.005}, clip={"norm": 0.5}),
              seed=213, init_seed=115, pre_steps=3),
]


def trace_twin(case: TraceCase, cfg: dict[str, Any], data, init: dict[str, np.ndarray],
               dtype: torch.dtype, perturb: float = 0.0) -> dict[str, np.ndarray]:
    """``pre_steps`` batch steps as training takes them (a permutation per epoch when
    shuffling, the schedule stepped at each epoch end), then the traced step on the rows with
    every module's output and dL/d(output) (``retain_grad``), the raw gradients, the gradient
    after L1/L2 and clipping, the update and the optimizer's state afterwards."""
    tw = twin_setup(cfg, data, init, dtype, perturb)
    model, opt = tw.model, tw.opt
    shuffle = tw.tr.get("shuffle", True)
    order, pos = None, 0

    def clip_and_step() -> dict[str, np.ndarray]:
        params = list(model.parameters())
        out = {"total_norm": np.array(float(torch.linalg.vector_norm(
            torch.cat([p.grad.reshape(-1) for p in params]))))}
        if "norm" in tw.clip:
            torch.nn.utils.clip_grad_norm_(params, tw.clip["norm"])
        elif "value" in tw.clip:
            out.update({f"clipped.{k}": (p.grad.abs() > tw.clip["value"]).numpy()
                        for k, p in model.named_parameters()})
            torch.nn.utils.clip_grad_value_(params, tw.clip["value"])
        opt.step()
        return out

    for _ in range(case.pre_steps):
        if order is None:
            order, pos = (tw.shuffle_gen.permutation(tw.n) if shuffle else np.arange(tw.n)), 0
        idx = torch.from_numpy(order[pos:pos + tw.bs])
        opt.zero_grad()
        tw.loss_fn(model(tw.X[idx]), tw.Y[idx]).backward()
        tw.add_penalty()
        clip_and_step()
        pos += len(idx)
        if pos == tw.n:
            order = None
            if tw.sched is not None:
                tw.sched.step()
    if case.rows is not None:
        rows = np.array(case.rows, np.int64)
    else:
        if order is None:
            order, pos = (tw.shuffle_gen.permutation(tw.n) if shuffle else np.arange(tw.n)), 0
        rows = order[pos:pos + tw.bs].copy()
    idx = torch.from_numpy(rows)
    xb, yb = tw.X[idx].clone().requires_grad_(True), tw.Y[idx]
    opt.zero_grad()
    outs, a = [], xb
    for m in model:
        a = m(a)
        a.retain_grad()
        outs.append(a)
    loss = tw.loss_fn(a, yb)
    per_row = {"bce": nn.BCEWithLogitsLoss(reduction="none"),
               "cross_entropy": nn.CrossEntropyLoss(reduction="none"),
               "mse": nn.MSELoss(reduction="none")}[tw.loss_name](a, yb).detach()
    per_row = per_row.reshape(len(rows), -1).mean(dim=1)
    loss.backward()
    arr = {"rows": rows, "lr": np.array(float(opt.param_groups[0]["lr"])),
           "loss": np.array(float(loss.detach())), "loss_per_row": per_row.numpy(),
           "input_grad": xb.grad.numpy().copy()}
    for i, o in enumerate(outs):
        arr[f"module.{i}.output"] = o.detach().numpy().copy()
        arr[f"module.{i}.grad_output"] = o.grad.numpy().copy()
    named = dict(model.named_parameters())
    arr.update({f"grad.{k}": p.grad.numpy().copy() for k, p in named.items()})
    before = {k: p.detach().clone() for k, p in named.items()}
    tw.add_penalty()
    arr.update(clip_and_step())
    arr.update({f"clip_grad.{k}": p.grad.numpy().copy() for k, p in named.items()})
    arr.update({f"update.{k}": (p.detach() - before[k]).numpy() for k, p in named.items()})
    for key, t in model.state_dict().items():
        a = t.detach().numpy().copy()
        arr[f"after.{key}"] = a.reshape(()) if key.endswith("num_batches_tracked") else a
    for k, p in named.items():
        for buf, value in opt.state[p].items():
            if buf == "step":
                arr["step"] = np.array(int(value))
            elif isinstance(value, torch.Tensor):
                arr[f"state.{buf}.{k}"] = value.numpy().copy()
    return arr


def check_trace(case: TraceCase, r32, r64, r64p) -> dict[str, Any]:
    """A fair test at the parity tolerances (as ``check_case``), and the case's clipping
    really clips (norm: the factor is below 1; value: some entries, not all)."""
    dtype = case.train["dtype"]
    keys = [k for k in r64 if r64[k].dtype.kind == "f"]
    d32 = max(usage(r32[k], r64[k], "float32") for k in keys)
    d64 = max(usage(r64p[k], r64[k], "float64") for k in keys)
    run = r64 if dtype == "float64" else r32
    problems = []
    if dtype == "float32" and d32 > 0.2:
        problems.append(f"float32/float64 drift uses {d32:.3g} of the float32 tolerance")
    if dtype == "float64" and d64 > 0.1:
        problems.append(f"a 1e-14 perturbation uses {d64:.3g} of the float64 tolerance")
    clip = case.train.get("clip", {})
    if "norm" in clip and not float(run["total_norm"]) > clip["norm"] * 1.01:
        problems.append("clip norm does not trigger on the traced step")
    if "value" in clip:
        hit = np.concatenate([v.ravel() for k, v in run.items() if k.startswith("clipped.")])
        if not 0 < hit.mean() < 1:
            problems.append(f"clip value clips {hit.mean():.0%} of the entries")
    return {"f32_drift": d32, "f64_perturbation": d64, "problems": problems}


def make_traces(only: set[str]) -> list[str]:
    """The trace fixtures (TRACE_CASES) in tests/golden/trace; returns the unfair cases."""
    TRACE_OUT.mkdir(parents=True, exist_ok=True)
    failed = []
    print(f"\n{'trace case':38s} {'dtype':7s} {'f32drift':>8s} {'f64pert':>8s}  problems")
    for case in TRACE_CASES:
        if only and case.name not in only:
            continue
        data, cfg, init, task, loss_name = prepare(case)
        r64 = trace_twin(case, cfg, data, init, torch.float64)
        r32 = trace_twin(case, cfg, data, init, torch.float32)
        r64p = trace_twin(case, cfg, data, init, torch.float64, perturb=1e-14)
        diag = check_trace(case, r32, r64, r64p)
        dtype = case.train["dtype"]
        print(f"{case.name:38s} {dtype:7s} {diag['f32_drift']:8.3g} "
              f"{diag['f64_perturbation']:8.3g}  {'; '.join(diag['problems'])}")
        if diag["problems"]:
            failed.append(case.name)
        meta = {"name": case.name, "description": case.description, "task": task,
                "loss": loss_name, "pre_steps": case.pre_steps,
                "rows_given": case.rows is not None, "torch": torch.__version__,
                "diagnostics": diag}
        arrays = case_arrays(cfg, meta, data, init)
        arrays.update(r64 if dtype == "float64" else r32)
        write_npz(TRACE_OUT / f"{case.name}.npz", arrays)
    tidy(TRACE_OUT, TRACE_CASES, only, "trace fixtures")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
