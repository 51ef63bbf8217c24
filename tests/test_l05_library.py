"""Lecture 5's library: the autodiff engine (mlcourse.autodiff) and gradient checking
(mlcourse.gradcheck), against independent formulas."""
import math

import numpy as np
import pytest

from mlcourse import autodiff, gradcheck, nn
from mlcourse.autodiff import Value
from mlcourse.losses import cross_entropy


def engine_derivatives(fn, *inputs):
    """Value of fn and its gradient with respect to each input, by the engine."""
    leaves = [Value(x) for x in inputs]
    out = fn(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


def float_derivatives(fn, *inputs, eps=1e-6):
    """Centred differences of fn evaluated on plain Values (an independent check)."""
    grads = []
    for i in range(len(inputs)):
        up = list(inputs)
        down = list(inputs)
        up[i] += eps
        down[i] -= eps
        grads.append((fn(*map(Value, up)).data - fn(*map(Value, down)).data) / (2 * eps))
    return grads


EXPRESSIONS = {
    "add": (lambda a, b: a + b, (0.3, -1.2)),
    "mul": (lambda a, b: a * b, (0.3, -1.2)),
    "sub": (lambda a, b: a - b, (0.3, -1.2)),
    "div": (lambda a, b: a / b, (0.3, -1.2)),
    "neg": (lambda a: -a, (0.7,)),
    "pow 3": (lambda a: a ** 3, (-0.7,)),
    "pow -0.5": (lambda a: a ** -0.5, (2.5,)),
    "exp": (lambda a: a.exp(), (0.4,)),
    "log": (lambda a: a.log(), (0.4,)),
    "tanh": (lambda a: a.tanh(), (0.4,)),
    "sigmoid": (lambda a: a.sigmoid(), (-0.9,)),
    "relu positive": (lambda a: a.relu(), (0.9,)),
    "relu negative": (lambda a: a.relu(), (-0.9,)),
    "numbers on the left": (lambda a: 2.0 - 3.0 / a + 1.0 * a, (1.7,)),
    "neuron": (lambda x, w, b: (x * w + b).tanh(), (2.0, -0.4, 0.3)),
    "reused node": (lambda a, b: (a * b + a.exp()) * a - b / a, (0.8, -1.1)),
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_engine_gradients_match_centred_differences(name):
    fn, inputs = EXPRESSIONS[name]
    _, grads = engine_derivatives(fn, *inputs)
    np.testing.assert_allclose(grads, float_derivatives(fn, *inputs), rtol=1e-7, atol=1e-9)


def test_forward_values_match_math():
    assert Value(0.4).tanh().data == pytest.approx(math.tanh(0.4))
    assert Value(-0.9).sigmoid().data == pytest.approx(1 / (1 + math.exp(0.9)))
    assert (Value(3.0) / 4).data == pytest.approx(0.75)
    assert (2 - Value(5.0)).data == -3.0
    assert (Value(2.0) ** 3).data == 8.0


def test_local_rules_by_formula():
    assert engine_derivatives(lambda a, b: a * b, 3.0, -2.0)[1] == [-2.0, 3.0]
    tanh_grad = engine_derivatives(lambda a: a.tanh(), 0.5)[1][0]
    assert tanh_grad == pytest.approx(1 - math.tanh(0.5) ** 2)
    assert engine_derivatives(lambda a: a.exp(), 0.5)[1][0] == pytest.approx(math.exp(0.5))
    assert engine_derivatives(lambda a: a.relu(), 0.0)[1] == [0.0]          # ReLU'(0) = 0


def test_sigmoid_is_stable_at_large_inputs():
    value, (grad,) = engine_derivatives(lambda a: a.sigmoid(), -1000.0)
    assert value == 0.0 and grad == 0.0
    value, (grad,) = engine_derivatives(lambda a: a.sigmoid(), 1000.0)
    assert value == 1.0 and grad == 0.0


def test_a_node_used_twice_gets_both_contributions():
    assert engine_derivatives(lambda a: a * a, 3.0)[1] == [6.0]
    assert engine_derivatives(lambda a: a + a, 3.0)[1] == [2.0]


def test_backward_twice_gives_the_same_gradients():
    a, b = Value(0.5), Value(-2.0)
    out = (a * b).tanh() + a
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == first


def test_topological_order_puts_parents_first_and_handles_deep_graphs():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    out = (c + a) * c
    order = autodiff.topological_order(out)
    position = {id(v): i for i, v in enumerate(order)}
    assert order[-1] is out and len(order) == 5
    for v in order:
        assert all(position[id(p)] < position[id(v)] for p in v._parents)
    deep = Value(0.0)
    for _ in range(5000):                       # deeper than Python's recursion limit
        deep = deep + 1.0
    deep.backward()
    assert deep.data == 5000.0


def test_count_operations_of_a_small_graph():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    counts = autodiff.count_operations(a * b + c)
    assert counts == {"nodes": 5, "leaves": 3, "ops": 2, "edges": 4}


def test_local_gradients_and_restoring_grads():
    a, b = Value(3.0), Value(-2.0)
    out = a * b
    a.grad, b.grad, out.grad = 7.0, 8.0, 9.0
    assert autodiff.local_gradients(out) == (-2.0, 3.0)
    assert (a.grad, b.grad, out.grad) == (7.0, 8.0, 9.0)
    assert autodiff.local_gradients(a) == ()


ENGINE_RULES = {"add": lambda a, b, out, dout: (dout, dout),
                "mul": lambda a, b, out, dout: (dout * b, dout * a),
                "tanh": lambda a, out, dout: (1 - out ** 2) * dout,      # a number is accepted
                "exp": lambda a, out, dout: [out * dout]}


def test_backward_with_rules_reproduces_backward():
    def build(a, b, c):
        return ((a * b).tanh() + (c * a).exp() * b + c) * (a + c)
    inputs = [0.3, -0.8, 0.5]
    leaves = [Value(x) for x in inputs]
    autodiff.backward_with_rules(build(*leaves), ENGINE_RULES)
    _, expected = engine_derivatives(build, *inputs)
    np.testing.assert_allclose([v.grad for v in leaves], expected, rtol=1e-14)


def test_backward_with_rules_rejects_bad_rules():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="'mul' must return 2 gradient"):
        autodiff.backward_with_rules(a * b, {"mul": lambda a, b, out, dout: dout})
    with pytest.raises(TypeError, match="rules must be a dict"):
        autodiff.backward_with_rules(a * b, [ENGINE_RULES])


def test_bad_inputs_name_the_argument():
    with pytest.raises(TypeError, match="data must be a real number"):
        Value("1.0")
    with pytest.raises(ValueError, match="data must be finite"):
        Value(float("nan"))
    with pytest.raises(TypeError, match="exponent must be a real number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="no finite real derivative"):
        Value(0.0) ** 0.5
    with pytest.raises(ValueError, match="log needs data > 0"):
        Value(-1.0).log()
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()
    with pytest.raises(TypeError, match="root must be a Value"):
        autodiff.topological_order(3.0)
    with pytest.raises(ValueError, match="name must be one of"):
        autodiff.apply("sin", autodiff.values([1.0]))


def test_arrays_of_values():
    A = np.arange(6.0).reshape(2, 3)
    V = autodiff.values(A, "A")
    assert V.shape == (2, 3) and V[1, 2].label == "A[1,2]"
    np.testing.assert_array_equal(autodiff.data_of(V), A)
    out = (np.ones((1, 2)) @ V).sum()            # column sums, added up
    out = sum(autodiff.apply("relu", V - 2.0).ravel()) + out
    out.backward()
    np.testing.assert_array_equal(autodiff.grad_of(V), 1.0 + (A > 2.0))


@pytest.mark.parametrize("sizes", [[3, 4], [3, 5, 4], [4, 6, 5, 3]])
def test_mlp_loss_matches_numpy_loss_and_gradients(sizes):
    rng = np.random.default_rng(len(sizes))
    params = [(W, rng.normal(0, 0.1, b.shape)) for W, b in nn.init_params(sizes, rng)]
    X, y = rng.normal(size=(5, sizes[0])), rng.integers(0, sizes[-1], size=5)
    params_v = [(autodiff.values(W), autodiff.values(b)) for W, b in params]
    loss = autodiff.mlp_loss(params_v, X, y)
    assert loss.data == pytest.approx(cross_entropy(nn.mlp_forward(params, X), y), rel=1e-12)
    loss.backward()
    for (W_v, b_v), (dW, db) in zip(params_v, nn.mlp_grads(params, X, y)):
        np.testing.assert_allclose(autodiff.grad_of(W_v), dW, atol=1e-13)
        np.testing.assert_allclose(autodiff.grad_of(b_v), db, atol=1e-13)


def test_mlp_loss_validates_X_and_y():
    params_v = [(autodiff.values(np.ones((3, 2))), autodiff.values(np.zeros(2)))]
    with pytest.raises(ValueError, match="X must have 3 columns"):
        autodiff.mlp_loss(params_v, np.ones((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="y must hold labels"):
        autodiff.mlp_loss(params_v, np.ones((2, 3)), [0, 2])


# ------------------------------------------------------------------ gradcheck

def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    g = gradcheck.numerical_gradient(lambda v: v @ A @ v, x)
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_of_a_matrix_argument_keeps_its_shape():
    W = np.arange(6.0).reshape(2, 3) / 10
    g = gradcheck.numerical_gradient(lambda M: np.sum(np.sin(M)), W)
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g, np.cos(W), rtol=1e-8)


def test_numerical_gradient_leaves_x_unchanged_and_calls_f_2n_times():
    x = np.array([0.1, 0.7, -0.3])
    before = x.copy()
    calls = []
    g = gradcheck.numerical_gradient(lambda v: calls.append(v.copy()) or np.sum(v ** 3), x)
    np.testing.assert_array_equal(x, before)
    assert len(calls) == 2 * x.size
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-7)


def test_numerical_gradient_accepts_integers_and_scalars():
    np.testing.assert_allclose(gradcheck.numerical_gradient(lambda v: np.sum(v ** 2), [1, 2, 3]),
                               [2.0, 4.0, 6.0], rtol=1e-8)
    g = gradcheck.numerical_gradient(lambda v: v ** 3, 2.0)
    assert g.shape == () and float(g) == pytest.approx(12.0, rel=1e-8)


def test_numerical_gradient_errors_name_the_argument():
    with pytest.raises(TypeError, match="f must be a function"):
        gradcheck.numerical_gradient(3.0, np.ones(2))
    with pytest.raises(ValueError, match="eps must be > 0"):
        gradcheck.numerical_gradient(np.sum, np.ones(2), eps=0.0)
    with pytest.raises(ValueError, match="x must be finite"):
        gradcheck.numerical_gradient(np.sum, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="f must return a single number"):
        gradcheck.numerical_gradient(lambda v: v, np.ones(2))


def test_relative_error():
    a = np.array([1.0, -2.0, 0.0])
    assert gradcheck.relative_error(a, a) == 0.0
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.relative_error(a, -a) == pytest.approx(1.0)
    b = a + np.array([1e-6, 0.0, 0.0])
    expected = 1e-6 / (np.linalg.norm(a) + np.linalg.norm(b))
    assert gradcheck.relative_error(a, b) == pytest.approx(expected, rel=1e-6)
    assert gradcheck.relative_error(1e6 * a, 1e6 * b) == pytest.approx(expected, rel=1e-6)
    assert gradcheck.relative_error(b, a) == gradcheck.relative_error(a, b)
    with pytest.raises(ValueError, match="b must have the same shape"):
        gradcheck.relative_error(a, np.ones(2))


def test_flatten_and_unflatten_round_trip():
    params = [(np.ones((2, 2)), np.zeros(2)), (np.ones((2, 1)), np.zeros(1))]
    arrays = gradcheck.flatten(params)
    assert [a.shape for a in arrays] == [(2, 2), (2,), (2, 1), (1,)]
    rebuilt = gradcheck.unflatten(params, [a + 1 for a in arrays])
    assert isinstance(rebuilt, list) and isinstance(rebuilt[0], tuple)
    np.testing.assert_array_equal(rebuilt[1][0], 2 * np.ones((2, 1)))


def test_check_gradients_accepts_right_and_flags_wrong_gradients():
    rng = np.random.default_rng(1)
    params = nn.init_params([3, 4, 2], rng)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    loss = lambda p: cross_entropy(nn.mlp_forward(p, X), y)       # noqa: E731
    grads = nn.mlp_grads(params, X, y)
    assert max(gradcheck.check_gradients(loss, params, grads)) < 1e-7
    wrong = [(2 * dW, db) for dW, db in grads]
    errors = gradcheck.check_gradients(loss, params, wrong)
    assert errors[0] == pytest.approx(1 / 3, rel=1e-4) and errors[1] < 1e-7
    for W, b in params:                                              # params untouched
        assert np.all(np.isfinite(W))


def test_check_gradients_validates_its_arguments():
    params = [np.ones(2), np.ones(3)]
    with pytest.raises(TypeError, match="loss must be a function"):
        gradcheck.check_gradients(None, params, params)
    with pytest.raises(ValueError, match="grads must hold one array per parameter array"):
        gradcheck.check_gradients(lambda p: 0.0, params, params[:1])
    with pytest.raises(ValueError, match="grads array 1 must have shape"):
        gradcheck.check_gradients(lambda p: 0.0, params, [np.ones(2), np.ones(2)])


def test_parents_and_op_describe_the_node():
    a, b = Value(1.0), Value(2.0)
    out = a * b
    assert out.parents == (a, b) and out.op == "mul"
    assert a.parents == () and a.op == ""
    assert repr(Value(0.5, label="w")) == "Value(w: data=0.5, grad=0)"
