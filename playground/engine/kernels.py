"""Fused Numba kernels: many whole training steps in one call, for playground-sized networks.

Small networks are latency-bound: PyTorch (and a NumPy loop) pay microseconds of overhead per
operation, so a step of a 2-8-8-1 network costs far more in dispatch than in arithmetic. Here
one compiled call runs a run of batches end to end: gather the batch, forward, loss, backward,
L1/L2, clipping and the optimizer update, over flat parameter buffers, with the network
described by integer codes so the same few compiled kernels serve every configuration.

Each dense layer's products go through BLAS (``np.dot``) when a batch's multiply-adds reach
``blas_min``, else through plain loops: the same kernel serves a 2-8-1 toy and an MNIST MLP.

The network is a ``plan``: one row per module, ``(kind, n_in, n_out, param_offset, code,
stat_offset)``, and ``fplan`` rows ``(dropout p, batchnorm momentum, batchnorm eps)``.
Kinds: LINEAR (``code`` unused), ACTIVATION (``code`` = activation code), BATCHNORM,
DROPOUT. The math is the same as ``layers``/``losses``/``optimizers`` (the PyTorch-parity tests
run through both); see those modules for the formulas.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from playground.engine.activation_kernels import JIT, _sigmoid, act_array, act_grad_array
from playground.engine.plan_codes import (  # noqa: F401 (the kernels' names, read by others)
    ACTIVATION, BATCHNORM, CLIP_CODES, CODE, DROPOUT, HYPER, KIND, LINEAR, LOSS_CODES, N_IN,
    N_OUT, OPT_CODES, P_OFF, REG_CODES, S_OFF,
)


def hyper_vector(lr: float, options: dict, regularization, clip) -> np.ndarray:
    """The step's scalars in ``HYPER`` order: the optimizer's options (absent ones 0),
    regularization and clipping as codes and values."""
    values = {k: float(v) for k, v in options.items() if k != "betas"}
    values["beta1"], values["beta2"] = options.get("betas", (0.0, 0.0))
    values.update(lr=lr, reg_kind=REG_CODES[regularization.kind],
                  reg_rate=regularization.rate)
    if clip.norm is not None:
        values.update(clip_kind=CLIP_CODES["norm"], clip=clip.norm)
    elif clip.value is not None:
        values.update(clip_kind=CLIP_CODES["value"], clip=clip.value)
    return np.array([values.get(name, 0.0) for name in HYPER], np.float64)


_JIT = JIT  # reassociation lets LLVM vectorize the dot products (see activation_kernels.JIT)


@numba.njit(**_JIT)
def _offsets(plan, rows):
    """Where each module's input sits in the activation buffer, and the aux buffer's offsets
    (batchnorm xhat + invstd, dropout mask) for batches of ``rows``."""
    m_count = plan.shape[0]
    act_off = np.empty(m_count + 1, np.int64)
    aux_off = np.zeros(m_count + 1, np.int64)
    act_off[0] = 0
    aux = 0
    for m in range(m_count):
        act_off[m + 1] = act_off[m] + rows * plan[m, N_IN]
        aux_off[m] = aux
        if plan[m, KIND] == BATCHNORM:
            aux += rows * plan[m, N_OUT] + plan[m, N_OUT]
        elif plan[m, KIND] == DROPOUT:
            aux += rows * plan[m, N_OUT]
    aux_off[m_count] = aux
    total = act_off[m_count] + rows * plan[m_count - 1, N_OUT]
    return act_off, aux_off, total


@numba.njit(**_JIT)
def _copy_rows(src, dst, lo, hi):
    """dst[lo:hi] = src[lo:hi] as plain loops (Numba's broadcasting assignment compiles an
    error-message formatter that costs seconds of start-up)."""
    for r in range(lo, hi):
        for j in range(src.shape[1]):
            dst[r, j] = src[r, j]


@numba.njit(**_JIT)
def _max_width(plan):
    w = 1
    for m in range(plan.shape[0]):
        w = max(w, plan[m, N_IN], plan[m, N_OUT])
    return w




@numba.njit(**_JIT)
def _forward(plan, fplan, params, stats, acts, aux, act_off, aux_off, b, training,
             uniforms, ucur, blas_min):
    """Run every module on the b rows at acts[0:]; returns the uniforms cursor."""
    for m in range(plan.shape[0]):
        kind, ni, no = plan[m, KIND], plan[m, N_IN], plan[m, N_OUT]
        a_in = acts[act_off[m]:act_off[m] + b * ni].reshape((b, ni))
        a_out = acts[act_off[m + 1]:act_off[m + 1] + b * no].reshape((b, no))
        po = plan[m, P_OFF]
        if kind == LINEAR:
            w = params[po:po + no * ni].reshape((no, ni))
            bias = params[po + no * ni:po + no * ni + no]
            if b * ni * no >= blas_min:  # FLOP-bound: BLAS, then the bias
                np.dot(a_in, w.T, a_out)
                for r in range(b):
                    for o in range(no):
                        a_out[r, o] += bias[o]
            else:                    # latency-bound: plain loops, no call overhead
                for r in range(b):
                    for o in range(no):
                        acc = 0.0
                        for i in range(ni):
                            acc += a_in[r, i] * w[o, i]
                        a_out[r, o] = acc + bias[o]
        elif kind == ACTIVATION:
            act_array(plan[m, CODE], acts[act_off[m]:act_off[m] + b * ni],
                      acts[act_off[m + 1]:act_off[m + 1] + b * no])
        elif kind == BATCHNORM:
            gamma = params[po:po + no]
            beta = params[po + no:po + 2 * no]
            so = plan[m, S_OFF]
            eps = fplan[m, 2]
            if not training:
                for j in range(no):
                    inv = 1.0 / math.sqrt(stats[so + no + j] + eps)
                    mean = stats[so + j]
                    for r in range(b):
                        a_out[r, j] = (a_in[r, j] - mean) * inv * gamma[j] + beta[j]
                continue
            mom = fplan[m, 1]
            xhat = aux[aux_off[m]:aux_off[m] + b * no].reshape((b, no))
            invstd = aux[aux_off[m] + b * no:aux_off[m] + b * no + no]
            for j in range(no):
                mean = 0.0
                for r in range(b):
                    mean += a_in[r, j]
                mean /= b
                var = 0.0
                for r in range(b):
                    d = a_in[r, j] - mean
                    var += d * d
                var /= b
                inv = 1.0 / math.sqrt(var + eps)
                invstd[j] = inv
                for r in range(b):
                    xh = (a_in[r, j] - mean) * inv
                    xhat[r, j] = xh
                    a_out[r, j] = xh * gamma[j] + beta[j]
                stats[so + j] = (1.0 - mom) * stats[so + j] + mom * mean
                stats[so + no + j] = (1.0 - mom) * stats[so + no + j] + mom * (var * b / (b - 1))
        else:  # DROPOUT
            if not training:
                _copy_rows(a_in, a_out, 0, b)
                continue
            p = fplan[m, 0]
            scale = 1.0 / (1.0 - p)
            mask = aux[aux_off[m]:aux_off[m] + b * no].reshape((b, no))
            for r in range(b):
                for j in range(no):
                    k = scale if uniforms[ucur] >= p else 0.0
                    ucur += 1
                    mask[r, j] = k
                    a_out[r, j] = a_in[r, j] * k
    return ucur


@numba.njit(**_JIT)
def _loss(loss_code, logits, rows, yf, yi, grad):
    """Mean loss over the batch; grad = dL/dlogits. ``rows`` index the targets."""
    b, k = logits.shape
    total = 0.0
    if loss_code == 0:
        for r in range(b):
            z = logits[r, 0]
            y = yf[rows[r], 0]
            total += max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))
            grad[r, 0] = (_sigmoid(z) - y) / b
        return total / b
    if loss_code == 1:
        for r in range(b):
            zmax = logits[r, 0]
            for c in range(1, k):
                zmax = max(zmax, logits[r, c])
            se = 0.0
            for c in range(k):  # each exp once: softmax = e / sum(e)
                e = math.exp(logits[r, c] - zmax)
                grad[r, c] = e
                se += e
            lse = math.log(se)
            t = yi[rows[r]]
            total += lse - (logits[r, t] - zmax)
            scale = 1.0 / (se * b)
            for c in range(k):
                grad[r, c] *= scale
            grad[r, t] -= 1.0 / b
        return total / b
    for r in range(b):
        for c in range(k):
            d = logits[r, c] - yf[rows[r], c]
            total += d * d
            grad[r, c] = 2.0 * d / (b * k)
    return total / (b * k)


@numba.njit(**_JIT)
def _backward(plan, params, grads, acts, aux, act_off, aux_off, b, g_a, g_b, blas_min):
    """Fill grads from dL/dlogits in g_a (b, n_out of the last module)."""
    cur_buf, other = g_a, g_b
    for m in range(plan.shape[0] - 1, -1, -1):
        kind, ni, no = plan[m, KIND], plan[m, N_IN], plan[m, N_OUT]
        cur = cur_buf[:b * no].reshape((b, no))
        nxt = other[:b * ni].reshape((b, ni))
        a_in = acts[act_off[m]:act_off[m] + b * ni].reshape((b, ni))
        po = plan[m, P_OFF]
        if kind == LINEAR:
            w = params[po:po + no * ni].reshape((no, ni))
            gw = grads[po:po + no * ni].reshape((no, ni))
            gb = grads[po + no * ni:po + no * ni + no]
            for o in range(no):
                gb[o] = 0.0
            for r in range(b):
                for o in range(no):
                    gb[o] += cur[r, o]
            if b * ni * no >= blas_min:
                np.dot(cur.T, a_in, gw)
                if m > 0:
                    np.dot(cur, w, nxt)
                cur_buf, other = other, cur_buf
                continue
            for o in range(no):
                for i in range(ni):
                    gw[o, i] = 0.0
            for r in range(b):
                for o in range(no):
                    c = cur[r, o]
                    for i in range(ni):
                        gw[o, i] += c * a_in[r, i]
            if m > 0:
                for r in range(b):
                    for i in range(ni):
                        nxt[r, i] = 0.0
                    for o in range(no):
                        c = cur[r, o]
                        for i in range(ni):
                            nxt[r, i] += c * w[o, i]
        elif kind == ACTIVATION:
            act_grad_array(plan[m, CODE], acts[act_off[m]:act_off[m] + b * ni],
                           acts[act_off[m + 1]:act_off[m + 1] + b * no],
                           cur_buf[:b * no], other[:b * ni])
        elif kind == BATCHNORM:
            gamma = params[po:po + no]
            xhat = aux[aux_off[m]:aux_off[m] + b * no].reshape((b, no))
            invstd = aux[aux_off[m] + b * no:aux_off[m] + b * no + no]
            for j in range(no):
                sg = 0.0
                sgx = 0.0
                for r in range(b):
                    sg += cur[r, j]
                    sgx += cur[r, j] * xhat[r, j]
                grads[po + j] = sgx
                grads[po + no + j] = sg
                k = gamma[j] * invstd[j] / b
                for r in range(b):
                    nxt[r, j] = k * (b * cur[r, j] - sg - xhat[r, j] * sgx)
        else:
            mask = aux[aux_off[m]:aux_off[m] + b * no].reshape((b, no))
            for r in range(b):
                for j in range(no):
                    nxt[r, j] = cur[r, j] * mask[r, j]
        cur_buf, other = other, cur_buf


@numba.njit(**_JIT)
def _regularize_and_clip(params, grads, weight_ranges, hyper):
    """L1/L2 on the dense weights, then clipping; returns 1 when clipping changed the
    gradient (norm: the factor was below 1; value: an entry lay beyond the bound), else 0."""
    reg_kind, rate = hyper[11], hyper[12]
    if reg_kind != 0 and rate != 0.0:
        for q in range(weight_ranges.shape[0]):
            for k in range(weight_ranges[q, 0], weight_ranges[q, 1]):
                w = params[k]
                if reg_kind == 2:
                    grads[k] += rate * w
                elif w > 0:
                    grads[k] += rate
                elif w < 0:
                    grads[k] -= rate
                elif w != w:
                    grads[k] += w
    clip_kind, c = hyper[13], hyper[14]
    if clip_kind == 1:
        total = 0.0
        for k in range(grads.size):
            total += grads[k] * grads[k]
        coef = c / (math.sqrt(total) + 1e-6)
        if not coef >= 1.0:
            for k in range(grads.size):
                grads[k] *= coef
            return 1
    elif clip_kind == 2:
        hit = 0
        for k in range(grads.size):
            g = grads[k]
            if g > c or g < -c:
                hit = 1
            grads[k] = min(max(g, -c), c)
        return hit
    return 0


@numba.njit(**_JIT)
def _optimizer_step(opt_code, params, grads, hyper, buf0, buf1, buf2, step, first):
    """One torch.optim update; ``step`` counts this update (1-based), ``first`` is True when
    SGD's momentum buffer does not exist yet."""
    lr, mu, damp, nesterov, wd = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    n = params.size
    if opt_code == 0:
        for k in range(n):
            g = grads[k]
            if wd != 0.0:
                g += wd * params[k]
            if mu != 0.0:
                if first:
                    buf0[k] = g
                else:
                    buf0[k] = mu * buf0[k] + (1.0 - damp) * g
                g = g + mu * buf0[k] if nesterov != 0.0 else buf0[k]
            params[k] -= lr * g
    elif opt_code == 1:
        alpha, eps, centered = hyper[5], hyper[6], hyper[7]
        for k in range(n):
            g = grads[k]
            if wd != 0.0:
                g += wd * params[k]
            buf0[k] = alpha * buf0[k] + (1.0 - alpha) * (g * g)
            if centered != 0.0:
                buf1[k] += (1.0 - alpha) * (g - buf1[k])
                avg = math.sqrt(buf0[k] - buf1[k] * buf1[k]) + eps
            else:
                avg = math.sqrt(buf0[k]) + eps
            if mu > 0.0:
                buf2[k] = mu * buf2[k] + g / avg
                params[k] -= lr * buf2[k]
            else:
                params[k] -= lr * (g / avg)
    else:
        eps, beta1, beta2, ams = hyper[6], hyper[8], hyper[9], hyper[10]
        step_size = lr / (1.0 - beta1 ** step)
        bc2_sqrt = math.sqrt(1.0 - beta2 ** step)
        decoupled = opt_code == 3
        if wd == 0.0 and ams == 0.0:  # the common case, branch-free so that it vectorizes
            for k in range(n):
                g = grads[k]
                buf0[k] += (1.0 - beta1) * (g - buf0[k])
                buf1[k] = beta2 * buf1[k] + (1.0 - beta2) * (g * g)
                params[k] -= step_size * (buf0[k] / (math.sqrt(buf1[k]) / bc2_sqrt + eps))
            return
        for k in range(n):
            g = grads[k]
            if wd != 0.0:
                if decoupled:
                    params[k] *= 1.0 - lr * wd
                else:
                    g += wd * params[k]
            buf0[k] += (1.0 - beta1) * (g - buf0[k])
            buf1[k] = beta2 * buf1[k] + (1.0 - beta2) * (g * g)
            v = buf1[k]
            if ams != 0.0:
                buf2[k] = max(buf2[k], v)
                v = buf2[k]
            params[k] -= step_size * (buf0[k] / (math.sqrt(v) / bc2_sqrt + eps))


