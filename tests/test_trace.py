"""``Trainer.trace``: one training step computed and not taken.

The trace must equal what the engine computes (its gradients, to 1e-12 in float64, on both
backends), what ``step_batch`` then does (the traced update is the real step), central
differences of the loss, and PyTorch autograd + torch.optim (tests/golden/trace, made by
tools/make_golden.py); and it must change nothing of the trainer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import blobs, central_difference, run_config
from playground.engine import trace as traces
from playground.engine.activations import ACTIVATIONS
from playground.engine.trace import BATCHNORM_REFUSAL, TraceError
from playground.engine.trainer import Trainer
from test_parity_torch import TOL, load_fixture, make_trainer
from test_workspace import assert_same_tree as assert_same

TRACE_FIXTURES = sorted((Path(__file__).parent / "golden" / "trace").glob("*.npz"))
ENGINE_TOL = {"rtol": 0, "atol": 1e-12}


def dense(units, activation="linear"):
    return {"type": "dense", "units": units, "activation": activation}


def make(layers, dataset=None, **train) -> Trainer:
    dataset = dataset if dataset is not None else blobs(24, 3, 3)
    source = "xor" if dataset.task == "classification" else "plane"
    train.setdefault("dtype", "float64")
    train.setdefault("batch_size", 8)
    return Trainer(run_config(layers, source=source, **train), dataset=dataset)


def twin(t: Trainer, backend: str = "auto") -> Trainer:
    """The same run in another trainer: config, data, weights and run state."""
    other = Trainer(t.config, dataset=t.dataset, backend=backend)
    other.load_state_dict(t.state_dict())
    other.restore_run_state(t.run_state())
    return other


def flat(tensors: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(v) for v in tensors.values()])


def check_running_stats(tr, state: dict[str, np.ndarray], tol: dict) -> None:
    """Each batchnorm's running statistics the trace says the step stores, against ``state``."""
    for m in tr.modules:
        if m.batchnorm is not None:
            for name in ("mean", "var"):
                np.testing.assert_allclose(getattr(m.batchnorm, f"running_{name}_after"),
                                           state[f"{m.index}.running_{name}"], **tol,
                                           err_msg=f"{m.index}.running_{name}")


def everything(t: Trainer) -> dict:
    """Every piece of the trainer's state a trace could touch."""
    state = t.run_state()
    return {"weights": t.state_dict(), "run": state, "grads": t.model.grads.copy(),
            "has_grads": t._has_grads, "order": None if t._order is None else t._order.copy()}


# --- every layer type, activation and loss against the engine's own gradients ------------------

KITCHEN = [dense(6, "tanh"), {"type": "batchnorm"}, {"type": "dropout", "p": 0.3},
           dense(5), {"type": "gelu"}]
ARCHITECTURES = {
    **{f"dense_{a}": [dense(5, a), dense(4, a)] for a in ACTIVATIONS},
    **{f"layer_{a}": [dense(5), {"type": a}] for a in ACTIVATIONS},
    "batchnorm_first": [{"type": "batchnorm", "momentum": 0.3}, dense(4, "relu")],
    "batchnorm_mid": [dense(6, "silu"), {"type": "batchnorm", "eps": 1e-3}, dense(4, "elu")],
    "dropout_input": [{"type": "dropout", "p": 0.25}, dense(6, "leaky_relu")],
    "dropout_two": [dense(6, "tanh"), {"type": "dropout", "p": 0.5}, dense(4, "relu"),
                    {"type": "dropout", "p": 0.2}],
    "dropout_zero": [dense(4, "sigmoid"), {"type": "dropout", "p": 0.0}],
    "kitchen": KITCHEN,
}
DATASETS = {"bce": lambda: blobs(24, 3, 2), "cross_entropy": lambda: blobs(24, 3, 3),
            "mse": lambda: blobs(24, 3, task="regression")}


@pytest.mark.parametrize("loss", sorted(DATASETS))
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_trace_equals_the_engine_step(arch, loss):
    t = make(ARCHITECTURES[arch], DATASETS[loss](), shuffle=True,
             optimizer={"name": "adam", "lr": 0.01})
    t.run_steps(4)  # mid-epoch 2: the optimizer and the streams have moved
    tr = t.trace()
    for backend in ("auto", "numpy"):
        real = twin(t, backend)
        assert np.array_equal(tr.rows, traces.next_rows(real))
        real.step_batch()
        # no regularization or clipping: the engine's gradient is loss.backward()'s
        grads = real.gradients()
        for key, g in tr.grads.items():
            np.testing.assert_allclose(g, grads[key], **ENGINE_TOL, err_msg=f"{backend} {key}")
        after = real.state_dict()
        for key, u in tr.update.items():
            np.testing.assert_allclose(tr.optimizer.params_before[key] + u, after[key],
                                       **ENGINE_TOL, err_msg=f"{backend} {key}")
        check_running_stats(tr, after, ENGINE_TOL)
    assert tr.loss.mean == pytest.approx(float(tr.loss.per_row.mean()), abs=1e-12)


