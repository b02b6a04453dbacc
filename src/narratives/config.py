"""Run configuration: one validated model, read from YAML or TOML plus ``--set`` overrides.

Every section forbids unknown keys, so a typo stops the run before any work with a
message naming the key. The resolved configuration is written to ``run_manifest.json``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from narratives.errors import ConfigError
from narratives.safe_yaml import load_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentConfig(_Strict):
    """How documents are cut into segments."""

    unit: Literal["sentence", "passage"] = "sentence"
    """Unit that is embedded, clustered and coded."""
    spacy_model: str = "blank"
    """``blank`` (rule-based sentences, no download) or an installed spaCy package such
    as ``en_core_web_sm`` (parser-based sentences)."""
    passage_sentences: int = Field(default=3, ge=1, le=50)
    """Sentences per passage window inside a paragraph (a transcript turn is one passage)."""
    min_words: int = Field(default=4, ge=1)
    """Segments with fewer words are kept in the output but not coded ("Yes.", "Okay.")."""
    include_interviewer: bool = False
    """Code the interviewer's turns as well (they are always kept in ``segments.csv``)."""


class EmbedConfig(_Strict):
    """Which sentence-transformers model embeds segments, and run by what (where its vectors are
    cached is the run's :attr:`RunConfig.cache`)."""

    model: str = "all-MiniLM-L6-v2"
    """A local directory, or a name listed in ``models/`` (an installed model package)."""
    batch_size: int = Field(default=16, ge=1)
    """Texts per forward pass; every pass has exactly this many texts of one token length, so a
    text's vector never depends on its neighbours. 16 measured fastest on the demo (160/s; 32: 114/s).
    ``torch`` and ``onnx`` only: ``onnx-int8`` runs one text per pass (its activations are scaled
    per pass, so in a batch a vector would depend on its neighbours)."""
    allow_network: bool = False
    """Only when true may a model be fetched from the Hugging Face hub."""
    device: str = "auto"
    """torch device (``runtime: torch``, and fine-tuning): ``auto`` is a CUDA GPU when torch sees
    one, else the CPU; or name one (``cpu``, ``cuda:1``). Vectors from a GPU are cached apart from
    the CPU's (they differ in the last bits). The CPU is the path measured and tested here."""
    runtime: Literal["torch", "onnx", "onnx-int8", "static"] = "onnx-int8"
    """What runs the model. Measured on 2 cores (``benchmarks/README.md``):

    - ``onnx-int8`` (default): the model exported once with ``torch.onnx`` into the cache's
      ``onnx/`` folder, its weights quantised to int8, run by onnxruntime one text per pass;
      about 600 short texts/s, 0.1 s to load. Its coding accuracy on the shared coded sets was
      within the fp32 interval (usability zero-shot 0.231 vs 0.233, with examples 0.587 vs 0.595,
      World after Covid 0.303 vs 0.276).
    - ``torch``: sentence-transformers in fp32, about 160 texts/s, 4-5 s to load.
    - ``onnx``: the same fp32 model run by onnxruntime, 1.2x torch, with the same themes.
    - ``static``: a model2vec model distilled once from the model (about 30 s), about 70x torch.
      Its topics were worse on the 20 Newsgroups posts (NMI 0.281 vs 0.434) and it codes zero-shot
      far worse (usability 0.141 vs 0.233): a quick first look at an archive, not a study's coding.

    Each runtime's vectors are cached under its own identity, never mixed."""
    threads: int | None = Field(default=None, ge=1)

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if not re.fullmatch(r"auto|cpu|mps|(cuda|xpu)(:\d+)?", value.strip().lower()):
            raise ValueError(f"'{value}' is not a device; use auto, cpu, cuda, cuda:N (the Nth GPU), mps or xpu")
        return value.strip().lower()
    """CPUs the ONNX runtimes use; default: every CPU this process may use. ``onnx`` gives them to
    onnxruntime's batches, ``onnx-int8`` runs that many one-text passes side by side. Vectors do not
    depend on it (1, 2 and 3 gave identical bits)."""

    @model_validator(mode="before")
    @classmethod
    def _old_runtime_key(cls, data: Any) -> Any:
        """``embed.backend`` (before "backend" meant only where work runs) becomes ``embed.runtime``."""
        if not isinstance(data, dict) or "backend" not in data:
            return data
        data = dict(data)
        old = data.pop("backend")
        if data.get("runtime", old) != old:
            raise ValueError(f"embed.backend ({old}) and embed.runtime ({data['runtime']}) differ: keep only runtime")
        warnings.warn("embed.backend is deprecated: it is now embed.runtime (what runs the model; `backend` is "
                      f"where the work runs), e.g. --set embed.runtime={old}", FutureWarning, stacklevel=2)
        return {**data, "runtime": old}


