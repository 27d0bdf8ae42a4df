"""Weight files: bit-exact round trips, third-party readability, atomic writes, and one
WeightsError (a single line naming the problem) for every malformed file."""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy

from playground.errors import WeightsError
from playground.io import weights as weights_mod
from playground.io.weights import (
    WEIGHT_FORMATS, WeightFormat, check_state_dict, format_of, load_weights, save_weights,
)

EXTENSIONS = (".safetensors", ".npz", ".json")
METADATA = {
    "config": {"format": 1, "seed": 3, "data": {"source": "spiral", "noise": 0.1},
               "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8},
                                                   {"type": "batchnorm"}]},
               "train": {"optimizer": {"name": "adam", "lr": 0.01, "betas": [0.9, 0.999]}}},
    "preprocessing": {"features": ["x1", "x2"], "mean": [0.5, -1.25e-7], "std": [1.0, 2.0],
                      "classes": ["ñandú", "zebra"], "standardize": True, "target": None},
}


def state_dict(dtype=np.float32, seed=0) -> dict[str, np.ndarray]:
    """nn.Sequential(Linear(2,3), BatchNorm1d(3), Tanh(), ..., Linear at index 10): "10.*"
    after "3.*" checks that key order survives (a plain sort would put "10" before "3")."""
    rng = np.random.default_rng(seed)
    sd = {
        "0.weight": rng.standard_normal((3, 2)),
        "0.bias": rng.standard_normal(3),
        "1.weight": rng.random(3) + 0.5,
        "1.bias": rng.standard_normal(3),
        "1.running_mean": rng.standard_normal(3),
        "1.running_var": rng.random(3) + 0.1,
        "1.num_batches_tracked": np.array(17, dtype=np.int64),
        "3.weight": rng.standard_normal((4, 3)),
        "3.bias": np.zeros(4),
        "10.weight": rng.standard_normal((1, 4)),
        "10.bias": rng.standard_normal(1),
    }
    sd = {k: v if v.dtype == np.int64 else v.astype(dtype) for k, v in sd.items()}
    # Values whose text form is delicate: -0.0, 0.1 (inexact in binary), the smallest
    # subnormal and the largest finite value of the dtype.
    info = np.finfo(dtype)
    sd["3.bias"][:] = [-0.0, 0.1, info.smallest_subnormal, info.max]
    return sd


def assert_same(loaded: dict[str, np.ndarray], original: dict[str, np.ndarray]) -> None:
    assert list(loaded) == list(original)
    for key, array in original.items():
        assert loaded[key].dtype == array.dtype, key
        assert loaded[key].shape == array.shape, key
        assert loaded[key].tobytes() == array.tobytes(), key  # bit-exact, -0.0 included


def raises(match: str):
    """pytest.raises(WeightsError) whose message must match and be a single line."""
    class _OneLine:
        def __enter__(self):
            self._ctx = pytest.raises(WeightsError, match=match)
            self._info = self._ctx.__enter__()
            return self._info

        def __exit__(self, *exc):
            suppressed = self._ctx.__exit__(*exc)
            assert "\n" not in str(self._info.value)
            return suppressed
    return _OneLine()


# ---------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_round_trip_is_bit_exact(tmp_path, ext, dtype):
    sd = state_dict(dtype)
    path = tmp_path / f"model{ext}"
    save_weights(path, sd, METADATA)
    loaded, metadata = load_weights(path)
    assert_same(loaded, sd)
    assert loaded["1.num_batches_tracked"].ndim == 0
    assert metadata == METADATA
    assert all(a.flags.writeable and a.flags.c_contiguous for a in loaded.values())


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_non_contiguous_and_big_endian_inputs_are_written_as_values(tmp_path, ext):
    rng = np.random.default_rng(1)
    wide = rng.standard_normal((3, 4)).astype(np.float32)
    sd = {"0.weight": np.asfortranarray(rng.standard_normal((3, 2))),
          "0.bias": wide[:, ::2][:, 0],
          "1.weight": rng.standard_normal(2).astype(">f8"),
          "1.num_batches_tracked": np.int64(5)}  # a NumPy scalar counts as 0-d
    save_weights(tmp_path / f"m{ext}", sd, {})
    loaded, metadata = load_weights(tmp_path / f"m{ext}")
    assert metadata == {}
    assert list(loaded) == list(sd)
    for key, array in sd.items():
        np.testing.assert_array_equal(loaded[key], array)
    assert loaded["1.weight"].dtype == np.float64 and loaded["1.weight"].dtype.isnative
    assert loaded["1.num_batches_tracked"].shape == ()