@pytest.mark.parametrize("arch", ["dense_tanh", "layer_gelu", "kitchen", "dropout_two",
                                  "batchnorm_first"])
def test_module_outputs_are_the_engines_forward_pass(arch):
    t = make(ARCHITECTURES[arch], DATASETS["cross_entropy"](), shuffle=True)
    t.run_steps(2)
    tr = t.trace()
    real = twin(t, "numpy")
    rng = traces._copy_rng(real._dropout_rng)
    a = real.x_train[tr.rows]
    np.testing.assert_array_equal(tr.inputs, a)
    for module, step in zip(real.model.modules, tr.modules):
        np.testing.assert_array_equal(step.input, a)
        a = module.forward(a, True, rng)
        np.testing.assert_allclose(step.output, a, **ENGINE_TOL, err_msg=f"module {step.index}")
    for later, earlier in zip(tr.modules[1:], tr.modules[:-1]):
        np.testing.assert_array_equal(later.grad_input, earlier.grad_output)
    np.testing.assert_array_equal(tr.modules[-1].grad_output, tr.loss.grad_logits)


@pytest.mark.parametrize("loss", sorted(DATASETS))
def test_gradients_are_central_differences_of_the_loss(loss):
    t = make(KITCHEN, DATASETS[loss](), shuffle=True)
    t.run_steps(1)
    tr = t.trace()
    real = twin(t, "numpy")
    net, x, y = real.model, real.x_train[tr.rows], real.y_train[tr.rows]
    from playground.engine.losses import LOSS_FUNCTIONS

    def loss_now():  # the same mask every time: a fresh copy of the dropout stream
        logits = net.forward(x, True, traces._copy_rng(real._dropout_rng))
        return LOSS_FUNCTIONS[real.loss_name](logits, y)[0]

    numeric = central_difference(loss_now, net.params)
    np.testing.assert_allclose(flat(tr.grads), numeric, rtol=1e-5, atol=1e-8)
    assert loss_now() == pytest.approx(tr.loss.mean, abs=1e-12)
    # dL/dinputs too (what the first module passes back)
    x = x.copy()
    numeric_x = central_difference(loss_now, x)
    np.testing.assert_allclose(tr.modules[0].grad_input, numeric_x, rtol=1e-5, atol=1e-8)


# --- regularization, clipping and every optimizer -------------------------------------------------

OPTIMIZERS = {
    "sgd": {"name": "sgd", "lr": 0.1},
    "sgd_momentum": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.1,
                     "weight_decay": 0.01},
    "sgd_nesterov": {"name": "sgd", "lr": 0.1, "momentum": 0.8, "nesterov": True},
    "rmsprop": {"name": "rmsprop", "lr": 0.01, "weight_decay": 0.01},
    "rmsprop_centered_momentum": {"name": "rmsprop", "lr": 0.01, "centered": True,
                                  "momentum": 0.5, "alpha": 0.9},
    "adam": {"name": "adam", "lr": 0.01, "weight_decay": 0.01},
    "adam_amsgrad": {"name": "adam", "lr": 0.01, "amsgrad": True, "betas": [0.8, 0.99]},
    "adamw": {"name": "adamw", "lr": 0.01},
    "adamw_amsgrad": {"name": "adamw", "lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
}
PENALTIES = {"none": ({"kind": "none", "rate": 0.0}, {}),
             "l1_norm": ({"kind": "l1", "rate": 0.01}, {"norm": 0.05}),
             "l2_value": ({"kind": "l2", "rate": 0.02}, {"value": 0.01})}


