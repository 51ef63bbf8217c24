"""Gradient descent and stochastic gradient descent (lecture 3).

Learning minimizes an empirical risk over N examples,

    L(θ) = (1/N) Σᵢ ℓᵢ(θ),      ℓᵢ(θ) = ℓ(yᵢ, f(xᵢ; θ)).

Gradient descent (GD) steps against the full gradient,  θ ← θ − γ ∇L(θ),  at a
cost of N example-gradients per step. Stochastic gradient descent (SGD) steps
against the mean gradient of a random mini-batch B of examples,

    θ ← θ − η_t ĝ_B(θ),      ĝ_B(θ) = (1/|B|) Σ_{i∈B} ∇ℓᵢ(θ),

an unbiased, noisy estimate of ∇L(θ) that costs |B| example-gradients, however
large N is. Parameters θ are flat vectors (d,); for logistic regression
θ = (w, b) packs the weights w (p,) and the bias b, so d = p + 1.

The module has four parts: steps and schedules; test losses with a known
Hessian (quadratics and a loss with two minima); the two risks of the lecture
(squared error and logistic) with their per-example gradients; mini-batch
SGD and the statistics of the mini-batch gradient.
"""
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from mlcourse import linear
from mlcourse.validation import (as_array, as_count, as_labels, as_matrix, as_rng, as_scalar,
                                 as_vector)

__all__ = ["gd_step", "decaying_lr", "gradient_descent", "gd_paths",
           "Quadratic", "make_quadratic", "diverges", "divergence_threshold",
           "LossSurface", "two_wells", "two_wells_grad", "two_wells_surface",
           "quadratic_surface",
           "make_least_squares", "squared_error_risk", "squared_error_grad",
           "squared_error_example_grads", "least_squares_solution",
           "logistic_risk", "logistic_risk_grad", "logistic_example_grads",
           "ill_conditioned_classes", "expected_logistic_risk",
           "minibatches", "sgd", "sgd_logistic",
           "minibatch_gradients", "minibatch_variance"]


# ------------------------------------------------------------------ validation helpers

_positive_int = as_count                      # mlcourse.validation: a positive int


