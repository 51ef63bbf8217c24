"""From linear discriminant analysis to logistic regression (lecture 2).

Two roads to the same model p(y = 1 | x) = σ(wᵀx + b):

* generative (LDA): class-conditional Gaussians N(μ_y, Σ) with a shared
  covariance and priors π_y. Bayes' rule gives the posterior in closed form,

      w = Σ⁻¹ (μ₁ − μ₀),   b = ½ (μ₀ᵀΣ⁻¹μ₀ − μ₁ᵀΣ⁻¹μ₁) + log(π₁ / π₀),

  and fitting means plugging in the maximum-likelihood estimates of μ_y, Σ, π_y;
* discriminative (logistic regression): keep σ(wᵀx + b), drop the Gaussians,
  and fit w, b by maximum likelihood, i.e. minimize the mean binary
  cross-entropy (`logistic_loss`) with Newton's method (`logistic_fit`).

Conventions: X is (n, p), y is (n,) with labels in {0, 1}, w is (p,), b a float.
"""
import numpy as np
from scipy.special import expit, log_expit, ndtr

from mlcourse.activations import log_sigmoid, sigmoid
from mlcourse.validation import as_array, as_labels, as_matrix, as_scalar, as_vector

__all__ = ["sigmoid", "log_sigmoid", "gaussian_log_density", "bayes_posterior",
           "lda_params", "lda_estimates", "lda_fit", "logistic_proba", "logistic_loss",
           "logistic_grad", "logistic_hessian", "logistic_newton_step", "logistic_fit",
           "linear_error_rate"]


# ------------------------------------------------------------------ validation

def _as_covariance(cov, name, p):
    """A (p, p) symmetric positive definite matrix, as float64."""
    cov = as_array(cov, name)
    if cov.shape != (p, p):
        raise ValueError(f"{name} must be a ({p}, {p}) covariance matrix; got shape {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (all eigenvalues > 0)") from None
    return cov


def _as_prior(prior1, name="prior1"):
    prior1 = as_scalar(prior1, name)
    if not 0 < prior1 < 1:
        raise ValueError(f"{name} must be a probability strictly between 0 and 1; got {prior1}")
    return prior1


def _linear_model(w, b, X):
    """Validated (w, b, X) of a linear model X @ w + b."""
    X = as_matrix(X, "X")
    w = as_vector(w, "w", size=X.shape[1])
    return w, as_scalar(b, "b"), X


def _data(X, y):
    X = as_matrix(X, "X")
    return X, as_labels(y, "y", n=X.shape[0]).astype(float)


# ------------------------------------------------------------------ the generative model

def gaussian_log_density(X, mean, cov):
    """Log-density of the multivariate normal N(mean, cov) at each row of X:

        log N(x; μ, Σ) = −½ (x − μ)ᵀ Σ⁻¹ (x − μ) − ½ log det(2π Σ).

    Computed with the Cholesky factor Σ = L Lᵀ: the quadratic form is ‖L⁻¹(x − μ)‖²
    and log det Σ = 2 Σ log L_jj.
    X: (n, p) points; mean: (p,); cov: (p, p) symmetric positive definite.
    Returns: (n,) log-densities.
    """
    X = as_matrix(X, "X")
    p = X.shape[1]
    mean = as_vector(mean, "mean", size=p)
    L = np.linalg.cholesky(_as_covariance(cov, "cov", p))
    U = np.linalg.solve(L, (X - mean).T)                 # (p, n): L⁻¹ (x − μ) per column
    log_det = 2.0 * np.sum(np.log(np.diag(L)))
    return -0.5 * np.sum(U * U, axis=0) - 0.5 * (p * np.log(2 * np.pi) + log_det)


