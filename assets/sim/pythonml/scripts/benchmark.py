"""Prediction latency: p50 and p95 of single and batch requests, and of the model alone.

python scripts/benchmark.py                              # in process (no server needed)
python scripts/benchmark.py --url http://localhost:8000  # a running service
python scripts/benchmark.py --requests 500 --batch-size 100
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import numpy as np


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50, p95 and the mean of the samples, in milliseconds."""
    ordered = sorted(samples_ms)
    return {
        "p50": float(np.percentile(ordered, 50)),
        "p95": float(np.percentile(ordered, 95)),
        "mean": statistics.fmean(ordered),
    }


def measure(call: Callable[[], object], repeat: int, warmup: int = 5) -> list[float]:
    """The duration of each of `repeat` calls, in milliseconds, after a few warm-up calls."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


@contextmanager
def open_client(url: str | None) -> Iterator[httpx.Client]:
    """A client of the service at `url`, or of an in-process app (trained if needed)."""
    if url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
    else:
        from fastapi.testclient import TestClient

        from app.main import create_app

        with TestClient(create_app()) as client:
            yield client


def random_rows(client: httpx.Client, count: int, seed: int = 0) -> list[list[float]]:
    """`count` rows of plausible features, drawn inside the ranges the model accepts."""
    info = client.get("/model").raise_for_status().json()
    rng = np.random.default_rng(seed)
    lows = np.array([r["low"] for r in info["ranges"]])
    highs = np.array([r["high"] for r in info["ranges"]])
    middle, half = (lows + highs) / 2, (highs - lows) / 4
    return (middle + rng.uniform(-half, half, size=(count, len(lows)))).round(3).tolist()


def post(client: httpx.Client, rows: list[list[float]]) -> Callable[[], object]:
    def call() -> object:
        return client.post("/predict", json={"instances": rows}).raise_for_status()

    return call


def run(url: str | None, requests: int, batch_size: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with open_client(url) as client:
        rows = random_rows(client, batch_size)
        results["single request"] = percentiles(measure(post(client, rows[:1]), requests))
        batch = percentiles(measure(post(client, rows), max(requests // 10, 10)))
        batch["per row"] = batch["p50"] / batch_size
        results[f"batch of {batch_size}"] = batch
        if url is None:
            model = client.app.state.model
            features = np.asarray(rows, dtype=float)
            results["model alone, 1 row"] = percentiles(
                measure(lambda: model.predict_matrix(features[:1]), requests)
            )
            results[f"model alone, {batch_size} rows"] = percentiles(
                measure(lambda: model.predict_matrix(features), requests)
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="the service's base URL (default: an in-process app)")
    parser.add_argument("--requests", type=int, default=200, help="single requests to time")
    parser.add_argument("--batch-size", type=int, default=100, help="rows per batch request")
    args = parser.parse_args(argv)
    if args.requests < 1 or not 1 <= args.batch_size <= 1000:
        parser.error("--requests must be positive and --batch-size between 1 and 1000")

    results = run(args.url, args.requests, args.batch_size)
    print(f"{'':<24}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for name, stats in results.items():
        print(f"{name:<24}{stats['p50']:>10.3f}{stats['p95']:>10.3f}{stats['mean']:>10.3f}")
        if "per row" in stats:
            print(f"{'  per row (p50)':<24}{stats['per row']:>10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
