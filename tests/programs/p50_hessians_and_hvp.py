# compare: values
"""Second-order autograd the way the tutorials use it: Hessians and Hessian-vector products with
torch.autograd.functional and torch.func, Newton's method from grad of grad, and a gradient
penalty that backpropagates through input gradients."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd.functional import hessian, hvp, vhp
from torch.func import functional_call, grad, jvp
from torch.func import hessian as func_hessian


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


x = torch.tensor([0.5, -1.2, 1.3])
v = torch.tensor([1.0, 0.5, -0.25])
print("rosenbrock", rosenbrock(x).item())
H = hessian(rosenbrock, x)
print("hessian", H.shape)
print(H)
value, Hv = hvp(rosenbrock, x, v)
print("hvp", Hv)
print("matches H @ v:", torch.allclose(Hv, H @ v, rtol=1e-4, atol=1e-3))
_, vH = vhp(rosenbrock, x, v)
print("vhp", vH)

# torch.func: hessian = jacfwd(jacrev(f)); an hvp as forward-over-reverse
print("func.hessian", func_hessian(rosenbrock)(x))
_, Hv_fwd = jvp(grad(rosenbrock), (x,), (v,))
print("jvp(grad(f))", Hv_fwd)

# Newton's method on a 1-D function with grad of grad
t = torch.tensor(2.0, requires_grad=True)
for step in range(5):
    y = t ** 4 - 3 * t ** 2 + t
    (dy,) = torch.autograd.grad(y, t, create_graph=True)
    (d2y,) = torch.autograd.grad(dy, t)
    with torch.no_grad():
        t -= dy / d2y
    print(f"newton step {step}: t = {t.item():.5f}, f'(t) = {dy.item():.5f}")


# the Hessian of a small model's loss with respect to its parameters
class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.fc2 = nn.Linear(3, 1)

    def forward(self, inp):
        return self.fc2(torch.tanh(self.fc1(inp)))


model = TinyNet()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + k).reshape(p.shape) * 0.5)
inputs = torch.cos(torch.arange(8, dtype=torch.float32) * 0.4).reshape(4, 2)
targets = torch.sin(torch.arange(4, dtype=torch.float32)).reshape(4, 1)
params = {name: p.detach() for name, p in model.named_parameters()}


def loss_of(fc2_weight):
    out = functional_call(model, {**params, "fc2.weight": fc2_weight}, (inputs,))
    return F.mse_loss(out, targets)


H_w = func_hessian(loss_of)(params["fc2.weight"])
print("loss hessian wrt fc2.weight", tuple(H_w.shape))
print(H_w.reshape(3, 3))

# a WGAN-GP-style gradient penalty: the norm of input gradients, then backward to the weights
critic = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
with torch.no_grad():
    for k, p in enumerate(critic.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.9 + k).reshape(p.shape) * 0.6)
points = inputs.clone().requires_grad_(True)
scores = critic(points)
(input_grads,) = torch.autograd.grad(scores, points, grad_outputs=torch.ones_like(scores), create_graph=True)
penalty = ((input_grads.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
print("penalty", penalty.item())
print("first layer grad", critic[0].weight.grad)

# backward(create_graph=True): the gradient itself has a graph
w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
(w.sin() * w).sum().backward(create_graph=True)
print("w.grad", w.grad)
(w.grad ** 2).sum().backward()
print("w.grad after second backward", w.grad)