def _step_sizes(lr, n_steps, name="lr"):
    """The step sizes η_0 .. η_{n_steps-1}: lr is a number >= 0 (constant steps) or a
    vectorized schedule, called once with the array t = 0 .. n_steps − 1."""
    if callable(lr):
        etas = np.asarray(lr(np.arange(n_steps)), dtype=float)
        etas = np.broadcast_to(etas, (n_steps,)) if etas.ndim == 0 else etas
        if etas.shape != (n_steps,) or not np.all(np.isfinite(etas)) or np.any(etas < 0):
            raise ValueError(f"{name} must return finite step sizes >= 0, one per step; got "
                             f"shape {etas.shape}")
        return etas
    value = as_scalar(lr, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (or a schedule t -> η_t); got {value}")
    return np.full(n_steps, value)


def _theta(theta, name, d=None):
    return as_vector(theta, name, size=d)


# ------------------------------------------------------------------ steps and schedules

def gd_step(theta, grad, lr):
    """One gradient-descent step:  θ_new = θ − lr · ∇L(θ).

    theta: array (any shape) of parameters; grad: the gradient, same shape;
    lr: the step size (learning rate) γ >= 0.
    Returns a new array; theta and grad are not modified.
    """
    theta = as_array(theta, "theta")
    grad = as_array(grad, "grad")
    if grad.shape != theta.shape:
        raise ValueError(f"grad must have the shape of theta {theta.shape}; got {grad.shape}")
    return theta - as_scalar(lr, "lr") * grad


def decaying_lr(t, eta0, tau, power=1.0):
    """Step-size schedule  η_t = η₀ / (1 + t/τ)^power,  t = 0, 1, 2, ...

    power = 1 is the classic Robbins–Monro choice η_t ∝ 1/t for large t. The
    schedule satisfies both Robbins–Monro conditions Σ η_t = ∞ and Σ η_t² < ∞
    exactly when 1/2 < power <= 1.
    t: int or array of steps >= 0; eta0 > 0; tau > 0 (the step at which η has halved
    for power = 1).  Returns: float or array like t.
    """
    t = as_array(t, "t")
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    eta0 = as_scalar(eta0, "eta0", positive=True)
    tau = as_scalar(tau, "tau", positive=True)
    power = as_scalar(power, "power")
    out = eta0 / (1.0 + t / tau) ** power
    return float(out) if out.ndim == 0 else out


def gradient_descent(grad, theta0, lr, n_steps, max_norm=1e8):
    """Run GD from theta0:  θ_{t+1} = θ_t − γ_t ∇L(θ_t),  t = 0 .. n_steps − 1.

    grad: function θ (d,) -> ∇L(θ) (d,); theta0: (d,) starting point;
    lr: step size γ (a number) or a vectorized schedule t -> γ_t (e.g. a lambda
    around `decaying_lr`); n_steps: number of steps.
    A diverging run stops as soon as ‖θ‖ > max_norm (or θ is not finite), so
    the path may be shorter than n_steps + 1.
    Returns: the path, an array (k + 1, d) of θ_0 .. θ_k, k <= n_steps.
    """
    theta = _theta(theta0, "theta0").copy()
    n_steps = int(n_steps)
    etas = _step_sizes(lr, n_steps)
    path = [theta]
    with np.errstate(over="ignore", invalid="ignore"):
        for eta in etas:
            theta = theta - eta * np.asarray(grad(theta), dtype=float)
            if not np.all(np.isfinite(theta)) or np.linalg.norm(theta) > max_norm:
                break
            path.append(theta)
    return np.array(path)


def gd_paths(grad, theta0, lrs, n_steps, max_norm=1e8):
    """GD for many constant step sizes at once (vectorized over the step sizes).

    grad: function of an (m, d) array of points returning the (m, d) gradients;
    theta0: (d,) common start; lrs: (m,) step sizes; n_steps: number of steps.
    Returns: (m, n_steps + 1, d) paths; a run that diverges (‖θ‖ > max_norm) is
    NaN from then on.
    """
    theta0 = _theta(theta0, "theta0")
    lrs = as_vector(lrs, "lrs")
    paths = np.full((lrs.shape[0], int(n_steps) + 1, theta0.shape[0]), np.nan)
    theta = np.tile(theta0, (lrs.shape[0], 1))
    paths[:, 0] = theta
    alive = np.ones(lrs.shape[0], dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, int(n_steps) + 1):
            theta = theta - lrs[:, None] * grad(theta)
            alive &= np.all(np.isfinite(theta), axis=1) & (np.linalg.norm(theta, axis=1) <= max_norm)
            theta = np.where(alive[:, None], theta, 0.0)    # keep dead runs finite
            paths[alive, t] = theta[alive]
    return paths


# ------------------------------------------------------------------ quadratics

@dataclass(frozen=True)
class Quadratic:
    """The quadratic loss  L(θ) = ½ (θ − θ*)ᵀ H (θ − θ*),  gradient H (θ − θ*).

    H: (d, d) symmetric positive semi-definite Hessian; theta_star: (d,) minimizer.
    GD with step γ multiplies the error θ − θ* along the eigenvector of λᵢ by
    (1 − γλᵢ) at every step, so it converges iff γ < 2/λ_max (`critical_lr`).
    """
    H: np.ndarray
    theta_star: np.ndarray

    def loss(self, theta):
        """L at θ (d,) -> float, or at each row of an (m, d) array -> (m,)."""
        e = np.asarray(theta, dtype=float) - self.theta_star
        out = 0.5 * np.einsum("...i,ij,...j->...", e, self.H, e)
        return float(out) if out.ndim == 0 else out

    def grad(self, theta):
        """∇L = H (θ − θ*) at θ (d,) or at each row of an (m, d) array."""
        return (np.asarray(theta, dtype=float) - self.theta_star) @ self.H

    @property
    def eigenvalues(self):
        """Eigenvalues of H in increasing order."""
        return np.linalg.eigvalsh(self.H)

    @property
    def lam_max(self):
        return float(self.eigenvalues[-1])

    @property
    def critical_lr(self):
        """2 / λ_max: GD converges below it and diverges above it."""
        return 2.0 / self.lam_max


def make_quadratic(eigenvalues, theta_star=None, angle=None, rng=None):
    """A Quadratic with the given Hessian eigenvalues: H = Q diag(λ) Qᵀ.

    eigenvalues: (d,) values >= 0; theta_star: (d,) minimizer (default 0);
    Q: the rotation by `angle` (radians, d = 2 only), else a random orthogonal
    matrix drawn from `rng` (QR of a Gaussian matrix), else the identity.
    """
    lam = as_vector(eigenvalues, "eigenvalues")
    if np.any(lam < 0):
        raise ValueError("eigenvalues must be >= 0")
    d = lam.shape[0]
    theta_star = np.zeros(d) if theta_star is None else _theta(theta_star, "theta_star", d)
    if angle is not None:
        if d != 2:
            raise ValueError(f"angle needs 2 eigenvalues; got {d}")
        c, s = np.cos(angle), np.sin(angle)
        Q = np.array([[c, -s], [s, c]])
    elif rng is not None:
        Q, R = np.linalg.qr(as_rng(rng).standard_normal((d, d)))
        Q = Q * np.sign(np.diag(R))
    else:
        Q = np.eye(d)
    H = (Q * lam) @ Q.T
    return Quadratic(H=(H + H.T) / 2, theta_star=theta_star)


def _error_norms(quadratic, lrs, theta0, n_steps):
    """‖θ_t − θ*‖ at t = n_steps // 2 and t = n_steps of GD on `quadratic`, for each lr."""
    lrs = np.asarray(lrs, dtype=float)
    e = np.tile(np.asarray(theta0, float) - quadratic.theta_star, (lrs.shape[0], 1))
    half = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, n_steps + 1):
            e = e - lrs[:, None] * (e @ quadratic.H)      # the GD step written for the error
            if t == n_steps // 2:
                half = np.linalg.norm(e, axis=1)
        return half, np.linalg.norm(e, axis=1)


