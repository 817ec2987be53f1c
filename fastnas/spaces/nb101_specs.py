"""NB101 batches (``NB101Cells``) and their conversions: nasbench-style specs, raw arrays, strings.

Op codes are the nasbench hash labels: input -1, output -2, conv3x3-bn-relu 0, conv1x1-bn-relu 1,
maxpool3x3 2, and -3 for padding beyond ``n_vertices`` (where the matrix is zero). The output vertex
is at ``n_vertices - 1``.
"""
from __future__ import annotations

import numpy as np

from .. import _backend
from . import nb101_ref as _ref
from ._cells import Cells

INPUT, OUTPUT, CONV3X3, CONV1X1, MAXPOOL3X3 = "input", "output", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
OP_CODES = {INPUT: -1, OUTPUT: -2, CONV3X3: 0, CONV1X1: 1, MAXPOOL3X3: 2}
OP_NAMES = {v: k for k, v in OP_CODES.items()}
PAD = -3
# one character per op in the string form
_OP_CHARS = {-1: "i", -2: "o", 0: "3", 1: "1", 2: "m"}
_CHAR_OPS = {v: k for k, v in _OP_CHARS.items()}


class NB101Cells(Cells):
    """A batch of NAS-Bench-101 cells: ``matrix`` (N, 7, 7) uint8, ``ops`` (N, 7) int8 and
    ``n_vertices`` (N,) uint8, padded to 7 vertices.

    >>> from fastnas.spaces.nb101 import NB101
    >>> cells = NB101.from_specs([[0, 1], [0, 0]], ["input", "output"])
    >>> len(cells), int(cells.n_vertices[0])
    (1, 2)
    """

    FIELDS = (("matrix", np.uint8, (7, 7)), ("ops", np.int8, (7,)), ("n_vertices", np.uint8, ()))
    SPACE = "nb101"
    __slots__ = ()

    @classmethod
    def _check_rows(cls, arrays) -> None:
        check_arrays(arrays["matrix"], arrays["ops"], arrays["n_vertices"])


_new = object.__new__
_set = object.__setattr__


def wrap_rows(m: np.ndarray, o: np.ndarray, v: np.ndarray) -> NB101Cells:
    """Kernel outputs (matrix, ops, n_vertices) -> a batch, without checks. The compiled kernels whose rows
    become a batch return read-only views (``csrc/arrays.hpp``), taken as they are; anything else (a Python
    twin's output) goes through ``Cells._trusted_rows``. Written out for the three fields: this is on every
    one-cell call that returns cells, where a generic loop costs about as much as the kernel."""
    if (m.flags.writeable or o.flags.writeable or v.flags.writeable
            or m.base is None or o.base is None or v.base is None):
        return NB101Cells._trusted_rows(m, o, v)
    obj = _new(NB101Cells)
    _set(obj, "_arrays", {"matrix": m, "ops": o, "n_vertices": v})
    return obj


