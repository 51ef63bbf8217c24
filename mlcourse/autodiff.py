"""A tiny reverse-mode automatic differentiation engine over scalars.

Every arithmetic operation on `Value`s creates a new `Value` that remembers
its inputs (`_parents`), the name of the operation (`_op`) and a closure
`_backward` holding the operation's local rule: given the gradient of the
final result with respect to the output, ``out.grad = ∂ℓ/∂out``, it adds

    ∂ℓ/∂input += ∂ℓ/∂out · ∂out/∂input

to each input. The rule sits right beside the forward formula it
differentiates, and it reuses what the forward pass stored (the inputs'
`data`, the output's `data`). `backward()` visits the graph once, outputs
before inputs, and calls every rule: that is reverse-mode differentiation
(backpropagation, Rumelhart, Hinton & Williams 1986). The design follows
Karpathy's micrograd (2020).

    >>> x, w = Value(2.0), Value(-3.0)
    >>> y = (x * w + 1.0).tanh()
    >>> y.backward()
    >>> round(x.grad, 6)        # (1 - tanh(-5)**2) * w
    -0.000545

NumPy object arrays of Values work with `@`, `+` and `*`, so a whole
(small) network can be written with the usual array formulas: see `values`,
`apply` and `mlp_loss`.
"""
import math
import numbers

import numpy as np

from mlcourse.validation import as_labels, as_matrix

__all__ = ["Value", "topological_order", "backward_with_rules", "local_gradients",
           "count_operations", "values", "data_of", "grad_of", "apply", "mlp_loss"]


def _real(x, name):
    """x as a finite Python float (a Value is not accepted here)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float); "
                        f"got {type(x).__name__} {x!r:.60}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite; got {x}")
    return x


class Value:
    """A scalar node of a computational graph: `data` (forward value) and
    `grad` (∂ℓ/∂self after `ℓ.backward()`).

    data: a real number; label: an optional name, shown in drawings.
    """

    def __init__(self, data, label="", _parents=(), _op=""):
        self.data = _real(data, "data")
        self.grad = 0.0
        self.label = str(label)
        self._parents = tuple(_parents)
        self._op = _op                       # the operation that made this node ("" for a leaf)
        self._backward = lambda: None        # a leaf passes nothing on

    @property
    def parents(self):
        """The input nodes of the operation that made this node (empty for a leaf)."""
        return self._parents

    @property
    def op(self):
        """The name of that operation ("add", "mul", "exp", ...; "" for a leaf)."""
        return self._op

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------ the operations
    # Each one: forward formula, then the local backward rule right beside it.

    def __add__(self, other):
        other = _lift(other)
        out = Value(self.data + other.data, _parents=(self, other), _op="add")

        def _backward():                     # ∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _lift(other)
        out = Value(self.data * other.data, _parents=(self, other), _op="mul")

        def _backward():                     # ∂(ab)/∂a = b, ∂(ab)/∂b = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        """self ** k for a constant number k (not a Value)."""
        k = _real(exponent, "exponent")
        if self.data == 0 and k < 1 or self.data < 0 and not k.is_integer():
            raise ValueError(f"x ** {k:g} has no finite real derivative at x = {self.data:g}")
        out = Value(self.data ** k, _parents=(self,), _op="pow")
        out.exponent = k

        def _backward():                     # ∂(a^k)/∂a = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data:g}) overflows (data must be <= 709.78)") from None
        out = Value(e, _parents=(self,), _op="exp")

        def _backward():                     # ∂e^a/∂a = e^a, which the forward pass stored
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log needs data > 0; got {self.data:g}")
        out = Value(math.log(self.data), _parents=(self,), _op="log")

        def _backward():                     # ∂log a/∂a = 1/a
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), _parents=(self,), _op="tanh")

        def _backward():                     # tanh'(a) = 1 - tanh(a)²
            self.grad += (1.0 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        a = self.data                        # σ(a) = 1/(1 + e^-a), never exponentiating a > 0
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        out = Value(s, _parents=(self,), _op="sigmoid")

        def _backward():                     # σ'(a) = σ(a)(1 - σ(a))
            self.grad += out.data * (1.0 - out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), _parents=(self,), _op="relu")

        def _backward():                     # ReLU'(a) = 1[a > 0]  (we take ReLU'(0) = 0)
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    # Everything else is made of the operations above (so it needs no rule of its own).
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_lift(other))

    def __truediv__(self, other):
        return self * _lift(other) ** -1.0

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _lift(other) + (-self)

    def __rtruediv__(self, other):
        return _lift(other) * self ** -1.0

    # ------------------------------------------------------------ the backward pass

    def backward(self):
        """Set `grad` = ∂self/∂node on every node of the graph below self.

        One visit per node, outputs before inputs: when a node's turn comes,
        every path through it has already added its share to node.grad.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _lift(x):
    """A Value as it is; a number becomes a constant leaf."""
    return x if isinstance(x, Value) else Value(x)


