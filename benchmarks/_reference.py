"""Reference twins of the code users port from, for the one-cell benchmarks (``bench_onecell.py``).

Each function follows the named official code path (own transcription, same algorithm and the same Python
data structures, so its time is what a user of that code pays):

* nasbench (google-research/nasbench, Apache-2.0): ``model_spec.ModelSpec.__init__`` with ``_prune``,
  ``api.NASBench._check_spec``'s validity rules, and ``graph_util.hash_module`` (``ModelSpec.hash_spec``).
* naszilla (naszilla/naszilla, Apache-2.0): ``nas_bench_101/cell_101.py`` ``Cell.get_paths``,
  ``get_path_indices`` and ``encode_paths`` (the BANANAS path encoding).
* NATS-Bench (D-X-Y/NATS-Bench, MIT): ``api_utils.NASBenchMetaAPI.query_index_by_arch`` (a dict lookup
  behind a few type tests) and ``xautodl`` ``CellStructure.str2structure`` / ``to_unique_str``.
"""
from __future__ import annotations

import copy
import hashlib

import numpy as np

INPUT, OUTPUT = "input", "output"
CONV3X3, CONV1X1, MAXPOOL3X3 = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
NB101_OPS = [CONV3X3, CONV1X1, MAXPOOL3X3]


# ---------------------------------------------------------------- nasbench
class ModelSpec:
    """nasbench ``ModelSpec``: validates the shape, prunes on construction."""

    def __init__(self, matrix, ops):
        if not isinstance(matrix, np.ndarray):
            matrix = np.array(matrix)
        shape = np.shape(matrix)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError("matrix must be square")
        if shape[0] != len(ops):
            raise ValueError("length of ops must match matrix dimensions")
        if not _is_upper_triangular(matrix):
            raise ValueError("matrix must be upper triangular")
        self.original_matrix = copy.deepcopy(matrix)
        self.original_ops = copy.deepcopy(ops)
        self.matrix = copy.deepcopy(matrix)
        self.ops = copy.deepcopy(ops)
        self.valid_spec = True
        self._prune()

    def _prune(self):
        num_vertices = np.shape(self.original_matrix)[0]
        visited_from_input = {0}
        frontier = [0]
        while frontier:
            top = frontier.pop()
            for v in range(top + 1, num_vertices):
                if self.original_matrix[top, v] and v not in visited_from_input:
                    visited_from_input.add(v)
                    frontier.append(v)
        visited_from_output = {num_vertices - 1}
        frontier = [num_vertices - 1]
        while frontier:
            top = frontier.pop()
            for v in range(0, top):
                if self.original_matrix[v, top] and v not in visited_from_output:
                    visited_from_output.add(v)
                    frontier.append(v)
        extraneous = set(range(num_vertices)).difference(visited_from_input.intersection(visited_from_output))
        if len(extraneous) > num_vertices - 2:
            self.matrix, self.ops, self.valid_spec = None, None, False
            return
        self.matrix = np.delete(self.matrix, list(extraneous), axis=0)
        self.matrix = np.delete(self.matrix, list(extraneous), axis=1)
        for index in sorted(extraneous, reverse=True):
            del self.ops[index]

    def hash_spec(self, canonical_ops):
        labeling = [-1] + [canonical_ops.index(op) for op in self.ops[1:-1]] + [-2]
        return hash_module(self.matrix, labeling)


def _is_upper_triangular(matrix) -> bool:
    for src in range(np.shape(matrix)[0]):
        for dst in range(0, src + 1):
            if matrix[src, dst] != 0:
                return False
    return True


def is_valid(spec: ModelSpec) -> bool:
    """nasbench ``NASBench.is_valid`` (``_check_spec`` without raising): pruned, <= 7 vertices, <= 9 edges,
    input first, output last, known ops."""
    if not spec.valid_spec:
        return False
    if np.shape(spec.matrix)[0] > 7 or np.sum(spec.matrix) > 9:
        return False
    if spec.ops[0] != INPUT or spec.ops[-1] != OUTPUT:
        return False
    return all(op in NB101_OPS for op in spec.ops[1:-1])


