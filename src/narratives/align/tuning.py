"""Fine-tune the embedding model on coders' examples (``align.tune_epochs``), once per example set.

The sentence-transformers model is trained end to end with a cosine classification head
whose rows start as the embeddings of the codebook entries' ``label. definition`` (so
training starts from the zero-shot matching and the codebook acts as the prior):

- loss: class-balanced cross-entropy on accepted (and recoded) examples, plus
  ``-log(1 - p_c)`` for each rejected (passage, code): a rejection pushes the passage away
  from that code, not towards any other;
- AdamW, learning rate ``5e-5`` for the encoder and ``1e-3`` for the head, weight decay
  0.01, 10% linear warm-up then linear decay, batches of 16, texts cut at 128 word pieces;
- seeded: torch's generator, dropout and the shuffle all take the run's ``seed``.

Measured on the usability think-aloud set (3 folds by session; ``benchmarks/README.md``), the
tuned model's vectors with a logistic regression on top beat the untuned ones by about 5
points after 2 epochs. Training 1,000 examples for 2 epochs takes about 2-3 minutes on 2 cores.

The tuned model is saved under ``<cache_dir>/tuned/<key>/`` where ``key`` hashes the base
model's identity, the examples (text, code, decision), the codebook's entries, the settings
and the seed, so a re-run with the same examples loads it instead of training again. Its
vectors are cached in the embedding cache under its own identity.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from narratives.embed._batching import progress_bar
from narratives.embed.resolve import ResolvedModel
from narratives.errors import ModelError
from narratives.models import Codebook, Example

__all__ = ["TUNING_VERSION", "TuneSettings", "tune_encoder", "tuned_model_key"]

TUNING_VERSION = 1
"""Bumped when the training recipe changes, so older tuned models are not reused."""


@dataclass(frozen=True)
class TuneSettings:
    """How the encoder is fine-tuned."""

    epochs: int = 2
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    batch_size: int = 16
    max_length: int = 128
    weight_decay: float = 0.01
    warmup: float = 0.1
    seed: int = 42
    device: str = "cpu"
    """torch device the encoder is tuned on (resolved: never ``auto``)."""


def tuned_model_key(
    base: ResolvedModel, codebook: Codebook, examples: Sequence[Example], settings: TuneSettings
) -> str:
    """Hex digest naming a tuned model: everything that changes its weights goes in."""
    digest = hashlib.sha256()
    fields = asdict(settings)
    if fields["device"] == "cpu":
        del fields["device"]  # keys made before the setting existed stay valid
    digest.update(json.dumps({"version": TUNING_VERSION, "base": base.identity, **fields}).encode())
    for entry in codebook.entries:
        digest.update(json.dumps([entry.id, entry.label, entry.definition]).encode())
    for example in examples:
        digest.update(json.dumps([example.text, example.code, example.accepted]).encode())
    return digest.hexdigest()


def _training_rows(
    codebook: Codebook, examples: Sequence[Example]
) -> tuple[list[str], list[int], list[str], list[int]]:
    index = {e.id: i for i, e in enumerate(codebook.entries)}
    texts, labels, rejected_texts, rejected_labels = [], [], [], []
    for example in examples:
        if example.code not in index:
            continue
        if example.accepted:
            texts.append(example.text)
            labels.append(index[example.code])
        else:
            rejected_texts.append(example.text)
            rejected_labels.append(index[example.code])
    return texts, labels, rejected_texts, rejected_labels


def tune_encoder(
    base: ResolvedModel,
    codebook: Codebook,
    examples: Sequence[Example],
    settings: TuneSettings,
    cache_dir: Path,
    *,
    progress: bool = False,
) -> Path:
    """The folder of the model tuned on ``examples``: from the cache, or trained now and stored.

    Raises:
        ModelError: the base model cannot be loaded, or the tuned model cannot be stored.
    """
    key = tuned_model_key(base, codebook, examples, settings)
    folder = cache_dir / "tuned" / key[:24]
    if (folder / "tuning.json").is_file():
        return folder
    texts, labels, rejected_texts, rejected_labels = _training_rows(codebook, examples)
    started = time.perf_counter()
    model = _train(base, codebook, texts, labels, rejected_texts, rejected_labels, settings, progress=progress)
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    from narratives.embed.sentence_transformers import quiet_transformers

    try:
        shutil.rmtree(staging, ignore_errors=True)
        with quiet_transformers():
            model.save(str(staging), create_model_card=False)
        record = {
            "key": key, "base": base.identity, "settings": asdict(settings), "version": TUNING_VERSION,
            "examples": len(texts), "rejections": len(rejected_texts),
            "seconds": round(time.perf_counter() - started, 1),
        }
        (staging / "tuning.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / "tuning.json").is_file():  # not another run storing the same model
                raise
    except OSError as exc:
        raise ModelError(
            f"could not store the tuned model in {folder}: {exc}; free disk space or set cache (--set cache=…)"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _train(
    base: ResolvedModel,
    codebook: Codebook,
    texts: list[str],
    labels: list[int],
    rejected_texts: list[str],
    rejected_labels: list[int],
    settings: TuneSettings,
    *,
    progress: bool,
):  # -> SentenceTransformer (imported lazily)
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import batch_to_device

    from narratives.embed.sentence_transformers import offline_hub, quiet_transformers

    torch.manual_seed(settings.seed)
    device = torch.device(settings.device)
    rng = np.random.default_rng(settings.seed)
    try:
        with offline_hub(), quiet_transformers():
            model = SentenceTransformer(str(base.path), device=settings.device, local_files_only=True,
                                        trust_remote_code=False)
    except Exception as exc:  # torch/transformers raise many types; name the model and the cause
        raise ModelError(f"could not load embedding model '{base.name}' from {base.path} to tune it: {exc}") from exc
    full_length = model.max_seq_length
    model.max_seq_length = settings.max_length  # training only: coded quotes are short
    k = len(codebook.entries)
    definitions = [f"{e.label}. {e.definition}" for e in codebook.entries]
    model.eval()
    with torch.no_grad():
        start = model(batch_to_device(model.preprocess(definitions), device))["sentence_embedding"]
    head = torch.nn.Parameter(start.detach().clone())
    scale = torch.nn.Parameter(torch.tensor(20.0, device=device))
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=k).astype(np.float64)
    balance = np.where(counts > 0, len(labels) / (max(1, int((counts > 0).sum())) * np.maximum(counts, 1)), 0.0)
    class_weight = torch.tensor(balance, dtype=torch.float32, device=device)
    optimiser = torch.optim.AdamW(
        [{"params": list(model.parameters()), "lr": settings.learning_rate},
         {"params": [head, scale], "lr": settings.head_learning_rate}],
        weight_decay=settings.weight_decay,
    )
    rows = [(t, y, True) for t, y in zip(texts, labels, strict=True)]
    rows += [(t, y, False) for t, y in zip(rejected_texts, rejected_labels, strict=True)]
    per_epoch = (len(rows) + settings.batch_size - 1) // settings.batch_size
    steps = max(1, settings.epochs * per_epoch)
    warm = max(1.0, settings.warmup * steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps)
    )
    description = f"Tuning {base.name} on {len(texts):,} coded examples ({settings.epochs} epochs)"
    with progress_bar(progress, len(rows), steps, unit="steps", description=description) as advance:
        for _ in range(settings.epochs):
            model.train()
            order = rng.permutation(len(rows))
            for lo in range(0, len(rows), settings.batch_size):
                batch = [rows[i] for i in order[lo : lo + settings.batch_size]]
                features = batch_to_device(model.preprocess([t for t, _, _ in batch]), device)
                vectors = model(features)["sentence_embedding"]
                logits = scale * vectors @ torch.nn.functional.normalize(head, dim=1).T
                target = torch.tensor([y for _, y, _ in batch], device=device)
                accepted = torch.tensor([a for _, _, a in batch], device=device)
                loss = torch.zeros((), device=device)
                if accepted.any():
                    loss = loss + torch.nn.functional.cross_entropy(
                        logits[accepted], target[accepted], weight=class_weight
                    )
                if (~accepted).any():
                    p = torch.softmax(logits[~accepted], dim=1).gather(1, target[~accepted][:, None]).squeeze(1)
                    loss = loss + (-torch.log1p(-p.clamp(max=1 - 1e-6))).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                advance()
    model.eval()
    model.max_seq_length = full_length  # the stored model embeds long passages like the base model
    return model
