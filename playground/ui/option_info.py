"""What the app calls each optimizer and schedule option, and what it tells a learner it does.

One table for the training panel (labels, tooltips, bounds) and for the messages that name a
setting (``ui/messages.py``): a refusal says "Momentum", the word beside the control, never
the config path ``train.optimizer.momentum``.
"""

from __future__ import annotations

INT_MAX = 2**31 - 1

#: option -> (label, tooltip, lower bound, upper bound)
OPTION_INFO: dict[str, tuple[str, str, float, float]] = {
    "momentum": ("Momentum", "Keeps a running sum of past gradients and steps along it: "
                 "b = momentum·b + g, w -= lr·b. 0 is plain SGD; 0.9 is usual, and smooths a "
                 "zig-zagging descent", 0.0, 1.0),
    "dampening": ("Dampening", "Scales down the new gradient in the running sum: "
                  "b = momentum·b + (1 - dampening)·g. 0 (usual) keeps all of it", 0.0, 1.0),
    "nesterov": ("Nesterov", "Nesterov momentum: look one momentum step ahead before "
                 "stepping, d = g + momentum·b. Needs a momentum above 0 and dampening 0",
                 0, 0),
    "alpha": ("Alpha", "How slowly RMSprop's average of squared gradients forgets: "
              "v = alpha·v + (1 - alpha)·g²; 0.99 averages over about 100 steps", 0.0, 1.0),
    "eps": ("Epsilon", "Added to the denominator, sqrt(v) + eps, so a weight whose gradients "
            "have all been tiny does not take a huge step", 0.0, 1.0),
    "centered": ("Centered", "Divide by the gradient's estimated variance rather than its "
                 "mean square (centred RMSprop)", 0, 0),
    "betas": ("Betas", "Adam's decay rates of its gradient average m (beta 1, 0.9: about "
              "10 steps) and squared-gradient average v (beta 2, 0.999: about 1000 steps)",
              0.0, 0.9999),
    "amsgrad": ("AMSGrad", "Divide by the largest squared-gradient average seen so far, so "
                "the step size never grows back", 0, 0),
    "weight_decay": ("Weight decay", "Pulls every weight towards 0 at each step: adamw "
                     "shrinks w by lr·decay·w directly; the others add decay·w to the "
                     "gradient (L2)", 0.0, 1e3),
    "step_size": ("Step size", "Multiply the learning rate by gamma every this many epochs",
                  1, INT_MAX),
    "gamma": ("Gamma", "The factor the learning rate is multiplied by (each step_size "
              "epochs, or every epoch for exponential); below 1 it decays", 0.0, 10.0),
    "t_max": ("T max", "Epochs from the starting rate down to the minimum along a half "
              "cosine (auto: the run's epochs)", 0, INT_MAX),
    "eta_min": ("Min rate", "The lowest learning rate the cosine reaches", 0.0, 10.0),
    "factor": ("Factor", "Multiply the learning rate by this when the loss stops improving",
               0.0, 1.0),
    "patience": ("Patience", "Epochs without improvement to wait before lowering the rate",
                 0, INT_MAX),
    "threshold": ("Threshold", "The relative improvement that counts as progress (1e-4: "
                  "0.01% better)", 0.0, 1.0),
    "min_lr": ("Min rate", "Never lower the learning rate below this", 0.0, 10.0),
}


def option_label(key: str) -> str:
    """The label of an optimizer or schedule option (its key, capitalised, if unlisted)."""
    info = OPTION_INFO.get(key)
    return info[0] if info else key.replace("_", " ").capitalize()