@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("pre_steps", [0, 3])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_update_is_the_real_step(opt, pre_steps, penalty):
    reg, clip = PENALTIES[penalty]
    t = make(KITCHEN, DATASETS["cross_entropy"](), shuffle=True, optimizer=OPTIMIZERS[opt],
             regularization=reg, clip=clip)
    t.run_steps(pre_steps)
    tr = t.trace()
    assert tr.optimizer.step == pre_steps + 1
    for backend in ("auto", "numpy"):
        real = twin(t, backend)
        before = real.state_dict()
        real.step_batch()
        after = real.state_dict()
        grads = real.gradients()  # after L1/L2 and clipping: what the optimizer was handed
        for key in tr.update:
            np.testing.assert_allclose(tr.clip.grads[key], grads[key], **ENGINE_TOL)
            np.testing.assert_allclose(before[key] + tr.update[key], after[key], **ENGINE_TOL)
            np.testing.assert_allclose(tr.optimizer.params_after[key], after[key],
                                       **ENGINE_TOL)
        for buf, values in tr.optimizer.state_after.items():
            np.testing.assert_allclose(flat(values), real.optimizer.state[buf], **ENGINE_TOL,
                                       err_msg=buf)
        assert real.optimizer.steps == tr.optimizer.step


def test_regularization_and_clipping_records():
    t = make(KITCHEN, DATASETS["bce"](), regularization={"kind": "l1", "rate": 0.01},
             clip={"norm": 0.05})
    tr = t.trace()
    linear = {f"{m.index}.weight" for m in tr.modules if m.torch == "Linear"}
    assert set(tr.regularization.terms) == linear  # not biases, not batchnorm
    for key, term in tr.regularization.terms.items():
        w = tr.optimizer.params_before[key]
        np.testing.assert_array_equal(term, 0.01 * np.sign(w))
        np.testing.assert_array_equal(tr.regularization.grads[key], tr.grads[key] + term)
    g = flat(tr.regularization.grads)
    assert tr.clip.total_norm == pytest.approx(float(np.linalg.norm(g)), rel=1e-12)
    assert tr.clip.factor == pytest.approx(0.05 / (tr.clip.total_norm + 1e-6), rel=1e-12)
    assert tr.clip.factor < 1
    np.testing.assert_allclose(flat(tr.clip.grads), g * tr.clip.factor, rtol=1e-12)

    t = make(KITCHEN, DATASETS["bce"](), clip={"value": 0.01})
    tr = t.trace()
    mask = flat(tr.clip.clipped).astype(bool)
    g = flat(tr.regularization.grads)
    assert 0 < mask.sum() < mask.size
    np.testing.assert_array_equal(mask, np.abs(g) > 0.01)
    np.testing.assert_array_equal(flat(tr.clip.grads), np.clip(g, -0.01, 0.01))


def test_optimizer_terms_explain_the_update():
    for opt in OPTIMIZERS.values():
        t = make(KITCHEN, DATASETS["cross_entropy"](), optimizer=opt)
        t.run_steps(2)
        o = t.trace().optimizer
        for key, update in o.update.items():
            direction = o.terms["direction"][key]
            if o.name == "adamw":
                decay = o.params_before[key] * (o.scalars["decay"] - 1)
                np.testing.assert_allclose(update, decay - o.lr * direction, atol=1e-12)
            else:
                np.testing.assert_allclose(update, -o.lr * direction, atol=1e-12)
        if o.name in ("adam", "adamw"):
            beta1, beta2 = o.options["betas"]
            assert o.scalars["bias_correction1"] == pytest.approx(1 - beta1 ** 3)
            assert o.scalars["bias_correction2"] == pytest.approx(1 - beta2 ** 3)


def test_sgd_first_momentum_step_copies_the_gradient():
    t = make(KITCHEN, DATASETS["bce"](), optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9,
                                                    "dampening": 0.5})
    o = t.trace().optimizer
    assert o.first_momentum
    for key, buf in o.state_after["momentum_buffer"].items():
        np.testing.assert_array_equal(buf, o.terms["grad"][key])  # torch: clone, no dampening
    t.step_batch()
    assert not t.trace().optimizer.first_momentum


def test_schedule_learning_rate_is_the_current_one():
    t = make([dense(4, "tanh")], DATASETS["bce"](), optimizer={"name": "sgd", "lr": 0.4},
             schedule={"name": "step", "step_size": 1, "gamma": 0.5})
    t.step_epoch()
    tr = t.trace()
    assert tr.lr == tr.optimizer.lr == pytest.approx(0.2) and tr.schedule == "step"


