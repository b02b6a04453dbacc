"""What a crash, a killed process, a half-finished copy or a shared read-only disk leaves
behind: damaged cache entries, stale staging folders, damaged run folders. Each is
noticed, said and repaired or refused; none repeats its failure on every run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from narratives.cli import app
from narratives.reports.atomic import clean_stale, staged_directory


@pytest.mark.slow
def test_damaged_segment_and_cluster_cache_entries_are_misses_with_a_note(tmp_path: Path, run_small) -> None:  # type: ignore[no-untyped-def]
    cache, out = tmp_path / "cache", tmp_path / "out"
    code, output, first = run_small(out, cache)
    assert code == 0, output
    entries = [*cache.glob("segments/*.npz"), *cache.glob("clusters/*.npz")]
    assert {p.parent.name for p in entries} == {"segments", "clusters"}
    for path in entries:  # a truncated copy, a disk error: not a zip any more
        path.write_bytes(path.read_bytes()[:40])

    code, output, second = run_small(out, cache)
    assert code == 0, output
    assert "Traceback" not in output
    damaged = [n for n in second["notes"] if "damaged" in n]
    assert len(damaged) == 2 and all(str(cache) in n for n in damaged)
    assert second["counts"] == first["counts"]

    code, output, third = run_small(out, cache)  # rebuilt: no note any more
    assert code == 0 and not [n for n in third["notes"] if "damaged" in n]


def test_stale_staging_folders_of_a_killed_run_are_cleaned_up(tmp_path: Path) -> None:
    dead = 2**22 + 12345  # above the kernel's pid_max: no such process
    out = tmp_path / "out"
    out.mkdir()
    (out / "run_manifest.json").write_text("{}")
    staging = tmp_path / f".out.{dead}.k3j2.tmp"
    staging.mkdir()
    (staging / "segments.csv").write_text("half written")
    retired = tmp_path / f".out.old-{dead}"
    retired.mkdir()
    live = tmp_path / f".out.{os.getppid()}.live.tmp"  # a run still going: left alone
    live.mkdir()

    with staged_directory(out) as new:
        (new / "run_manifest.json").write_text('{"new": true}')
    assert not staging.exists() and not retired.exists()
    assert live.exists()
    assert json.loads((out / "run_manifest.json").read_text()) == {"new": True}

    # killed between setting the old results aside and moving the new ones in: put them back
    lost = tmp_path / "lost"
    aside = tmp_path / f".lost.old-{dead}"
    aside.mkdir()
    (aside / "run_manifest.json").write_text('{"old": true}')
    assert clean_stale(lost) == [aside]
    assert json.loads((lost / "run_manifest.json").read_text()) == {"old": True}


def test_a_read_only_cache_is_read_not_written(tmp_path: Path) -> None:
    """Run as another user when this is root (root may write anywhere), so the folder is really read-only."""
    import tempfile


    # a folder other users can reach (pytest's own temporary root is private to this user)
    shared = Path(tempfile.mkdtemp(prefix="narratives-shared-"))
    shared.chmod(0o755)
    try:
        _read_only_cache(shared / "cache", shared)
    finally:
        for path in shared.rglob("*"):
            path.chmod(0o755)
        shutil.rmtree(shared)


def _read_only_cache(cache: Path, workdir: Path) -> None:
    from narratives.embed import EmbeddingCache, text_key

    texts = ["The salary was too low.", "The ward had no gloves."]
    with EmbeddingCache(cache) as writable:
        writable.put_many("model-a", [text_key(t) for t in texts], np.ones((2, 4), dtype=np.float32))
    for path in (cache, *cache.iterdir()):
        path.chmod(0o555 if path.is_dir() else 0o444)
    script = f"""
import warnings, numpy as np
from narratives.embed.cache import EmbeddingCache, text_key
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    cache = EmbeddingCache({str(cache)!r})
    found = cache.get_many("model-a", [text_key(t) for t in {texts!r}])
    cache.put_many("model-a", [text_key("new text")], np.ones((1, 4), dtype=np.float32))
    cache.put_many("model-a", [text_key("more")], np.ones((1, 4), dtype=np.float32))