# safetensors' Rust writer orders the metadata by a randomly seeded hash map; the writer
# sorts it, so that a sweep's run and `playground train` of its config give the same file
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_same_weights_give_the_same_bytes(tmp_path, ext):
    metadata = {**METADATA, **{f"key{i}": i for i in range(8)}}
    save_weights(tmp_path / f"a{ext}", state_dict(), metadata)
    for _ in range(5):
        save_weights(tmp_path / f"b{ext}", state_dict(), metadata)
        assert (tmp_path / f"a{ext}").read_bytes() == (tmp_path / f"b{ext}").read_bytes()


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_empty_state_dict_round_trips(tmp_path, ext):
    save_weights(tmp_path / f"m{ext}", {}, {"config": {}})
    assert load_weights(tmp_path / f"m{ext}") == ({}, {"config": {}})


# ----------------------------------------------------------------- third-party readability

def test_safetensors_file_reads_with_safetensors_numpy(tmp_path):
    sd = state_dict(np.float64)
    path = tmp_path / "m.safetensors"
    save_weights(path, sd, METADATA)
    plain = safetensors.numpy.load_file(path)
    assert set(plain) == set(sd)
    for key in sd:
        assert plain[key].tobytes() == sd[key].tobytes() and plain[key].dtype == sd[key].dtype
    with safetensors.safe_open(path, framework="np") as fh:
        header = fh.metadata()
    assert json.loads(header["config"]) == METADATA["config"]  # each value a JSON string
    assert json.loads(header["preprocessing"]) == METADATA["preprocessing"]


def test_safetensors_from_other_tools_load_in_natural_order(tmp_path):
    # No order key, and the {"format": "pt"} that safetensors.torch.save_model writes as plain
    # text: both must load.
    sd = state_dict()
    path = tmp_path / "foreign.safetensors"
    path.write_bytes(safetensors.numpy.save(sd, metadata={"format": "pt"}))
    loaded, metadata = load_weights(path)
    assert_same(loaded, sd)  # nn.Sequential order: 0.*, 1.* (weight, bias, running_*), 3, 10
    assert metadata == {"format": "pt"}


def test_npz_file_reads_with_np_load_without_pickle(tmp_path):
    sd = state_dict(np.float32)
    path = tmp_path / "m.npz"
    save_weights(path, sd, METADATA)
    with np.load(path, allow_pickle=False) as npz:
        files = list(npz.files)
        assert files == list(sd) + ["__metadata__.config", "__metadata__.preprocessing"]
        for key in sd:
            assert npz[key].tobytes() == sd[key].tobytes() and npz[key].dtype == sd[key].dtype
        config = npz["__metadata__.config"]
        assert config.ndim == 0 and config.dtype.kind == "U"
        assert json.loads(str(config)) == METADATA["config"]


def test_json_file_is_plain_json_with_nested_lists(tmp_path):
    sd = state_dict(np.float32)
    path = tmp_path / "m.json"
    save_weights(path, sd, METADATA)
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["format"] == "playground-weights" and doc["version"] == 1
    assert doc["metadata"] == METADATA
    assert list(doc["tensors"]) == list(sd)
    weight = doc["tensors"]["0.weight"]
    assert weight["dtype"] == "float32" and weight["shape"] == [3, 2]
    assert weight["data"] == sd["0.weight"].tolist()  # a list of 3 rows of 2 floats
    assert doc["tensors"]["1.num_batches_tracked"] == {"dtype": "int64", "shape": [],
                                                      "data": 17}
    # float32(0.1) is written as the double it equals, which parses back to the same bits.
    assert repr(float(np.float32(0.1))) == "0.10000000149011612"
    assert "0.10000000149011612" in text
    assert "NaN" not in text and "Infinity" not in text


# ------------------------------------------------------------------------------ registry

def test_format_of_is_case_insensitive_and_names_allowed_extensions():
    assert format_of("a/b/Model.SafeTensors") == ".safetensors"
    assert format_of("run.npz") == ".npz"
    assert format_of("w.json") == ".json"
    with raises(r"model\.pt: the file name must end in \.safetensors, \.npz, \.json"):
        format_of("model.pt")