def check_arrays(matrix: np.ndarray, ops: np.ndarray, nv: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first malformed row (vectorised check in the kernel; the message
    is ``nb101_ref.describe_row``, the same text every backend's kernels raise)."""
    err = _backend.get("nb101_check")(matrix, ops, nv)
    if len(err) == 1:  # one cell: item() instead of a numpy search
        if err.item(0) == 0:
            return
        i = 0
    else:
        bad = np.flatnonzero(err)
        if not bad.size:
            return
        i = int(bad[0])
    raise ValueError(f"row {i}: {_ref.describe_row(matrix[i], ops[i], nv[i])}")


def _as_int_array(a, name: str, dtype, shape_tail: tuple) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind in "biu" and np.can_cast(arr.dtype, dtype):  # every value fits: no range scan
        if arr.ndim != 1 + len(shape_tail) or tuple(arr.shape[1:]) != shape_tail:
            want = "(N, " + ", ".join(map(str, shape_tail)) + ")" if shape_tail else "(N,)"
            raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
        return np.ascontiguousarray(arr, dtype=dtype)
    if arr.dtype.kind not in "biu":
        if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f" and not arr.size:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "f":
            raise TypeError(f"{name}: expected integers, got dtype {arr.dtype} with a non-integral or non-finite "
                            "value (float arrays are accepted only when every value is a whole number)")
        else:
            raise TypeError(f"{name}: expected integers, got dtype {arr.dtype}")
    if arr.ndim != 1 + len(shape_tail) or tuple(arr.shape[1:]) != shape_tail:
        want = "(N, " + ", ".join(map(str, shape_tail)) + ")" if shape_tail else "(N,)"
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    info = np.iinfo(dtype)
    if arr.size and (arr.min() < info.min or arr.max() > info.max):
        rows = np.flatnonzero(((arr < info.min) | (arr > info.max)).reshape(len(arr), -1).any(axis=1))
        raise ValueError(f"row {int(rows[0])}: {name} values outside {info.min}..{info.max}")
    return np.ascontiguousarray(arr, dtype=dtype)


def from_arrays(matrix, ops, n_vertices=None) -> NB101Cells:
    """Validated batch from raw arrays (matrix (N,7,7), op codes (N,7), optional n_vertices (N,)).

    Without ``n_vertices`` each row's size is the position of its output code (-2) plus one.

    The common case (C-contiguous integer arrays of in-range values and well-formed rows) is one compiled
    call, ``nb101_from_arrays`` (twin: ``_nb101_fast.nb101_from_arrays``), which returns fresh read-only
    arrays; for anything else it returns None and ``from_arrays_general``, the specification, gives the
    same batch or raises the error naming the problem.
    """
    fast = _backend.get("nb101_from_arrays")(matrix, ops, n_vertices)
    if fast is not None:  # fresh read-only views on every backend (the kernel's contract, tested): taken as they are
        obj = _new(NB101Cells)
        _set(obj, "_arrays", {"matrix": fast[0], "ops": fast[1], "n_vertices": fast[2]})
        return obj
    return from_arrays_general(matrix, ops, n_vertices)


def from_arrays_general(matrix, ops, n_vertices=None) -> NB101Cells:
    """``from_arrays`` for any input (lists, float arrays of integral values, views, other dtypes): every
    check in Python, each error naming the problem. The specification of the compiled fast path."""
    m = _as_int_array(matrix, "matrix", np.uint8, (7, 7))
    o = _as_int_array(ops, "ops", np.int8, (7,))
    if len(o) != len(m):
        raise ValueError(f"matrix has {len(m)} rows, ops has {len(o)}")
    if n_vertices is None:
        is_out = o == -2
        has = is_out.any(axis=1)
        if not has.all():
            i = int(np.flatnonzero(~has)[0])
            raise ValueError(f"row {i}: output misplaced (no output op code -2; pass n_vertices)")
        nv = (np.argmax(is_out, axis=1) + 1).astype(np.uint8)
    else:
        nv = _as_int_array(n_vertices, "n_vertices", np.uint8, ())
        if len(nv) != len(m):
            raise ValueError(f"matrix has {len(m)} rows, n_vertices has {len(nv)}")
    # own copies: the batch must not alias (nor freeze) arrays the caller still holds
    if isinstance(matrix, np.ndarray):
        m = m.copy()
    if isinstance(ops, np.ndarray):
        o = o.copy()
    if isinstance(n_vertices, np.ndarray):
        nv = nv.copy()
    check_arrays(m, o, nv)
    return NB101Cells._trusted_rows(m, o, nv)


def _is_single_ops(ops) -> bool:
    if isinstance(ops, np.ndarray):
        return ops.ndim == 1 and ops.dtype.kind in "US"
    return isinstance(ops, (list, tuple)) and (len(ops) == 0 or isinstance(ops[0], str))


def from_specs(matrices, ops) -> NB101Cells:
    """Batch from nasbench-style specs: one spec (a V x V 0/1 matrix and V op names) or lists of them.

    Lists and tuples of Python ints and op-name strings are parsed by the compiled ``nb101_parse_specs``
    (one pass over the objects); anything else (numpy arrays, other sequences) and every malformed row
    go through ``parse_specs``, the Python specification, which raises ``ValueError`` naming the row and
    the reason, so the message is the same on every backend.
    """
    if type(ops) is list and ops and type(ops[0]) is str:  # one spec as lists (the one-cell call): no more tests
        matrices, ops = [matrices], [ops]
    else:
        if isinstance(ops, str):
            raise TypeError("ops must be a list of op names (or a list of such lists), not a string")
        if _is_single_ops(ops):
            matrices, ops = [matrices], [ops]
    out = _backend.get("nb101_parse_specs")(matrices, ops)
    if out is None:
        out = parse_specs(matrices, ops)
    return wrap_rows(*out)


def parse_specs(matrices, ops) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The specification of spec parsing (the Python twin of ``_core.nb101_parse_specs``): lists of
    specs -> (matrix (N,7,7) uint8, ops (N,7) int8, n_vertices (N,) uint8); ``ValueError`` naming the
    first malformed row."""
    if isinstance(ops, str):
        raise TypeError("ops must be a list of op names (or a list of such lists), not a string")
    try:
        matrices, ops = list(matrices), list(ops)
    except TypeError as exc:
        raise TypeError(f"matrices and ops must be sequences of specs ({exc})") from None
    if len(matrices) != len(ops):
        raise ValueError(f"{len(matrices)} matrices but {len(ops)} op lists")
    n = len(ops)
    m_out = np.zeros((n, 7, 7), np.uint8)
    o_out = np.full((n, 7), PAD, np.int8)
    v_out = np.zeros(n, np.uint8)
    for i, (mat, names) in enumerate(zip(matrices, ops)):
        try:
            a = np.asarray(mat)
        except Exception as exc:  # ragged nested lists
            raise ValueError(f"row {i}: matrix is not square ({exc})") from None
        if a.dtype == object or a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"row {i}: matrix is not square (shape {a.shape})")
        V = a.shape[0]
        if isinstance(names, str) or not isinstance(names, (list, tuple, np.ndarray)):
            raise ValueError(f"row {i}: ops must be a list of op names")
        if len(names) != V:
            raise ValueError(f"row {i}: size mismatch: {V} x {V} matrix but {len(names)} ops")
        if not 2 <= V <= 7:
            raise ValueError(f"row {i}: size {V} outside 2..7")
        if a.dtype.kind not in "biuf" or (a.size and not np.all(np.isin(a, (0, 1)))):
            bad = np.argwhere(~np.isin(a, (0, 1)))[0] if a.dtype.kind in "biuf" else (0, 0)
            raise ValueError(f"row {i}: non-0/1 entries (matrix[{bad[0]}][{bad[1]}] = {a[tuple(bad)]!r})")
        if np.tril(a).any():
            r, c = np.argwhere(np.tril(a))[0]
            raise ValueError(f"row {i}: not strictly upper triangular (matrix[{r}][{c}] = 1)")
        codes = []
        for k, name in enumerate(names):
            if name not in OP_CODES:
                raise ValueError(f"row {i}: unknown op {name!r} at vertex {k}; valid: {', '.join(OP_CODES)}")
            codes.append(OP_CODES[name])
        if codes[0] != -1 or codes.count(-1) != 1:
            raise ValueError(f"row {i}: input misplaced: 'input' must be vertex 0 and only there (ops {list(names)})")
        if codes[-1] != -2 or codes.count(-2) != 1:
            raise ValueError(f"row {i}: output misplaced: 'output' must be the last vertex and only there "
                             f"(ops {list(names)})")
        m_out[i, :V, :V] = a
        o_out[i, :V] = codes
        v_out[i] = V
    return m_out, o_out, v_out


def to_specs(cells: NB101Cells) -> tuple[list[list[list[int]]], list[list[str]]]:
    """(matrices, ops) as nasbench uses them: V x V lists of ints and lists of op names, per row."""
    mats, ops = [], []
    for m, o, n in zip(cells.matrix.tolist(), cells.ops.tolist(), cells.n_vertices.tolist()):
        mats.append([row[:n] for row in m[:n]])
        ops.append([OP_NAMES[c] for c in o[:n]])
    return mats, ops


def to_strings(cells: NB101Cells) -> list[str]:
    """``"<ops>:<row>/<row>/..."``: one char per op (i input, 3 conv3x3, 1 conv1x1, m maxpool3x3,
    o output) and the V matrix rows as 0/1 digits, e.g. ``"i3o:011/001/000"``."""
    out = []
    for m, o, n in zip(cells.matrix.tolist(), cells.ops.tolist(), cells.n_vertices.tolist()):
        ops = "".join(_OP_CHARS.get(c, "?") for c in o[:n])
        rows = "/".join("".join(str(x) for x in row[:n]) for row in m[:n])
        out.append(f"{ops}:{rows}")
    return out


def from_strings(strings) -> NB101Cells:
    """Parse strings made by ``to_strings`` (validated like ``from_specs``)."""
    if isinstance(strings, str):
        strings = [strings]
    mats, ops = [], []
    for i, s in enumerate(strings):
        if not isinstance(s, str) or s.count(":") != 1:
            raise ValueError(f"row {i}: expected '<ops>:<row>/<row>/...', got {s!r}")
        head, body = s.split(":")
        try:
            names = [OP_NAMES[_CHAR_OPS[ch]] for ch in head]
        except KeyError:
            raise ValueError(f"row {i}: unknown op character in {head!r}; valid: i 3 1 m o") from None
        rows = body.split("/")
        if any(ch not in "01" for r in rows for ch in r):
            raise ValueError(f"row {i}: non-0/1 entries in {body!r}")
        if len({len(r) for r in rows}) != 1 or len(rows) != len(rows[0]):
            raise ValueError(f"row {i}: matrix is not square ({body!r})")
        mats.append([[int(ch) for ch in r] for r in rows])
        ops.append(names)
    if not mats:
        return NB101Cells.empty(0)
    return from_specs(mats, ops)