class ClusterConfig(_Strict):
    """BERTopic with UMAP + HDBSCAN; ``None`` sizes are chosen from the corpus size."""

    method: str = "bertopic"
    min_cluster_size: int | None = Field(default=None, ge=2)
    min_samples: int | None = Field(default=None, ge=1)
    n_neighbors: int = Field(default=15, ge=2)
    n_components: int = Field(default=5, ge=2)
    top_n_words: int = Field(default=8, ge=1)
    context_weight: float = Field(default=0.5, ge=0.0, le=2.0)
    """Weight of the neighbouring segments (same turn or paragraph) in the vectors that are
    clustered; 0 clusters each segment on its own. Coding always uses the segment alone."""
    extra_stop_words: tuple[str, ...] = ()
    fit_sample: int = Field(default=20_000, ge=100)
    """At most this many segments (a seeded random sample) fit UMAP and HDBSCAN; the rest are
    placed in the fitted map by UMAP's ``transform`` and HDBSCAN's ``approximate_predict``, in
    chunks of 10,000. Keeps memory and time near-linear in corpus size (see benchmarks/README.md)."""


class AlignConfig(_Strict):
    """How segments and clusters are matched to the codebook."""

    method: str = "learned"
    """``learned`` (default): learns from coded examples when given (a fine-tuned model, a
    second multilingual model and a classifier with the codebook as prior) and codes as
    ``calibrated`` without them; ``calibrated``: codebook similarity plus a logistic regression
    on the examples; ``prototype``: cosine similarity only."""
    threshold: float = Field(default=0.25, ge=0.0, le=1.0)
    """Segments scoring below this are ``unassigned``. With ``calibrated`` a score is the
    probability that the theme is right; with ``prototype`` it is a cosine similarity."""
    cluster_threshold: float = Field(default=0.2, ge=0.0, le=1.0)
    """Clusters scoring below this are reported as candidate new themes. With ``calibrated``
    a cluster's score is the expected share of its segments that carry the theme, so 0.2
    means "at least one segment in five"; with ``prototype`` it is a cosine (use ~0.27)."""
    temperature: float = Field(default=0.05, gt=0.0)
    """``calibrated`` only: softmax temperature of the zero-shot probability mapping."""
    example_weight: float = Field(default=0.9, ge=0.0, le=1.0)
    """``calibrated`` only: weight of the classifier learned from coded examples."""
    context_weight: float = Field(default=0.5, ge=0.0, le=2.0)
    """Weight of what a segment answers (the interviewer's preceding turn) and of the text
    around it when coding; 0 codes each segment on its own words alone."""
    window: Literal["text", "segments"] = "segments"
    """How the text around a segment is represented: ``segments`` (default) averages the vectors of
    the segments within 300 characters either side, which embeds nothing more; ``text`` embeds that
    window's text, a second corpus as long as the first. On the shared coded sets (folds by session
    and participant, ``benchmarks/speed_options.py``) ``segments`` scored within the interval of
    ``text``: usability zero-shot 0.228 vs 0.233, with examples 0.583 vs 0.595, World after Covid
    micro-F1 0.279 vs 0.276."""
    extra_models: tuple[str, ...] = ("multilingual-e5-small",)
    """``learned`` with examples: further embedding models whose vectors join the run's model's as
    features (frozen). multilingual-e5-small added 6 points on the usability set
    (benchmarks/README.md) and reads Urdu; ``[]`` uses the run's model alone."""
    tune_epochs: int = Field(default=2, ge=0, le=20)
    """``learned`` with at least ``tune_from`` accepted examples: epochs of fine-tuning the run's embedding
    model on them (cached per example set); 0 keeps it frozen."""
    tune_from: int = Field(default=200, ge=1)
    """Fine-tune only from this many accepted examples. With the codebook prior, tuning added 0.8 and 0.9
    points of accuracy at 100 and 200 decisions on the usability set (within the interval) and took ten
    times as long (105 s against 11 s for three folds): below 200 a round stays quick."""
    regularization: float = Field(default=0.2, gt=0.0)
    """``learned``: inverse L2 strength of the classifier on standardised features: how far each decision
    may move the coding from the prior. 0.2 did best on the shared usability set's simulated rounds (0.05,
    0.1, 0.35 and 1.0 tried; ``benchmarks/first_rounds.py``); the method without the prior used 0.05."""
    prior: bool = True
    """``learned`` with examples: the codebook's zero-shot scores stay the prior that the decisions
    correct, so a few decisions move only what they support (``narratives.align.softmax``);
    ``false`` learns from the decisions and the codebook's texts as training rows alone (the
    method before issue 29, worse than zero-shot with 10-25 decisions)."""
    multi_label: bool = False
    """Also report further themes (``also`` in segments.csv): the aligner's second theme when
    its score passes ``threshold`` (``calibrated`` only), and the theme of any clause of the
    segment coded alone with a score of at least 0.5 (``narratives.align.multilabel``)."""


class ReportConfig(_Strict):
    """What goes into the output directory."""

    quotes_per_theme: int = Field(default=5, ge=1)
    by: tuple[str, ...] = ()
    """Metadata columns to break theme frequencies down by (e.g. ``country``)."""
    context_chars: int = Field(default=160, ge=0)
    diversity: float = Field(default=0.7, ge=0.0, le=1.0)
    """MMR trade-off for quotes: 1.0 = pure score, lower = more diverse."""
    figures: bool = True
    """Draw ``figures/*.png|svg`` for papers. ``false`` saves a few seconds per run while you
    iterate on the codebook; ``narratives report RUN_DIR`` draws them later."""


