"""Lecture 8's claims, asserted from the library (not from the notebook's outputs)."""
import numpy as np
import pytest

from mlcourse import nn, uat

LIPSCHITZ_TARGETS = [
    (lambda x: np.sin(3 * x) + 0.5 * x, 0.0, np.pi, 3.5),
    (lambda x: np.abs(x - 1 / 3), -1.0, 1.0, 1.0),
    (np.exp, 0.0, 2.0, np.exp(2.0)),
]
NS = 2 ** np.arange(2, 11)


def staircase_errors(f, a, b):
    errors = []
    for n in NS:
        v, c = uat.staircase(f, a, b, int(n))
        errors.append(uat.sup_error(f, lambda x: uat.staircase_eval(v, c, x), a, b))
    return np.array(errors)


# ---------------------------------------------------------------- claim 8.1

@pytest.mark.parametrize("f, a, b, lip", LIPSCHITZ_TARGETS)
def test_claim_8_1_staircase_sup_error_falls_like_one_over_n(f, a, b, lip):
    errors = staircase_errors(f, a, b)
    slope = uat.loglog_slope(NS, errors)
    assert -1.02 < slope < -0.98, slope
    bound = lip * (b - a) / (2 * NS)
    assert np.all(errors <= bound * (1 + 1e-9)), errors / bound
    assert errors[-1] / bound[-1] > 0.95            # and the bound is tight


def test_claim_8_1_needs_lipschitz_sqrt_converges_at_half_rate():
    errors = staircase_errors(lambda x: np.sqrt(np.abs(x)), -1.0, 1.0)
    assert abs(uat.loglog_slope(NS, errors) + 0.5) < 0.02


def test_claim_8_1_steep_sigmoid_network_tends_to_the_staircase():
    f, a, b, _ = LIPSCHITZ_TARGETS[0]
    x = np.linspace(a, b, 5001)
    v, c = uat.staircase(f, a, b, 16)
    stair = uat.staircase_eval(v, c, x)
    gaps = []
    for steepness in (5, 50, 500):
        params = uat.sigmoid_net(f, a, b, 16, steepness=steepness)
        out = nn.forward(params, x[:, None], hidden="sigmoid", output="identity")[0][:, 0]
        far = np.min(np.abs(x[:, None] - c[None, 1:]), axis=1) > (b - a) / 16 / 10
        gaps.append(np.max(np.abs(out - stair)[far]))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-6


# ---------------------------------------------------------------- claim 8.2

@pytest.mark.parametrize("seed", range(5))
def test_claim_8_2_relu_net_reproduces_piecewise_linear_functions_exactly(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 15))
    xs = rng.uniform(-3, 3, m)                       # unsorted on purpose
    ys = rng.normal(size=m)
    w, c, a0, a1 = uat.relu_interpolant(xs, ys)
    assert w.shape == c.shape == (m - 2,)
    order = np.argsort(xs)
    x_s, y_s = xs[order], ys[order]
    slope0, slope1 = (np.diff(y_s) / np.diff(x_s))[[0, -1]]
    t = np.linspace(-10, 10, 20001)
    truth = np.where(t < x_s[0], y_s[0] + slope0 * (t - x_s[0]),
                     np.where(t > x_s[-1], y_s[-1] + slope1 * (t - x_s[-1]),
                              np.interp(t, x_s, y_s)))
    net = nn.forward(uat.relu_net_params(w, c, a0, a1), t[:, None], hidden="relu",
                     output="identity")[0][:, 0]
    assert np.max(np.abs(net - truth)) < 1e-11 * (1 + np.max(np.abs(truth)))
    assert np.allclose(uat.relu_interpolant_eval(w, c, a0, a1, xs), ys, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- claim 8.3

def test_claim_8_3_tent_map_pieces_double_with_depth_on_a_line():
    line = uat.line_inputs([0.0], [1.0], 2 ** 13)
    for depth in range(1, 9):
        units = 2 * depth
        pieces = uat.count_regions(uat.zigzag_params(2, depth), line)
        assert pieces == 2 ** depth
        if units >= 6:
            assert pieces > uat.shallow_max_regions(units, 1) == units + 1


@pytest.mark.parametrize("teeth, depth", [(3, 2), (3, 3), (4, 2)])
def test_claim_8_3_general_folding_has_teeth_to_the_depth_pieces(teeth, depth):
    line = uat.line_inputs([0.0], [1.0], 4 * teeth ** depth)
    assert uat.count_regions(uat.zigzag_params(teeth, depth), line) == teeth ** depth


def test_claim_8_3_on_a_2d_slice_deep_beats_the_best_shallow_net():
    grid = uat.grid_inputs(0.0, 1.0, 128)
    counts = [uat.count_regions(uat.zigzag_params(2, depth, n_inputs=2), grid)
              for depth in range(1, 6)]
    assert counts == [4 ** depth for depth in range(1, 6)]
    units = [4 * depth for depth in range(1, 6)]
    shallow = [uat.shallow_max_regions(n, 2) for n in units]
    assert shallow == [1 + n + n * (n - 1) // 2 for n in units]
    assert counts[-1] > 4 * shallow[-1]              # 1024 vs 211 with 20 units
    # growth per added unit: exponential (x 4 per 4 units) vs polynomial
    assert counts[-1] / counts[-2] == 4 and shallow[-1] / shallow[-2] < 1.6


def test_claim_8_3_random_nets_do_not_use_the_capacity_of_depth():
    diag = uat.line_inputs([-1.0, -1.0], [1.0, 1.0], 2000)
    mean_pieces = {}
    for depth in (1, 3, 6):
        width = 24 // depth
        counts = [uat.count_regions(uat.random_relu_params(2, [width] * depth, seed), diag)
                  for seed in range(6)]
        mean_pieces[depth] = np.mean(counts)
        assert max(counts) <= 2 ** 12                # the folding net with 24 units: 4096
    assert mean_pieces[1] <= 25                      # the shallow bound N + 1
    assert mean_pieces[6] < mean_pieces[1]           # at init, depth does not help


def test_shallow_random_nets_respect_zaslavsky_bound():
    square = uat.grid_inputs(-3.0, 3.0, 150)
    for seed in range(4):
        params = uat.random_relu_params(2, [10], seed)
        assert uat.count_regions(params, square) <= uat.shallow_max_regions(10, 2) == 56


def test_montufar_bound_grows_exponentially_with_depth():
    values = [uat.montufar_regions(8, depth, 2) for depth in range(1, 6)]
    assert values[0] == uat.shallow_max_regions(8, 2) == 37
    assert all(b / a == 16 for a, b in zip(values, values[1:]))     # (8/2)^2 per layer
    assert uat.montufar_regions(8, 5, 2) > 1000 * uat.shallow_max_regions(40, 2)
