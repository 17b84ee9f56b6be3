"""Trains the model and saves it.

python -m app.train [--data data/sample.csv] [--out models/model.joblib] [--seed 42]
                    [--min-accuracy 0.8]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import get_settings
from .data import read_csv, sample_dataset
from .model import save, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="a CSV file (default: the bundled sample)"
    )
    parser.add_argument(
        "--out", type=Path, default=get_settings().model_path, help="where to save the model"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed of the split and model")
    parser.add_argument(
        "--min-accuracy",
        type=float,
        default=0.0,
        help="fail (exit 1, nothing saved) below this held-out accuracy",
    )
    args = parser.parse_args(argv)

    if args.data is None:
        data = sample_dataset()
    else:
        try:
            data, report = read_csv(args.data)
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        dropped = ", ".join(f"{n} {reason}" for reason, n in sorted(report.dropped.items()))
        print(
            f"read {report.kept} rows from {args.data}"
            + (f"; dropped {dropped}" if dropped else "")
        )

    model = train(data, seed=args.seed)
    metrics = ", ".join(f"{name} {value:g}" for name, value in model.metrics.items())
    print(
        f"trained on {len(model.feature_names)} features and {len(model.class_names)} classes: {metrics}"
    )
    if model.accuracy < args.min_accuracy:
        print(
            f"error: held-out accuracy {model.accuracy:.3f} is below {args.min_accuracy}",
            file=sys.stderr,
        )
        return 1
    save(model, args.out)
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