@numba.njit(**_JIT)
def train_batches(plan, fplan, params, grads, stats, x, yf, yi, order, start, n_batches,
                  batch_size, loss_code, hyper, opt_code, buf0, buf1, buf2, opt_steps,
                  first_momentum, weight_ranges, uniforms, batch_losses, blas_min,
                  dyn_ranges, dyn_sums, dyn_counts, dyn_prev):
    """Train on n_batches consecutive batches of ``x[order[start:]]``; each batch is a full
    optimizer step. Returns the optimizer's step count afterwards.

    ``dyn_*`` accumulate the training dynamics of the tensors at ``dyn_ranges`` (q, 2)
    (``dynamics_before_update`` and ``dynamics_after_update``); zero rows: none recorded."""
    n = order.size
    act_off, aux_off, total = _offsets(plan, batch_size)
    acts = np.empty(total, params.dtype)
    aux = np.empty(max(aux_off[plan.shape[0]], 1), params.dtype)
    width = _max_width(plan)
    g_a = np.empty(batch_size * width, params.dtype)
    g_b = np.empty(batch_size * width, params.dtype)
    n_feat = x.shape[1]
    last = plan.shape[0] - 1
    # runtime values, not literals: Numba would compile _forward once per literal value
    ucur = n_batches - n_batches
    training = n >= 0
    first = first_momentum
    for s in range(n_batches):
        lo = start + s * batch_size
        hi = min(lo + batch_size, n)
        b = hi - lo
        rows = order[lo:hi]
        inp = acts[:b * n_feat].reshape((b, n_feat))
        for r in range(b):
            for j in range(n_feat):
                inp[r, j] = x[rows[r], j]
        ucur = _forward(plan, fplan, params, stats, acts, aux, act_off, aux_off, b, training,
                        uniforms, ucur, blas_min)
        k = plan[last, N_OUT]
        logits = acts[act_off[last + 1]:act_off[last + 1] + b * k].reshape((b, k))
        grad = g_a[:b * k].reshape((b, k))
        batch_losses[s] = _loss(loss_code, logits, rows, yf, yi, grad)
        _backward(plan, params, grads, acts, aux, act_off, aux_off, b, g_a, g_b, blas_min)
        clipped = _regularize_and_clip(params, grads, weight_ranges, hyper)
        dynamics_before_update(params, grads, dyn_ranges, dyn_sums, dyn_prev)
        opt_steps += 1
        _optimizer_step(opt_code, params, grads, hyper, buf0, buf1, buf2, opt_steps, first)
        dynamics_after_update(params, dyn_ranges, dyn_sums, dyn_counts, dyn_prev, clipped)
        first = False
    return opt_steps


