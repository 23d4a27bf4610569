"""Deterministic training / held-out split of a corpus by each piece's content hash.

A piece's side depends only on its own bytes, so adding or removing other files never moves
it, and two files with the same bytes always land on the same side (no leak between parts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from lofi.core.errors import ConfigError
from lofi.core.types import Piece
from lofi.data.corpus import Corpus

SALT = "lofi-split-v1"


def _unit(content_hash: str, salt: str = SALT) -> float:
    """A number in [0, 1) drawn from the content hash: the piece's place in every split."""
    digest = hashlib.sha256(f"{salt}:{content_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_pieces(
    corpus: Corpus | Iterable[Piece], held_out: float = 0.2
) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """Splits pieces into (training, held-out) by content hash.

    A piece is held out when its hash draws below `held_out`. When that leaves one side
    empty although there are two or more distinct pieces, the piece drawn nearest to the
    boundary changes sides, so both parts are never empty.

    Args:
        corpus: a loaded corpus or its pieces.
        held_out: the share of pieces kept out of training, in (0, 1).

    Returns:
        The training pieces and the held-out pieces, each in corpus order.

    Raises:
        ConfigError: if `held_out` is not strictly between 0 and 1.
    """
    if not 0.0 < held_out < 1.0:
        raise ConfigError(f"held-out share must be between 0 and 1, not {held_out}")
    pieces = tuple(corpus.pieces if isinstance(corpus, Corpus) else corpus)
    draws = {p.content_hash: _unit(p.content_hash) for p in pieces}
    out = {h for h, u in draws.items() if u < held_out}
    if len(draws) >= 2:
        if not out:
            out = {min(draws, key=draws.__getitem__)}
        elif len(out) == len(draws):
            out.discard(max(draws, key=draws.__getitem__))
    train = tuple(p for p in pieces if p.content_hash not in out)
    held = tuple(p for p in pieces if p.content_hash in out)
    return train, held


def halves(pieces: Iterable[Piece]) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """Two halves of equal size (± one distinct piece) for a human-against-human baseline.

    Pieces are ordered by a second hash draw and dealt alternately; copies of one piece
    stay together.
    """
    pieces = tuple(pieces)
    order = sorted({p.content_hash for p in pieces}, key=lambda h: _unit(h, SALT + "-halves"))
    first = set(order[0::2])
    a = tuple(p for p in pieces if p.content_hash in first)
    b = tuple(p for p in pieces if p.content_hash not in first)
    return a, b


def training_part(corpus: Corpus, held_out: float = 0.2) -> Corpus:
    """The corpus without its held-out pieces (what a style learns from), sources kept aligned.

    `held_out` 0 keeps every piece. The result keeps the whole corpus' name and hash: it is
    the same corpus, of which evaluate's held-out pieces stay unseen.
    """
    if held_out == 0:
        return corpus
    return _part(corpus, split_pieces(corpus, held_out)[0])


def held_out_part(corpus: Corpus, held_out: float = 0.2) -> Corpus:
    """The corpus' held-out pieces (what `evaluate` measures against), sources kept aligned."""
    return _part(corpus, split_pieces(corpus, held_out)[1])


def _part(corpus: Corpus, pieces: tuple[Piece, ...]) -> Corpus:
    keep = {id(p) for p in pieces}
    sources = tuple(s for p, s in zip(corpus.pieces, corpus.sources, strict=False) if id(p) in keep)
    return replace(
        corpus,
        pieces=pieces,
        sources=sources if len(corpus.sources) == len(corpus.pieces) else (),
    )
