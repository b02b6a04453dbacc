"""The run configuration: documented defaults, strict keys, helpful errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from narratives.config import RunConfig, load_config
from narratives.errors import ConfigError


def test_documented_defaults_file_matches_the_code(repo_dir: Path) -> None:
    assert load_config(repo_dir / "configs" / "default.yaml") == RunConfig()


def test_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("align:\n  treshold: 0.3\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: align\.treshold: unknown setting; did you mean 'threshold'"):
        load_config(path)


def test_overrides_are_typed_and_validated() -> None:
    config = load_config(None, ["align.threshold=0.4", "report.by=[country, gender]", "seed=7"])
    assert (config.align.threshold, config.report.by, config.seed) == (0.4, ("country", "gender"), 7)
    with pytest.raises(ConfigError, match="threshold"):
        load_config(None, ["align.threshold=1.5"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["align.threshold"])


def test_toml_config(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text("seed = 3\n[segment]\nunit = \"passage\"\n")
    config = load_config(path)
    assert config.seed == 3 and config.segment.unit == "passage"


def test_one_cache_setting_serves_every_stage_and_the_old_key_still_works(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRATIVES_CACHE_DIR", str(tmp_path / "env"))
    assert RunConfig().resolved_cache_dir() == tmp_path / "env"
    assert load_config(None, [f"cache={tmp_path / 'mine'}"]).resolved_cache_dir() == tmp_path / "mine"
    old = tmp_path / "run.yaml"
    old.write_text(f"embed:\n  cache_dir: {tmp_path / 'old'}\n  batch_size: 8\n")
    with pytest.warns(FutureWarning, match=r"embed\.cache_dir is deprecated.*--set cache="):
        config = load_config(old)
    assert config.resolved_cache_dir() == tmp_path / "old" and config.embed.batch_size == 8
    assert "cache_dir" not in config.model_dump()["embed"]
    with pytest.raises(ConfigError, match="differ: keep only cache"):
        load_config(old, [f"cache={tmp_path / 'other'}"])


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("seed=-1", "seed: -1 is out of range; use a whole number from 0 to 4294967295"),
        (f"seed={2**32}", "seed: 4294967296 is out of range"),
        ("seed=true", "seed: true is not a seed"),
        ("cache=", "cache: empty; name a folder for the cache"),
        ("cache=  ", "cache: empty"),
        ("embed.device=banana", "embed.device: 'banana' is not a device; use auto, cpu, cuda"),
    ],
)
def test_values_a_run_cannot_use_are_refused_before_any_work(setting: str, said: str) -> None:
    """A seed numpy refuses crashed UMAP late in the run; an empty cache put participants' text in the current
    folder; an unknown device waited for the first model to load."""
    with pytest.raises(ConfigError, match=re.escape(said)):
        load_config(None, [setting])


def test_seeds_and_devices_a_run_can_use_are_kept() -> None:
    assert load_config(None, ["seed=0"]).seed == 0
    assert load_config(None, [f"seed={2**32 - 1}"]).seed == 2**32 - 1
    assert load_config(None, ["embed.device=CUDA:1"]).embed.device == "cuda:1"
    assert load_config(None, ["cache=null"]).cache is None