def test_registry_takes_export_only_formats_with_longest_extension_match(tmp_path, monkeypatch):
    def write_h5(sd, metadata):
        return b"H5:" + ",".join(sd).encode()

    keras = WeightFormat(".weights.h5", "Keras", write_h5)
    monkeypatch.setitem(WEIGHT_FORMATS, ".weights.h5", keras)
    assert format_of("m.weights.h5") == ".weights.h5"
    with raises(r"must end in .*\.weights\.h5"):
        format_of("m.h5")
    save_weights(tmp_path / "m.weights.h5", state_dict(), {})
    assert (tmp_path / "m.weights.h5").read_bytes().startswith(b"H5:0.weight,0.bias")
    with raises(r"\.weights\.h5 is export-only; load weights from \.safetensors, \.npz, \.json"):
        load_weights(tmp_path / "m.weights.h5")


# ------------------------------------------------------------------------------ atomicity

def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_writer_failing_midway_leaves_no_file(tmp_path, monkeypatch, ext):
    real = WEIGHT_FORMATS[ext]

    def half_written(sd, metadata):
        real.write(sd, metadata)  # the bytes are built, then the writer dies
        raise WeightsError("disk on fire")

    monkeypatch.setitem(WEIGHT_FORMATS, ext, dataclasses.replace(real, write=half_written))
    target = tmp_path / f"m{ext}"
    with raises("disk on fire"):
        save_weights(target, state_dict(), METADATA)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_failing_disk_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch, ext):
    target = tmp_path / f"m{ext}"
    save_weights(target, state_dict(seed=0), METADATA)
    before = target.read_bytes()

    def fsync_fails(fd):  # called after the temporary file got all its bytes
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("playground.io.atomic.os.fsync", fsync_fails)
    with raises(r"cannot write .*m\..*: No space left on device"):
        save_weights(target, state_dict(seed=1), METADATA)
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == [] and os.listdir(tmp_path) == [target.name]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_refused_weights_keep_the_old_file(tmp_path, ext):
    target = tmp_path / f"m{ext}"
    save_weights(target, state_dict(), METADATA)
    before = target.read_bytes()
    diverged = state_dict()
    diverged["3.weight"][1, 2] = np.nan
    with raises(r"tensor 3\.weight holds NaN or infinite values; weights must be finite"):
        save_weights(target, diverged, METADATA)
    assert target.read_bytes() == before and os.listdir(tmp_path) == [target.name]


# ---------------------------------------------------------------------- refused on save

@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("sd, metadata, match", [
    ({"0.weight": np.ones(2, np.float16)}, {},
     r"tensor 0\.weight has unsupported dtype float16; allowed dtypes are float32, float64, int64"),
    ({"0.weight": [1.0, 2.0]}, {}, r"tensor 0\.weight must be a NumPy array, got list"),
    ({"0.bias": np.array([np.inf], np.float32)}, {}, r"0\.bias holds NaN or infinite"),
    ({}, {"config": {1, 2}}, r"metadata 'config' cannot be written as JSON"),
    ({}, {"history": [float("nan")]}, r"metadata 'history' cannot be written as JSON .*finite"),
])
def test_save_refuses_what_no_file_should_hold(tmp_path, ext, sd, metadata, match):
    with raises(match):
        save_weights(tmp_path / f"m{ext}", sd, metadata)
    assert os.listdir(tmp_path) == []


def test_save_refuses_reserved_names_and_bad_targets(tmp_path):
    with raises(r"names starting with '__metadata__\.' hold metadata"):
        save_weights(tmp_path / "m.npz", {"__metadata__.x": np.zeros(1)}, {})
    with raises(r"metadata key 'playground\.tensor_order' is reserved"):
        save_weights(tmp_path / "m.safetensors", {}, {"playground.tensor_order": []})
    with raises(r"cannot write .*: No such file or directory"):
        save_weights(tmp_path / "missing" / "m.npz", state_dict(), {})
    (tmp_path / "d.json").mkdir()
    with raises(r"cannot write .*d\.json: it is a folder"):
        save_weights(tmp_path / "d.json", state_dict(), {})
    with raises(r"must end in"):
        save_weights(tmp_path / "m.pt", state_dict(), {})


# --------------------------------------------------------------------- malformed files

def test_missing_file_folder_and_unknown_extension(tmp_path):
    with raises(r"weights file .*nope\.npz not found"):
        load_weights(tmp_path / "nope.npz")
    (tmp_path / "dir.safetensors").mkdir()
    with raises(r"dir\.safetensors is a folder, not a weights file"):
        load_weights(tmp_path / "dir.safetensors")
    (tmp_path / "model.pt").write_bytes(b"\x80\x02")
    with raises(r"cannot tell the weights format of model\.pt: .*\.safetensors, \.npz, \.json"):
        load_weights(tmp_path / "model.pt")


