"""What the notice bar says about the run, and the remedy it offers.

The window forwards the run's events here (a new run, a snapshot, a divergence, a Play with
nothing left to do, a failure); this decides the notice and its buttons. The advice itself is
computed headless (``engine.hints``), so a script can ask the same questions.
"""

from __future__ import annotations

import time
from typing import Callable

from playground.engine import hints
from playground.engine.trainer import Trainer
from playground.ui.config_model import ConfigModel
from playground.ui.notice_bar import NoticeBar

#: how often (seconds) a playing run's curves are read for an oscillation
OSCILLATION_EVERY = 1.0


class RunNotices:
    """Turns run events into notices on ``bar``; edits go through ``model``."""

    def __init__(self, bar: NoticeBar, model: ConfigModel, reset: Callable[[], None],
                 requested_speed: Callable[[], float], play: Callable[[], None]) -> None:
        self.bar, self.model, self.reset, self.play = bar, model, reset, play
        self.requested_speed = requested_speed
        self.speed = hints.SpeedWatch()
        self.trainer: Trainer | None = None
        self._oscillation_told = False
        self._last_look = 0.0

    def new_run(self, trainer: Trainer) -> None:
        """A new run: what was said about the old one no longer holds."""
        self.trainer = trainer
        self.bar.clear()
        self.speed.reset()
        self._oscillation_told = False

    def _lower_rate(self, lr: float) -> tuple[str, Callable[[], None]]:
        new = hints.suggested_rate(lr)
        return (f"Use learning rate {new:g}", lambda: self.model.update_optimizer(lr=new))

    # --- events -----------------------------------------------------------------------------

    def diverged(self, epoch: int, lr: float) -> None:
        perceptron = self.trainer is not None and self.trainer.can_converge
        actions = () if perceptron else (self._lower_rate(lr),)
        self.bar.show_notice(
            f"Training paused at epoch {epoch:,}: the loss became infinite or NaN, so the "
            f"last good weights were restored. The learning rate ({lr:g}) is probably too "
            "high; a lower one, or gradient clipping (Training), lets it go on.",
            "error", actions, key="diverged")

    def failed(self, message: str) -> None:
        self.bar.show_notice(message, "error", key="failed")

    def play_refused(self, trainer: Trainer) -> bool:
        """Play with nothing left to train: say why, offer the way on. True if so. (The
        epochs are the model's: an edit reaches the worker's trainer a moment later.)"""
        epochs = self.model.config.train.epochs
        if trainer.converged_epoch is not None:
            self.bar.show_notice(
                f"The perceptron converged at epoch {trainer.converged_epoch:,}: every "
                "training sample is on its side of the line, so nothing changes any more.",
                "info", (("Reset", self.reset),), key="finished")
            return True
        if 0 < epochs <= trainer.epoch:
            more = max(epochs, 100)
            self.bar.show_notice(
                f"Finished {trainer.epoch:,} of {epochs:,} epochs: raise Epochs (Training) "
                "to go on, or Reset.", "info",
                ((f"Train {more:,} more", lambda: self._train_more(trainer.epoch + more)),
                 ("Reset", self.reset)), key="finished")
            return True
        return False

    def _train_more(self, epochs: int) -> None:
        if self.model.update_train(epochs=epochs) is None:
            self.play()

    def snapshot(self, snap, playing: bool) -> None:
        """Read a snapshot for advice: an unmet speed while playing; an oscillating loss about
        once a second while playing, and at the run's last epoch (a short run may end within
        the second)."""
        t = self.trainer
        if t is None:
            return
        if playing and snap.steps_per_second > 0 and t.batches_per_epoch:
            message = self.speed.observe(self.requested_speed(),
                                         snap.steps_per_second / t.batches_per_epoch,
                                         time.monotonic())
            if message and self.bar.isHidden():
                self.bar.show_notice(message, "info", key="speed")
        now = time.monotonic()
        last = bool(snap.total_epochs) and snap.epoch >= snap.total_epochs
        due = playing and now - self._last_look >= OSCILLATION_EVERY
        if self._oscillation_told or t.can_converge or not (due or last):
            return
        self._last_look = now
        curves = snap.curves
        found = hints.oscillation(curves.get("train_loss", ()), epochs=curves.get("epoch"))
        if found is not None:
            self._oscillation_told = True   # once a run: closing it means "I know"
            self.bar.show_notice(found.advice(snap.lr), "warning", (self._lower_rate(snap.lr),),
                                 key="oscillation")
