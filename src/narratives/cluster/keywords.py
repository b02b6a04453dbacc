"""Keyword vocabulary and readable topic labels, without stop words or bibliographic junk.

Stock BERTopic labels topics ``0_the_and_of_in`` and makes topics of DOIs and author
lists. Here the text used for keywords (never the embedded text) is cleaned of URLs,
DOIs, e-mail addresses, citation markers and contractions; tokens are letters only and
at least three long; stop words are English plus transcript fillers plus bibliographic
furniture; and a word or phrase must occur in several segments to be a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import CountVectorizer

TRANSCRIPT_FILLERS: frozenset[str] = frozenset(
    {
        "yeah",
        "yes",
        "okay",
        "ok",
        "um",
        "umm",
        "uh",
        "erm",
        "hmm",
        "like",
        "know",
        "think",
        "mean",
        "just",
        "really",
        "actually",
        "basically",
        "lot",
        "lots",
        "things",
        "thing",
        "stuff",
        "going",
        "gonna",
        "got",
        "said",
        "say",
        "says",
    }
)
"""Words that fill spoken English and say nothing about a topic."""

BIBLIOGRAPHIC_FURNITURE: frozenset[str] = frozenset(
    {
        "doi",
        "http",
        "https",
        "www",
        "com",
        "org",
        "net",
        "html",
        "pdf",
        "retrieved",
        "accessed",
        "vol",
        "pp",
        "et",
        "al",
        "ibid",
        "eds",
        "isbn",
        "issn",
    }
)
"""Fragments of references and links that survive a loader's cleaning."""

TOKEN_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"
"""Letters only, at least three: no numbers, no ``s11133``-style DOI pieces, no ``pp``."""

_CLEANERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<[^>]{0,200}>"), " "),  # HTML tags such as <sup>
    (re.compile(r"[\[(][a-z]+(?: [a-z]+){0,2}[\])](?!\()"), " "),  # [laughs], (long pause); not [link](url)
    (re.compile(r"\[@[^\]]*\]|\(@[^)]*\)"), " "),  # [@problem_id:1] and (@entry_id:2) markers
    (re.compile(r"\]\([^)\s]*\)"), "] "),  # Markdown link targets: keep the link text
    (re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE), " "),  # URLs
    (re.compile(r"\b(?:doi:?\s*)?10\.\d{4,9}/\S+", re.IGNORECASE), " "),  # DOIs
    (re.compile(r"(?:mailto:)?[\w.+\\-]+@[\w-]+(?:\.[\w-]+)+"), " "),  # e-mail addresses
    (re.compile(r"\([^()]*\b(?:19|20)\d{2}[a-z]?\b[^()]*\)"), " "),  # (Author, 2023) citations
    (re.compile(r"\bet\s+al\b\.?", re.IGNORECASE), " "),
    (re.compile(r"(\w)['’]s\b"), r"\1"),  # children's -> children
    (re.compile(r"\b\w+['’]\w+\b"), " "),  # don't, I'm, they've: stop words anyway
    (re.compile(r"[-_/–—]"), " "),  # push-pull -> push pull
)


def stop_words(extra: Iterable[str] = ()) -> frozenset[str]:
    """English stop words (scikit-learn's list), fillers, furniture and ``extra``, lower-cased."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) | TRANSCRIPT_FILLERS | BIBLIOGRAPHIC_FURNITURE
    words.update(w.strip().lower() for w in extra if w.strip())
    return frozenset(words)


def clean_for_keywords(text: str) -> str:
    """The text with links, DOIs, e-mails, citations and contractions removed (for keywords only)."""
    for pattern, replacement in _CLEANERS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def build_vectorizer(cleaned: Sequence[str], extra_stop_words: Iterable[str], min_df: int) -> CountVectorizer:
    """A CountVectorizer whose vocabulary holds terms found in at least ``min_df`` segments.

    BERTopic applies its vectorizer to one concatenated document per *topic*, where a
    ``min_df`` would count topics, not segments. So the vocabulary is chosen here, at the
    segment level, and handed to BERTopic fixed. Falls back to ``min_df=1`` when the
    stricter vocabulary would be empty. Raises ``ValueError`` when fewer than two terms survive.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    stops = sorted(stop_words(extra_stop_words))
    options = {"stop_words": stops, "token_pattern": TOKEN_PATTERN, "ngram_range": (1, 2), "lowercase": True}
    vocabulary: list[str] = []
    for df in dict.fromkeys((min(min_df, len(cleaned)), 1)):
        try:
            counter = CountVectorizer(min_df=df, **options).fit(cleaned)
        except ValueError:  # "empty vocabulary" from scikit-learn
            continue
        vocabulary = sorted(counter.vocabulary_)
        break
    if len(vocabulary) < 2:  # BERTopic's c-TF-IDF fails on a one-term vocabulary (scipy.sparse.diags)
        raise ValueError(f"too few keywords survive stop-word removal ({len(vocabulary)}); need two")
    return CountVectorizer(vocabulary=vocabulary, **options)