def diverges(quadratic, lr, theta0, n_steps=2000):
    """True where GD with step `lr` on `quadratic` moves away from θ*:
    ‖θ_n − θ*‖ > ‖θ_{n/2} − θ*‖ (or overflows) after n = n_steps steps.

    At γ = 2/λ_max exactly the error along the top eigenvector flips sign with
    constant size: that is not divergence (nor convergence).
    lr: a number or an array of step sizes.  Returns: bool or bool array.
    """
    lr_arr = np.atleast_1d(as_array(lr, "lr"))
    half, end = _error_norms(quadratic, lr_arr, _theta(theta0, "theta0"), int(n_steps))
    out = ~np.isfinite(end) | (end > half)
    return bool(out[0]) if np.ndim(lr) == 0 else out


def divergence_threshold(quadratic, theta0, n_steps=2000, rtol=1e-10, grid=33):
    """The step size at which GD on `quadratic` starts to diverge, found by running GD.

    GD is run for 49 step sizes from 1e-8 to 1e8 (geometric grid) to bracket the
    change of behaviour, then the bracket [lo, hi] (lo does not diverge, hi does)
    is narrowed by running `grid` step sizes in it at once and keeping the cell
    where the behaviour flips, until hi − lo < rtol · hi.
    Nothing here uses the eigenvalues of H. The answer is exact up to a finite-run bias
    that vanishes as n_steps grows; it is below 1e-9 (relative) once the second-largest
    mode has died out by step n_steps/2.  Returns: (lo + hi) / 2.
    """
    theta0 = _theta(theta0, "theta0")
    lrs = np.geomspace(1e-8, 1e8, 49)
    while True:
        flips = diverges(quadratic, lrs, theta0, n_steps)
        if not flips[-1]:
            raise ValueError("GD does not diverge for any step size up to 1e8 (is H zero?)")
        first = int(np.argmax(flips))
        if first == 0:
            raise ValueError("GD diverges for every step size down to 1e-8")
        lo, hi = lrs[first - 1], lrs[first]
        if hi - lo <= rtol * hi:
            return (lo + hi) / 2
        lrs = np.linspace(lo, hi, grid)