@numba.njit(**_JIT)
def train_epochs(plan, fplan, params, grads, stats, x, yf, yi, orders, n_batches, batch_size,
                 loss_code, hyper, lrs, opt_code, buf0, buf1, buf2, opt_steps,
                 first_momentum, weight_ranges, uniforms, batch_losses, blas_min,
                 x_test, yf_test, yi_test, metrics, dyn_ranges, dyn_sums, dyn_counts,
                 dyn_prev, dyn_half_ranges, dyn_hist, dyn_sample, dyn_modules, dyn_bounds,
                 dyn_health):
    """Whole epochs back to back: epoch e trains all n_batches batches of ``x[orders[e]]`` at
    learning rate ``lrs[e]`` on its share of ``uniforms`` (equal shares), its batch losses
    into ``batch_losses[e]``. ``train_batches`` epoch after epoch, in one call: a small
    network's epoch is microseconds, and a call from Python per epoch cost as much as the
    training itself. Returns the optimizer's step count afterwards.

    The last epoch accumulates the training dynamics into ``dyn_*`` (``train_batches``'s;
    zero rows: none), so that a recorded epoch ends a call instead of taking one of its own
    (its record's histograms are then taken from the weights the call leaves). With dyn_*
    rows, the call ends with the record's end-of-epoch figures as well: ``weight_histograms``
    into dyn_hist (its ranges dyn_half_ranges) and ``activation_health`` of dyn_sample into
    dyn_health, here rather than in two more calls from Python, each of which had the
    live worker wait for the GIL once more.

    ``metrics`` (epochs, 4), unless it has no rows: after epoch e, ``evaluate`` of the
    training split and of ``x_test`` (when it has rows) into metrics[e] as (train loss,
    train accuracy, test loss, test accuracy), NaN for a test split without rows. Live
    training evaluates every epoch; evaluated here, its epochs still need no Python
    between them (the live app's worker would otherwise wait for the GIL after each call)."""
    share = uniforms.size // max(orders.shape[0], 1)
    first = first_momentum
    hyper = hyper.copy()
    no_ranges = np.zeros((0, 2), np.int64)
    no_sums = np.zeros((0, 3))
    no_counts = np.zeros(2, np.int64)
    last = orders.shape[0] - 1
    for e in range(orders.shape[0]):
        hyper[0] = lrs[e]
        rec = e == last
        opt_steps = train_batches(plan, fplan, params, grads, stats, x, yf, yi, orders[e], 0,
                                  n_batches, batch_size, loss_code, hyper, opt_code, buf0,
                                  buf1, buf2, opt_steps, first, weight_ranges,
                                  uniforms[e * share:(e + 1) * share], batch_losses[e],
                                  blas_min, dyn_ranges if rec else no_ranges,
                                  dyn_sums if rec else no_sums,
                                  dyn_counts if rec else no_counts,
                                  dyn_prev if rec else dyn_prev[:0])
        first = False
        if metrics.shape[0] > 0:
            metrics[e, 0], metrics[e, 1] = evaluate(plan, fplan, params, stats, x, yf, yi,
                                                    loss_code, blas_min)
            metrics[e, 2] = metrics[e, 3] = np.nan
            if x_test.shape[0] > 0:
                metrics[e, 2], metrics[e, 3] = evaluate(plan, fplan, params, stats, x_test,
                                                        yf_test, yi_test, loss_code, blas_min)
    if dyn_ranges.shape[0] > 0 and last >= 0:
        weight_histograms(params, dyn_ranges, dyn_half_ranges, dyn_hist)
        if dyn_modules.shape[0] > 0:
            activation_health(plan, fplan, params, stats, dyn_sample, dyn_modules,
                              dyn_bounds, dyn_health, blas_min)
    return opt_steps


