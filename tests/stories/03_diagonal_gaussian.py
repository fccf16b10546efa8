# Story checks of notebooks/03_diagonal_gaussian.ipynb: the asserts that pin the numbers its prose quotes.
#
# Each section runs from the collapsed story-check cell that names it, at the place where the prose quotes
# its numbers (gmm_helpers.teach.story.check_story): it sees the notebook's names and those that earlier
# sections defined. nbval runs the notebooks, so a change that breaks the story fails CI.


# %% logs-densities-underflow-overflow
for dtype, small, too_small, large, too_large in ((torch.float32, 1e-45, 1e-46, 1e38, 1e39), (torch.float64, 1e-323, 1e-324, 1e308, 1e309)):
    stored = torch.tensor([small, too_small, large, too_large], dtype=torch.float64).to(dtype)  # roughly 1e-45 to 1e38 (float32)
    assert stored[0] > 0 and stored[1] == 0 and stored[2] < math.inf and stored[3] == math.inf
factor = Normal(0.0, 1.0).log_prob(torch.tensor(1.0)).exp()  # N(1 | 0, 1)
narrow_factor = 1 / math.sqrt(2 * math.pi * 0.01)  # N(0 | 0, 0.01)
assert (f"{factor:.3f}", f"{narrow_factor:.2f}", f"{0.5 * (math.log(2 * math.pi) + 1):.3f}") == ("0.242", "3.99", "1.419")
assert f"{math.log(narrow_factor):.2f}" == "1.38"  # the narrow component's log-density per dimension
for dtype, name, first in ((torch.float32, "float32", 74), (torch.float64, "float64", 526)):
    assert int(dims[held[name] == 0][0]) == underflow_dimension(dtype) == first
for dtype in (torch.float32, torch.float64):  # the second row: first inf as e^{log-density} and as a product
    first = math.ceil(math.log(torch.finfo(dtype).max) / math.log(narrow_factor))  # D log 3.99 past log(largest)
    as_exp = (torch.arange(1, 601, dtype=torch.float64) * math.log(narrow_factor)).to(dtype).exp()
    as_product = torch.full((600,), narrow_factor, dtype=dtype).cumprod(dim=0)
    assert int(as_exp.isinf().nonzero()[0]) + 1 == int(as_product.isinf().nonzero()[0]) + 1 == first
assert f"{0.5 * (math.log(2 * math.pi) + 1) / math.log(10):.3f}" == "0.616"


# %% logs-densities-underflow-overflow-2
assert (zero / (zero + zero)).isnan() and (inf / (inf + 1)).isnan() and 1 / (inf + 1) == 0
r_one_nan = torch.tensor([float("nan"), 0.5, 0.5])  # one point's responsibility is NaN
assert r_one_nan.sum().isnan() and (r_one_nan @ torch.tensor([1.0, 2.0, 3.0])).isnan()  # so N_k and the weighted sum for the mean


# %% logs-densities-underflow-overflow-3
assert a.exp() == 0 and b.exp() == 0 and f"{a:.2f}" == "-1418.94" and f"{1 / (1 + (b - a).exp()):.3f}" == "0.900"  # exactly 0, yet the share is ordinary
assert torch.allclose(torch.softmax(torch.stack([a, b]) + 500 * math.log(2 * math.pi), dim=0), torch.softmax(torch.stack([a, b]), dim=0))  # D log 2 pi cancels


# %% optional-exact-limits-float32
from decimal import Decimal  # exact decimal arithmetic: 2**-1075 is below float64's range