# ------------------------------------------------------------------ loss surfaces for the demos

@dataclass(frozen=True)
class LossSurface:
    """A loss with known minima, for learning-rate experiments.

    loss, grad: functions of an (m, d) array of points -> (m,) losses, (m, d) gradients;
    start: (d,) starting point; minima: (k, d) local minima; curvatures: (k,)
    λ_max of the Hessian at each minimum (GD can settle there only if γ < 2/λ_max);
    labels: (k,) names of the minima; divergence_lr: step size above which GD
    diverges from any start (from the curvature far away); name: a title.
    """
    name: str
    loss: object
    grad: object
    start: np.ndarray
    minima: np.ndarray
    curvatures: np.ndarray
    labels: tuple
    divergence_lr: float

    @property
    def dim(self):
        return self.start.shape[0]


#: Parameters of `two_wells`: far-field curvature k; a narrow well (depth, centre,
#: width) and a wide, deeper well.
TWO_WELLS = dict(k=0.5, narrow=(0.5, 1.5, 0.25), wide=(1.5, -1.5, 0.8))


def _well_terms(x):
    terms = []
    for depth, centre, width in (TWO_WELLS["narrow"], TWO_WELLS["wide"]):
        g = depth * np.exp(-(x - centre) ** 2 / (2 * width ** 2))
        terms.append((g, (x - centre) / width ** 2))
    return terms


def two_wells(x):
    """A 1-D loss with a narrow local minimum and a wide global minimum:

        f(x) = k x²/2 − Σ_j a_j exp(−(x − c_j)² / (2 s_j²))

    with k = 0.5, a narrow well (a, c, s) = (0.5, 1.5, 0.25) and a wide, deeper
    one (1.5, −1.5, 0.8). Far from the wells f ≈ k x²/2, so GD diverges for
    γ > 2/k = 4. x: array of any shape.  Returns: array of the same shape.
    """
    x = as_array(x, "x")
    return 0.5 * TWO_WELLS["k"] * x ** 2 - sum(g for g, _ in _well_terms(x))


def two_wells_grad(x):
    """f'(x) = k x + Σ_j a_j (x − c_j)/s_j² exp(−(x − c_j)² / (2 s_j²)) of `two_wells`."""
    x = as_array(x, "x")
    return TWO_WELLS["k"] * x + sum(g * slope for g, slope in _well_terms(x))


def _two_wells_minima():
    """The two minima of two_wells and f'' there (Newton's method from the well centres)."""
    xs, curv = [], []
    for _, centre, _ in (TWO_WELLS["narrow"], TWO_WELLS["wide"]):
        x = centre
        for _ in range(50):
            h = 1e-5
            second = (two_wells_grad(x + h) - two_wells_grad(x - h)) / (2 * h)
            x = x - float(two_wells_grad(x)) / float(second)
        xs.append(x)
        curv.append(float((two_wells_grad(x + 1e-5) - two_wells_grad(x - 1e-5)) / 2e-5))
    return np.array(xs), np.array(curv)