def write_safetensors(path, tensors, metadata=None):
    path.write_bytes(safetensors.numpy.save(tensors, metadata=metadata))


def good_safetensors(tmp_path) -> bytes:
    save_weights(tmp_path / "good.safetensors", state_dict(), METADATA)
    return (tmp_path / "good.safetensors").read_bytes()


@pytest.mark.parametrize("mangle, match", [
    (lambda data: data[:-7], r"corrupt safetensors file \(.*"),            # data cut short
    (lambda data: data[:40], r"truncated or not a safetensors file: its header length"),
    (lambda data: data[:5], r"not a safetensors file \(shorter than its 8-byte header"),
    (lambda data: b"", r"not a safetensors file"),
    (lambda data: data[:8] + b"{" * (len(data) - 8), r"header is not valid JSON"),
    (lambda data: b"PK\x03\x04 this is a zip, not safetensors", r"truncated or not a safetensors"),
])
def test_broken_safetensors(tmp_path, mangle, match):
    path = tmp_path / "m.safetensors"
    path.write_bytes(mangle(good_safetensors(tmp_path)))
    with raises(r"m\.safetensors: .*" + match):
        load_weights(path)


def test_safetensors_with_unsupported_dtype_non_finite_or_bad_metadata(tmp_path):
    path = tmp_path / "m.safetensors"
    write_safetensors(path, {"0.weight": np.zeros((2, 2), np.float16)})
    with raises(r"tensor 0\.weight has unsupported dtype F16; allowed dtypes are float32, "
                r"float64, int64"):
        load_weights(path)
    write_safetensors(path, {"0.weight": np.array([1.0, np.inf])})
    with raises(r"tensor 0\.weight holds NaN or infinite values"):
        load_weights(path)
    write_safetensors(path, {"0.weight": np.zeros(1)}, {"config": "{not json"})
    with raises(r"metadata 'config' is not valid JSON \(invalid JSON at line 1 column 2"):
        load_weights(path)
    write_safetensors(path, {"0.weight": np.zeros(1)}, {"config": '{"lr": NaN}'})
    with raises(r"metadata 'config' is not valid JSON \(NaN is not allowed"):
        load_weights(path)


def write_npz(path, arrays, **kwargs):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays, **kwargs)


def test_broken_npz(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"this is not a zip file at all")
    with raises(r"m\.npz: not an \.npz archive \(a zip of \.npy arrays\)"):
        load_weights(path)
    save_weights(path, state_dict(), METADATA)
    path.write_bytes(path.read_bytes()[:-60])  # the zip's central directory is gone
    with raises(r"not an \.npz archive"):
        load_weights(path)
    with open(path, "wb") as fh:
        np.save(fh, np.zeros(3))
    with raises(r"holds a single \.npy array, not an \.npz archive"):
        load_weights(path)


def test_npz_with_a_corrupted_member(tmp_path):
    path = tmp_path / "m.npz"
    save_weights(path, {"0.weight": np.arange(64, dtype=np.float64)}, {})
    data = bytearray(path.read_bytes())
    data[data.index(np.float64(63).tobytes())] ^= 0xFF  # flip bits in the array data
    path.write_bytes(bytes(data))
    with raises(r"array 0\.weight is corrupt \(Bad CRC-32"):
        load_weights(path)