def bayes_posterior(X, mean0, mean1, cov0, cov1=None, prior1=0.5):
    """P(y = 1 | x) by Bayes' rule from two Gaussian class densities:

        P(y = 1 | x) = π₁ N(x; μ₁, Σ₁) / (π₀ N(x; μ₀, Σ₀) + π₁ N(x; μ₁, Σ₁)).

    Evaluated in log space, as exp(a₁ − logaddexp(a₀, a₁)) with
    a_k = log π_k + log N(x; μ_k, Σ_k), so it stays accurate far from both means
    where the densities themselves underflow to 0.
    X: (n, p); mean0, mean1: (p,); cov0: (p, p); cov1: (p, p), default cov0
    (the LDA model); prior1: π₁ in (0, 1).  Returns: (n,) posteriors.
    """
    X = as_matrix(X, "X")
    prior1 = _as_prior(prior1)
    a0 = np.log1p(-prior1) + gaussian_log_density(X, mean0, cov0)
    a1 = np.log(prior1) + gaussian_log_density(X, mean1, cov0 if cov1 is None else cov1)
    return np.exp(a1 - np.logaddexp(a0, a1))


def lda_params(mean0, mean1, cov, prior1=0.5):
    """The posterior σ(wᵀx + b) of the LDA model (shared covariance Σ):

        w = Σ⁻¹ (μ₁ − μ₀),   b = ½ (μ₀ᵀΣ⁻¹μ₀ − μ₁ᵀΣ⁻¹μ₁) + log(π₁ / (1 − π₁)).

    mean0, mean1: (p,) class means; cov: (p, p) shared covariance; prior1: π₁.
    Returns: (w (p,), b float).
    """
    mean0 = as_vector(mean0, "mean0")
    p = mean0.shape[0]
    mean1 = as_vector(mean1, "mean1", size=p)
    cov = _as_covariance(cov, "cov", p)
    prior1 = _as_prior(prior1)
    S0, S1 = np.linalg.solve(cov, np.column_stack([mean0, mean1])).T   # Σ⁻¹μ₀, Σ⁻¹μ₁
    w = S1 - S0
    b = 0.5 * (mean0 @ S0 - mean1 @ S1) + np.log(prior1 / (1 - prior1))
    return w, float(b)


def lda_estimates(X, y):
    """Maximum-likelihood estimates of the LDA model's parameters:

        π₁ = n₁ / n,   μ_k = mean of the rows of class k,
        Σ = (1/n) Σ_k Σ_{i: yᵢ = k} (xᵢ − μ_k)(xᵢ − μ_k)ᵀ      (pooled, divided by n).

    (The unbiased estimate divides by n − 2 instead: it gives the same boundary
    direction but a w smaller by the factor (n − 2)/n, and a different b.)
    X: (n, p); y: (n,) labels in {0, 1}, both classes present.
    Returns: (mean0 (p,), mean1 (p,), cov (p, p), prior1 float).
    """
    X = as_matrix(X, "X")
    y = as_labels(y, "y", n=X.shape[0])
    n1 = int(y.sum())
    if n1 == 0 or n1 == len(y):
        raise ValueError("y must contain both classes 0 and 1 to estimate two class means")
    mean0, mean1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
    R = X - np.where(y[:, None] == 1, mean1, mean0)       # residuals from the own class mean
    return mean0, mean1, R.T @ R / len(y), n1 / len(y)


def lda_fit(X, y):
    """LDA fitted by maximum likelihood: lda_params(*lda_estimates(X, y)).

    X: (n, p); y: (n,) labels in {0, 1}.  Returns: (w (p,), b float) such that
    the estimated posterior is P(y = 1 | x) = σ(wᵀx + b).
    """
    mean0, mean1, cov, prior1 = lda_estimates(X, y)
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("X has too few distinct rows (or collinear columns): the pooled "
                         "covariance is singular, so Σ⁻¹ does not exist") from None
    return lda_params(mean0, mean1, cov, prior1)


# ------------------------------------------------------------------ logistic regression

def logistic_proba(X, w, b):
    """P(y = 1 | x) = σ(xᵀw + b) for each row of X (n, p); w: (p,).  Returns: (n,)."""
    w, b, X = _linear_model(w, b, X)
    return sigmoid(X @ w + b)


