"""Loading files without ever advising an unsafe load.

Libraries tell users how to get past a refused file (torch: "re-running torch.load with weights_only set to
False will likely succeed"; numpy: "Object arrays cannot be loaded when allow_pickle=False"). Both routes run
arbitrary code from the file. fastnas never passes that advice on: these helpers say what fastnas accepts
instead, and :func:`scrub` removes such advice from any message shown to a user (the CLI applies it to every
error it prints).
"""
from __future__ import annotations

import pickle
import re

__all__ = ["torch_load_plain", "npz_arrays", "scrub", "UNSAFE_ADVICE"]

#: words that only appear in advice to load unsafely (or to allow-list classes for unpickling)
UNSAFE_ADVICE = re.compile(r"weights_only|allow_pickle|add_safe_globals|safe_globals|trust(ed)? (the )?source",
                           re.IGNORECASE)

TORCH_ACCEPTS = ("fastnas loads only tensors, numbers, strings and plain containers (lists, tuples, dicts) from "
                 "torch files, e.g. torch.save(model.state_dict(), path)")
NPZ_ACCEPTS = "fastnas reads only numeric arrays, e.g. numpy.savez(path, X=X, y=y) with numeric dtypes"


def scrub(message: str) -> str:
    """``message`` without any advice to load unsafely (the offending sentences are replaced by what fastnas
    accepts).

    >>> scrub("Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will succeed.")
    'Weights only load failed. (fastnas loads only tensors, numbers, strings and plain containers (lists, tuples, dicts) from torch files, e.g. torch.save(model.state_dict(), path))'
    >>> scrub("no such file")
    'no such file'
    """
    if not UNSAFE_ADVICE.search(message):
        return message
    kept = [s for s in re.split(r"(?<=[.!?])\s+|\n+", message) if s.strip() and not UNSAFE_ADVICE.search(s)]
    accepts = NPZ_ACCEPTS if "pickle" in message.lower() and "torch" not in message.lower() else TORCH_ACCEPTS
    return " ".join(kept + [f"({accepts})"]).strip()


def torch_load_plain(path, what: str = "file"):
    """``torch.load(path, map_location="cpu", weights_only=True)``; a refused or unreadable file raises
    ``ValueError`` naming the path, the class the file wanted to unpickle and what fastnas accepts.

    Raises
    ------
    ValueError
        The file holds other Python objects, or is not a readable torch file.
    FileNotFoundError
        No such file.
    """
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as exc:
        m = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        if m:
            raise ValueError(f"{path}: the {what} holds Python objects fastnas does not load (it holds "
                             f"{m.group(1)}); {TORCH_ACCEPTS}") from None
        detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(\n|$)", str(exc))
        why = f" ({detail.group(1)})" if detail else ""
        raise ValueError(f"{path}: not a readable {what}{why}; {TORCH_ACCEPTS}") from None
    except Exception as exc:  # torch raises RuntimeError / EOFError / zip errors for damaged files
        raise ValueError(f"{path}: not a readable {what} ({type(exc).__name__}: {scrub(str(exc))})") from None


def npz_arrays(path, names, what: str = "file") -> dict:
    """The named arrays of an ``.npz`` file, read with ``allow_pickle=False``.

    Raises
    ------
    ValueError
        A named array is missing (the message lists what the file holds), holds Python objects, or the file is
        not a readable ``.npz``.
    """
    import numpy as np

    try:
        f = np.load(path, allow_pickle=False)
    except ValueError:  # numpy: "contains pickled (object) data ... load it unsafely": never pass that on
        raise ValueError(f"{path}: the {what} is not an .npz archive of numeric arrays; {NPZ_ACCEPTS}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz {what} ({type(exc).__name__}: {scrub(str(exc))})") from None
    if not hasattr(f, "files"):
        raise ValueError(f"{path}: the {what} must be an .npz archive of named arrays, got one plain array")
    try:
        with f:
            missing = [k for k in names if k not in f.files]
            if missing:
                raise ValueError(f"{path}: the {what} lacks array(s) {missing}; it has {f.files}")
            out = {}
            for k in names:
                try:
                    out[k] = f[k]
                except ValueError as exc:
                    if "pickle" in str(exc).lower():
                        raise ValueError(f"{path}: array {k!r} of the {what} holds Python objects (an object "
                                         f"array); {NPZ_ACCEPTS}") from None
                    raise
            return out
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz {what} ({type(exc).__name__}: {scrub(str(exc))})") from None