def test_npz_with_a_non_array_member(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with raises(r"member readme\.txt is not a \.npy array"):
        load_weights(path)


@pytest.mark.parametrize("arrays, match", [
    ({"0.weight": np.array([{"x": 1}], dtype=object)},
     r"array 0\.weight holds Python objects, which would need pickle to load; only numeric"),
    ({"0.weight": np.zeros(2, np.int32)}, r"tensor 0\.weight has unsupported dtype int32"),
    ({"0.weight": np.array(["a", "b"])}, r"tensor 0\.weight has unsupported dtype <U1"),
    ({"0.weight": np.array([0.0, np.nan], np.float32)}, r"0\.weight holds NaN or infinite"),
    ({"__metadata__.config": np.array([1.0])},
     r"metadata entry __metadata__\.config must be a 0-d string array holding JSON"),
    ({"__metadata__.config": np.array("{'single': 'quotes'}")},
     r"metadata 'config' is not valid JSON \(invalid JSON at line 1 column 2"),
])
def test_npz_with_bad_arrays(tmp_path, arrays, match):
    path = tmp_path / "m.npz"
    write_npz(path, arrays)
    with raises(r"m\.npz: .*" + match):
        load_weights(path)


def json_weights(**overrides) -> dict:
    doc = {"format": "playground-weights", "version": 1, "metadata": {"config": {"seed": 1}},
           "tensors": {"0.weight": {"dtype": "float32", "shape": [2, 2],
                                    "data": [[1.0, 2.0], [3.0, 4.5]]},
                       "0.bias": {"dtype": "float64", "shape": [2], "data": [0, -1]},
                       "1.num_batches_tracked": {"dtype": "int64", "shape": [], "data": 3}}}
    doc.update(overrides)
    return doc


def tensor(dtype="float32", shape=(2,), data=(1.0, 2.0)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data": data if not isinstance(data, tuple)
            else list(data)}


def test_hand_written_json_loads(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(json_weights()))
    loaded, metadata = load_weights(path)
    assert list(loaded) == ["0.weight", "0.bias", "1.num_batches_tracked"]
    assert loaded["0.weight"].dtype == np.float32
    np.testing.assert_array_equal(loaded["0.weight"], [[1, 2], [3, 4.5]])
    assert loaded["0.bias"].dtype == np.float64  # integers are fine for a float tensor
    assert loaded["1.num_batches_tracked"].dtype == np.int64
    assert loaded["1.num_batches_tracked"].shape == () and loaded["1.num_batches_tracked"] == 3
    assert metadata == {"config": {"seed": 1}}


@pytest.mark.parametrize("text, match", [
    ('{"format": "playground-weights", ',
     r"invalid JSON at line 1 column 34: Expecting property name"),
    ("\xff\xfe{}", r"not a JSON weights file \(not UTF-8 text\)"),
    ("[1, 2]", r"the top level must be an object with keys format, version, metadata, tensors"),
    (json.dumps(json_weights(format="keras")),
     r"'format' must be \"playground-weights\", got \"keras\""),
    (json.dumps(json_weights(version=2)), r"unsupported version 2; this app reads version 1"),
    (json.dumps(json_weights(extra=1)), r"unknown top-level key 'extra'; allowed keys are"),
    (json.dumps(json_weights(metadata=[1])), r"'metadata' must be an object"),
    (json.dumps(json_weights(tensors=[1])), r"'tensors' must be an object mapping"),
    (json.dumps(json_weights(tensors={"a": [1.0]})),
     r"tensor a must be an object with keys dtype, shape, data; got list"),
    (json.dumps(json_weights(tensors={"a": {"dtype": "float32", "data": [1.0]}})),
     r"tensor a must be an object with keys dtype, shape, data; got \['data', 'dtype'\]"),
    (json.dumps(json_weights(tensors={"a": tensor(dtype="float16")})),
     r"tensor a has unsupported dtype \"float16\"; allowed dtypes are float32, float64, int64"),
    (json.dumps(json_weights(tensors={"a": tensor(shape=(2, -1))})),
     r"tensor a: shape must be a list of non-negative integers, got \[2, -1\]"),
    (json.dumps(json_weights(tensors={"a": tensor(shape=(2, 2), data=[[1.0, 2.0], [3.0]])})),
     r"tensor a: data is ragged \(nested lists of different lengths\)"),
    (json.dumps(json_weights(tensors={"a": tensor(shape=(2,), data=[1.0, [2.0]])})),
     r"tensor a: data is ragged"),
    (json.dumps(json_weights(tensors={"a": tensor(shape=(3, 2), data=[[1, 2], [3, 4]])})),
     r"tensor a: shape \[3, 2\] does not match its data, which has shape \[2, 2\]"),
    (json.dumps(json_weights(tensors={"a": tensor(shape=(1,), data=5.0)})),
     r"tensor a: shape \[1\] does not match its data, which has shape \[\]"),
    (json.dumps(json_weights(tensors={"a": tensor(data=[1.0, "2"])})),
     r"tensor a: data holds \"2\"; only numbers and nested lists of numbers are allowed"),
    (json.dumps(json_weights(tensors={"a": tensor(data=[1.0, True])})), r"data holds true"),
    (json.dumps(json_weights(tensors={"a": tensor(dtype="int64", data=[1, 2.5])})),
     r"tensor a: dtype int64 needs integer data"),
    (json.dumps(json_weights(tensors={"a": tensor(dtype="int64", data=[1, 2**70])})),
     r"tensor a: dtype int64 needs integer data within int64 range"),
    ('{"format": "playground-weights", "version": 1, "tensors": {"a": {"dtype": "float64", '
     '"shape": [1], "data": [NaN]}}}', r"NaN is not allowed; numbers must be finite"),
    ('{"format": "playground-weights", "version": 1, "tensors": {"a": {"dtype": "float64", '
     '"shape": [1], "data": [-Infinity]}}}', r"-Infinity is not allowed"),
    # Too large for a double: Python's parser makes it inf, caught as non-finite.
    ('{"format": "playground-weights", "version": 1, "tensors": {"a": {"dtype": "float64", '
     '"shape": [2], "data": [1.0, 1e400]}}}',
     r"tensor a holds NaN or infinite values; weights must be finite"),
    # Fine as a double, too large for float32.
    (json.dumps(json_weights(tensors={"a": tensor(dtype="float32", data=[1.0, 1e39])})),
     r"tensor a holds NaN or infinite values"),
    ('{"format": "playground-weights", "version": 1, "tensors": {"a": 1, "a": 2}}',
     r"duplicate key 'a'; each key may appear once"),
])
def test_malformed_json(tmp_path, text, match):
    path = tmp_path / "m.json"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    with raises(r"m\.json: .*" + match):
        load_weights(path)


# ------------------------------------------------------------------------ check_state_dict

EXPECTED = {
    "0.weight": ((8, 4), "float"),
    "0.bias": ((8,), "float"),
    "1.num_batches_tracked": ((), "int"),
    "2.weight": ((1, 8), "float"),
    "2.bias": ((1,), "float"),
}


def matching() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    return {key: (np.array(0, np.int64) if kind == "int" else rng.standard_normal(shape))
            for key, (shape, kind) in EXPECTED.items()}


HINT = "; the config must describe the model the weights were trained with"


def test_check_state_dict_accepts_a_match():
    check_state_dict(EXPECTED, matching())
    check_state_dict(EXPECTED, {k: v.astype(np.float32) if v.dtype.kind == "f" else v
                                for k, v in reversed(matching().items())})


def test_check_state_dict_names_a_missing_key():
    loaded = matching()
    del loaded["2.weight"]
    with raises(r"^weights file has no tensor 2\.weight \(expected shape \(1, 8\)\)" + HINT):
        check_state_dict(EXPECTED, loaded)


def test_check_state_dict_names_an_unexpected_key():
    loaded = {**matching(), "3.weight": np.zeros((2, 1))}
    with raises(r"^weights file has an unexpected tensor 3\.weight \(shape \(2, 1\)\)" + HINT):
        check_state_dict(EXPECTED, loaded)


def test_check_state_dict_names_a_wrong_shape():
    loaded = {**matching(), "0.weight": np.zeros((4, 8))}  # transposed: (in, out)
    with raises(r"^0\.weight has shape \(4, 8\), the model expects \(8, 4\)" + HINT):
        check_state_dict(EXPECTED, loaded)


def test_check_state_dict_names_a_wrong_kind():
    loaded = {**matching(), "1.num_batches_tracked": np.array(0.0)}
    with raises(r"^1\.num_batches_tracked has dtype float64, the model expects an integer "
                r"tensor" + HINT):
        check_state_dict(EXPECTED, loaded)


def test_check_state_dict_names_the_first_mismatch_in_model_order():
    # Three problems; the message is about the earliest key of the model's order.
    loaded = matching()
    del loaded["2.bias"]
    loaded["0.bias"] = np.zeros(3)
    loaded["9.weight"] = np.zeros(1)
    with raises(r"^0\.bias has shape \(3,\), the model expects \(8,\)"):
        check_state_dict(EXPECTED, loaded)
    loaded["0.bias"] = np.zeros(8)
    with raises(r"^weights file has no tensor 2\.bias"):
        check_state_dict(EXPECTED, loaded)


def test_loaded_weights_feed_check_state_dict(tmp_path):
    save_weights(tmp_path / "m.npz", matching(), METADATA)
    loaded, _ = load_weights(tmp_path / "m.npz")
    check_state_dict(EXPECTED, loaded)  # metadata entries never appear among the tensors
    assert weights_mod.DTYPES == ("float32", "float64", "int64")
