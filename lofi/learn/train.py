"""Training a melody or chord model on a corpus, with progress lines and atomic checkpoints."""

from __future__ import annotations

import contextlib
import math
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi.compose.parts import implementation
from lofi.core.errors import ConfigError, CorpusError, LofiError
from lofi.core.settings import TRAINING, Span
from lofi.encoding.tokens import Sequence, windows
from lofi.encoding.vocab import Vocabulary
from lofi.learn.checkpoint import save_checkpoint, update_meta
from lofi.learn.models import ModelSize, build_model, compile_model, output_name
from lofi.learn.progress import PROGRESS_FILE, ProgressWriter
from lofi.learn.strategy import prepare_for_strategy
from lofi.models.checkpoint import MODEL_FILE

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

    from lofi.data.corpus import Corpus


@dataclass(frozen=True)
class TrainConfig:
    """One training run's settings; defaults and ranges from `lofi.core.settings.TRAINING`."""

    kind: str  # "melody", "chords" or "drums"
    corpus: str = TRAINING.corpus
    epochs: int = TRAINING.epochs
    seq_len: int = TRAINING.seq_len
    batch_size: int = TRAINING.batch_size
    learning_rate: float = TRAINING.learning_rate
    validation_split: float = TRAINING.validation_split
    patience: int = TRAINING.patience
    seed: int = TRAINING.seed
    size: ModelSize = field(default_factory=ModelSize)
    max_steps: int = TRAINING.max_steps  # 0: no cap; a cap ends each epoch early
    min_steps: int = TRAINING.min_steps_per_epoch  # a small corpus' epoch repeats its windows


def check_config(config: TrainConfig) -> None:
    """Refuses settings outside the ranges in `lofi.core.settings.TRAINING`.

    The CLI (and so the training page) checks every run; `train` itself does not, so
    experiments may go outside the ranges (a zero learning rate, say).

    Raises:
        ConfigError: naming the first setting that is out of range.
    """
    d = TRAINING
    checks: list[tuple[str, float, Span[int] | Span[float]]] = [
        ("epochs", config.epochs, d.epochs_range),
        ("sequence length", config.seq_len, d.seq_len_range),
        ("batch size", config.batch_size, d.batch_size_range),
        ("LSTM units", config.size.units, d.units_range),
        ("LSTM layers", config.size.layers, d.layers_range),
        ("learning rate", config.learning_rate, d.learning_rate_range),
        ("validation split", config.validation_split, d.validation_split_range),
    ]
    for name, value, span in checks:
        if value not in span:
            raise ConfigError(f"{name} {value:g} is outside {span}")
    if config.patience < 1 or config.max_steps < 0 or config.size.embedding < 1:
        raise ConfigError("patience and embedding must be positive, max steps at least 0")
    if config.min_steps < 1:
        raise ConfigError(f"steps per epoch must be at least 1, not {config.min_steps}")
    if not 0.0 <= config.size.dropout < 1.0:
        raise ConfigError(f"dropout {config.size.dropout:g} is outside 0–1")
    if not 0.0 <= config.size.token_dropout < 1.0:
        raise ConfigError(f"token dropout {config.size.token_dropout:g} is outside 0–1")


