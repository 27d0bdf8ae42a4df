"""``Trainer.step_rows``: the inspector's "Step sample", the step ``trace(rows)`` shows, taken.

It must equal ``step_batch`` on a batch of those rows, to 1e-12 in float64 (bit for bit, as
it runs the same code): the weights, the optimizer's state and step count, batchnorm's
running statistics and counter, the dropout stream's advance and the step count; and it must
leave the epoch's order, position and running loss alone. ``trace.row_losses`` is the
evaluation-mode loss of each row, whose mean is ``evaluate``'s training loss.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import blobs
from playground.engine import trace as traces
from playground.engine.trace import TraceError
from test_trace import DATASETS, KITCHEN, OPTIMIZERS, PENALTIES, dense, make, twin
from test_workspace import assert_same_tree as assert_same

TOL = {"rtol": 0, "atol": 1e-12}


def stream_state(t) -> dict:
    return {"dropout": t._dropout_rng.bit_generator.state,
            "shuffle": t._shuffle_rng.bit_generator.state}


def assert_same_step(a, b) -> None:
    """Everything a training step writes, equal in trainers a and b."""
    sa, sb = a.state_dict(), b.state_dict()   # weights, running stats, num_batches_tracked
    assert sa.keys() == sb.keys()
    for key in sa:
        np.testing.assert_allclose(sa[key], sb[key], **TOL, err_msg=key)
    assert a.optimizer.state.keys() == b.optimizer.state.keys()
    for buf in a.optimizer.state:
        np.testing.assert_allclose(a.optimizer.state[buf], b.optimizer.state[buf], **TOL,
                                   err_msg=buf)
    assert a.optimizer.steps == b.optimizer.steps
    assert a.steps == b.steps
    assert stream_state(a) == stream_state(b)
    ga, gb = a.gradients(), b.gradients()
    assert (ga is None) == (gb is None)
    for key in ga or {}:
        np.testing.assert_allclose(ga[key], gb[key], **TOL, err_msg=f"grad {key}")


@pytest.mark.parametrize("backend", ["auto", "numpy"])
@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("opt", ["sgd_nesterov", "rmsprop_centered_momentum", "adam_amsgrad",
                                 "adamw"])
def test_step_rows_equals_step_batch(opt, penalty, backend):
    reg, clip = PENALTIES[penalty]
    t = make(KITCHEN, DATASETS["cross_entropy"](), shuffle=True, optimizer=OPTIMIZERS[opt],
             regularization=reg, clip=clip)
    t.run_steps(4)                     # mid-epoch 2: state, streams and position have moved
    batch, by_rows = twin(t, backend), twin(t, backend)
    rows = traces.next_rows(batch)
    order, pos, epoch_loss = by_rows._order.copy(), by_rows._pos, by_rows._epoch_loss
    batch.step_batch()
    by_rows.step_rows(rows)
    assert_same_step(batch, by_rows)
    # outside the epoch's order: the same batch comes next, the epoch's loss is its own
    assert np.array_equal(by_rows._order, order) and by_rows._pos == pos
    assert by_rows._epoch_loss == epoch_loss and by_rows.epoch == t.epoch


@pytest.mark.parametrize("loss", sorted(DATASETS))
@pytest.mark.parametrize("layers", [[dense(5, "tanh"), dense(4, "relu")], KITCHEN],
                         ids=["dense", "kitchen"])
def test_step_rows_applies_the_traced_update(layers, loss):
    t = make(layers, DATASETS[loss](), shuffle=True,
             optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9})
    t.run_steps(2)
    rows = [3, 17, 9] if layers is KITCHEN else [11]
    tr = t.trace(rows)
    t.step_rows(rows)
    after = t.state_dict()
    for key, value in tr.optimizer.params_after.items():
        np.testing.assert_allclose(value, after[key], **TOL, err_msg=key)
    for buf, values in tr.optimizer.state_after.items():
        np.testing.assert_allclose(np.concatenate([v.ravel() for v in values.values()]),
                                   t.optimizer.state[buf], **TOL, err_msg=buf)
    for m in tr.modules:
        if m.batchnorm is not None:
            np.testing.assert_allclose(m.batchnorm.running_mean_after,
                                       after[f"{m.index}.running_mean"], **TOL)


def test_one_row_through_batchnorm_is_refused_and_changes_nothing():
    t = make(KITCHEN, DATASETS["bce"]())
    before = t.state_dict()
    with pytest.raises(TraceError) as err:
        t.step_rows([4])
    assert 4 in err.value.suggested_rows
    assert_same(t.state_dict(), before)
    assert t.steps == 0


def test_a_perceptron_steps_its_rule_on_the_row():
    t = make([], blobs(30, 2, 3), model_type="perceptron", shuffle=True,
             optimizer={"name": "sgd", "lr": 0.5})
    t.run_steps(7)
    nxt = traces.next_rows(t)
    batch, by_rows = twin(t), twin(t)
    batch.step_batch()
    by_rows.step_rows(nxt)
    assert_same(batch.state_dict(), by_rows.state_dict())
    assert batch.steps == by_rows.steps
    tr = t.trace([2, 5])
    t.step_rows([2, 5])
    for key, value in tr.params_after.items():
        np.testing.assert_allclose(value, t.state_dict()[key], **TOL)


@pytest.mark.parametrize("loss", sorted(DATASETS))
def test_row_losses_are_the_evaluation_loss(loss):
    t = make(KITCHEN, DATASETS[loss](), optimizer={"name": "adam", "lr": 0.01})
    t.run_steps(5)
    every = np.arange(t.n_train)
    per_row = traces.row_losses(t, every)
    assert per_row.shape == (t.n_train,)
    assert per_row.mean() == pytest.approx(t.evaluate().train_loss, abs=1e-12)
    np.testing.assert_allclose(traces.row_losses(t, [3, 1]), per_row[[3, 1]], **TOL)