# --- a trace changes nothing ---------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_a_trace_changes_nothing(backend):
    t = Trainer(make(KITCHEN, DATASETS["cross_entropy"](), shuffle=True,
                     optimizer={"name": "adam", "lr": 0.01}, clip={"norm": 1.0}).config,
                dataset=DATASETS["cross_entropy"](), backend=backend)
    untouched = twin(t, backend)
    for steps in (0, 2, 1):  # fresh, mid-epoch, at an epoch boundary (3 batches an epoch)
        t.run_steps(steps)
        untouched.run_steps(steps)
        before = everything(t)
        t.trace()
        t.trace(rows=[0, 5, 7])
        assert_same(everything(t), before)
    # and training on gives the same numbers as a run never traced
    t.run_steps(5)
    untouched.run_steps(5)
    assert_same(t.state_dict(), untouched.state_dict())
    assert_same(t.run_state(), untouched.run_state())


# --- rows ---------------------------------------------------------------------------------------

def test_default_rows_are_the_next_batch():
    t = make([dense(4, "tanh")], DATASETS["bce"](), shuffle=True)
    for _ in range(5):  # across an epoch boundary (3 batches an epoch)
        tr = t.trace()
        real = twin(t, "numpy")
        x_seen = []
        forward = real.model.forward
        real.model.forward = lambda x, *a, **k: (x_seen.append(x.copy()), forward(x, *a, **k))[1]
        real.step_batch()
        np.testing.assert_array_equal(x_seen[0], t.x_train[tr.rows])
        t.step_batch()


def test_explicit_rows_and_a_single_row():
    t = make([dense(4, "tanh")], DATASETS["bce"]())
    tr = t.trace(rows=[5])
    assert tr.rows.tolist() == [5] and tr.loss.per_row.shape == (1,)
    tr = t.trace(rows=np.array([3, 3, 0]))  # a row twice, as torch allows
    assert tr.rows.tolist() == [3, 3, 0]
    assert t.trace(rows=7).rows.tolist() == [7]