class BackendConfig(_Strict):
    """Where the parallel stages (load, segment, embed, place, align) run; results are the same."""

    name: Literal["local", "ray"] = "local"
    """``local``: in this process. ``ray``: on a Ray cluster (``pip install 'ray>=2.40'``)."""
    ray_address: str | None = None
    """A running cluster (``ray://head:10001`` or ``auto``); ``None`` starts a local Ray instance."""
    workers: int | None = Field(default=None, ge=1)
    """Ray workers per stage; ``None``: one per CPU Ray reports."""


SEED_MAX = 2**32 - 1
"""The largest seed numpy's random generators (and so UMAP and HDBSCAN) accept."""


def default_cache_dir() -> Path:
    """``$NARRATIVES_CACHE_DIR``, else ``~/.cache/narratives``."""
    env = os.environ.get("NARRATIVES_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "narratives"


class RunConfig(_Strict):
    """The whole configuration of one ``narratives run``."""

    seed: int = 42
    """The one seed every random component (UMAP, HDBSCAN ties, sampling) receives: 0 to 2**32 - 1,
    what numpy's generators accept."""
    cache: Path | None = None
    """Where every stage keeps what it can reuse: embeddings, segments, topics, tuned models, ONNX
    exports, compiled UMAP code. Default: ``$NARRATIVES_CACHE_DIR`` or ``~/.cache/narratives``.
    (It used to be ``embed.cache_dir``, which still works, with a warning.)"""
    segment: SegmentConfig = SegmentConfig()
    embed: EmbedConfig = EmbedConfig()
    cluster: ClusterConfig = ClusterConfig()
    align: AlignConfig = AlignConfig()
    report: ReportConfig = ReportConfig()
    backend: BackendConfig = BackendConfig()

    @field_validator("seed", mode="before")
    @classmethod
    def _seed_in_range(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"{str(value).lower()} is not a seed; use a whole number from 0 to {SEED_MAX}")
        if isinstance(value, int) and not 0 <= value <= SEED_MAX:
            raise ValueError(f"{value} is out of range; use a whole number from 0 to {SEED_MAX} (numpy's seeds)")
        return value

    @field_validator("cache", mode="before")
    @classmethod
    def _cache_named(cls, value: Any) -> Any:
        """An empty ``cache`` would be the current folder: participants' text wherever the command ran."""
        if isinstance(value, str | Path) and not str(value).strip():
            raise ValueError("empty; name a folder for the cache (e.g. --set cache=~/.cache/narratives), or leave "
                             "it out for the default ($NARRATIVES_CACHE_DIR or ~/.cache/narratives)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _old_cache_key(cls, data: Any) -> Any:
        """``embed.cache_dir`` (before the cache served every stage) becomes ``cache``, with a warning."""
        embed = data.get("embed") if isinstance(data, dict) else None
        if not isinstance(embed, dict) or "cache_dir" not in embed:
            return data
        embed = dict(embed)
        old = embed.pop("cache_dir")
        if old is not None:
            if data.get("cache") not in (None, old):
                raise ValueError(f"embed.cache_dir ({old}) and cache ({data['cache']}) differ: keep only cache")
            warnings.warn("embed.cache_dir is deprecated: the cache serves every stage, so set `cache` at the top "
                          f"level instead (--set cache={old})", FutureWarning, stacklevel=2)
        return {**data, "embed": embed, **({"cache": old} if old is not None else {})}

    def resolved_cache_dir(self) -> Path:
        """The cache directory this run uses: :attr:`cache`, else :func:`default_cache_dir`."""
        return Path(self.cache).expanduser() if self.cache is not None else default_cache_dir()


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found; check the path given to --config")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = load_yaml(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (seed, segment, embed, ...)")
    return data


def _apply_override(data: dict[str, Any], assignment: str) -> None:
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set '{assignment}': expected key=value, e.g. --set align.threshold=0.4")
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw  # not a YAML value ("[x", "a: b: c"): the text as given; validation says if it fits
    node = data
    parts = key.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set '{assignment}': '{part}' is not a section")
        node = child
    node[parts[-1]] = value


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Read a config file (YAML or TOML) and apply ``key=value`` overrides.

    Raises:
        ConfigError: naming the file or override and the offending field.
    """
    data: dict[str, Any] = _read_file(Path(path)) if path is not None else {}
    for item in overrides:
        _apply_override(data, item)
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        where = str(path) if path is not None else "settings"
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise ConfigError(f"{where}: {problems}") from exc


def _describe(err: Any) -> str:
    """One validation problem, with a suggestion for a misspelt key."""
    loc = [str(p) for p in err["loc"]]
    text = f"{'.'.join(loc)}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] != "extra_forbidden":
        return text
    model: type[BaseModel] = RunConfig
    for part in loc[:-1]:
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return text
        model = annotation
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    known = ", ".join(model.model_fields)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys here: {known}"
    return f"{'.'.join(loc)}: unknown setting; {hint}"
