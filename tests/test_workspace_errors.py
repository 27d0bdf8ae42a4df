"""Workspace files, read defensively: every damaged or hostile file is one WorkspaceError line
naming the file and the problem, and writing is atomic."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest

from conftest import run_config
from playground.engine.trainer import Trainer
from playground.errors import WorkspaceError
from playground.io import archive, atomic
from playground.io.archive import npz_bytes
from playground.io.workspace import MEMBERS, load_workspace, save_workspace


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, bytes]:
    """The members of a valid workspace: batchnorm, adam, plateau, stopped mid-epoch."""
    t = Trainer(run_config([{"type": "dense", "units": 6, "activation": "tanh"},
                            {"type": "batchnorm"}], source="spiral",
                           data={"samples": 70, "test_fraction": 0.3}, batch_size=10,
                           optimizer={"name": "adam", "lr": 0.02},
                           schedule={"name": "plateau", "patience": 1}))
    t.run_epochs(2)
    t.run_steps(2)
    path = tmp_path_factory.mktemp("good") / "good.playground"
    save_workspace(path, t, ui={"grid": [0, 1]})
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zipped(members) -> bytes:
    """A deflated zip of (name, bytes) pairs or a dict; duplicates allowed."""
    pairs = members.items() if isinstance(members, dict) else members
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pairs:
            zf.writestr(name, data)
    return buffer.getvalue()


def patch_central(data: bytes, member: str, offset: int, value: int, size: str = "<I") -> bytes:
    """Overwrite a field of ``member``'s central-directory entry (flags +8, CRC +16,
    uncompressed size +24)."""
    start = 0
    while True:
        i = data.index(b"PK\x01\x02", start)
        (name_len,) = struct.unpack_from("<H", data, i + 28)
        if data[i + 46:i + 46 + name_len].decode() == member:
            out = bytearray(data)
            struct.pack_into(size, out, i + offset, value)
            return bytes(out)
        start = i + 4


# --- corruptions: members -> members (a dict or pairs) or the file's raw bytes ----------------

def without(name):
    return lambda m: {k: v for k, v in m.items() if k != name}


def replaced(name, data: bytes):
    return lambda m: {**m, name: data}


def edit_json(name, change):
    def apply(m):
        obj = json.loads(m[name])
        change(obj)
        return {**m, name: json.dumps(obj).encode()}
    return apply


def edit_npz(name, change):
    def apply(m):
        with np.load(io.BytesIO(m[name]), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        change(arrays)
        return {**m, name: npz_bytes(arrays)}
    return apply


def raw_npz(name, entries: dict[str, bytes]):
    """Replace an .npz member by a zip of hand-made members."""
    return lambda m: {**m, name: zipped(entries)}


def lying_npy() -> bytes:
    """A .npy header declaring 10^12 doubles, followed by 16 bytes."""
    fh = io.BytesIO()
    np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                              "shape": (10**12,)})
    return fh.getvalue() + bytes(16)


def object_npz() -> bytes:
    fh = io.BytesIO()
    np.savez(fh, **{"0.weight": np.array([{"a": 1}, None], dtype=object)})
    return fh.getvalue()


def whole(change):
    """A change of the zip's bytes (after the members are zipped)."""
    return lambda m: change(zipped(m))


def state(change):
    return edit_json("state.json", change)


def _set(path, value):
    def change(obj):
        *parents, last = path
        for key in parents:
            obj = obj[key]
        obj[last] = value
    return change


def _del(path):
    def change(obj):
        *parents, last = path
        for key in parents:
            obj = obj[key]
        del obj[last]
    return change


def _npy(array) -> bytes:
    fh = io.BytesIO()
    np.save(fh, array, allow_pickle=False)
    return fh.getvalue()


