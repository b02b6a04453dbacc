"""The run configuration: documented defaults, strict keys, helpful errors."""

from __future__ import annotations

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