@pytest.mark.parametrize("rows, message", [
    ([24], "row 24 is out of range: the training split has 24 rows (0 to 23)"),
    ([-1], "row -1 is out of range"),
    ([1.5], "is not a whole number"),
    ([True], "is not a whole number"),
    ([], "at least one training row"),
])
def test_bad_rows_are_refused(rows, message):
    t = make([dense(4, "tanh")], DATASETS["bce"]())
    with pytest.raises(TraceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        t.trace(rows=rows)


def test_one_row_through_batchnorm_is_refused_with_its_batch_offered():
    t = make(KITCHEN, DATASETS["bce"](), shuffle=True)
    t.run_steps(1)
    with pytest.raises(TraceError) as info:
        t.trace(rows=[11])
    err = info.value
    assert BATCHNORM_REFUSAL in str(err) and "module 2" in str(err)
    assert 11 in err.suggested_rows and len(err.suggested_rows) == t.batch_size
    # its batch in this epoch's order, which traces
    at = int(np.flatnonzero(t._order == 11)[0])
    start = at - at % t.batch_size
    np.testing.assert_array_equal(err.suggested_rows, t._order[start:start + t.batch_size])
    assert ",".join(str(r) for r in err.suggested_rows) in str(err)
    t.trace(rows=err.suggested_rows)


def test_json_is_strict_even_for_a_diverged_run():
    import json
    t = make([dense(4, "tanh")], DATASETS["bce"]())
    state = t.state_dict()
    state["0.weight"][0, 0] = np.nan
    t.load_state_dict(state)
    doc = json.loads(json.dumps(t.trace().to_dict(), allow_nan=False))
    assert doc["loss"] is None and doc["grads"]["0.weight"][0][0] is None
    assert {"rows", "loss", "modules", "grads", "update"} <= set(doc)


# --- the perceptron -----------------------------------------------------------------------------

@pytest.mark.parametrize("classes", [2, 3])
def test_perceptron_trace_is_its_rule(classes):
    cfg = run_config(model_type="perceptron", shuffle=False, dtype="float32",
                     optimizer={"name": "sgd", "lr": 0.5})
    t = Trainer(cfg, dataset=blobs(30, 2, classes))
    t.run_steps(7)
    tr = t.trace()
    assert tr.rows.tolist() == [7]
    real = twin(t)
    real.step_batch()
    for key, value in real.state_dict().items():
        np.testing.assert_array_equal(tr.params_after[key], value)
    # several rows: the rule row after row, as training takes them
    tr = t.trace(rows=list(range(7, 17)))
    real = twin(t)
    real.run_steps(10)
    for key, value in real.state_dict().items():
        np.testing.assert_array_equal(tr.params_after[key], value)
        np.testing.assert_allclose(tr.params_before[key] + tr.update[key], value, atol=1e-6)
    assert tr.mistakes == sum(bool(np.any(s.error)) for s in tr.steps)
    for s in tr.steps:
        np.testing.assert_array_equal(s.prediction, (s.z > 0).astype(np.float32))
        np.testing.assert_array_equal(s.error, s.target - s.prediction)
    assert_same(t.state_dict(), twin(t).state_dict())


# --- PyTorch autograd + torch.optim (tests/golden/trace) ----------------------------------------

def test_trace_fixtures_exist():
    assert len(TRACE_FIXTURES) >= 10


@pytest.mark.parametrize("path", TRACE_FIXTURES, ids=[p.stem for p in TRACE_FIXTURES])
def test_trace_matches_torch(path):
    fx = load_fixture(path)
    d, meta = fx["data"], fx["meta"]
    dtype = fx["config"]["train"]["dtype"]
    tol = TOL[dtype]
    t = make_trainer(fx)
    t.run_steps(meta["pre_steps"])
    rows = d["rows"]
    tr = t.trace(rows if meta["rows_given"] else None)
    np.testing.assert_array_equal(tr.rows, rows)
    assert tr.lr == pytest.approx(float(d["lr"]), rel=1e-12)
    np.testing.assert_allclose(tr.loss.mean, d["loss"], **tol)
    np.testing.assert_allclose(tr.loss.per_row, d["loss_per_row"], **tol)
    for m in tr.modules:
        np.testing.assert_allclose(m.output, d[f"module.{m.index}.output"], **tol,
                                   err_msg=f"module {m.index} output")
        np.testing.assert_allclose(m.grad_output, d[f"module.{m.index}.grad_output"], **tol,
                                   err_msg=f"module {m.index} grad_output")
    np.testing.assert_allclose(tr.modules[0].grad_input, d["input_grad"], **tol)
    for key in tr.grads:
        np.testing.assert_allclose(tr.grads[key], d[f"grad.{key}"], **tol, err_msg=key)
        np.testing.assert_allclose(tr.clip.grads[key], d[f"clip_grad.{key}"], **tol,
                                   err_msg=key)
        np.testing.assert_allclose(tr.update[key], d[f"update.{key}"], **tol, err_msg=key)
        np.testing.assert_allclose(tr.optimizer.params_after[key], d[f"after.{key}"], **tol,
                                   err_msg=key)
        if f"clipped.{key}" in d:
            np.testing.assert_array_equal(tr.clip.clipped[key], d[f"clipped.{key}"])
    np.testing.assert_allclose(tr.clip.total_norm, d["total_norm"], **tol)
    if "step" in d:  # torch's SGD keeps no step count
        assert tr.optimizer.step == int(d["step"])
    torch_buffers = {k.split(".")[1] for k in d if k.startswith("state.")}
    assert torch_buffers == set(tr.optimizer.state_after)
    for buf, values in tr.optimizer.state_after.items():
        for key, value in values.items():
            np.testing.assert_allclose(value, d[f"state.{buf}.{key}"], **tol,
                                       err_msg=f"{buf} {key}")
    check_running_stats(tr, {k[len("after."):]: v for k, v in d.items()
                             if k.startswith("after.")}, tol)


def test_trace_fixtures_cover_the_registries():
    seen = {"optimizers": set(), "losses": set(), "activations": set(), "kinds": set(),
            "clip": set(), "reg": set()}
    for path in TRACE_FIXTURES:
        fx = load_fixture(path)
        train = fx["config"]["train"]
        seen["optimizers"].add(train["optimizer"]["name"])
        seen["losses"].add(fx["meta"]["loss"])
        seen["clip"].update(train.get("clip", {}))
        seen["reg"].add(train.get("regularization", {}).get("kind", "none"))
        for layer in fx["config"]["model"]["layers"]:
            seen["kinds"].add(layer["type"])
            if layer["type"] == "dense":
                seen["activations"].add(layer.get("activation", "linear"))
            elif layer["type"] not in ("batchnorm", "dropout"):
                seen["activations"].add(layer["type"])
    assert seen["optimizers"] == {"sgd", "rmsprop", "adam", "adamw"}
    assert seen["losses"] == {"bce", "cross_entropy", "mse"}
    assert seen["activations"] == set(ACTIVATIONS)
    assert {"dense", "batchnorm", "dropout"} <= seen["kinds"]
    assert seen["clip"] == {"norm", "value"} and {"l1", "l2"} <= seen["reg"]
