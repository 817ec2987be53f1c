"""String and genotype converters of the DARTS space (strings at the edges; arrays inside).

Formats
-------
* DARTS genotype (Liu et al. 2019, ``genotypes.py``): ``Genotype(normal=[(op, input) x 8],
  normal_concat=[2, 3, 4, 5], reduce=[(op, input) x 8], reduce_concat=[2, 3, 4, 5])``; pairs ``2k, 2k+1``
  feed node ``k``; ``concat`` may also be written ``range(2, 6)``. Note the order (op, input).
* NAS-Bench-Suite-Zero / NASLib compact key: ``[[(input, op) x 8], [(input, op) x 8]]`` (normal, then
  reduction) written as Python prints it, op codes in ``OPS`` order. Note the order (input, op).
* ``to_strings``: the compact key (it is the canonical text of a cell pair here).

Parsing never evaluates text: genotype strings are walked with ``ast``.
"""
from __future__ import annotations

import ast
import re
from collections import namedtuple

import numpy as np

from .darts_ref import OPS, _rows

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
Genotype.__doc__ = "The DARTS genotype namedtuple (same fields as DARTS ``genotypes.Genotype``)."

_OP_CODE = {name: i for i, name in enumerate(OPS)}
_CONCAT = [2, 3, 4, 5]
_PAIR = r"\(([0-9]+), ([0-9]+)\)"
_CELL = ", ".join([_PAIR] * 8)
_ZC_RE = re.compile(r"\[\[" + _CELL + r"\], \[" + _CELL + r"\]\]")
# "(i, o)" text of every in-range pair, for fast formatting
_PAIR_TEXT = np.array([[f"({i}, {o})" for o in range(7)] for i in range(6)], dtype=object)


def _empty(n: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((n, 2, 8), np.int8), np.zeros((n, 2, 8), np.int8)


def _as_list(x, what: str) -> list:
    if isinstance(x, (str, bytes)):
        return [x]
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{what}: expected a str or an iterable of them, got {type(x).__name__}") from None


def from_zc_keys(keys: list) -> tuple[np.ndarray, np.ndarray]:
    """Parse a list of NAS-Bench-Suite-Zero keys (reference twin of the C++ parser): the exact text
    ``[[(i, o), ... x 8], [(i, o), ... x 8]]`` with single spaces after commas; ValueError naming the
    row for anything malformed or out of range, TypeError for a non-str row."""
    if not isinstance(keys, list):
        raise TypeError("keys must be a list of str")
    inputs, ops = _empty(len(keys))
    for r, k in enumerate(keys):
        if not isinstance(k, str):
            raise TypeError(f"row {r}: expected a str key, got {type(k).__name__}")
        m = _ZC_RE.fullmatch(k)
        if m is None:
            raise ValueError(f"row {r}: malformed NAS-Bench-301 key {k[:80]!r} "
                             "(want '[[(input, op) x 8], [(input, op) x 8]]')")
        g = [int(x) for x in m.groups()]
        for c in range(2):
            for e in range(8):
                i, o = g[16 * c + 2 * e], g[16 * c + 2 * e + 1]
                if i > e // 2 + 1:
                    raise ValueError(f"row {r}: cell {c} edge {e}: input {i} out of range 0..{e // 2 + 1}")
                if o > 6:
                    raise ValueError(f"row {r}: cell {c} edge {e}: op {o} out of range 0..6")
                inputs[r, c, e] = i
                ops[r, c, e] = o
    return inputs, ops


def to_zc_keys(inputs: np.ndarray, ops: np.ndarray) -> list[str]:
    """NAS-Bench-Suite-Zero key text per row (reference twin of the C++ formatter)."""
    inputs, ops = _rows(inputs, ops)
    if len(inputs) == 0:
        return []
    pairs = _PAIR_TEXT[inputs.astype(np.intp), ops.astype(np.intp)]  # (N, 2, 8) of "(i, o)"
    return ["[[" + ", ".join(p[0]) + "], [" + ", ".join(p[1]) + "]]" for p in pairs.tolist()]


def _genotype_fields(g, r: int) -> tuple:
    if isinstance(g, str):
        return _parse_genotype_text(g, r)
    try:
        return g.normal, g.normal_concat, g.reduce, g.reduce_concat
    except AttributeError:
        raise TypeError(f"row {r}: expected a Genotype or its string, got {type(g).__name__}") from None


def _literal(node, r: int, field: str):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
            and not node.keywords and all(isinstance(a, ast.Constant) and isinstance(a.value, int)
                                          for a in node.args):
        return list(range(*[a.value for a in node.args]))
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise ValueError(f"row {r}: genotype field {field} is not a literal") from None


def _parse_genotype_text(text: str, r: int) -> tuple:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"row {r}: malformed genotype string {text[:80]!r}") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Genotype"):
        raise ValueError(f"row {r}: genotype string must be 'Genotype(normal=..., ...)', got {text[:80]!r}")
    names = list(Genotype._fields)
    vals = {}
    if len(call.args) > len(names):
        raise ValueError(f"row {r}: too many genotype fields")
    for name, node in zip(names, call.args):
        vals[name] = _literal(node, r, name)
    for kw in call.keywords:
        if kw.arg not in names or kw.arg in vals:
            raise ValueError(f"row {r}: unexpected or repeated genotype field {kw.arg!r}")
        vals[kw.arg] = _literal(kw.value, r, kw.arg)
    missing = [n for n in names if n not in vals]
    if missing:
        raise ValueError(f"row {r}: genotype lacks {missing}")
    return vals["normal"], vals["normal_concat"], vals["reduce"], vals["reduce_concat"]