print(len(found), cache.read_only, len(cache.notes), len(caught))
print(cache.notes[0] if cache.notes else "")
"""
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a folder read-only for this process")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=workdir,
                          env={**os.environ, "HOME": str(workdir)})
    assert done.returncode == 0, done.stderr
    counts, note = done.stdout.splitlines()[:2]
    assert counts == "2 True 1 1"  # both rows read, nothing written, one warning
    assert "read-only" in note and str(cache) in note
    with sqlite3.connect(cache / "embeddings.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 2


@pytest.fixture()
def damaged_run(demo_run: tuple, tmp_path: Path) -> Path:
    """A copy of the demo run's folder, to damage."""
    _, out = demo_run
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    return copy


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda run: (run / "documents.jsonl").write_bytes(b"\xff\xfe not utf-8"), "documents.jsonl"),
        (lambda run: (run / "run_manifest.json").write_text("{ not json"), "run_manifest.json"),
        (lambda run: (run / "quotes.csv").write_text(""), "quotes.csv"),
        (lambda run: (run / "segments.csv").write_bytes((run / "segments.csv").read_bytes()[:5000]),
         "segments.csv"),
    ],
    ids=["documents-not-utf8", "manifest-not-json", "quotes-empty", "segments-truncated"],
)
@pytest.mark.parametrize("command", ["report", "export"])
def test_a_damaged_run_folder_is_refused_naming_the_file(damaged_run: Path, damage, named: str,
                                                         command: str) -> None:
    damage(damaged_run)
    before = {p.name: p.read_bytes() for p in damaged_run.iterdir() if p.is_file()}
    args = ["report", str(damaged_run), "--no-figures"] if command == "report" else [
        "export", str(damaged_run), "--to", "csv", "--out", str(damaged_run.parent / "sheet.csv")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert named in result.output and "narratives run" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in damaged_run.iterdir() if p.is_file()} == before
    assert not (damaged_run.parent / "sheet.csv").exists()


@pytest.mark.slow
def test_embedding_keeps_what_it_finished_when_interrupted(tmp_path: Path, embedder) -> None:
    """Ctrl-C during the first chunk (fewer than 16,384 texts) used to keep nothing."""
    import _thread
    import threading

    from narratives.embed import CachedEmbedder, EmbeddingCache, text_key

    texts = [f"Participant {i} said the night shifts in ward {i % 7} had no senior cover at all." for i in range(4000)]
    embedder.embed(["the model is loaded before the clock starts"])
    cached = CachedEmbedder(embedder, EmbeddingCache(tmp_path / "cache"))
    timer = threading.Timer(2.0, _thread.interrupt_main)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ray, once started, installs its own
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            cached.embed(texts)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    kept = cached.cache.count(embedder.identity)
    assert 0 < kept < len(texts)

    with EmbeddingCache(tmp_path / "cache") as again:
        found = again.get_many(embedder.identity, [text_key(t) for t in texts])
    assert len(found) == kept
    sample = [t for t in texts if text_key(t) in found][:16]
    assert np.allclose(np.stack([found[text_key(t)] for t in sample]), embedder.embed(sample), atol=1e-6)


@pytest.mark.slow
def test_ctrl_c_during_a_run_says_what_survives_and_writes_nothing(tmp_path: Path, repo_dir: Path) -> None:
    import _thread
    import threading

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "long.txt").write_text("\n\n".join(
        f"P{i % 9 + 1}: The night shifts in ward {i} had no senior cover and the pay came {i % 5} months late."
        for i in range(3000)
    ))
    out = tmp_path / "out"
    timer = threading.Timer(6.0, _thread.interrupt_main)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ray, once started, installs its own
    timer.start()
    try:
        result = CliRunner().invoke(app, [
            "run", str(corpus), "--codebook", str(repo_dir / "configs/codebooks/physician-migration.yaml"),
            "--out", str(out), "--set", f"cache={tmp_path / 'cache'}",
        ])
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "same command" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


@pytest.mark.slow
def test_ctrl_c_while_reports_are_written_says_what_the_folder_holds(tmp_path: Path, repo_dir: Path) -> None:
    """Ctrl-C pressed at moments from "Writing reports" to the end of the summary, in a real process:
    whatever the moment, the message matches the folder (no "nothing was written" beside a complete
    run), and the process never dies by the signal without a word."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("p01-general-surgery-uk.txt", "p04-psychiatry-uk.txt"):
        shutil.copy(repo_dir / "corpora" / "demo" / "interviews" / name, corpus / name)
    command = [str(Path(sys.executable).with_name("narratives")), "run", str(corpus), "--codebook",
               str(repo_dir / "configs/codebooks/physician-migration.yaml"), "--set", f"cache={tmp_path / 'cache'}"]
    seen: set[str] = set()
    for i, delay in enumerate((0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.6, 3.4)):
        out = tmp_path / f"out-{i}"
        process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        assert process.stderr is not None
        said = []
        for line in process.stderr:
            said.append(line)
            if "Writing reports" in line:
                break
        if delay:
            import time

            time.sleep(delay)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=300)
        stderr = "".join(said) + stderr
        complete = (out / "run_manifest.json").is_file()
        assert process.returncode in (0, 130), (delay, process.returncode, stderr[-500:])
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr[-1500:]
        if process.returncode == 0:
            assert complete and "Reports written" in stdout
            seen.add("finished")
        elif "Nothing was written" in stderr:
            assert not out.exists() and not list(tmp_path.glob(f".out-{i}.*")), delay
            seen.add("nothing")
        else:
            assert complete and f"after the results were written: {out}" in stderr, stderr[-500:]
            seen.add("written")
    assert "nothing" in seen  # the first moments come before the results are in place
