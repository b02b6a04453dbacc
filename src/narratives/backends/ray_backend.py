"""The Ray backend: each batch of work is one row of a Ray Data dataset.

``map(fn, shared, items)`` becomes ``ray.data.from_items(...).map_batches(Worker, ...)``
with a pool of actors: each actor receives ``shared`` once (through the object store,
``ray.put``) and keeps it, so an embedding model is loaded once per worker and a fitted
topic map or aligner is sent once per worker, not once per batch. Items and results
travel pickled, so any record the pipeline uses (documents, segments, vectors) can.

Pointing it at a cluster: start Ray there (``ray start --head`` on one node,
``ray start --address=HEAD:6379`` on the others), install ``narratives`` and the
embedding model package on every node (same versions), then run
``narratives run ... --backend ray --ray-address auto`` on a node of the cluster (or
``ray://HEAD:10001`` from outside it). Without an address a local Ray instance is
started with this machine's CPUs, and stopped again when the run ends.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from narratives.errors import ConfigError

S = TypeVar("S")
X = TypeVar("X")
Y = TypeVar("Y")


class _Worker:
    """One Ray Data actor: unpickles ``fn`` and ``shared`` once, then applies them per row."""

    def __init__(self, fn_blob: bytes, shared_ref: list[Any]) -> None:
        import ray

        self.fn = pickle.loads(fn_blob)  # cloudpickle's output loads with pickle
        self.shared = ray.get(shared_ref[0])

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        out = [pickle.dumps(self.fn(self.shared, pickle.loads(blob)), protocol=5) for blob in batch["item"]]
        return {"index": batch["index"], "result": out}


class RayBackend:
    """Runs batches on Ray: a local instance (``address=None``) or a running cluster."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError(
                "backend 'ray' needs Ray: pip install 'ray[data]' (and the same on every node of your cluster)"
            ) from exc
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "warning"}
            if address is None:
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
            else:
                kwargs["address"] = address
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a local instance"
                raise ConfigError(f"could not start or reach Ray at {where}: {exc}. Check --ray-address "
                                  "(e.g. auto on a cluster node, ray://HEAD:10001 from outside)") from exc
            self._started = True
        from ray.data import DataContext

        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-dataset INFO lines
        context = DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = True
        self.address = address
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, min(workers or cpus, cpus))

    def map(self, fn: Callable[[S, X], Y], shared: S, items: Sequence[X]) -> list[Y]:
        """``[fn(shared, item) for item in items]``, computed by a pool of Ray actors, in order."""
        if not items:
            return []
        import ray
        from ray import cloudpickle

        rows = [{"index": i, "item": pickle.dumps(item, protocol=5)} for i, item in enumerate(items)]
        dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), self.workers * 4))
        mapped = dataset.map_batches(
            _Worker,
            fn_constructor_args=(cloudpickle.dumps(fn), [ray.put(shared)]),
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(rows))),
            num_cpus=1,
        )
        results = sorted(mapped.take_all(), key=lambda row: int(row["index"]))
        if len(results) != len(items):
            raise RuntimeError(f"Ray returned {len(results)} results for {len(items)} batches")
        return [pickle.loads(row["result"]) for row in results]

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "address": self.address or "local", "workers": self.workers}

    def close(self) -> None:
        """Stop the Ray instance this backend started (a cluster it joined keeps running)."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def __enter__(self) -> RayBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