def _stems(keyword: str) -> frozenset[str]:
    """The words of ``keyword`` with a plural ``s`` dropped, so "exam" and "exams" overlap."""
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in keyword.split())


def distinct_keywords(ranked: Iterable[str], limit: int) -> tuple[str, ...]:
    """Up to ``limit`` keywords in rank order, skipping one whose words all appear earlier.

    ``["brain drain", "brain", "talent drain", "drains"]`` keeps ``brain drain`` and
    ``talent drain`` (plurals count as the same word).
    """
    chosen: list[str] = []
    seen: set[str] = set()
    for keyword in ranked:
        words = _stems(keyword)
        if not words or words <= seen:
            continue
        chosen.append(keyword)
        seen |= words
        if len(chosen) == limit:
            break
    return tuple(chosen)


def make_label(keywords: Sequence[str], max_terms: int = 4, max_chars: int = 48) -> str:
    """A readable label from ranked keywords: ``"salary · school fees · pay"``.

    A term that shares a word (or its plural) with an earlier term is skipped, except that
    a phrase replaces the earlier single words it extends ("night", "shifts", then "night
    shifts" gives "night shifts"). Three terms are used when available, a fourth only
    while the label stays under ``max_chars``.
    """
    terms: list[str] = []
    for keyword in keywords:
        words = _stems(keyword)
        seen = frozenset().union(*(_stems(t) for t in terms))
        if not words:
            continue
        if words & seen:
            extended = [i for i, term in enumerate(terms) if _stems(term) < words]
            covered = frozenset().union(*(_stems(terms[i]) for i in extended))
            if extended and not (words - covered) & seen:
                terms[extended[0]] = keyword
                terms = [t for i, t in enumerate(terms) if i not in extended[1:]]
            continue
        if len(terms) >= 3 and len(" · ".join([*terms, keyword])) > max_chars:
            break
        terms.append(keyword)
        if len(terms) == max_terms:
            break
    return " · ".join(terms)


def class_tfidf(counts: Any) -> Any:
    """BERTopic's c-TF-IDF with ``reduce_frequent_words=True``, for a (classes × terms) count matrix.

    Each class's counts are L1-normalised and square-rooted, then weighted by
    ``log(1 + A / f)``, where ``A`` is the average number of words per class (an integer, as in
    BERTopic) and ``f`` a term's frequency over all classes. The same numbers as BERTopic's
    ``ClassTfidfTransformer`` (``tests/cluster/test_cluster_keywords.py`` compares them), without
    importing bertopic, which imports sentence-transformers and torch first (6.7 s here).
    """
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    counts = sp.csr_matrix(counts, dtype=np.float64)
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = int(counts.sum(axis=1).mean())
    with np.errstate(divide="ignore"):
        idf = np.log(average / frequency + 1)
    weights = normalize(counts, axis=1, norm="l1", copy=True)
    weights.data = np.sqrt(weights.data)
    return weights @ sp.diags(idf, format="csr")


def topic_keywords(
    cleaned: Sequence[str], labels: Sequence[int], vectorizer: CountVectorizer, top_n: int
) -> dict[int, tuple[str, ...]]:
    """The ``top_n`` terms of each label by c-TF-IDF, best first (ties in vocabulary order).

    As BERTopic's "manual topic modelling": the segments of each label (outliers included) are
    joined into one document, counted with ``vectorizer``'s fixed vocabulary, and scored by
    :func:`class_tfidf`. Terms scoring 0 are left out.
    """
    order = sorted(set(int(label) for label in labels))
    members: dict[int, list[str]] = {label: [] for label in order}
    for text, label in zip(cleaned, labels, strict=True):
        members[int(label)].append(text)
    joined = [" ".join(members[label]).replace("\n", " ").replace("\t", " ") or "emptydoc" for label in order]
    scores = class_tfidf(vectorizer.fit_transform(joined)).tocsr()
    words = vectorizer.get_feature_names_out()
    keywords: dict[int, tuple[str, ...]] = {}
    for row, label in enumerate(order):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        terms, values = scores.indices[start:end], scores.data[start:end]
        ranked = np.lexsort((terms, -values))
        keywords[label] = tuple(str(words[terms[i]]) for i in ranked[:top_n] if values[i] > 0)
    return keywords
