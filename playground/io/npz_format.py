"""``.npz`` weights: one ``.npy`` member per tensor, plus the metadata as JSON strings.

Each metadata value is a 0-d unicode array under ``"__metadata__.<key>"`` (``"__metadata__.config"``
holds the run config as JSON), so the file loads with ``np.load(path, allow_pickle=False)``.
Before ``model.load_state_dict`` drop those entries::

    npz = np.load(path, allow_pickle=False)
    state = {k: torch.from_numpy(npz[k]) for k in npz.files if not k.startswith("__metadata__.")}
    config = json.loads(str(npz["__metadata__.config"]))

The archive is written like ``np.savez`` (uncompressed zip), with fixed member timestamps so
that the same weights always give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from playground.errors import WeightsError
from playground.io.metadata import decode_metadata, encode_metadata, first_line

METADATA_PREFIX = "__metadata__."
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _add(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    info = zipfile.ZipInfo(name + ".npy", date_time=_EPOCH)
    with archive.open(info, "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def write(state_dict: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    for key in state_dict:
        if key.startswith(METADATA_PREFIX):
            raise WeightsError(f"tensor name {key} is not allowed: names starting with "
                               f"{METADATA_PREFIX!r} hold metadata in .npz files")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in state_dict.items():
            _add(archive, key, array)
        for key, text in encode_metadata(metadata).items():
            _add(archive, METADATA_PREFIX + key, np.array(text))
    return buffer.getvalue()


def _member(npz: Any, name: str) -> np.ndarray:
    try:
        array = npz[name]
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise WeightsError(f"array {name} holds Python objects, which would need pickle "
                               "to load; only numeric arrays are allowed") from None
        raise WeightsError(f"array {name} is corrupt ({first_line(exc)})") from None
    except Exception as exc:  # zipfile.BadZipFile (bad CRC), EOFError, OSError...
        raise WeightsError(f"array {name} is corrupt ({first_line(exc)})") from None
    if not isinstance(array, np.ndarray):  # np.load returns the raw bytes of non-.npy members
        raise WeightsError(f"member {name} is not a .npy array; an .npz holds only .npy arrays")
    return array


def read(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06", np.lib.format.MAGIC_PREFIX)):
        # np.load would take it for a pickle and suggest allowing pickles: never do that
        raise WeightsError("not an .npz archive (a zip of .npy arrays): the file is not a zip "
                           "archive")
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise WeightsError(f"not an .npz archive (a zip of .npy arrays): "
                           f"{first_line(exc)}") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise WeightsError("holds a single .npy array, not an .npz archive of named arrays")
    tensors: dict[str, np.ndarray] = {}
    raw: dict[str, str] = {}
    with npz:
        for name in npz.files:
            array = _member(npz, name)
            if not name.startswith(METADATA_PREFIX):
                tensors[name] = array
            elif array.ndim == 0 and array.dtype.kind == "U":
                raw[name[len(METADATA_PREFIX):]] = str(array)
            else:
                raise WeightsError(f"metadata entry {name} must be a 0-d string array holding "
                                   f"JSON, got dtype {array.dtype} shape {array.shape}")
    return tensors, decode_metadata(raw)
