"""One-step-at-a-time sampling in numpy with the LSTM state carried between steps.

The weights come from the Keras model (exported to weights.npz next to model.keras), so
generating needs no TensorFlow at all. Keras' own docs say `predict` is not for loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofi.core.errors import CheckpointError
from lofi.encoding.vocab import Vocabulary
from lofi.models.checkpoint import WEIGHTS_FILE
from lofi.models.network import POSITION, chord_biased, position_scaled

MAX_WEIGHTS_BYTES = 512 * 1024**2  # what a weights file may declare, over all its arrays


def read_weights(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a weights.npz, each header checked before its data is allocated.

    Raises:
        CheckpointError: a missing, truncated or damaged file, or arrays that are not plain
            floats or declare more than MAX_WEIGHTS_BYTES.
    """
    import zipfile

    arrays: dict[str, np.ndarray] = {}
    declared = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, fortran, dtype = read_header(member)
                    if dtype.kind != "f" or len(shape) > 2:
                        raise CheckpointError(f"{path.name}: {info.filename} is not a float matrix")
                    declared += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                    if declared > MAX_WEIGHTS_BYTES:
                        raise CheckpointError(f"{path.name} declares arrays that are too large")
                    count = int(np.prod(shape, dtype=np.int64))
                    data = member.read(count * dtype.itemsize + 1)
                    if len(data) != count * dtype.itemsize:
                        raise CheckpointError(f"{path.name}: {info.filename} is truncated")
                    array = np.frombuffer(data, dtype=dtype, count=count)
                    name = info.filename.removesuffix(".npy")
                    arrays[name] = array.reshape(shape, order="F" if fortran else "C")
    except CheckpointError:
        raise
    except Exception as exc:  # zipfile, zlib and numpy's header reader raise many kinds
        raise CheckpointError(
            f"cannot read {path.name}: {type(exc).__name__}; retrain or copy the model again"
        ) from exc
    return arrays


def check_weights(vocab: Vocabulary, arrays: dict[str, np.ndarray]) -> None:
    """Shapes that fit the vocabulary and each other, and finite values only."""
    try:
        recurrent = arrays["lstm/0/recurrent"]
        units = recurrent.shape[0]
        layers = sorted({int(k.split("/")[1]) for k in arrays if k.startswith("lstm/")})
        width = sum(arrays[f"embed/{n}"].shape[1] for n in vocab.inputs)
        want: dict[str, tuple[int, ...]] = {}
        for n, values in vocab.inputs.items():
            want[f"embed/{n}"] = (len(values), arrays[f"embed/{n}"].shape[1])
        for i in layers:
            want[f"lstm/{i}/kernel"] = (width if i == 0 else units, 4 * units)
            want[f"lstm/{i}/recurrent"] = (units, 4 * units)
            want[f"lstm/{i}/bias"] = (4 * units,)
        for n in vocab.outputs:
            want[f"head/{n}/w"] = (units, vocab.size(n))
            want[f"head/{n}/b"] = (vocab.size(n),)
        for n, cond in chord_biased(vocab).items():
            if f"head/{n}/chord_bias" in arrays:  # models trained before it have none
                want[f"head/{n}/chord_bias"] = (len(vocab.inputs[cond]), vocab.size(n))
        for n in position_scaled(vocab):
            if f"head/{n}/chord_scale" in arrays:  # models trained before it have none
                want[f"head/{n}/chord_scale"] = (len(vocab.inputs[POSITION]),)
    except (KeyError, IndexError, ValueError) as exc:
        raise CheckpointError(f"the weights are incomplete ({exc}); retrain the model") from exc
    if layers != list(range(len(layers))):
        raise CheckpointError("the weights' LSTM layers are not numbered 0, 1, …")
    for name, shape in want.items():
        if arrays[name].shape != shape:
            raise CheckpointError(
                f"the weights' {name} has shape {arrays[name].shape}, expected {shape}"
            )
        if not np.isfinite(arrays[name]).all():
            raise CheckpointError(f"the weights' {name} holds NaN or infinite values")


@dataclass
class State:
    """The LSTM stack's hidden and cell vectors, one per layer."""

    h: list[np.ndarray]
    c: list[np.ndarray]

    def copy(self) -> State:
        """An independent copy (for sampling ahead without changing this one)."""
        return State([a.copy() for a in self.h], [a.copy() for a in self.c])


