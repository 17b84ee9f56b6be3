"""Trains the model and saves it: python -m app.train [--out models/model.joblib] [--seed 42]."""

from __future__ import annotations

import argparse
from pathlib import Path

from .config import get_settings
from .model import save, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=get_settings().model_path, help="where to save the model")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the train/test split")
    args = parser.parse_args(argv)
    model = train(seed=args.seed)
    save(model, args.out)
    print(f"trained on {len(model.feature_names)} features, held-out accuracy {model.accuracy:.3f}; saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
