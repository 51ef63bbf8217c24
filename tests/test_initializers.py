"""Unit tests of mlcourse.initializers (shapes, scales, determinism)."""
import numpy as np
import pytest

from mlcourse import initializers as init

N_IN, N_OUT = 400, 300                              # 120,000 draws: std within ~1%

EXPECTED_STD = {
    "glorot_uniform": np.sqrt(2 / (N_IN + N_OUT)),
    "glorot_normal": np.sqrt(2 / (N_IN + N_OUT)),
    "he_normal": np.sqrt(2 / N_IN),
    "he_uniform": np.sqrt(2 / N_IN),
    "lecun_normal": np.sqrt(1 / N_IN),
    "standard_normal": 1.0,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_STD))
def test_shape_mean_and_std(name):
    W = init.INITIALIZERS[name](N_IN, N_OUT, np.random.default_rng(0))
    assert W.shape == (N_IN, N_OUT) and W.dtype == np.float64
    assert abs(W.mean()) < 0.02 * EXPECTED_STD[name]
    assert W.std() == pytest.approx(EXPECTED_STD[name], rel=0.02)


@pytest.mark.parametrize("name,limit", [("glorot_uniform", np.sqrt(6 / (N_IN + N_OUT))),
                                        ("he_uniform", np.sqrt(6 / N_IN))])
def test_uniform_bounds(name, limit):
    W = init.INITIALIZERS[name](N_IN, N_OUT, np.random.default_rng(1))
    assert W.max() <= limit and W.min() >= -limit
    assert W.max() > 0.99 * limit and W.min() < -0.99 * limit


def test_seeded_and_dtype():
    a = init.he_normal(5, 3, np.random.default_rng(7))
    b = init.he_normal(5, 3, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(init.he_normal(5, 3, 7), a)      # an int seed is accepted
    assert init.glorot_uniform(5, 3, np.random.default_rng(0), dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(init.zeros(2, 3), np.zeros((2, 3)))


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init.glorot_uniform(3, 2, np.random.RandomState(0))
    with pytest.raises(ValueError, match="n_in must be a positive int"):
        init.he_normal(0, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_out must be a positive int"):
        init.lecun_normal(3, 2.5, np.random.default_rng(0))