@dataclass
class StepModel:
    """The network as numpy arrays; `step` runs one time step for a batch of one."""

    vocab: Vocabulary
    input_tables: dict[str, np.ndarray]  # embedding @ first-layer kernel slice, per input
    kernels: list[np.ndarray]  # layers after the first
    recurrents: list[np.ndarray]
    biases: list[np.ndarray]
    heads: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    chord_biases: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    chord_scales: dict[str, np.ndarray] = field(default_factory=dict)  # per position

    @classmethod
    def from_arrays(cls, vocab: Vocabulary, arrays: dict[str, np.ndarray]) -> StepModel:
        """Builds the step model from exported weights; CheckpointError if any are missing."""
        try:
            layers = sorted({int(k.split("/")[1]) for k in arrays if k.startswith("lstm/")})
            kernel0 = arrays["lstm/0/kernel"].astype(np.float64)
            tables = {}
            offset = 0
            for name in vocab.inputs:  # the Concatenate layer keeps this order
                emb = arrays[f"embed/{name}"].astype(np.float64)
                width = emb.shape[1]
                tables[name] = emb @ kernel0[offset : offset + width]
                offset += width
            if offset != kernel0.shape[0]:
                raise CheckpointError("embedding widths do not add up to the LSTM input")
            heads = {
                n: (
                    arrays[f"head/{n}/w"].astype(np.float64),
                    arrays[f"head/{n}/b"].astype(np.float64),
                )
                for n in vocab.outputs
            }
            biases = {
                n: (cond, arrays[f"head/{n}/chord_bias"].astype(np.float64))
                for n, cond in chord_biased(vocab).items()
                if f"head/{n}/chord_bias" in arrays
            }
            scales = {
                n: arrays[f"head/{n}/chord_scale"].astype(np.float64)
                for n in position_scaled(vocab)
                if f"head/{n}/chord_scale" in arrays
            }
            return cls(
                vocab=vocab,
                chord_biases=biases,
                chord_scales=scales,
                input_tables=tables,
                kernels=[arrays[f"lstm/{i}/kernel"].astype(np.float64) for i in layers[1:]],
                recurrents=[arrays[f"lstm/{i}/recurrent"].astype(np.float64) for i in layers],
                biases=[arrays[f"lstm/{i}/bias"].astype(np.float64) for i in layers],
                heads=heads,
            )
        except KeyError as exc:
            raise CheckpointError(f"weights are missing {exc}; retrain the model") from exc

    @classmethod
    def load(cls, folder: Path, vocab: Vocabulary) -> StepModel:
        """Reads a checkpoint folder's weights.npz, checked against the vocabulary."""
        arrays = read_weights(Path(folder) / WEIGHTS_FILE)
        check_weights(vocab, arrays)
        return cls.from_arrays(vocab, arrays)

    @property
    def units(self) -> int:
        """LSTM units per layer."""
        return int(self.recurrents[0].shape[0])

    def initial_state(self) -> State:
        """All-zero hidden and cell vectors, as Keras starts a sequence."""
        n = len(self.recurrents)
        return State(
            [np.zeros(self.units) for _ in range(n)], [np.zeros(self.units) for _ in range(n)]
        )

    def step(self, tokens: dict[str, int], state: State) -> dict[str, np.ndarray]:
        """Feeds one step's input tokens; updates `state`; returns each head's probabilities.

        Every value is the float64 arithmetic of the plain formulas, in the same order: the
        input rows summed one after the other (from 0), the gates the sigmoid and tanh of
        their slices, so a song's draws stay what they were.
        """
        u = self.units
        rows = [self.input_tables[name][tokens[name]] for name in self.vocab.inputs]
        z = rows[0] + 0.0  # what sum() gives: 0 + the first row (a -0.0 becomes 0.0)
        for row in rows[1:]:
            np.add(z, row, out=z)
        x = np.empty(0)
        for i, recurrent in enumerate(self.recurrents):
            if i > 0:
                z = x @ self.kernels[i - 1]
            np.add(z, state.h[i] @ recurrent, out=z)
            np.add(z, self.biases[i], out=z)
            # The sigmoid 0.5 * (tanh(0.5 * z) + 1) once over all four gates (the candidate's
            # slice unused) instead of three times: the same value for every element.
            gates = np.multiply(z, 0.5)
            np.tanh(gates, out=gates)
            np.add(gates, 1.0, out=gates)
            np.multiply(gates, 0.5, out=gates)
            c = gates[u : 2 * u] * state.c[i]
            c += gates[:u] * np.tanh(z[2 * u : 3 * u])
            state.c[i] = c
            x = np.tanh(c)
            np.multiply(gates[3 * u :], x, out=x)
            state.h[i] = x
        out = {}
        for name, (w, b) in self.heads.items():
            logits = x @ w
            np.add(logits, b, out=logits)
            if name in self.chord_biases:
                cond, table = self.chord_biases[name]
                scale = self.chord_scales.get(name)
                row = table[tokens[cond]]
                # Without a scale the factor is 1.0, and 1.0 * row is row exactly.
                np.add(logits, row if scale is None else scale[tokens[POSITION]] * row, out=logits)
            np.subtract(logits, logits.max(), out=logits)
            np.exp(logits, out=logits)
            np.divide(logits, logits.sum(), out=logits)
            out[name] = logits
        return out


