"""P3: mlcourse's MLP training (mlcourse.fast.sgd_train) vs idiomatic PyTorch on the CPU.

The network of Nielsen's ch. 3: 784-30-10, sigmoid hidden units, softmax output
with cross-entropy (mean over the mini-batch), plain SGD (lr 0.5), float32, one
thread, on the course's digits (mlcourse.data.load_digits(): MNIST's 50,000
training images), mini-batches of 10 and 100, the same number of epochs and the
same initial weights on both sides. No monitoring inside the timed epochs.

PyTorch is timed as a user would write it: nn.Sequential(Linear, Sigmoid, Linear),
nn.CrossEntropyLoss, torch.optim.SGD, torch.set_num_threads(1), and two ways of
batching: a DataLoader over a TensorDataset (shuffle=True) and manual index
batching (randperm + fancy indexing). The ratio is taken against the faster one.

"How close to the BLAS limit": the five matrix products of one SGD step (forward
X@W1, A1@W2; backward A1ᵀ@D2, D2@W2ᵀ, Xᵀ@D1) are replayed alone, with the same
shapes, dtype and memory layout as in sgd_train, for one epoch's worth of steps;
their time over sgd_train's epoch time is the share of the epoch spent in BLAS
(1.0 would mean nothing but GEMMs). For scale, a large single-thread SGEMM gives
the machine's peak GFLOP/s.

Needs torch (the .venv-bench environment, `make bench-env`):
    .venv-bench/bin/python benchmarks/bench_torch.py [--epochs 2] [--batch-sizes 10 100]
Goal (issue 11): >= 4x faster than PyTorch at batch 10, >= 2x at batch 100.
Writes benchmarks/results/torch.json.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save, table  # noqa: E402

from mlcourse import fast, nn as mnn  # noqa: E402
from mlcourse.data import load_digits  # noqa: E402

SIZES = [784, 30, 10]
LR = 0.5
GOALS = {10: 4.0, 100: 2.0}           # required speed-up over PyTorch per batch size


def flops_per_example(sizes=SIZES):
    """Multiply-adds x 2 of one example's forward + backward GEMMs (no dX for the input)."""
    fwd = sum(a * b for a, b in zip(sizes, sizes[1:]))
    dW = fwd
    dA = sum(a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return 2 * (fwd + dW + dA)


# ------------------------------------------------------------------ mlcourse

def time_ours(params, X, y, batch_size, epochs, seed=1):
    stamps = [time.perf_counter()]
    trained, _ = fast.sgd_train(params, X, y, epochs=epochs, batch_size=batch_size, lr=LR,
                               hidden="sigmoid", output="softmax", loss="cross_entropy",
                               rng=np.random.default_rng(seed), monitor_train=False,
                               callback=lambda *a: stamps.append(time.perf_counter()))
    return [float(t) for t in np.diff(stamps)], trained


def time_gemms(n, m, repeats=2, dtype=np.float32, seed=0):
    """Seconds for one epoch's worth (n / m steps) of sgd_train's five GEMMs alone."""
    rng = np.random.default_rng(seed)
    d0, d1, d2 = SIZES
    Xb = rng.random((m, d0), dtype=dtype)
    W1, W2 = rng.standard_normal((d0, d1), dtype=dtype), rng.standard_normal((d1, d2), dtype=dtype)
    Z1, P = np.empty((m, d1), dtype), np.empty((m, d2), dtype)
    D1 = rng.standard_normal((m, d1), dtype=dtype)
    dW1, dW2, dA1 = np.empty((d0, d1), dtype), np.empty((d1, d2), dtype), np.empty((m, d1), dtype)
    Xb_T, Z1_T, W2_T = Xb.T, Z1.T, W2.T            # views, as in fast.InPlaceStep
    dot, steps = np.dot, -(-n // m)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            dot(Xb, W1, out=Z1)                     # forward, layer 1
            dot(Z1, W2, out=P)                      # forward, layer 2
            dot(Z1_T, P, out=dW2)                   # backward: dW2 = A1ᵀ D2
            dot(P, W2_T, out=dA1)                   # backward: dA1 = D2 W2ᵀ
            dot(Xb_T, D1, out=dW1)                  # backward: dW1 = Xᵀ D1
        best = min(best, time.perf_counter() - start)
    return best


def peak_gflops(size=1536, dtype=np.float32):
    """Single-thread GFLOP/s of a large SGEMM: the BLAS limit on this machine."""
    rng = np.random.default_rng(0)
    A, B = rng.random((size, size), dtype=dtype), rng.random((size, size), dtype=dtype)
    C = np.empty_like(A)
    np.dot(A, B, out=C)
    best = min(_timed(lambda: np.dot(A, B, out=C)) for _ in range(3))
    return 2 * size ** 3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ------------------------------------------------------------------ PyTorch

def torch_model(params):
    import torch
    from torch import nn
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.Sigmoid(), nn.Linear(SIZES[1], SIZES[2]))
    with torch.no_grad():                           # the same initial weights as ours
        for layer, (W, b) in zip((model[0], model[2]), params):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    return model


def time_torch(params, X, y, batch_size, epochs, batching, seed=1):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(seed)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    model = torch_model(params)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    n = len(Xt)

    if batching == "DataLoader":
        loader = DataLoader(TensorDataset(Xt, yt), batch_size=batch_size, shuffle=True)

        def batches():
            return iter(loader)
    else:
        def batches():
            perm = torch.randperm(n)
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                yield Xt[idx], yt[idx]

    times = []
    model.train()
    for _ in range(epochs):
        start = time.perf_counter()
        for xb, yb in batches():
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    trained = [(model[0].weight.detach().numpy().T.copy(), model[0].bias.detach().numpy().copy()),
               (model[2].weight.detach().numpy().T.copy(), model[2].bias.detach().numpy().copy())]
    return times, trained


# ------------------------------------------------------------------ main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--batching", nargs="+", default=["DataLoader", "index"],
                        choices=["DataLoader", "index"], help="PyTorch batching styles to time")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("torch is not installed: run `make bench-env` and use .venv-bench/bin/python")
        return 2
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)

    d = load_digits()
    X, y = np.array(d.X_train, dtype=np.float32), np.array(d.y_train)   # writable copies
    n = X.shape[0]
    params = mnn.init_params(SIZES, np.random.default_rng(0), "lecun_normal", dtype=np.float32)
    print(f"data: {d.source}; X_train {X.shape} {X.dtype}; {args.epochs} epochs per run; "
          f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} thread)")
    peak = peak_gflops()
    fpe = flops_per_example()
    rows, summary = [], []

    def val_acc(trained):
        return mnn.accuracy(trained, d.X_val, d.y_val, "sigmoid", "softmax")

    for m in args.batch_sizes:
        load = os.getloadavg()
        ours, trained = time_ours(params, X, y, m, args.epochs)
        row = dict(implementation="mlcourse sgd_train", batch_size=m,
                   s_per_epoch_best=min(ours), s_per_epoch_median=statistics.median(ours),
                   val_accuracy=round(val_acc(trained), 4), load_avg_1min=round(load[0], 2))
        rows.append(row)
        torch_rows = []
        for batching in args.batching:
            load = os.getloadavg()
            times, trained_t = time_torch(params, X, y, m, args.epochs, batching)
            torch_rows.append(dict(implementation=f"PyTorch ({batching})", batch_size=m,
                                   s_per_epoch_best=min(times),
                                   s_per_epoch_median=statistics.median(times),
                                   val_accuracy=round(val_acc(trained_t), 4), load_avg_1min=round(load[0], 2)))
        rows += torch_rows
        gemm = time_gemms(n, m)
        fastest = min(torch_rows, key=lambda r: r["s_per_epoch_best"])
        speedup = fastest["s_per_epoch_best"] / row["s_per_epoch_best"]
        summary.append(dict(
            batch_size=m, mlcourse_s=row["s_per_epoch_best"],
            torch_s=fastest["s_per_epoch_best"], torch_batching=fastest["implementation"],
            speedup=round(speedup, 2), goal=GOALS.get(m), meets_goal=bool(speedup >= GOALS[m]) if m in GOALS else None,
            gemm_s=round(gemm, 4), gemm_share=round(gemm / row["s_per_epoch_best"], 3),
            gemm_gflops=round(fpe * n / gemm / 1e9, 1),
            epoch_gflops=round(fpe * n / row["s_per_epoch_best"] / 1e9, 1),
            peak_gflops=round(peak, 1), load_avg=[round(v, 2) for v in os.getloadavg()]))

    print(table(rows, ["implementation", "batch_size", "s_per_epoch_best", "s_per_epoch_median",
                       "val_accuracy", "load_avg_1min"]))
    print()
    print(table(summary, ["batch_size", "mlcourse_s", "torch_s", "torch_batching", "speedup", "goal",
                          "meets_goal", "gemm_share", "gemm_gflops", "epoch_gflops", "peak_gflops"]))
    print("\nspeedup = fastest PyTorch s/epoch / mlcourse s/epoch (best epoch of each); "
          "gemm_share = the step's 5 GEMMs replayed alone / mlcourse's epoch; "
          f"peak = one large SGEMM ({peak:.1f} GFLOP/s, one thread)")
    path = save("torch", {
        "benchmark": "P3: 784-30-10 sigmoid/softmax/cross-entropy MLP, SGD lr 0.5, float32, 1 thread",
        "data": d.source, "n_train": n, "epochs": args.epochs, "numpy": np.__version__,
        "torch": torch.__version__, "goals_speedup": GOALS, "load_avg": list(os.getloadavg()),
        "rows": rows, "summary": summary})
    print("results:", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