def two_wells_surface(dim=1, stiffness=1.5):
    """`two_wells` as a LossSurface, in 1-D, or in 2-D as f(x) + stiffness · y²/2.

    Start at x = 2.2 (y = 1 in 2-D), right of the narrow well.
    """
    xs, curv = _two_wells_minima()
    k = TWO_WELLS["k"]
    if dim == 1:
        return LossSurface("1-D: two minima", lambda P: two_wells(P[:, 0]),
                           lambda P: two_wells_grad(P), np.array([2.2]), xs[:, None], curv,
                           ("local (narrow)", "global (wide)"), 2.0 / k)
    if dim != 2:
        raise ValueError(f"dim must be 1 or 2; got {dim!r}")
    c = as_scalar(stiffness, "stiffness", positive=True)
    return LossSurface("2-D: two minima",
                       lambda P: two_wells(P[:, 0]) + 0.5 * c * P[:, 1] ** 2,
                       lambda P: np.column_stack([two_wells_grad(P[:, 0]), c * P[:, 1]]),
                       np.array([2.2, 1.0]), np.column_stack([xs, np.zeros(2)]),
                       np.maximum(curv, c), ("local (narrow)", "global (wide)"),
                       2.0 / max(k, c))


def quadratic_surface(eigenvalues=(1.0, 10.0), angle=np.pi / 6, start=(-1.5, 1.5)):
    """A 2-D quadratic bowl as a LossSurface (its only minimum is θ* = 0)."""
    q = make_quadratic(eigenvalues, angle=angle)
    lam = q.lam_max
    return LossSurface(f"2-D: quadratic (λ = {q.eigenvalues[0]:g}, {lam:g})", q.loss, q.grad,
                       _theta(start, "start", 2), np.zeros((1, 2)), np.array([lam]),
                       ("global",), 2.0 / lam)


# ------------------------------------------------------------------ squared error (regression)