def choose(
    probs: np.ndarray,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    mask: np.ndarray | None = None,
) -> int:
    """Draws one index from `probs` reshaped by temperature, a mask, top-k and nucleus (top-p).

    Args:
        probs: the head's probabilities.
        rng: the random generator the draw uses.
        temperature: below 1 sharper, above 1 flatter; near 0 takes the most likely.
        top_k: keep only the k most likely (0: all).
        top_p: keep the most likely whose probabilities sum to this (1.0: all).
        mask: True where a token is allowed; if it allows nothing it is ignored.
    """
    p = np.asarray(probs, dtype=np.float64)  # read only: each step below makes a new array
    if mask is not None and (mask & (p > 0)).any():
        p = np.where(mask, p, 0.0)
    if temperature <= 1e-3:
        return int(np.argmax(p))
    logp = np.log(np.maximum(p, 1e-300))
    if temperature != 1.0:  # x / 1.0 is x exactly
        logp /= temperature
    np.copyto(logp, -np.inf, where=p <= 0)
    logp -= logp.max()
    p = np.exp(logp)
    if top_k > 0 or top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        if top_k > 0:
            p[order[top_k:]] = 0.0
        if top_p < 1.0:
            sorted_p = p[order] / p.sum()
            keep = np.cumsum(sorted_p) - sorted_p < top_p
            p[order[~keep]] = 0.0
    p /= p.sum()
    return pick(p, rng)  # rng.choice's own draw, hand-written: a third of its time


def pick(p: np.ndarray, rng: np.random.Generator) -> int:
    """`rng.choice(len(p), p=p)` for float64 probabilities summing to 1: the same index drawn.

    It is numpy's own sampling (the cumulative sum over its last value, one `rng.random()`,
    the first index whose sum exceeds it) without the checks around it, a third of its
    time; its checks consume no randomness. Probabilities made as `choose` makes them are
    never negative and sum to 1 within rounding; NaN is refused as numpy refuses it.
    """
    cdf = p.cumsum()
    if np.isnan(cdf[-1]):
        raise ValueError("Probabilities contain NaN")
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random(), side="right"))


def draw(probs: np.ndarray, rng: np.random.Generator, mask: np.ndarray | None = None) -> int:
    """Draws one index as the model gives it: temperature 1, nothing cut, only the mask."""
    return choose(probs, rng, 1.0, 0, 1.0, mask)


def plays(probs: np.ndarray, silent: int, allowed: np.ndarray, rng: np.random.Generator) -> bool:
    """Whether a part sounds at this step, at the model's own odds against token `silent`.

    Args:
        probs: the head's probabilities.
        silent: the index of the rest or no-strike token.
        allowed: True where a token may be drawn (the silent one included).
        rng: the random generator the draw uses.
    """
    p = np.where(allowed, np.asarray(probs, dtype=np.float64), 0.0)
    total = p.sum()
    return bool(total > 0 and rng.random() >= p[silent] / total)
