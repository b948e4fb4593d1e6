# compare: structure
"""A tiny variational autoencoder: reparameterised Normal samples, KL to the prior, ELBO training."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

torch.manual_seed(1)


class VAE(nn.Module):
    def __init__(self, d=8, z=2):
        super().__init__()
        self.enc = nn.Linear(d, 16)
        self.mu = nn.Linear(16, z)
        self.logvar = nn.Linear(16, z)
        self.dec = nn.Sequential(nn.Linear(z, 16), nn.ReLU(), nn.Linear(16, d))

    def forward(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        q = Normal(mu, torch.exp(0.5 * logvar))
        z = q.rsample()
        return self.dec(z), q


data = (torch.rand(64, 8) > 0.5).float()
model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
prior = Normal(torch.zeros(2), torch.ones(2))
first = None
for epoch in range(40):
    recon, q = model(data)
    rec = F.binary_cross_entropy_with_logits(recon, data, reduction="sum") / len(data)
    kl = kl_divergence(q, prior).sum(-1).mean()
    loss = rec + kl
    opt.zero_grad()
    loss.backward()
    opt.step()
    first = first if first is not None else loss.item()
    if epoch % 10 == 9:
        print(f"epoch {epoch}: recon {rec.item():.3f} kl {kl.item():.3f}")
print("ok: the ELBO improved" if loss.item() < first else "did not improve")
with torch.no_grad():
    samples = torch.sigmoid(model.dec(prior.sample((3,))))
print(samples.shape, "ok: probabilities" if bool(((samples >= 0) & (samples <= 1)).all()) else "bad")