@numba.njit(**_JIT)
def forward_eval(plan, fplan, params, stats, x, out, blas_min):
    """Evaluation-mode logits for every row of x into out, in chunks of 256 rows."""
    chunk = 256 + 0 * x.shape[0]  # a runtime value: a literal would specialize _offsets
    act_off, aux_off, total = _offsets(plan, chunk)
    acts = np.empty(total, params.dtype)
    aux = np.empty(1, params.dtype)
    no_uniforms = np.empty(0, np.float64)
    n, n_feat = x.shape
    evaluating = n < 0  # False, as a runtime value (see train_batches)
    cursor = n - n
    last = plan.shape[0] - 1
    k = plan[last, N_OUT]
    for lo in range(0, n, chunk):
        b = min(chunk, n - lo)
        _copy_rows(x[lo:lo + b], acts[:b * n_feat].reshape((b, n_feat)), 0, b)
        _forward(plan, fplan, params, stats, acts, aux, act_off, aux_off, b, evaluating,
                 no_uniforms, cursor, blas_min)
        _copy_rows(acts[act_off[last + 1]:act_off[last + 1] + b * k].reshape((b, k)),
                   out[lo:lo + b], 0, b)


@numba.njit(**_JIT)
def evaluate(plan, fplan, params, stats, x, yf, yi, loss_code, blas_min):
    """(mean loss, accuracy) of the evaluation-mode network over all rows of x; accuracy is
    -1 for regression."""
    n = x.shape[0]
    k = plan[plan.shape[0] - 1, N_OUT]
    logits = np.empty((n, k), params.dtype)
    forward_eval(plan, fplan, params, stats, x, logits, blas_min)
    loss = _loss(loss_code, logits, np.arange(n), yf, yi, np.empty((n, k), params.dtype))
    if loss_code == 2:
        return loss, -1.0
    correct = 0
    for r in range(n):
        if loss_code == 0:
            correct += (logits[r, 0] > 0) == (yf[r, 0] > 0.5)
        else:
            best = 0
            for c in range(1, k):
                if logits[r, c] > logits[r, best]:
                    best = c
            correct += best == yi[r]
    return loss, correct / n


