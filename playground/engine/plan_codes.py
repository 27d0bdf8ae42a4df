"""The integer codes of the fused kernels' plan (one row per module: kind, widths, parameter
offset, activation code, statistics offset) and of their losses, optimizers, clipping and
regularization, and the order of the step's scalars (``HYPER``). Apart from ``kernels`` so that
a network builds its plan without importing Numba (the NumPy backend trains while the kernels
compile)."""

from __future__ import annotations

LINEAR, ACTIVATION, BATCHNORM, DROPOUT = 0, 1, 2, 3
KIND, N_IN, N_OUT, P_OFF, CODE, S_OFF = range(6)
LOSS_CODES = {"bce": 0, "cross_entropy": 1, "mse": 2}
OPT_CODES = {"sgd": 0, "rmsprop": 1, "adam": 2, "adamw": 3}
CLIP_CODES = {"none": 0, "norm": 1, "value": 2}
REG_CODES = {"none": 0, "l1": 1, "l2": 2}
# hyper: the step's scalars, in this order
HYPER = ("lr", "momentum", "dampening", "nesterov", "weight_decay", "alpha", "eps", "centered",
         "beta1", "beta2", "amsgrad", "reg_kind", "reg_rate", "clip_kind", "clip")