def from_genotypes(genotypes) -> tuple[np.ndarray, np.ndarray]:
    """Parse DARTS genotypes (namedtuples with the DARTS fields, or their string repr).

    The compiled ``darts_parse_genotypes`` walks the objects / canonical repr text; any other form and
    every malformed row go through ``parse_genotypes`` (this module's specification, ``ast`` for text)."""
    from .. import _backend

    if isinstance(genotypes, str) or hasattr(genotypes, "normal"):
        genotypes = [genotypes]
    genotypes = _as_list(genotypes, "genotypes")
    out = _backend.get("darts_parse_genotypes")(genotypes)
    return out if out is not None else parse_genotypes(genotypes)


def parse_genotypes(genotypes) -> tuple[np.ndarray, np.ndarray]:
    """The specification of genotype parsing (Python twin of ``_core.darts_parse_genotypes``): a list of
    genotypes -> (inputs, ops) (N, 2, 8) int8; ``ValueError``/``TypeError`` naming the first bad row."""
    genotypes = _as_list(genotypes, "genotypes")
    inputs, ops = _empty(len(genotypes))
    for r, g in enumerate(genotypes):
        normal, nc, reduce, rc = _genotype_fields(g, r)
        for c, (cell, concat, name) in enumerate(((normal, nc, "normal"), (reduce, rc, "reduce"))):
            try:
                concat = [int(x) for x in concat]
            except (TypeError, ValueError):
                raise ValueError(f"row {r}: {name}_concat must be integers") from None
            if concat != _CONCAT:
                raise ValueError(f"row {r}: {name}_concat {concat} is not [2, 3, 4, 5] (not a NAS-Bench-301 cell)")
            if isinstance(cell, (str, bytes)) or not hasattr(cell, "__len__") or len(cell) != 8:
                raise ValueError(f"row {r}: {name} must hold 8 (op, input) pairs")
            for e, pair in enumerate(cell):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise ValueError(f"row {r}: {name} edge {e}: expected an (op, input) pair, got {pair!r}")
                op, i = pair
                if not isinstance(op, str) or op not in _OP_CODE:
                    raise ValueError(f"row {r}: {name} edge {e}: unknown op {op!r}; valid: {', '.join(OPS)}")
                if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i <= e // 2 + 1:
                    raise ValueError(f"row {r}: {name} edge {e}: input {i!r} out of range 0..{e // 2 + 1}")
                inputs[r, c, e] = int(i)
                ops[r, c, e] = _OP_CODE[op]
    return inputs, ops


def to_genotypes(inputs: np.ndarray, ops: np.ndarray) -> list:
    """Genotype namedtuples (op names, inputs as ints, concat [2, 3, 4, 5])."""
    names = np.array(OPS, dtype=object)[ops.astype(np.intp)].tolist()
    ins = inputs.tolist()
    out = []
    for r in range(len(ins)):
        cells = [list(zip(names[r][c], ins[r][c])) for c in range(2)]
        out.append(Genotype(normal=cells[0], normal_concat=list(_CONCAT), reduce=cells[1],
                            reduce_concat=list(_CONCAT)))
    return out
