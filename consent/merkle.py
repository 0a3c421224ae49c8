"""RFC 6962 / RFC 9162 Merkle tree hashing: roots, the append frontier, inclusion and consistency proofs.

leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right). The frontier is the list of
roots of the perfect subtrees that make up a tree of size n (largest first), so an append and the
root of the whole tree cost O(log n) without reading old leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _peak_sizes(size: int) -> list[int]:
    return [1 << bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]


def frontier_append(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The frontier of the tree of ``size + 1`` leaves, given the frontier of ``size`` leaves."""
    peaks = list(frontier)
    peaks.append(leaf)
    merged = size
    while merged & 1:  # each trailing one bit of the old size is a peak of equal size to merge
        right = peaks.pop()
        left = peaks.pop()
        peaks.append(node_hash(left, right))
        merged >>= 1
    return peaks


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """MTH of the tree whose perfect-subtree roots are ``frontier`` (largest first)."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for peak in reversed(frontier[:-1]):
        root = node_hash(peak, root)
    return root


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes, streaming: memory is O(log n)."""
    frontier: list[bytes] = []
    size = 0
    for leaf in leaves:
        frontier = frontier_append(frontier, size, leaf)
        size += 1
    return frontier_root(frontier)


def last_leaf_path(frontier_before: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof of the newest leaf in the tree it was appended to: the old peaks, nearest first."""
    return list(reversed(frontier_before))


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1 over a list of leaf hashes."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError("index outside the tree")
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if index < k:
        return inclusion_path(leaves[:k], index) + [root_of(leaves[k:])]
    return inclusion_path(leaves[k:], index - k) + [root_of(leaves[:k])]


def _decompose(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` in a tree of ``size`` (RFC 9162 2.1.3.2)."""
    if index >= size:
        raise ProofError(f"index {index} is beyond the tree size {size}")
    if len(leaf) != 32:
        raise ProofError("a leaf hash is 32 bytes")
    if any(len(h) != 32 for h in proof):
        raise ProofError("every proof hash is 32 bytes")
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {inner + border}")
    result = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(result, proof[inner:])


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``leaf`` sits at ``index`` of the tree of ``size`` with ``root``."""
    if len(root) != 32:
        raise ProofError("a root hash is 32 bytes")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("the proof leads to a different root")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Raise ProofError unless the tree (size2, root2) extends the tree (size1, root1) (RFC 9162 2.1.4.2)."""
    if size2 < size1:
        raise ProofError("size2 is smaller than size1")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("a proof between equal sizes is empty")
        if root1 != root2:
            raise ProofError("equal sizes with different roots")
        return
    if not proof:
        raise ProofError("empty proof")
    if len(root1) != 32 or len(root2) != 32 or any(len(h) != 32 for h in proof):
        raise ProofError("hashes are 32 bytes")
    inner, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {start + inner + border}")
    proof = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_inner_right(seed, proof[:inner], mask)
    hash1 = _chain_border_right(hash1, proof[inner:])
    if hash1 != root1:
        raise ProofError("the proof does not lead to root1")
    hash2 = _chain_inner(seed, proof[:inner], mask)
    hash2 = _chain_border_right(hash2, proof[inner:])
    if hash2 != root2:
        raise ProofError("the proof does not lead to root2")


def peak_ranges(size: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) of the frontier's perfect subtrees for a tree of ``size`` leaves."""
    ranges, start = [], 0
    for peak in _peak_sizes(size):
        ranges.append((start, start + peak))
        start += peak
    return ranges


def consistency_proof(old_size: int, old_frontier: Sequence[bytes], new_leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 section 2.1.2 from the old tree's frontier and the leaves appended since.

    Every subtree the proof names lies either wholly inside the old tree, where it is a run of the old
    frontier's peaks, or wholly among the new leaves; so a checkpoint's proof costs O(n - m) hashes and
    never reads the leaves before ``m``.
    """
    size = old_size + len(new_leaves)
    if not 0 < old_size <= size:
        raise ValueError("a consistency proof needs 0 < old size <= new size")
    peaks = dict(zip(peak_ranges(old_size), old_frontier, strict=True))

    def subtree(lo: int, hi: int) -> bytes:
        if hi <= old_size:
            covering = [peak for (start, end), peak in peaks.items() if start >= lo and end <= hi]
            return frontier_root(covering)
        return root_of(new_leaves[lo - old_size : hi - old_size])

    def subproof(m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [subtree(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return subproof(m, lo, lo + k, whole) + [subtree(lo + k, hi)]
        return subproof(m - k, lo + k, hi, False) + [subtree(lo, lo + k)]

    return subproof(old_size, 0, size, True)