def split_pieces(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of training and validation pieces; at least one piece each when n ≥ 2."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_val = min(max(1, round(n * fraction)), n - 1) if n >= 2 else 0
    return sorted(order[n_val:]), sorted(order[:n_val])


def sequences_for(corpus: Corpus, vocab: Vocabulary) -> list[Sequence]:
    """The corpus' token sequences for `vocab`'s kind, as its part encodes them."""
    return implementation(vocab.kind).encode(corpus, vocab)


def vocabulary_for(corpus: Corpus, kind: str) -> Vocabulary:
    """The part's vocabulary, fixed or learned from the corpus (the comping's voicings)."""
    return implementation(kind).vocabulary(corpus)  # type: ignore[no-any-return]


def seeded(seed: int) -> None:
    """Seeds Python, NumPy and TensorFlow before a part's datasets are made.

    The datasets' shuffles combine their own seed with TensorFlow's global one, so without
    this a part's shuffle took whatever seed the part trained before it in the process left
    (`train style` trains several), and the part came out unlike the same part trained alone.
    """
    import keras

    keras.utils.set_random_seed(seed)


def make_dataset(data: Sequence, batch_size: int, shuffle: bool, seed: int) -> tf.data.Dataset:
    """A tf.data pipeline over in-memory windows: shuffle, batch, prefetch."""
    import tensorflow as tf

    targets = {output_name(k): v for k, v in data.targets.items()}
    ds = tf.data.Dataset.from_tensor_slices((data.inputs, targets))
    if shuffle:
        ds = ds.shuffle(len(next(iter(data.targets.values()))), seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def prepare(
    corpus: Corpus, config: TrainConfig, vocab: Vocabulary | None = None
) -> tuple[Vocabulary, Sequence, Sequence]:
    """The vocabulary and the training and validation windows (pieces split by the seed).

    The vocabulary is `vocab` when given (a base model's), else made for the corpus.
    """
    vocab = vocab or vocabulary_for(corpus, config.kind)
    sequences = sequences_for(corpus, vocab)
    if len(sequences) < 2:
        what = getattr(implementation(config.kind), "lacking", "usable pieces")
        raise CorpusError(corpus.name, f"only {len(sequences)} {what}; training needs at least two")
    train_idx, val_idx = split_pieces(len(sequences), config.validation_split, config.seed)
    length = min(config.seq_len, min(len(s) for s in sequences))
    train = windows([sequences[i] for i in train_idx], length, max(1, length // 4))
    val = windows([sequences[i] for i in val_idx], length, length)
    if len(next(iter(train.targets.values()))) == 0 or len(next(iter(val.targets.values()))) == 0:
        raise CorpusError(corpus.name, "pieces are too short for the sequence length")
    return vocab, train, val


@contextlib.contextmanager
def sigterm_sets(stop: threading.Event) -> Iterator[threading.Event]:
    """While the block runs, SIGTERM sets `stop` (a stop request for this run only).

    The previous handler comes back afterwards. Off the main thread, where Python cannot
    install handlers, `stop` is only set by whoever holds it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


WarmStart = Callable[["keras.Model", Vocabulary], dict[str, Any]]


def train(
    config: TrainConfig,
    corpus: Corpus,
    out: Path,
    command: str = "",
    warm_start: WarmStart | None = None,
) -> dict[str, Any]:
    """Trains, writing progress.jsonl and the best checkpoint into `out`; returns meta.

    `warm_start`, when given, sets the freshly built model's first weights (fine-tuning) and
    returns what it did, recorded in meta.json under `warm_start`.
    """
    if (out / MODEL_FILE).exists():
        raise LofiError(f"{out} already holds a model; choose another --out folder")
    vocab, train_data, val_data = prepare(corpus, config)  # refuses a corpus that lacks the part
    out.mkdir(parents=True, exist_ok=True)
    seeded(config.seed)
    n_train = len(next(iter(train_data.targets.values())))
    steps_per_epoch = max(math.ceil(n_train / config.batch_size), config.min_steps)
    if config.max_steps:
        steps_per_epoch = min(steps_per_epoch, config.max_steps)
    train_ds = make_dataset(train_data, config.batch_size, True, config.seed).repeat()
    val_ds = make_dataset(val_data, config.batch_size, False, config.seed)
    meta: dict[str, Any] = {
        "corpus": corpus.name,
        "corpus_hash": corpus.content_hash,
        "pieces": len(corpus.pieces),
        "train_windows": n_train,
        "val_windows": len(next(iter(val_data.targets.values()))),
        "settings": {**asdict(config), "size": config.size.to_json()},
        "command": command,
    }
    return fit(config, vocab, (train_ds, val_ds), steps_per_epoch, meta, out, warm_start=warm_start)


def fit(
    config: TrainConfig,
    vocab: Vocabulary,
    data: tuple[tf.data.Dataset, tf.data.Dataset],
    steps_per_epoch: int,
    meta: dict[str, Any],
    out: Path,
    validation_steps: int | None = None,
    strategy: tf.distribute.Strategy | None = None,
    warm_start: WarmStart | None = None,
) -> dict[str, Any]:
    """Builds the model (in the strategy's scope, if any) and fits it on (train, val) data.

    Writes progress.jsonl and the best checkpoint into `out`; returns meta.
    """
    import keras

    meta = {**meta, "best_val_loss": None, "best_epoch": None}
    train_ds, val_ds = data
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = build_model(vocab, config.size, seed=config.seed)
        if warm_start is not None:
            meta["warm_start"] = warm_start(model, vocab)
        compile_model(model, vocab, config.learning_rate)
        if strategy is not None:
            prepare_for_strategy(model, train_ds)
    progress = ProgressWriter(out / PROGRESS_FILE, config.epochs * steps_per_epoch)
    progress.write(
        {
            "event": "start",
            "pid": os.getpid(),
            "epochs": config.epochs,
            "steps_per_epoch": steps_per_epoch,
        }
    )

    stop = threading.Event()  # this run's stop request (SIGTERM, see sigterm_sets)

    class CheckpointAndProgress(keras.callbacks.Callback):
        """Writes the atomic checkpoint when val_loss improves, and the progress lines."""

        def __init__(self) -> None:
            super().__init__()
            self.step = 0
            self.epoch = 0
            self.best = math.inf

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            self.step += 1
            if stop.is_set():
                self.model.stop_training = True
            if self.step % max(1, steps_per_epoch // TRAINING.progress_points) == 0:
                loss = float((logs or {}).get("loss", 0.0))
                progress.step(self.step, self.epoch + 1, loss)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch = epoch + 1
            logs = logs or {}
            val_loss = float(logs.get("val_loss", math.inf))
            improved = val_loss < self.best
            meta["epochs_run"] = epoch + 1
            if improved:
                self.best = val_loss
                meta.update(best_val_loss=val_loss, best_epoch=epoch + 1)
                save_checkpoint(self.model, vocab, meta, out)
            loss = float(logs.get("loss", 0.0))
            progress.epoch(self.step, epoch + 1, loss, val_loss, improved)

    callbacks = [
        CheckpointAndProgress(),
        keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=config.patience),
    ]

    with (
        sigterm_sets(stop),
        strategy.scope() if strategy is not None else contextlib.nullcontext(),
    ):
        model.fit(
            train_ds,
            validation_data=val_ds,
            validation_steps=validation_steps,
            epochs=config.epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            shuffle=False,  # the dataset shuffles itself
            verbose=0,
        )
    if (out / MODEL_FILE).exists():
        update_meta(out, epochs_run=meta["epochs_run"], stopped_by_user=stop.is_set())
    meta["stopped_by_user"] = stop.is_set()
    progress.write(
        {"event": "stopped" if stop.is_set() else "done", "best_val_loss": meta["best_val_loss"]}
    )
    return meta


def command_line() -> str:
    """This process's command as `python -m lofi ...` (stored in meta.json)."""
    return " ".join(["python -m lofi", *sys.argv[1:]])