quoted = {torch.float32: ("1.2e-38", "1.4e-45", "7.0e-46", "3.4e+38"), torch.float64: ("2.2e-308", "4.9e-324", "2.5e-324", "1.8e+308")}
log_factor, log_mean_factor = 0.5 * (math.log(2 * math.pi) + 1), 0.5 * math.log(2 * math.pi)  # log(1 / 0.242), log(1 / 0.399)
for dtype, exponent, first, mean_first in ((torch.float32, 150, 74, 114), (torch.float64, 1075, 526, 811)):
    info = torch.finfo(dtype)
    tiny = torch.tensor(info.smallest_normal * info.eps, dtype=dtype)  # the smallest subnormal number, 2**-(exponent - 1)
    numbers = (f"{info.smallest_normal:.1e}", f"{tiny.item():.1e}", f"{Decimal(2) ** -exponent:.1e}", f"{info.max:.1e}")
    assert numbers == quoted[dtype] and tiny.item() == 2.0 ** -(exponent - 1)
    assert tiny * 0.5 == 0 < tiny * 0.51 and tiny * 0.7 == tiny  # half of it rounds to 0 (a tie); a little more rounds up to it
    assert math.ceil(exponent * math.log(2) / log_factor) == underflow_dimension(dtype) == first  # 0.242**D
    at_mean = (-log_mean_factor * torch.arange(1, 1001, dtype=torch.float64)).to(dtype).exp()  # 0.399**D, D = 1..1000
    assert math.ceil(exponent * math.log(2) / log_mean_factor) == int((at_mean == 0).nonzero()[0]) + 1 == mean_first
for dtype, kept, lost in ((torch.float32, 14.0, 15.0), (torch.float64, 38.0, 39.0)):  # the printed line
    density = Normal(torch.tensor(0.0, dtype=dtype), 1.0).log_prob(torch.tensor([kept, lost], dtype=dtype)).exp()
    assert density[0] > 0 and density[1] == 0
assert f"{150 * math.log(2):.2f}" == "103.97" and f"{1.419 * 73:.1f}" == "103.6" and 1.419 * 74 > 150 * math.log(2)  # the worked line
assert f"{math.log(torch.finfo(torch.float64).max):.1f}" == "709.8" and math.ceil(709.78 / math.log(narrow_factor)) == 513
running = torch.cumprod(factor.to(torch.float64).repeat(600), dim=0) / 2.0**-1074  # in units of the smallest number
assert (running[:524] > 0).all() and running[524] == 0 and running[523] == round(running[523].item())  # 0 from D = 525; subnormals whole
assert int((torch.cumprod(factor.repeat(600), dim=0) == 0).nonzero()[0]) + 1 == 74  # float32: the same threshold
f32 = {"dtype": torch.float32}  # the log fails only when (x - mu)^2 / var overflows
assert diag_gaussian_log_pdf(torch.tensor([[1e20]], **f32), torch.zeros(1, **f32), torch.ones(1, **f32)) == -math.inf
assert diag_gaussian_log_pdf(torch.ones(1, 1, **f32), torch.zeros(1, **f32), torch.tensor([1e-40], **f32)) == -math.inf
for dtype, exponent, t_zero in ((torch.float32, 150, "14.36"), (torch.float64, 1075, "38.58")):  # the far point's row
    for sigma in (1.0, 10.0):  # for N(0, sigma^2), t^2/2 at the threshold moves by -log sigma
        t = math.sqrt(2 * (exponent * math.log(2) - 0.5 * math.log(2 * math.pi) - math.log(sigma)))
        near = Normal(torch.tensor(0.0, dtype=dtype), sigma).log_prob(sigma * torch.tensor([t - 0.05, t + 0.05], dtype=dtype)).exp()
        assert near[0] > 0 == near[1] and (sigma != 1.0 or f"{t:.2f}" == t_zero)


# %% density-not-probability
assert (f"{peak:.3f}", f"{area:.4f}", f"{peak.log():.2f}") == ("3.989", "1.0000", "1.38")  # a positive log-density


# %% diagonal-covariance-costs
assert f"{opposite:.0%}" == "14%" and f"{rho_hat:.3f}" == "0.905"
squared_mahalanobis = ((Y - centre) @ torch.linalg.inv(Sigma_hat) * (Y - centre)).sum(dim=1)  # (800,), the tilted full fit
for r2, share in ((1, "39%"), (4, "86%")):  # 1 sigma and 2 sigma: 1 - e^{-r2/2} of any 2-D Gaussian
    assert f"{1 - math.exp(-r2 / 2):.0%}" == share == f"{(squared_mahalanobis <= r2).double().mean():.0%}"