def make_least_squares(n, theta_true, cov, noise, seed=0):
    """Linear-Gaussian regression data: x ~ N(0, cov), y = xᵀθ_true + N(0, noise²).

    n: number of examples; theta_true: (d,); cov: (d, d) positive definite;
    noise: std >= 0.  Returns: X (n, d), y (n,).
    """
    theta_true = _theta(theta_true, "theta_true")
    d = theta_true.shape[0]
    cov = as_array(cov, "cov", ndim=2)
    if cov.shape != (d, d):
        raise ValueError(f"cov must be ({d}, {d}); got {cov.shape}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((_positive_int(n, "n"), d)) @ np.linalg.cholesky(cov).T
    return X, X @ theta_true + as_scalar(noise, "noise") * rng.standard_normal(X.shape[0])


def _check_data(theta, X, y, labels=False):
    """Validated (theta, X, y) of a risk: theta (d,), X (N, p), y (N,)."""
    X = as_matrix(X, "X")
    theta = _theta(theta, "theta")
    d = X.shape[1] + (1 if labels else 0)
    if theta.shape[0] != d:
        what = "p + 1 = (weights, bias)" if labels else "p (one weight per column of X)"
        raise ValueError(f"theta must have length {what} = {d}; got {theta.shape[0]}")
    y = as_labels(y, "y", n=X.shape[0]) if labels else as_vector(y, "y", size=X.shape[0])
    return theta, X, y


def squared_error_risk(theta, X, y):
    """L(θ) = (1/2N) Σᵢ (xᵢᵀθ − yᵢ)²: the negative log-likelihood of a Gaussian
    model y ~ N(xᵀθ, 1), up to a constant.  theta: (d,); X: (N, d); y: (N,)."""
    theta, X, y = _check_data(theta, X, y)
    return float(0.5 * np.mean((X @ theta - y) ** 2))


def _squared_error_grad(theta, X, y):
    return X.T @ (X @ theta - y) / X.shape[0]


def squared_error_grad(theta, X, y):
    """∇L(θ) = (1/N) Xᵀ (Xθ − y), shape (d,)."""
    return _squared_error_grad(*_check_data(theta, X, y))


def squared_error_example_grads(theta, X, y):
    """Per-example gradients ∇ℓᵢ = (xᵢᵀθ − yᵢ) xᵢ, shape (N, d); their mean is ∇L."""
    theta, X, y = _check_data(theta, X, y)
    return (X @ theta - y)[:, None] * X


def least_squares_solution(X, y):
    """θ* = argmin (1/2N) ‖Xθ − y‖² (np.linalg.lstsq).  Returns (d,)."""
    X = as_matrix(X, "X")
    y = as_vector(y, "y", size=X.shape[0])
    return np.linalg.lstsq(X, y, rcond=None)[0]


# ------------------------------------------------------------------ logistic risk
# The loss and its gradient are lecture 2's (mlcourse.linear), written for the flat
# parameter vector θ = (w, b) that optimizers move. `_logistic_grad` is the same
# gradient without input validation, for the inner loop of SGD (thousands of
# tiny mini-batches, where validating each one would cost more than the step).

def _split(theta, X, y):
    theta, X, y = _check_data(theta, X, y, labels=True)
    return theta[:-1], float(theta[-1]), X, y


def logistic_risk(theta, X, y):
    """Mean binary cross-entropy of logistic regression, the negative log-likelihood
    of the Bernoulli model P(y = 1 | x) = σ(wᵀx + b) divided by N:

        L(θ) = (1/N) Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ],   zᵢ = wᵀxᵢ + b

    (= mlcourse.linear.logistic_loss(w, b, X, y); finite for any z).
    theta: (p + 1,) = (w, b); X: (N, p); y: (N,) labels in {0, 1}.  Returns: a float.
    """
    return linear.logistic_loss(*_split(theta, X, y))


def logistic_risk_grad(theta, X, y):
    """∇L(θ) = (1/N) Σᵢ (σ(zᵢ) − yᵢ) (xᵢ, 1), shape (p + 1,) (mlcourse.linear.logistic_grad)."""
    dw, db = linear.logistic_grad(*_split(theta, X, y))
    return np.append(dw, db)


def _logistic_grad(theta, X, y):
    r = expit(X @ theta[:-1] + theta[-1]) - y          # σ(z) − y, stable for any z
    g = np.empty(theta.shape[0])
    g[:-1] = r @ X
    g[-1] = r.sum()
    return g / X.shape[0]


def logistic_example_grads(theta, X, y):
    """Per-example gradients (σ(zᵢ) − yᵢ) (xᵢ, 1), shape (N, p + 1); their mean is ∇L."""
    theta, X, y = _check_data(theta, X, y, labels=True)
    r = expit(X @ theta[:-1] + theta[-1]) - y
    return r[:, None] * np.column_stack([X, np.ones(X.shape[0])])


# ------------------------------------------------------------------ a large logistic problem

def ill_conditioned_classes(p=20, eig_min=0.02, eig_max=2.0, seed=3):
    """Parameters of two Gaussian classes with a shared, ill-conditioned covariance
    (the LDA model, for which logistic regression is exactly right).

    cov = Q diag(λ) Qᵀ with λ geometric from eig_min to eig_max and Q a random
    rotation; the class means mean0, mean1 = μ ∓ δ with δ scaled so that the
    Mahalanobis distance between them is 2 (a Bayes error of about 16 %).
    Returns: dict(mean0=(p,), mean1=(p,), cov=(p, p)) for data.make_gaussian_classes.
    """
    rng = np.random.default_rng(seed)
    p = _positive_int(p, "p")
    Q, R = np.linalg.qr(rng.standard_normal((p, p)))
    Q = Q * np.sign(np.diag(R))
    lam = np.geomspace(as_scalar(eig_min, "eig_min", positive=True),
                       as_scalar(eig_max, "eig_max", positive=True), p)
    cov = (Q * lam) @ Q.T
    cov = (cov + cov.T) / 2
    delta = Q @ (np.sqrt(lam) * rng.standard_normal(p))
    delta /= np.sqrt(delta @ np.linalg.solve(cov, delta))
    mu = 0.5 * rng.standard_normal(p)
    return dict(mean0=mu - delta, mean1=mu + delta, cov=cov)


def expected_logistic_risk(theta, mean0, mean1, cov, prior1=0.5, n_nodes=120):
    """The expected risk R(θ) = E[log(1 + e^z) − y z], z = wᵀx + b, of logistic
    regression when y ~ Bernoulli(prior1) and x | y ~ N(mean_y, cov): what the
    empirical risk estimates, without a test set.

    Given y, z is Gaussian with mean wᵀμ_y + b and variance wᵀΣw, so
    R = Σ_y π_y (E[softplus(z) | y] − y E[z | y]); the 1-D Gaussian expectation
    of softplus is computed by Gauss–Hermite quadrature with n_nodes nodes.
    theta: (p + 1,) or (m, p + 1) for several models.  Returns: float or (m,).
    """
    mean0, mean1 = as_vector(mean0, "mean0"), as_vector(mean1, "mean1", size=len(mean0))
    cov = as_array(cov, "cov", ndim=2)
    theta = as_array(theta, "theta")
    if theta.shape[-1] != len(mean0) + 1:
        raise ValueError(f"theta must have length p + 1 = {len(mean0) + 1}; got {theta.shape}")
    T = np.atleast_2d(theta)
    w, b = T[:, :-1], T[:, -1]
    s = np.sqrt(np.einsum("mi,ij,mj->m", w, cov, w))
    u, weights = np.polynomial.hermite.hermgauss(int(n_nodes))
    risk = 0.0
    for label, mean, prior in ((0, mean0, 1 - prior1), (1, mean1, prior1)):
        m = w @ mean + b
        z = m[:, None] + np.sqrt(2.0) * s[:, None] * u[None, :]
        risk = risk + prior * (np.logaddexp(0.0, z) @ weights / np.sqrt(np.pi) - label * m)
    return float(risk[0]) if theta.ndim == 1 else risk


# ------------------------------------------------------------------ stochastic gradient descent

_BATCH_GRADS = {"squared_error": _squared_error_grad, "logistic": _logistic_grad}


def minibatches(n, batch_size, rng):
    """The mini-batches of one epoch: a random permutation of range(n) cut into
    consecutive pieces of `batch_size` indices (the last one is shorter when
    batch_size does not divide n).  Returns: a list of int arrays."""
    n = _positive_int(n, "n")
    batch_size = _positive_int(batch_size, "batch_size")
    order = as_rng(rng).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def sgd(grad, X, y, theta0, lr, epochs, batch_size, rng, record_every=None):
    """Mini-batch SGD:  θ ← θ − η_t grad(θ, X[B], y[B])  for the mini-batches B of
    each epoch (a fresh permutation per epoch, see `minibatches`), t = 0, 1, ...

    grad: "squared_error" or "logistic" (the risks of this module, with fast
        unvalidated kernels), or a function (θ, X_batch, y_batch) -> mean gradient (d,);
    X: (N, p); y: (N,); theta0: (d,); lr: step size, or a vectorized schedule
    t -> η_t (called once with the array of all steps);
    epochs, batch_size: positive ints; rng: Generator (or int seed);
    record_every: record θ every that many steps (default: at the end of each epoch).
    Returns: (theta, path) with path (k + 1, d): θ₀ and the recorded iterates.
    """
    grad = _BATCH_GRADS.get(grad, grad) if isinstance(grad, str) else grad
    if not callable(grad):
        raise ValueError(f"grad must be one of {sorted(_BATCH_GRADS)} or a function "
                         f"(theta, X_batch, y_batch) -> gradient; got {grad!r}")
    X = as_matrix(X, "X")
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}); got {y.shape[0]}")
    theta = _theta(theta0, "theta0").copy()
    epochs, batch_size = _positive_int(epochs, "epochs"), _positive_int(batch_size, "batch_size")
    n = X.shape[0]
    etas = _step_sizes(lr, epochs * -(-n // batch_size))
    every = None if record_every is None else _positive_int(record_every, "record_every")
    rng = as_rng(rng)
    path, t = [theta.copy()], 0
    for _ in range(epochs):
        order = rng.permutation(n)          # the same draws as minibatches(n, batch_size, rng)
        Xp, yp = X[order], y[order]         # then every mini-batch is a cheap slice
        for start in range(0, n, batch_size):
            theta = theta - etas[t] * grad(theta, Xp[start:start + batch_size],
                                           yp[start:start + batch_size])
            t += 1
            if every is not None and t % every == 0:
                path.append(theta)
        if every is None:
            path.append(theta)
    return theta, np.array(path)


def sgd_logistic(X, y, lr, epochs, batch_size, rng):
    """Mini-batch SGD on `logistic_risk` from w = 0, b = 0 (the graded exercise).

    Returns: (w (p,), b float, losses) where losses[e] is the training risk
    on all of (X, y) after epoch e + 1 (a list of `epochs` floats).
    """
    X = as_matrix(X, "X")
    y = as_labels(y, "y", n=X.shape[0])
    theta, path = sgd("logistic", X, y, np.zeros(X.shape[1] + 1), lr, epochs,
                      batch_size, rng)
    losses = [linear.logistic_loss(th[:-1], th[-1], X, y) for th in path[1:]]
    return theta[:-1].copy(), float(theta[-1]), losses


def minibatch_gradients(G, batch_sizes, n_draws, rng, replace=False, chunk=256):
    """Mini-batch gradients drawn at random from per-example gradients G.

    Each draw takes a random ordering of the N examples (or, with replace=True,
    N indices drawn with replacement) and, for every B in batch_sizes, averages
    the first B rows: so the draws of different B are nested (dependent), and
    each B alone is an exact sample of the mini-batch gradient.
    G: (N, d); batch_sizes: increasing ints <= N; n_draws: number of draws.
    Returns: (len(batch_sizes), n_draws, d).
    """
    G = as_matrix(G, "G")
    N = G.shape[0]
    sizes = np.asarray(batch_sizes, dtype=int)
    if sizes.ndim != 1 or np.any(sizes < 1) or (not replace and np.any(sizes > N)):
        raise ValueError(f"batch_sizes must be ints in 1..N = {N}; got {batch_sizes!r}")
    rng = as_rng(rng)
    b_max = int(sizes.max())
    out = np.empty((sizes.shape[0], int(n_draws), G.shape[1]))
    for start in range(0, int(n_draws), chunk):
        m = min(chunk, int(n_draws) - start)
        if replace:
            idx = rng.integers(0, N, size=(m, b_max))
        else:
            idx = rng.permuted(np.broadcast_to(np.arange(N), (m, N)), axis=1)[:, :b_max]
        sums = np.cumsum(G[idx], axis=1)[:, sizes - 1]      # (m, k, d)
        out[:, start:start + m] = np.swapaxes(sums / sizes[None, :, None], 0, 1)
    return out


def minibatch_variance(G, batch_size, replace=False):
    """E‖ĝ_B − ∇L‖², the total variance of the mean of B per-example gradients.

    With replacement it is tr(Σ)/B; without replacement (a mini-batch of
    distinct examples) it is tr(Σ)/B · (N − B)/(N − 1), the finite-population
    correction; Σ = (1/N) Σᵢ (gᵢ − ḡ)(gᵢ − ḡ)ᵀ is the covariance of the rows of G.
    G: (N, d); batch_size: int or array of ints.  Returns: float or array.
    """
    G = as_matrix(G, "G")
    N = G.shape[0]
    B = np.asarray(batch_size, dtype=float)
    trace = float(np.sum(np.var(G, axis=0)))
    out = trace / B if replace else trace / B * (N - B) / (N - 1)
    return float(out) if out.ndim == 0 else out