def topological_order(root):
    """The nodes of root's graph, each listed after all of its parents (root last).

    A depth-first search written with an explicit stack (deep graphs would
    exceed Python's recursion limit): a node is appended once all its parents are.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value; got {type(root).__name__}")
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if id(p) not in seen)
    return order


def backward_with_rules(root, rules):
    """Like root.backward(), but a node whose operation is a key of `rules`
    uses rules[op] instead of its own closure.

    rules: dict op name ("add", "mul", "exp", "tanh", ...) -> function
        rule(*inputs, out, dout) -> one gradient contribution per input
        (a tuple; a plain number is accepted for a one-input operation), where
        inputs and out are the forward values (floats) and dout = ∂ℓ/∂out.
    Returns: None (sets .grad on every node, as backward does).
    """
    if not isinstance(rules, dict):
        raise TypeError(f"rules must be a dict op name -> rule; got {type(rules).__name__}")
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        if node._op not in rules:
            node._backward()
            continue
        inputs = [p.data for p in node._parents]
        grads = rules[node._op](*inputs, node.data, node.grad)
        grads = np.atleast_1d(np.asarray(grads, dtype=float))
        if grads.shape != (len(inputs),):
            raise ValueError(f"the rule for {node._op!r} must return {len(inputs)} gradient(s), "
                             f"one per input; got {grads.size}")
        for parent, g in zip(node._parents, grads):
            parent.grad += float(g)


def local_gradients(node):
    """∂node/∂parent for each parent of `node`, by running its backward rule
    once with an upstream gradient of 1 (every grad is restored afterwards).

    A parent that appears twice (x * x) gets the sum over both edges in both places.
    Returns: a tuple of floats, one per parent (empty for a leaf).
    """
    if not isinstance(node, Value):
        raise TypeError(f"node must be a Value; got {type(node).__name__}")
    saved = [(v, v.grad) for v in (node, *node._parents)]
    for p in node._parents:
        p.grad = 0.0
    node.grad = 1.0
    node._backward()
    local = tuple(p.grad for p in node._parents)
    for v, g in saved:
        v.grad = g
    return local


def count_operations(root):
    """Sizes of root's graph: `nodes`, `leaves`, `ops` (non-leaf nodes = operations
    run by the forward pass) and `edges` (= local-gradient products, each a
    multiply-add, run by the backward pass).  Returns: a dict of ints."""
    order = topological_order(root)
    leaves = sum(1 for v in order if not v._parents)
    edges = sum(len(v._parents) for v in order)
    return {"nodes": len(order), "leaves": leaves, "ops": len(order) - leaves, "edges": edges}


# ------------------------------------------------------------------ arrays of Values

def values(a, label=""):
    """An object array of fresh leaf Values holding the numbers of `a` (any shape).
    label: optional prefix; entry i gets label f"{label}[i]"."""
    a = np.asarray(a, dtype=float)
    out = np.empty(a.shape, dtype=object)
    for index in np.ndindex(a.shape):
        name = f"{label}[{','.join(map(str, index))}]" if label else ""
        out[index] = Value(a[index], label=name)
    return out


def data_of(a):
    """The `data` of an object array of Values, as a float array of the same shape."""
    return np.vectorize(lambda v: v.data, otypes=[float])(a)


def grad_of(a):
    """The `grad` of an object array of Values, as a float array of the same shape."""
    return np.vectorize(lambda v: v.grad, otypes=[float])(a)


def apply(name, a):
    """Apply the Value method `name` ("relu", "tanh", "exp", ...) to every entry
    of an object array of Values.  Returns: an object array of the same shape."""
    if name not in ("exp", "log", "tanh", "sigmoid", "relu"):
        raise ValueError(f"name must be one of 'exp', 'log', 'tanh', 'sigmoid', 'relu'; "
                         f"got {name!r}")
    return np.frompyfunc(lambda v: getattr(v, name)(), 1, 1)(a)


def mlp_loss(params, X, y):
    """cross_entropy(softmax(MLP(X)), y) as one Value, for a ReLU MLP.

    params: [(W_l, b_l)] with W_l (n_in, n_out) and b_l (n_out,) object arrays
        of Values (see `values`); X: (n, p) numbers; y: (n,) labels in {0..K-1}.
    The loss of row i is logsumexp(z_i) - z_i[y_i] with z_i the output scores;
    the row maximum is subtracted as a constant (softmax does not change).
    Returns: a Value, the mean loss over the rows.
    """
    X = as_matrix(X, "X", n_features=np.shape(params[0][0])[0])
    y = as_labels(y, "y", n=X.shape[0], classes=np.shape(params[-1][0])[1])
    A = X
    for l, (W, b) in enumerate(params):
        Z = A @ W + b                             # the NumPy formula, on Values
        A = apply("relu", Z) if l < len(params) - 1 else Z
    total = 0.0
    for scores, label in zip(A, y):
        m = max(v.data for v in scores)
        logsumexp = sum((v - m).exp() for v in scores).log() + m
        total = total + (logsumexp - scores[label])
    return total / X.shape[0]