# --- training dynamics (``engine.dynamics``) -------------------------------------------------

# Loops here run over slices (``params[lo:hi]``), not ``range(lo, hi)``: LLVM vectorizes a
# loop from 0 to a slice's size, and not one between runtime bounds (ten times slower).

@numba.njit(**_JIT)
def dynamics_before_update(params, grads, ranges, sums, prev):
    """Before an optimizer step, for each tensor q at params[ranges[q, 0]:ranges[q, 1]]:
    sums[q, 0] += ||g_q||^2 (the gradient the optimizer is handed); the tensor is kept in
    ``prev`` and its squared norm in sums[q, 2] (read by ``dynamics_after_update``)."""
    for q in range(ranges.shape[0]):
        lo, hi = ranges[q, 0], ranges[q, 1]
        g, p, keep = grads[lo:hi], params[lo:hi], prev[lo:hi]
        s = 0.0
        w = 0.0
        for k in range(g.size):
            s += g[k] * g[k]
            w += p[k] * p[k]
            keep[k] = p[k]
        sums[q, 0] += s
        sums[q, 2] = w


@numba.njit(**_JIT)
def dynamics_after_update(params, ranges, sums, counts, prev, clipped):
    """After the step: sums[q, 1] += ||w_q - prev_q|| / ||prev_q||; counts += (1, clipped)."""
    if ranges.shape[0] == 0:
        return
    for q in range(ranges.shape[0]):
        lo, hi = ranges[q, 0], ranges[q, 1]
        p, old = params[lo:hi], prev[lo:hi]
        d = 0.0
        for k in range(p.size):
            e = p[k] - old[k]
            d += e * e
        sums[q, 1] += math.sqrt(d / sums[q, 2])
    counts[0] += 1
    counts[1] += clipped


