"""The Ray backend: one pool of Ray actors, started once, runs every batch of a run.

``map(fn, shared, items)`` sends ``(fn, shared)`` once through the object store
(``ray.put``) and each item to the next free actor (``ray.util.ActorPool``), in order. An
actor unpickles ``(fn, shared)`` once and keeps the last few it was given, by their hash,
so the embedding model an embedder loads in a worker stays loaded from map to map, and a
fitted topic map or aligner is sent once per worker, not once per batch. The same actors
serve every stage: a run no longer pays for starting a pool per stage (about 20 s each
with Ray Data's pools, six per run). Items and results travel pickled, so any record the
pipeline uses (documents, segments, vectors) can.

On a cluster with GPUs each actor is given its share of them (``num_gpus``), so with
``embed.device`` ``auto`` or ``cuda`` the workers embed and fine-tune on their GPUs.

Pointing it at a cluster: start Ray there (``ray start --head`` on one node,
``ray start --address=HEAD:6379`` on the others), install ``narratives`` and the
embedding model package on every node (same versions), then run
``narratives run ... --backend ray --ray-address auto`` on a node of the cluster (or
``ray://HEAD:10001`` from outside it). Without an address a local Ray instance is
started with this machine's CPUs, listening on loopback only, and stopped again when the run
ends. Ray's usage statistics are off on the driver and on every worker
(:mod:`narratives.offline`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections import OrderedDict
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from narratives.errors import ConfigError
from narratives.offline import LOOPBACK, OFFLINE_ENV, scoped_environ

S = TypeVar("S")
X = TypeVar("X")
Y = TypeVar("Y")


LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
"""Ray's switch between a cluster-reachable node (its Linux default) and a loopback-only one."""

DEAD_PROXY = "http://127.0.0.1:9"
"""A proxy address on loopback where nothing answers: web requests from a local Ray's processes end there."""

_CLOSED_WEB = {"http_proxy": DEAD_PROXY, "HTTP_PROXY": DEAD_PROXY, "https_proxy": DEAD_PROXY,
               "HTTPS_PROXY": DEAD_PROXY, "no_proxy": "", "NO_PROXY": ""}
"""While a local Ray instance starts, web requests are sent to :data:`DEAD_PROXY`; its processes
keep that environment. Ray's usage-statistics module, which it loads even without a dashboard
and with usage statistics off, asks the cloud metadata address (169.254.169.254) and looks up
``metadata.google.internal`` to learn what machine it is on (ray 2.60, seen with ``strace``).
Through the dead proxy neither the request nor the lookup leaves the machine. Ray's own gRPC
ignores proxies."""


KEPT_JOBS = 4
"""``(fn, shared)`` pairs an actor keeps unpickled (a run's maps alternate between a few)."""


class _Worker:
    """One Ray actor: applies the ``(fn, shared)`` named by a token to one pickled item at a time."""

    def __init__(self) -> None:
        self.jobs: OrderedDict[str, tuple[Callable[[Any, Any], Any], Any]] = OrderedDict()
        self.received = 0
        """How many ``(fn, shared)`` pairs this actor has unpickled."""

    def run(self, token: str, job: list[Any], blob: bytes) -> bytes:
        if token not in self.jobs:
            import ray

            self.jobs[token] = pickle.loads(ray.get(job[0]))  # cloudpickle's output loads with pickle
            self.received += 1
            while len(self.jobs) > KEPT_JOBS:
                self.jobs.popitem(last=False)
        self.jobs.move_to_end(token)
        fn, shared = self.jobs[token]
        return pickle.dumps(fn(shared, pickle.loads(blob)), protocol=5)

    def count(self) -> int:
        return self.received


class RayBackend:
    """Runs batches on Ray: a local instance (``address=None``) or a running cluster."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        if address is None:
            # Ray's own "this machine only" mode (its default on macOS and Windows): every server of a
            # local instance on loopback. Read when ray is first imported, and inherited by its processes.
            os.environ.setdefault(LOCAL_ONLY, "0")
        try:
            import ray
        except ImportError as exc:
            raise ConfigError(
                "backend 'ray' needs Ray: pip install 'ray>=2.40' (and the same on every node of your cluster)"
            ) from exc
        self._started = False
        if not ray.is_initialized():
            # the workers get the telemetry switches too (a cluster's nodes do not inherit this environment)
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "warning",
                                      "runtime_env": {"env_vars": dict(OFFLINE_ENV)}}
            if address is None:
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
                # a local instance listens on loopback only: its object store holds participants' text,
                # and its default (the machine's network address, found by asking the route to 8.8.8.8)
                # would open it to the network
                kwargs["_node_ip_address"] = LOOPBACK
            else:
                kwargs["address"] = address
            try:
                with scoped_environ(_CLOSED_WEB) if address is None else contextlib.nullcontext():
                    ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a local instance"
                raise ConfigError(f"could not start or reach Ray at {where}: {exc}. Check --ray-address "
                                  "(e.g. auto on a cluster node, ray://HEAD:10001 from outside)") from exc
            self._started = True
        self.address = address
        resources = ray.cluster_resources()
        cpus = int(resources.get("CPU", 1))
        self.workers = max(1, min(workers or cpus, cpus))
        self.gpus_per_worker = float(resources.get("GPU", 0)) / self.workers
        self._actors: list[Any] = []

    def _pool(self) -> Any:
        import ray
        from ray.util import ActorPool

        if not self._actors:
            actor = ray.remote(num_cpus=1, num_gpus=self.gpus_per_worker)(_Worker)
            self._actors = [actor.remote() for _ in range(self.workers)]
        return ActorPool(self._actors)

    def map(self, fn: Callable[[S, X], Y], shared: S, items: Sequence[X]) -> list[Y]:
        """``[fn(shared, item) for item in items]``, computed by the pool of Ray actors, in order."""
        if not items:
            return []
        import ray
        from ray import cloudpickle

        job = cloudpickle.dumps((fn, shared))
        token = hashlib.sha256(job).hexdigest()
        ref = [ray.put(job)]  # in a list, so Ray hands the actor the reference, not the bytes
        blobs = [pickle.dumps(item, protocol=5) for item in items]
        results = list(self._pool().map(lambda actor, blob: actor.run.remote(token, ref, blob), blobs))
        if len(results) != len(items):
            raise RuntimeError(f"Ray returned {len(results)} results for {len(items)} batches")
        return [pickle.loads(result) for result in results]

    def received(self) -> list[int]:
        """How many ``(fn, shared)`` pairs each actor has unpickled so far."""
        import ray

        return [int(n) for n in ray.get([actor.count.remote() for actor in self._actors])]

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "address": self.address or "local", "workers": self.workers}

    def close(self) -> None:
        """Stop the Ray instance this backend started (a cluster it joined keeps running)."""
        if self._actors:
            import ray

            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
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