def logistic_loss(w, b, X, y):
    """Mean binary cross-entropy (negative log-likelihood / n) of σ(Xw + b):

        L(w, b) = −(1/n) Σᵢ [yᵢ log σ(zᵢ) + (1 − yᵢ) log σ(−zᵢ)],   zᵢ = xᵢᵀw + b,

    using 1 − σ(z) = σ(−z) and the stable log σ, so it is finite for every
    finite z (a confident wrong prediction z = −1000, y = 1 costs 1000).
    w: (p,); b: float; X: (n, p); y: (n,) labels in {0, 1}.  Returns: a float.
    """
    w, b, X = _linear_model(w, b, X)
    X, y = _data(X, y)
    z = X @ w + b
    return float(-np.mean(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)))


def logistic_grad(w, b, X, y):
    """Gradient of `logistic_loss`: with the residuals rᵢ = σ(zᵢ) − yᵢ,

        ∂L/∂w = (1/n) Σᵢ rᵢ xᵢ = Xᵀr / n,   ∂L/∂b = (1/n) Σᵢ rᵢ.

    w: (p,); b: float; X: (n, p); y: (n,).  Returns: (dw (p,), db float).
    """
    w, b, X = _linear_model(w, b, X)
    X, y = _data(X, y)
    r = sigmoid(X @ w + b) - y
    return X.T @ r / len(y), float(np.mean(r))


def logistic_hessian(w, b, X):
    """Hessian of `logistic_loss` in θ = (w, b), with x̃ = (x, 1) and sᵢ = σ(zᵢ)(1 − σ(zᵢ)):

        H = (1/n) Σᵢ sᵢ x̃ᵢ x̃ᵢᵀ = X̃ᵀ diag(s) X̃ / n     (positive semi-definite: L is convex).

    Returns: (p + 1, p + 1), the last row/column belonging to b.
    """
    w, b, X = _linear_model(w, b, X)
    q = sigmoid(X @ w + b)
    Xt = np.column_stack([X, np.ones(len(X))])
    return (Xt * (q * (1 - q))[:, None]).T @ Xt / len(X)


# The fitting loop works on θ = (w, b) and X̃ = [X, 1] and skips the per-call
# validation of the public functions (it is validated once, at the door):
# a Newton fit on a few hundred points must take well under a millisecond
# for the interactive demo.

def _objective(theta, Xt, y, l2):
    """logistic_loss + (l2/2)‖w‖² at θ = (w, b), with X̃ = [X, 1] (n, p + 1)."""
    z = Xt @ theta
    return -np.mean(y * log_expit(z) + (1 - y) * log_expit(-z)) \
        + 0.5 * l2 * (theta[:-1] @ theta[:-1])


def _newton_step(theta, Xt, y, l2):
    """One damped Newton step; returns (new θ, max |gradient| at the old θ)."""
    n = len(y)
    q = expit(Xt @ theta)
    g = Xt.T @ (q - y) / n
    g[:-1] += l2 * theta[:-1]
    H = (Xt * (q * (1 - q))[:, None]).T @ Xt / n
    H[:-1, :-1] += l2 * np.eye(len(theta) - 1)
    try:
        d = -np.linalg.solve(H, g)
    except np.linalg.LinAlgError:          # singular Hessian: fall back on the gradient
        d = -g
    loss, slope, t = _objective(theta, Xt, y, l2), g @ d, 1.0
    while t > 1e-10:                       # backtracking: halve t until Armijo holds
        new = theta + t * d
        if _objective(new, Xt, y, l2) <= loss + 1e-4 * t * slope:
            return new, np.max(np.abs(g))
        t /= 2
    return theta, np.max(np.abs(g))


def _check_l2(l2):
    l2 = as_scalar(l2, "l2")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0; got {l2}")
    return l2