assert f"{0.5 - math.asin(rho_hat) / math.pi:.0%}" == "14%"  # the full fit's probability of opposite signs
assert torch.allclose(((Y - centre) ** 2).mean(dim=0), Sigma_hat.diagonal())  # the ML diagonal fit is the diagonal of Sigma_hat


# %% diagonal-covariance-costs-2
assert f"{diagonal_cost(true_cov):.2f}" == f"{-0.5 * math.log(1 - 0.9**2):.2f}" == "0.83"
assert diagonal_cost(torch.diag(true_cov.diagonal())) == 0


# %% optional-deriving-cost
assert f"{gap:.3f}" == "0.855" and f"{diagonal_cost(true_cov):.2f}" == "0.83" and rho_hat > 0.9
from torch.distributions import kl_divergence

assert torch.allclose(gap, diagonal_cost(Sigma_hat))  # the library, and KL(full || diagonal) (c40)
assert torch.allclose(gap, kl_divergence(MultivariateNormal(centre, Sigma_hat), MultivariateNormal(centre, torch.diag(Sigma_hat.diagonal()))))
A = torch.randn(4, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
Sigma4 = A @ A.T + torch.eye(4, dtype=torch.float64)  # a 4-D covariance
sd = Sigma4.diagonal().sqrt()
assert torch.allclose(diagonal_cost(Sigma4), -0.5 * torch.logdet(Sigma4 / sd[:, None] / sd[None, :]))  # any D: -1/2 log|R|
assert diagonal_cost(Sigma4) > 0 and diagonal_cost(torch.diag(Sigma4.diagonal())) == 0  # >= 0, and 0 when R = I


# %% optional-several-diagonal-components
assert all(fit.converged for fit in fits.values())
assert per_point[1] < per_point[3] < per_point[6] < log_full.mean() < per_point[6] + 0.05 and f"{per_point[1]:.3f}" == "-3.496"
assert n_parameters(6, 2, False) == 29 and n_parameters(1, 2, True) == 5 and n_parameters(1, 1000, True) - n_parameters(1, 1000, False) == 500_500 - 1000
assert n_parameters(1, 1000, True) == 501_500 and n_parameters(1, 1000, False) == 2_000 and n_parameters(1, 1000, True) // 2_000 == 250


# %% play-2-d-gaussian
covs = [torch.tensor([[4.0, 2 * rho], [2 * rho, 1.0]], dtype=torch.float64) for rho in correlations + [-0.9]]  # variances 4 and 1
costs = [diagonal_cost(cov).item() for cov in covs]
peaks = [MultivariateNormal(torch.zeros(2, dtype=torch.float64), cov).log_prob(torch.zeros(2, dtype=torch.float64)).exp().item() for cov in covs]
assert costs[0] == 0 and costs[0] < costs[1] < costs[2] and peaks[0] < peaks[1] < peaks[2]  # both grow with rho
assert math.isclose(costs[3], costs[2]) and math.isclose(peaks[3], peaks[2])  # the same for rho and -rho
assert all(peak < 0.2 for peak in peaks)
assert all(f"peak {peak:.3f}" in ax.get_title() for peak, ax in zip(peaks, axes))  # the titles' peak formula
scaled = [diagonal_cost(torch.tensor([[a, 0.6 * (a * b) ** 0.5], [0.6 * (a * b) ** 0.5, b]], dtype=torch.float64)).item()
          for a, b in ((4.0, 1.0), (0.25, 0.25), (2.0, 8.0))]
assert max(scaled) - min(scaled) < 1e-12  # at a fixed rho the cost does not depend on the variances
level = torch.tensor([[8.0, 0.9 * (8 / 32) ** 0.5], [0.9 * (8 / 32) ** 0.5, 1 / 32]], dtype=torch.float64)  # 8 and 1/32, rho = 0.9
major = torch.linalg.eigh(level).eigenvectors[:, -1]
assert math.isclose(diagonal_cost(level), costs[2]) and math.degrees(math.atan(abs(major[1] / major[0]))) < 5  # almost level