@numba.njit(**_JIT)
def weight_histograms(params, ranges, half_ranges, counts):
    """counts[q] = the histogram of tensor q's finite entries over counts.shape[1] equal bins
    of [-R_q, R_q], R_q = half_ranges[q] (an entry at or beyond an end counts in its end bin).
    R_q grows first to cover max |w|: a zero R_q becomes the power of two at or above it
    (1 for an all-zero tensor), then it is tripled while max |w| > R_q."""
    bins = counts.shape[1]
    for q in range(ranges.shape[0]):
        w = params[ranges[q, 0]:ranges[q, 1]]
        top = 0.0
        for k in range(w.size):
            a = abs(w[k])
            if a > top and a < math.inf:
                top = a
        r = half_ranges[q]
        if r <= 0.0:
            r = 2.0 ** math.ceil(math.log2(top)) if top > 0.0 else 1.0
        while top > r:
            r *= 3.0
        half_ranges[q] = r
        scale = bins / (2.0 * r)
        for b in range(bins):
            counts[q, b] = 0
        for k in range(w.size):
            v = float(w[k])
            if not abs(v) < math.inf:
                continue
            i = int(math.floor((v + r) * scale))
            counts[q, min(max(i, 0), bins - 1)] += 1


@numba.njit(**_JIT)
def activation_health(plan, fplan, params, stats, x, modules, bounds, out, blas_min):
    """The evaluation-mode network on the rows of x; then for each activation module
    m = modules[q]: with bounds[q] = (lo, hi), out[q] = its saturated share, the outputs
    (rows x units) outside [lo, hi]; with bounds[q] NaN, its dead share, the units whose
    input is <= 0 on every row."""
    b, n_feat = x.shape
    act_off, aux_off, total = _offsets(plan, b)
    acts = np.empty(total, params.dtype)
    aux = np.empty(1, params.dtype)
    _copy_rows(x, acts[:b * n_feat].reshape((b, n_feat)), 0, b)
    _forward(plan, fplan, params, stats, acts, aux, act_off, aux_off, b, b < 0,
             np.empty(0, np.float64), b - b, blas_min)
    for q in range(modules.shape[0]):
        m = modules[q]
        n = plan[m, N_OUT]
        lo, hi = bounds[q, 0], bounds[q, 1]
        hits = 0
        if lo == lo:
            a_out = acts[act_off[m + 1]:act_off[m + 1] + b * n]
            for k in range(b * n):
                y = float(a_out[k])
                if y > hi or y < lo:
                    hits += 1
            out[q] = hits / (b * n)
        else:
            a_in = acts[act_off[m]:act_off[m] + b * n].reshape((b, n))
            for j in range(n):
                dead = 1
                for r in range(b):
                    if not a_in[r, j] <= 0.0:
                        dead = 0
                        break
                hits += dead
            out[q] = hits / n
