"""The generative classifier of notebook 09 against independent oracles: scikit-learn's GaussianNB
(one component per class is Gaussian naive Bayes) and per-class GaussianMixture fits."""

import numpy as np
import pytest
import torch
from sklearn.mixture import GaussianMixture
from sklearn.naive_bayes import GaussianNB

from gmm_helpers import GMMParams, sample_gmm, toy_params
from gmm_helpers.classify import best_by_bic, class_log_joint, fit_class_mixtures, predict_class


def three_classes(n=300, seed=0):
    """Points of the toy mixture, labelled by the component that drew them."""
    X, labels = sample_gmm(toy_params(torch.float64), n, generator=torch.Generator().manual_seed(seed))
    return X, labels


def test_one_component_per_class_is_gaussian_naive_bayes():
    X, y = three_classes()
    X_new, _ = three_classes(200, seed=1)
    ours = fit_class_mixtures(X, y, n_components=1, reg_covar=0.0)
    nb = GaussianNB(var_smoothing=0.0).fit(X.numpy(), y.numpy())
    log_post = torch.log_softmax(class_log_joint(ours, X_new), dim=1)
    torch.testing.assert_close(log_post, torch.from_numpy(nb.predict_log_proba(X_new.numpy())), rtol=1e-9, atol=1e-9)
    assert torch.equal(predict_class(ours, X_new), torch.from_numpy(nb.predict(X_new.numpy())))


def test_priors_are_class_shares_and_joint_is_a_naive_loop():
    X, y = three_classes()
    X_new, _ = three_classes(50, seed=2)
    ours = fit_class_mixtures(X, y, n_components=[1, 2, 2], random_state=0)
    shares = torch.bincount(y).double() / len(y)
    torch.testing.assert_close(ours.log_priors, shares.log())
    # naive: sum over components of pi_k N(x | mu_k, diag var_k), by torch.distributions, per class
    for c, model in enumerate(ours.models):
        p = model.params_
        dist = torch.distributions.Independent(torch.distributions.Normal(p.means, p.variances.sqrt()), 1)
        for n in range(5):
            expected = torch.logsumexp(p.weights.log() + dist.log_prob(X_new[n]), dim=0) + shares[c].log()
            torch.testing.assert_close(class_log_joint(ours, X_new)[n, c], expected)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # tol=0: exactly 30 iterations
def test_per_class_mixture_agrees_with_scikit_learn_from_the_same_start():
    X, y = three_classes()
    Xc = X[y == 0]
    start = GMMParams(torch.tensor([0.5, 0.5], dtype=torch.float64), Xc[:2].clone(), torch.ones(2, 2, dtype=torch.float64))
    ours = fit_class_mixtures(X, y, n_components=2, weights_init=start.weights, means_init=start.means,
                              precisions_init=1 / start.variances, max_iter=30, tol=0)
    theirs = GaussianMixture(2, covariance_type="diag", weights_init=start.weights.numpy(), means_init=start.means.numpy(),
                             precisions_init=1 / start.variances.numpy(), max_iter=30, tol=0).fit(Xc.numpy())
    np.testing.assert_allclose(ours.models[0].means_.numpy(), theirs.means_, rtol=1e-6)
    np.testing.assert_allclose(ours.models[0].covariances_.numpy(), theirs.covariances_, rtol=1e-6)


def test_bic_choice_matches_a_loop_over_scikit_learn_bic():
    X, _ = three_classes(600)
    best, bics = best_by_bic(X, [1, 2, 3, 4], random_state=0)
    assert min(bics, key=bics.get) == best.n_components == 3  # the toy mixture has three components
    for K, b in bics.items():  # each BIC is -2 sum log p + (2KD + K - 1) ln N with the model's own fit
        model = GaussianMixture(K, covariance_type="diag", random_state=0, n_init=3).fit(X.numpy())
        assert abs(b - model.bic(X.numpy())) / abs(b) < 5e-3


def test_bic_per_class():
    X, y = three_classes(900)
    ours = fit_class_mixtures(X, y, n_components=("bic", [1, 2, 3]), random_state=0)
    assert [m.n_components for m in ours.models] == [1, 1, 1]  # each class is one Gaussian


@pytest.mark.parametrize("y, message", [
    (torch.tensor([0, 1, 1]), "one label per row"),
    (torch.zeros(300), "int64 tensor"),
    (np.zeros(300, dtype=int), "got ndarray"),
    (torch.cat([torch.zeros(150), torch.full((150,), 2)]).long(), "none of the classes [1]"),
    (torch.full((300,), -1), "got the label -1"),
])
def test_bad_labels_are_refused(y, message):
    X, _ = three_classes()
    with pytest.raises(ValueError, match=r"^y: ") as info:
        fit_class_mixtures(X, y)
    assert message in str(info.value)


def test_bad_n_components_and_ks_are_refused():
    X, y = three_classes()
    with pytest.raises(ValueError, match="n_components: expected .* got \\[1, 2\\]"):
        fit_class_mixtures(X, y, n_components=[1, 2])
    with pytest.raises(ValueError, match="Ks: expected a non-empty list"):
        best_by_bic(X, [])
    with pytest.raises(ValueError, match="^X: "):
        fit_class_mixtures(X.numpy(), y)