def hash_module(matrix, labeling) -> str:
    vertices = np.shape(matrix)[0]
    in_edges = np.sum(matrix, axis=0).tolist()
    out_edges = np.sum(matrix, axis=1).tolist()
    hashes = list(zip(out_edges, in_edges, labeling))
    hashes = [hashlib.md5(str(h).encode("utf-8")).hexdigest() for h in hashes]
    for _ in range(vertices):
        new_hashes = []
        for v in range(vertices):
            in_neighbors = [hashes[w] for w in range(vertices) if matrix[w, v]]
            out_neighbors = [hashes[w] for w in range(vertices) if matrix[v, w]]
            new_hashes.append(hashlib.md5(
                ("".join(sorted(in_neighbors)) + "|" + "".join(sorted(out_neighbors)) + "|" + hashes[v]
                 ).encode("utf-8")).hexdigest())
        hashes = new_hashes
    return hashlib.md5(str(sorted(hashes)).encode("utf-8")).hexdigest()


def nasbench_fingerprint(matrix, ops) -> str:
    """What a nasbench user calls per cell: ``ModelSpec(matrix, ops).hash_spec(ops list)``."""
    return ModelSpec(matrix, ops).hash_spec(NB101_OPS)


def nasbench_prune_valid(matrix, ops) -> bool:
    """``ModelSpec`` (pruning) + ``is_valid`` from Python lists."""
    return is_valid(ModelSpec(matrix, ops))


# ---------------------------------------------------------------- naszilla
def naszilla_encode_paths(matrix, ops) -> np.ndarray:
    """naszilla ``Cell(matrix, ops).encode_paths()`` on a 7 x 7 spec (lists or arrays)."""
    paths = []
    for j in range(0, 7):
        paths.append([[]]) if matrix[0][j] else paths.append([])
    for i in range(1, 6):
        for j in range(1, 7):
            if matrix[i][j]:
                for path in paths[i]:
                    paths[j].append([*path, ops[i]])
    mapping = {CONV3X3: 0, CONV1X1: 1, MAXPOOL3X3: 2}
    path_indices = []
    for path in paths[-1]:
        index = 0
        for i in range(6):
            if i == len(path):
                path_indices.append(index)
                break
            index += 3 ** i * (mapping[path[i]] + 1)
    path_indices.sort()
    encoding = np.zeros(sum(3 ** i for i in range(6)))
    for index in tuple(path_indices):
        encoding[index] = 1
    return encoding


# ---------------------------------------------------------------- NATS-Bench
class NatsIndex:
    """``query_index_by_arch`` of NATS-Bench's API over its ``archstr2index`` dict."""

    def __init__(self, strings):
        self.archstr2index = {s: i for i, s in enumerate(strings)}
        self.verbose = False

    def __len__(self):
        return len(self.archstr2index)

    def query_index_by_arch(self, arch):
        if self.verbose:
            print(f"Call query_index_by_arch with arch={arch}")
        if isinstance(arch, int):
            if 0 <= arch < len(self):
                return arch
            raise ValueError(f"Invalid architecture index {arch} vs [0, {len(self)}).")
        if isinstance(arch, str):
            if arch in self.archstr2index:
                arch_index = self.archstr2index[arch]
            else:
                arch_index = -1
        elif hasattr(arch, "tostr"):
            arch_index = self.archstr2index[arch.tostr()] if arch.tostr() in self.archstr2index else -1
        else:
            arch_index = -1
        return arch_index


class CellStructure:
    """xautodl ``CellStructure`` (the genotype NATS-Bench parses arch strings into)."""

    def __init__(self, genotype):
        self.nodes = [tuple(node) for node in genotype]

    @staticmethod
    def str2structure(xstr):
        if not isinstance(xstr, str):
            raise TypeError("must take string as input")
        genotypes = []
        for node_str in xstr.split("+"):
            inputs = list(filter(lambda x: x != "", node_str.split("|")))
            for xinput in inputs:
                if len(xinput.split("~")) != 2:
                    raise ValueError(f"invalid input length : {xinput}")
            genotypes.append(tuple((op, int(idx)) for (op, idx) in (xi.split("~") for xi in inputs)))
        return CellStructure(genotypes)

    def to_unique_str(self, consider_zero=False):
        nodes = {0: "0"}
        for i_node, node_info in enumerate(self.nodes):
            cur_node = []
            for op, xin in node_info:
                if consider_zero is None:
                    x = "(" + nodes[xin] + ")" + f"@{op}"
                elif consider_zero:
                    if op == "none" or nodes[xin] == "#":
                        x = "#"
                    elif op == "skip_connect":
                        x = nodes[xin]
                    else:
                        x = "(" + nodes[xin] + ")" + f"@{op}"
                else:
                    if op == "skip_connect":
                        x = nodes[xin]
                    else:
                        x = "(" + nodes[xin] + ")" + f"@{op}"
                cur_node.append(x)
            nodes[i_node + 1] = "+".join(sorted(cur_node))
        return nodes[len(self.nodes)]