def logistic_newton_step(w, b, X, y, l2=0.0):
    """One damped Newton step on logistic_loss(w, b, X, y) + (l2/2)‖w‖²:

        θ = (w, b),   d = −H⁻¹ ∇L(θ),   θ ← θ + t d,

    t the first of 1, ½, ¼, ... that decreases the loss enough (Armijo:
    L(θ + t d) ≤ L(θ) + 10⁻⁴ t ∇Lᵀd). For logistic regression, Newton's method
    is the same as iteratively reweighted least squares (IRLS).
    w: (p,); b: float; X: (n, p); y: (n,); l2 >= 0.  Returns: new (w, b).
    """
    w, b, X = _linear_model(w, b, X)
    X, y = _data(X, y)
    theta, _ = _newton_step(np.append(w, b), np.column_stack([X, np.ones(len(X))]), y,
                            _check_l2(l2))
    return theta[:-1], float(theta[-1])


def logistic_fit(X, y, l2=0.0, w0=None, b0=0.0, max_iter=100, tol=1e-10):
    """Logistic regression by maximum likelihood (l2 = 0) or with a ridge penalty:
    minimize logistic_loss(w, b, X, y) + (l2/2)‖w‖² by damped Newton steps
    (`logistic_newton_step`) from (w0, b0) (default 0) until the largest
    gradient component is below `tol`.

    Deterministic (no randomness), float64. With l2 = 0 the maximum-likelihood
    estimate does not exist when the classes are linearly separable (the loss
    keeps decreasing as ‖w‖ → ∞): then a ValueError is raised; pass l2 > 0.
    X: (n, p); y: (n,) labels in {0, 1}.  Returns: (w (p,), b float).
    """
    X, y = _data(X, y)
    w = np.zeros(X.shape[1]) if w0 is None else as_vector(w0, "w0", size=X.shape[1])
    theta = np.append(w, as_scalar(b0, "b0"))
    l2 = _check_l2(l2)
    Xt = np.column_stack([X, np.ones(len(X))])
    for _ in range(int(max_iter)):
        theta, gmax = _newton_step(theta, Xt, y, l2)
        if gmax < tol:                     # θ already was optimal; the step changed ~nothing
            break
    if l2 == 0 and np.all((Xt @ theta >= 0) == (y == 1)):
        raise ValueError("the classes are linearly separable: the maximum-likelihood w is "
                         "infinite (the loss decreases forever as ||w|| grows); pass l2 > 0")
    return theta[:-1], float(theta[-1])


# ------------------------------------------------------------------ evaluation

def linear_error_rate(w, b, mean0, mean1, cov0, cov1=None, prior1=0.5):
    """Exact error rate of the rule ŷ = 1[wᵀx + b ≥ 0] when x | y=k ~ N(μ_k, Σ_k):

    the score wᵀx + b of class k is N(wᵀμ_k + b, wᵀΣ_k w), so with Φ the
    standard normal CDF

        error = π₀ Φ((wᵀμ₀ + b) / √(wᵀΣ₀w)) + π₁ Φ(−(wᵀμ₁ + b) / √(wᵀΣ₁w)).

    w: (p,) nonzero; b: float; mean0, mean1: (p,); cov0, cov1: (p, p) (cov1
    defaults to cov0); prior1: π₁.  Returns: a float in [0, 1].
    """
    w = as_vector(w, "w")
    p = w.shape[0]
    if not np.any(w):
        raise ValueError("w must not be zero (the rule would put every point in one class)")
    b = as_scalar(b, "b")
    mean0, mean1 = as_vector(mean0, "mean0", size=p), as_vector(mean1, "mean1", size=p)
    cov0 = _as_covariance(cov0, "cov0", p)
    cov1 = cov0 if cov1 is None else _as_covariance(cov1, "cov1", p)
    prior1 = _as_prior(prior1)
    s0, s1 = np.sqrt(w @ cov0 @ w), np.sqrt(w @ cov1 @ w)
    return float((1 - prior1) * ndtr((w @ mean0 + b) / s0)
                 + prior1 * ndtr(-(w @ mean1 + b) / s1))
