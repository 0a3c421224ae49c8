"""The Merkle code agrees with the RFC 6962 inclusion and consistency vectors (transparency-dev/merkle).

The vectors live beside the repository in ../shared/specs/rfc6962-vectors (or $RFC6962_VECTORS);
a missing folder fails this module rather than skipping it.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent import merkle

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "specs" / "rfc6962-vectors"
VECTORS = Path(os.environ.get("RFC6962_VECTORS") or DEFAULT)


def _b64(value) -> bytes:
    return base64.b64decode(value or "")


def _load(kind: str) -> list:
    folder = VECTORS / "testdata" / kind
    return [pytest.param(path, id=str(path.relative_to(folder))) for path in sorted(folder.rglob("*.json"))]


INCLUSION = _load("inclusion")
CONSISTENCY = _load("consistency")


def test_vector_folder_is_present_and_complete():
    """Fails (never skips) when ../shared/specs/rfc6962-vectors is missing."""
    assert (VECTORS / "README.md").is_file(), f"RFC 6962 vectors not found at {VECTORS} (set RFC6962_VECTORS)"
    assert len(INCLUSION) >= 50
    assert len(CONSISTENCY) >= 50


@pytest.mark.parametrize("path", INCLUSION)
def test_inclusion_vector(path):
    vector = json.loads(path.read_text())
    proof = [_b64(h) for h in vector["proof"] or []]
    verify = lambda: merkle.verify_inclusion(  # noqa: E731
        vector["leafIdx"], vector["treeSize"], _b64(vector["leafHash"]), proof, _b64(vector["root"])
    )
    if vector["wantErr"]:
        with pytest.raises(merkle.ProofError):
            verify()
    else:
        assert verify() is None


@pytest.mark.parametrize("path", CONSISTENCY)
def test_consistency_vector(path):
    vector = json.loads(path.read_text())
    proof = [_b64(h) for h in vector["proof"] or []]
    verify = lambda: merkle.verify_consistency(  # noqa: E731
        vector["size1"], vector["size2"], _b64(vector["root1"]), _b64(vector["root2"]), proof
    )
    if vector["wantErr"]:
        with pytest.raises(merkle.ProofError):
            verify()
    else:
        assert verify() is None


def test_reference_roots_of_rfc6962_test_leaves():
    """The eight leaves of the Certificate Transparency test tree give the published roots."""
    leaves = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    assert merkle.root_of(hashes).hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert merkle.root_of(hashes[:3]).hex() == "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
    assert merkle.root_of([]) == merkle.EMPTY_ROOT


@given(st.integers(min_value=1, max_value=70), st.data())
def test_generated_proofs_verify_against_the_incremental_root(size, data):
    """Every path the ledger hands out verifies against the frontier root it computed incrementally."""
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    frontier: list[bytes] = []
    for i, leaf in enumerate(leaves):
        before = frontier
        frontier = merkle.frontier_append(frontier, i, leaf)
        merkle.verify_inclusion(i, i + 1, leaf, merkle.last_leaf_path(before), merkle.frontier_root(frontier))
    root = merkle.frontier_root(frontier)
    assert root == merkle.root_of(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    merkle.verify_inclusion(index, size, leaves[index], merkle.inclusion_path(leaves, index), root)
    wrong = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda j: j != index)) if size > 1 else None
    if wrong is not None:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaves[wrong], merkle.inclusion_path(leaves, index), root)
