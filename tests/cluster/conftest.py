"""Fixtures for the clustering tests: fake embeddings (fast) and real-model embeddings (slow)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from synthetic_themes import THEMES

from narratives.types import Vectors


@pytest.fixture(scope="session")
def sentence_model(embedder):
    """The offline all-MiniLM-L6-v2 model (the session's shared embedder)."""
    return embedder


def _embed(model, texts: list[str]) -> Vectors:
    return model.embed(texts)


@pytest.fixture(scope="session")
def theme_corpus(sentence_model) -> tuple[list[str], Vectors, np.ndarray]:
    """The 100 synthetic sentences over four themes, embedded, with their theme index."""
    texts = [text for sentences in THEMES.values() for text in sentences]
    truth = np.repeat(np.arange(len(THEMES)), [len(s) for s in THEMES.values()])
    return texts, _embed(sentence_model, texts), truth


@pytest.fixture(scope="session")
def real_sentences(real_corpus: Path, sentence_model) -> tuple[list[str], Vectors, list[str]]:
    """Sentences of the four real documents (blank-line paragraphs, spaCy sentencizer), embedded.

    Furniture (references, DOIs) is left in on purpose: the labels must stay clean anyway.
    """
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    texts: list[str] = []
    ids: list[str] = []
    for path in sorted(real_corpus.iterdir()):
        if path.name == "README.md" or not path.is_file():
            continue
        paragraphs = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
        for paragraph in filter(None, (p.strip() for p in paragraphs)):
            for sentence in nlp(paragraph).sents:
                text = sentence.text.strip()
                if len(text.split()) >= 3:
                    ids.append(f"{path.stem}:s{len(ids):04d}")
                    texts.append(text)
    return texts, _embed(sentence_model, texts), ids
