# compare: structure
"""REINFORCE on a two-armed bandit with torch.distributions.Categorical (the RL examples' pattern)."""
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions import Categorical, Normal

torch.manual_seed(0)


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(2, 16)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = torch.relu(self.affine1(x))
        action_scores = self.affine2(x)
        return torch.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=5e-2)
state = torch.tensor([[1.0, 0.0]])


def select_action(state):
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


for episode in range(60):
    for t in range(8):
        action = select_action(state)
        policy.rewards.append(1.0 if action == 1 else 0.0)
    returns = torch.tensor(policy.rewards)
    returns = returns - returns.mean()
    policy_loss = torch.cat([-lp * r for lp, r in zip(policy.saved_log_probs, returns)]).sum()
    optimizer.zero_grad()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    if episode % 20 == 19:
        print(f"Episode {episode}\tprob of the good arm: {policy(state)[0, 1].item():.2f}")
print("ok: learned the good arm" if policy(state)[0, 1].item() > 0.6 else "not learned")

dist = Normal(torch.tensor([0.0]), torch.tensor([1.0]))
sample = dist.sample((4,))
print(sample.shape, dist.log_prob(sample).shape, dist.entropy())
mu = torch.tensor([0.5], requires_grad=True)
z = Normal(mu, torch.tensor([2.0])).rsample((1000,))
z.mean().backward()
print("ok: rsample gradient", mu.grad)
c = Categorical(logits=torch.tensor([0.0, 1.0, 2.0]))
print(c.probs, c.entropy(), c.log_prob(torch.tensor(2)))