CORRUPTIONS = {
    # the file itself
    "not a zip": (lambda m: b"hello, world\n", "not a playground workspace (not a zip archive)"),
    "empty file": (lambda m: b"", "not a zip archive"),
    "truncated": (lambda m: zipped(m)[:2000], "not a zip archive"),
    "a run config named .playground": (lambda m: m["config.json"], "not a zip archive"),
    "no manifest": (without("manifest.json"), "not a playground workspace (it has no "
                                              "manifest.json)"),
    # the manifest and versioning
    "manifest bad json": (replaced("manifest.json", b"{"), "manifest.json: invalid JSON"),
    "manifest NaN": (replaced("manifest.json", b'{"format": NaN, "app_version": "1"}'),
                     "NaN is not allowed"),
    "manifest a list": (replaced("manifest.json", b"[1]"), "must be an object with the keys"),
    "manifest extra key": (edit_json("manifest.json", _set(["x"], 1)),
                           "must be an object with the keys"),
    "future format": (edit_json("manifest.json", lambda o: o.update(format=2,
                                                                    app_version="9.0.0")),
                      "was written by a newer version of playground (playground 9.0.0, "
                      "workspace format 2; this version reads 1); update playground"),
    "format 0": (edit_json("manifest.json", _set(["format"], 0)),
                 "format must be an integer >= 1"),
    "format a string": (edit_json("manifest.json", _set(["format"], "1")),
                        "format must be an integer >= 1"),
    "format true": (edit_json("manifest.json", _set(["format"], True)),
                    "format must be an integer >= 1"),
    "app_version a number": (edit_json("manifest.json", _set(["app_version"], 1)),
                             "app_version must be a string"),
    # the archive's members
    **{f"missing {name}": (without(name), f"member {name} is missing") for name in MEMBERS[1:]},
    "extra member": (lambda m: {**m, "notes.txt": b"hi"}, "unexpected member notes.txt"),
    "duplicate member": (lambda m: [*m.items(), ("state.json", m["state.json"])],
                         "member state.json appears twice"),
    "encrypted member": (whole(lambda d: patch_central(d, "state.json", 8, 1, "<H")),
                         "member state.json is encrypted"),
    "zip bomb: declared size": (whole(lambda d: patch_central(d, "data.npz", 24, 0xFFFFFFF0)),
                                "more than the 512 MB a workspace may hold"),
    "declared size too small": (whole(lambda d: patch_central(d, "state.json", 24, 10)),
                                "state.json is corrupt"),
    "bad CRC": (whole(lambda d: patch_central(d, "config.json", 16, 1234)),
                "config.json is corrupt"),
    # JSON
    "config bad json": (replaced("config.json", b'{"format": 1,'), "config.json: invalid JSON"),
    "config not an object": (replaced("config.json", b'"spiral"'),
                             "config.json must hold a JSON object"),
    "config duplicate key": (replaced("config.json", b'{"format": 1, "format": 1}'),
                             "duplicate key 'format'"),
    "config nested too deep": (replaced("config.json", b"[" * 100_000),
                               "nested too deeply"),
    "config no longer valid": (edit_json("config.json", _set(["train", "optimizer", "lr"], -1)),
                               "config.json: train.optimizer.lr must be > 0, got -1"),
    "config unknown key": (edit_json("config.json", _set(["train", "speed"], 1)),
                           "config.json: train.speed is not a known key"),
    "config future format": (edit_json("config.json", _set(["format"], 2)),
                             "config.json: format must be 1"),
    "config loss does not fit the data": (
        edit_json("config.json", _set(["train", "loss"], "mse")),
        "config.json does not fit the stored data: train.loss mse is for regression"),
    "ui bad json": (replaced("ui.json", b"{'grid': 1}"), "ui.json: invalid JSON"),
    "ui not UTF-8": (replaced("ui.json", b'"\xff"'), "ui.json is not UTF-8 text"),
    # weights
    "weights for another model": (
        edit_json("config.json", _set(["model", "layers", 0, "units"], 7)),
        "weights.npz: 0.weight has shape (6, 2), the model expects (7, 2)"),
    "weights in another dtype": (edit_json("config.json", _set(["train", "dtype"], "float64")),
                                 "weights.npz: 0.weight is float32; the run's tensors are "
                                 "float64"),
    "weights missing a tensor": (edit_npz("weights.npz", _del(["3.bias"])),
                                 "weights.npz: weights file has no tensor 3.bias"),
    "weights extra tensor": (edit_npz("weights.npz", _set(["9.weight"], np.zeros(2, np.float32))),
                             "weights.npz: weights file has an unexpected tensor 9.weight"),
    "weights float64 in a float32 run": (
        edit_npz("weights.npz", lambda a: a.update({"0.bias": a["0.bias"].astype(np.float64)})),
        "weights.npz: 0.bias is float64; the run's tensors are float32"),
    "weights hold pickled objects": (replaced("weights.npz", object_npz()),
                                     "holds Python objects, which would need pickle"),
    "weights not an npz": (replaced("weights.npz", b"junk"),
                           "weights.npz is not an .npz archive"),
    "npz member not .npy": (raw_npz("weights.npz", {"0.weight.txt": b"1 2"}),
                            "weights.npz: member 0.weight.txt is not a .npy array"),
    "npy header lies about its size": (raw_npz("data.npz", {"raw_train.npy": lying_npy()}),
                                       "data.npz: array raw_train declares shape (10000"),
    "npy of strings": (raw_npz("weights.npz", {"0.weight.npy": _npy(np.array(["a"]))}),
                       "weights.npz: array 0.weight has dtype <U1; only numeric arrays"),
    "npy bad magic": (raw_npz("weights.npz", {"0.weight.npy": b"not numpy at all"}),
                      "weights.npz: array 0.weight has a bad header"),
    "npz zip bomb": (lambda m: {**m, "weights.npz": patch_central(m["weights.npz"],
                                                                  "0.weight.npy", 24,
                                                                  0xFFFFFFF0)},
                     "weights.npz: members would take"),
    # data
    "data json bad": (replaced("data.json", b"nope"), "data.json: invalid JSON"),
    "data json missing key": (edit_json("data.json", _del(["classes"])),
                              "data.json must be an object with the keys"),
    "data task unknown": (edit_json("data.json", _set(["task"], "ranking")),
                          "data.json: task must be one of"),
    "data inputs not strings": (edit_json("data.json", _set(["inputs"], [1, 2])),
                                "data.json: inputs must be a non-empty list of strings"),
    "data no classes": (edit_json("data.json", _set(["classes"], [])),
                        "data.json: classes must be a non-empty list of strings"),
    "data targets for a classification": (edit_json("data.json", _set(["targets"], ["y"])),
                                          "a classification set has no targets"),
    "data wrong dtype": (edit_npz("data.npz", lambda a: a.update(
        raw_train=a["raw_train"].astype(np.float32))),
        "data.npz: raw_train must be a float64 array of shape (n, 2), got float32"),
    "data wrong shape": (edit_npz("data.npz", lambda a: a.update(
        raw_test=np.zeros((5, 3)))), "data.npz: raw_test must be a float64 array of shape (n, 2)"),
    "data targets do not match rows": (edit_npz("data.npz", lambda a: a.update(
        y_train=a["y_train"][:-1])),
        "data.npz: y_train must be an int64 array of shape (49,), got int64 (48,)"),
    "data class out of range": (edit_npz("data.npz", lambda a: a["y_train"].__setitem__(0, 5)),
                                "data.npz: class indices must be in 0..1"),
    "data missing array": (edit_npz("data.npz", _del(["y_test"])),
                           "data.npz: array y_test is missing"),
    "data half the statistics": (edit_npz("data.npz", _del(["std"])),
                                 "data.npz: array std is missing"),
    "data extra array": (edit_npz("data.npz", _set(["secret"], np.zeros(1))),
                         "data.npz: unexpected array secret"),
    "data no training rows": (edit_npz("data.npz", lambda a: a.update(
        raw_train=np.zeros((0, 2)), y_train=np.zeros(0, np.int64))),
        "raw_train has no rows"),
    "data features that cannot be computed": (edit_json("data.json", _set(["features"],
                                                                          ["x1", "x9"])),
                                              "data.json: unknown feature 'x9'"),
    # run state
    "state bad json": (replaced("state.json", b"{]"), "state.json: invalid JSON"),
    "state NaN literal": (lambda m: {**m, "state.json": m["state.json"].replace(
        b'"lr": 0.02', b'"lr": NaN', 1)}, "state.json: NaN is not allowed"),
    "state a list": (lambda m: {**m, "state.json": b"[]", "state.npz": npz_bytes({})},
                     "state.json: the run state must be an object"),
    "state negative steps": (state(_set(["optimizer", "steps"], -1)),
                             "state.json: optimizer.steps must be an integer >= 0, got -1"),
    "state float epoch": (state(_set(["epoch"], 2.5)),
                          "state.json: epoch must be an integer >= 0, got 2.5"),
    "state unknown key": (state(_set(["turbo"], True)),
                          "state.json: the run state has an unexpected key 'turbo'"),
    "state missing key": (state(_del(["history"])),
                          "state.json: the run state lacks the key 'history'"),
    "state other optimizer": (state(_set(["optimizer", "name"], "sgd")),
                              "optimizer.name is 'sgd' but train.optimizer.name is adam"),
    "state other options": (state(_set(["optimizer", "options", "eps"], 0.1)),
                            "state.json: optimizer.options differ from train.optimizer"),
    "state unknown buffer": (state(_set(["optimizer", "buffers", "momentum_buffer"], None)),
                             "optimizer.buffers has an unexpected key 'momentum_buffer'"),
    "state buffer wrong shape": (edit_npz("state.npz", lambda a: a.update(
        {"optimizer.buffers.exp_avg": np.zeros(3, np.float32)})),
        "state.json: optimizer.buffers.exp_avg must be a float32 array of shape"),
    "state buffer wrong dtype": (edit_npz("state.npz", lambda a: a.update(
        {"optimizer.buffers.exp_avg": a["optimizer.buffers.exp_avg"].astype(np.float64)})),
        "optimizer.buffers.exp_avg must be a float32 array"),
    "state order not a permutation": (edit_npz("state.npz", lambda a: a.update(
        {"position.order": np.zeros_like(a["position.order"])})),
        "state.json: position.order must be a permutation of 0..48"),
    "state position off the batch grid": (state(_set(["position", "pos"], 3)),
                                          "position.pos must be a multiple of the batch size 10"),
    "state position past the end": (state(_set(["position", "pos"], 500)),
                                    "position.pos must be an integer >= 0 and <= 49"),
    "state random state not a number": (state(_set(["random", "shuffle", "state"], "abc")),
                                        "random.shuffle.state must be a decimal string"),
    "state random state too big": (state(_set(["random", "dropout", "inc"], str(2**128))),
                                   "random.dropout.inc must be a decimal string of an integer "
                                   "below 2^128"),
    "state other generator": (state(_set(["random", "shuffle", "bit_generator"], "MT19937")),
                              'random.shuffle.bit_generator must be "PCG64"'),
    "state missing array": (state(_set(["position", "order"], {"$array": "nope"})),
                            "state.json: bad tag"),
    "state unreferenced array": (edit_npz("state.npz", _set(["spare"], np.zeros(1))),
                                 "state.json: array 'spare' is not referenced"),
    "state bad float tag": (state(_set(["lr"], {"$float": "huge"})), "state.json: bad tag"),
    "state bad record": (state(_set(["history", "kept", 0, "epoch"], 0)),
                         "history.kept[0].epoch must be an integer >= 1, got 0"),
    "state record with text": (state(_set(["history", "kept", 1, "lr"], "fast")),
                               "history.kept[1].lr must be a number or null"),
    "state schedule option out of range": (state(_set(["scheduler", "options", "factor"], 2)),
                                           "state.json: scheduler.options.factor must be"),
    "state other schedule": (state(_set(["scheduler", "name"], "step")),
                             "scheduler.name is 'step' but train.schedule.name is plateau"),
    "state perceptron fields on an mlp": (state(_set(["perceptron", "last_mistake"], 3)),
                                          "perceptron must hold nulls for an mlp"),
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("case", CORRUPTIONS)
def test_a_damaged_workspace_is_one_line_naming_file_and_problem(case, good, tmp_path):
    corrupt, expected = CORRUPTIONS[case]
    result = corrupt(dict(good))
    data = result if isinstance(result, bytes) else zipped(result)
    path = tmp_path / "damaged.playground"
    path.write_bytes(data)
    before = set(tmp_path.iterdir())
    with pytest.raises(WorkspaceError) as err:
        load_workspace(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message, message
    assert expected in message, message
    assert path.read_bytes() == data and set(tmp_path.iterdir()) == before


def test_the_good_workspace_loads(good, tmp_path):
    path = tmp_path / "good.playground"
    path.write_bytes(zipped(good))
    workspace = load_workspace(path)
    assert workspace.ui == {"grid": [0, 1]} and workspace.trainer.epoch == 2


def test_the_size_cap_applies_before_decompressing(good, tmp_path, monkeypatch):
    path = tmp_path / "big.playground"
    path.write_bytes(zipped(good))
    monkeypatch.setattr(archive, "MAX_BYTES", 1000)
    with pytest.raises(WorkspaceError, match="more than the 0 MB a workspace may hold"):
        load_workspace(path)


@pytest.mark.parametrize("make,expected", [
    (lambda p: p / "missing.playground", "workspace file {} not found"),
    (lambda p: p, "{} is a folder, not a workspace file"),
])
def test_missing_files_and_folders(make, expected, tmp_path):
    path = make(tmp_path)
    with pytest.raises(WorkspaceError, match="^" + expected.format(path) + "$"):
        load_workspace(path)


# --- writing: atomic, and refused before anything is written -------------------------------

def small_trainer() -> Trainer:
    return Trainer(run_config([{"type": "dense", "units": 3}], source="xor",
                              data={"samples": 30}))


def test_a_failed_write_leaves_the_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "run.playground"
    save_workspace(path, small_trainer())
    before = path.read_bytes()
    t = small_trainer()
    t.run_epochs(1)

    def broken_fsync(fd):  # the disk fails after the bytes went to the temporary file
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(WorkspaceError, match=f"cannot write {path}: No space left on device"):
        save_workspace(path, t)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.playground"]  # no temp file


def test_a_failure_while_encoding_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "run.playground"
    save_workspace(path, small_trainer())
    before = path.read_bytes()
    calls = []

    def failing_npz(arrays):  # the third .npz member fails
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError
        return npz_bytes(arrays)
    monkeypatch.setattr(archive, "npz_bytes", failing_npz)
    with pytest.raises(MemoryError):
        save_workspace(path, small_trainer())
    assert path.read_bytes() == before and len(os.listdir(tmp_path)) == 1


@pytest.mark.parametrize("ui,expected", [
    ({"zoom": float("nan")}, "the app's ui data cannot be stored as JSON"),
    ({"widget": object()}, "the app's ui data cannot be stored as JSON"),
])
def test_ui_extras_must_be_finite_json(ui, expected, tmp_path):
    with pytest.raises(WorkspaceError, match=expected):
        save_workspace(tmp_path / "run.playground", small_trainer(), ui=ui)
    assert not list(tmp_path.iterdir())


def test_unwritable_targets(tmp_path):
    with pytest.raises(WorkspaceError, match="it is a folder"):
        save_workspace(tmp_path, small_trainer())
    with pytest.raises(WorkspaceError, match="cannot write .*no/run.playground"):
        save_workspace(tmp_path / "no" / "run.playground", small_trainer())


def test_a_workspace_too_big_to_read_back_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_BYTES", 1000)
    with pytest.raises(WorkspaceError, match="the workspace would hold"):
        save_workspace(tmp_path / "run.playground", small_trainer())
    assert not list(tmp_path.iterdir())
