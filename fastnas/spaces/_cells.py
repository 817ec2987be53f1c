"""``Cells``: a batch of architectures as a few integer arrays sharing the leading dimension.

Each space subclasses ``Cells`` and declares its fields; a single cell is a batch of one. Batches are
cheap to slice, concatenate, pickle and hand to compiled kernels.

Batches are immutable and always hold valid rows: the constructor (and unpickling) checks every row
with the space's own rules (``_check_rows``), and every array a batch exposes is a read-only view
(``flags.writeable`` is False), so a validated batch cannot be edited in place. For an editable copy
take ``cells.ops.copy()`` (or ``{k: v.copy() for k, v in cells.arrays().items()}``), edit it, and build
a new batch from it (``NB101.from_arrays``, ``NB201.from_ops``, ... or the ``Cells`` constructor),
which validates it again. The compiled kernels re-check what they rely on as well.
"""
from __future__ import annotations

from typing import ClassVar, Iterable

import numpy as np


def _readonly(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Read-only views of ``arrays``. An array that owns its memory (a kernel output, a copy made by the
    constructor) is made read-only too, so the view's flag cannot be switched back; a view of someone
    else's buffer (a search's growing history) leaves that buffer writeable for its owner."""
    out = {}
    for k, a in arrays.items():
        if a.base is None:  # one flag change: a view of a read-only owner is read-only for good
            a.setflags(write=False)
            out[k] = a.view()
        else:
            v = a.view()
            v.setflags(write=False)
            out[k] = v
    return out


_new = object.__new__
_set = object.__setattr__


class Cells:
    """Base batch container. Subclasses set ``FIELDS = (("name", dtype, tail_shape), ...)`` and
    ``SPACE = "name"``.

    Indexing with an int gives a batch of one; with a slice, an integer array or a boolean mask it
    gives a sub-batch. ``a == b`` is True when both batches hold the same rows in the same order
    (use ``a.rows_equal(b)`` for a per-row comparison).
    """

    FIELDS: ClassVar[tuple[tuple[str, type, tuple[int, ...]], ...]] = ()
    SPACE: ClassVar[str] = ""
    _NAMES: ClassVar[tuple[str, ...]] = ()
    __slots__ = ("_arrays",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._NAMES = tuple(f[0] for f in cls.FIELDS)
        # one property per field: ``cells.ops`` is then a dict lookup, not a failed attribute search
        for name, _, _ in cls.__dict__.get("FIELDS", ()):
            if name not in cls.__dict__:
                setattr(cls, name, property(lambda self, _k=name: self._arrays[_k],
                                            doc=f"``{name}`` array (read-only view)"))

    def __init__(self, **arrays):
        names = [f[0] for f in self.FIELDS]
        missing = [n for n in names if n not in arrays]
        extra = [n for n in arrays if n not in names]
        if missing or extra:
            raise TypeError(f"{type(self).__name__} needs fields {names}; missing {missing}, unexpected {extra}")
        n = None
        data = {}
        for name, dtype, tail in self.FIELDS:
            a = np.asarray(arrays[name])
            if a.ndim != 1 + len(tail) or tuple(a.shape[1:]) != tuple(tail):
                raise ValueError(
                    f"{type(self).__name__}.{name}: expected shape (N, {', '.join(map(str, tail))})"
                    f"{'' if tail else ''}, got {a.shape}".replace(", )", ")")
                )
            if a.dtype != dtype:
                if a.dtype.kind not in "biuf":
                    raise ValueError(f"{type(self).__name__}.{name}: dtype {a.dtype} cannot hold {np.dtype(dtype)}")
                with np.errstate(invalid="ignore"):
                    b = a.astype(dtype)
                if a.size and not np.array_equal(b, a):
                    raise ValueError(f"{type(self).__name__}.{name}: values out of range for {np.dtype(dtype)}")
                a = b
            a = np.array(a, order="C", copy=True)  # never alias the caller's array
            if n is None:
                n = a.shape[0]
            elif a.shape[0] != n:
                raise ValueError(f"{type(self).__name__}: field {name} has {a.shape[0]} rows, expected {n}")
            data[name] = a
        type(self)._check_rows(data)
        object.__setattr__(self, "_arrays", _readonly(data))

    @classmethod
    def _check_rows(cls, arrays: dict[str, np.ndarray]) -> None:
        """Raise ``ValueError`` naming the first row that breaks the space's rules (arrays already of
        the declared dtype and shape). Each space overrides it with the check of its validating
        converters."""

    # -- construction helpers -------------------------------------------------------------
    @classmethod
    def _trusted(cls, **arrays):
        """Wrap arrays already of the right dtype and shape (kernel outputs) without checks."""
        return cls._trusted_rows(*[arrays[name] for name in cls._NAMES])

    @classmethod
    def _trusted_rows(cls, *arrays):
        """``_trusted`` with the arrays in ``FIELDS`` order (the one-cell path of every call that returns
        cells). A read-only view (what the compiled kernels return for rows that become a batch:
        ``csrc/arrays.hpp``) is taken as it is: it is read-only for exactly as long as the view ``_readonly``
        would make of it, since both share its base. Anything else gets ``_readonly``'s treatment."""
        obj = _new(cls)
        ro = {}
        for name, a in zip(cls._NAMES, arrays):
            if a.base is None:  # an owner (a Python-twin output, a copy): freeze it, hand out a view
                a.setflags(write=False)
                a = a.view()
            elif a.flags.writeable:
                a = a.view()
                a.setflags(write=False)
            ro[name] = a
        _set(obj, "_arrays", ro)
        return obj

    @classmethod
    def empty(cls, n: int = 0):
        return cls._trusted(**{name: np.zeros((n, *tail), dtype=dt) for name, dt, tail in cls.FIELDS})

    @classmethod
    def concat(cls, batches: Iterable["Cells"]):
        """Concatenate batches of this type (an empty iterable gives an empty batch)."""
        batches = list(batches)
        for b in batches:
            if not isinstance(b, cls):
                raise TypeError(f"cannot concatenate {type(b).__name__} with {cls.__name__}")
        if not batches:
            return cls.empty(0)
        return cls._trusted(
            **{name: np.concatenate([b._arrays[name] for b in batches], axis=0) for name, _, _ in cls.FIELDS}
        )

    # -- container protocol -----------------------------------------------------------------
    def __getattr__(self, name):
        try:
            return object.__getattribute__(self, "_arrays")[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}") from None

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new batch instead")

    def __len__(self) -> int:
        first = self.FIELDS[0][0]
        return int(self._arrays[first].shape[0])

    def __getitem__(self, idx):
        if isinstance(idx, (int, np.integer)):
            n = len(self)
            i = int(idx)
            if i < -n or i >= n:
                raise IndexError(f"index {i} out of range for a batch of {n} cells")
            idx = slice(i % n, i % n + 1) if n else slice(0, 0)
        elif isinstance(idx, slice):
            pass
        else:
            idx = np.asarray(idx)
            if idx.dtype == bool:
                if idx.shape != (len(self),):
                    raise IndexError(f"boolean mask of shape {idx.shape} for a batch of {len(self)} cells")
            elif idx.size and not np.issubdtype(idx.dtype, np.integer):
                raise IndexError(f"cells can be indexed by int, slice, integer array or bool mask, not {idx.dtype}")
            else:
                idx = idx.astype(np.intp, copy=False)
                n = len(self)
                if idx.size and (idx.min() < -n or idx.max() >= n):
                    raise IndexError(f"index out of range for a batch of {n} cells")
        return type(self)._trusted(**{k: np.ascontiguousarray(v[idx]) for k, v in self._arrays.items()})

    def __iter__(self):
        """Iterate as batches of one (convenient, slow: not for hot paths)."""
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return len(self) == len(other) and all(
            np.array_equal(self._arrays[k], other._arrays[k]) for k in self._arrays
        )

    __hash__ = None  # mutable-looking container of arrays: not hashable

    def rows_equal(self, other: "Cells") -> np.ndarray:
        """Per-row representation equality (not isomorphism: use ``space.is_isomorphic``)."""
        if type(other) is not type(self) or len(other) != len(self):
            raise ValueError("rows_equal needs two batches of the same type and length")
        eq = np.ones(len(self), dtype=bool)
        for k, a in self._arrays.items():
            eq &= (a == other._arrays[k]).reshape(len(self), -1).all(axis=1)
        return eq

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by field name (read-only views; ``.copy()`` one to edit it)."""
        return dict(self._arrays)

    def copy(self):
        return type(self)._trusted(**{k: v.copy() for k, v in self._arrays.items()})

    def __getstate__(self):
        return self._arrays

    def __setstate__(self, state):
        # a pickle is outside data: validate it like the constructor does
        if not isinstance(state, dict):
            raise TypeError(f"cannot unpickle {type(self).__name__} from {type(state).__name__}")
        type(self).__init__(self, **state)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self._arrays.items())
        return f"{type(self).__name__}(n={len(self)}: {shapes})"

