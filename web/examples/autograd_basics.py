# Autograd basics
# Expected: prints y = 13.0, dy/dx = tensor([4., 6.]), then gradient descent drives w to about 3.0 (charts loss)
#
# Tensors that require grad record the operations on them; .backward() fills .grad with
# the derivative. The same few lines are all a training loop is made of.
import torch
import torchpad

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = (x ** 2).sum()               # y = x0^2 + x1^2
y.backward()                     # dy/dx = 2x
print("y =", y.item())
print("dy/dx =", x.grad)
print("y.grad_fn:", y.grad_fn.name(), "| x is a leaf:", x.is_leaf)

# Gradients accumulate until you zero them
y2 = (3 * x).sum()
y2.backward()
print("after a second backward, x.grad =", x.grad)
x.grad.zero_()

# Inside no_grad nothing is recorded
with torch.no_grad():
    z = x * 2
print("z.requires_grad inside no_grad:", z.requires_grad)

# Fit w in y = w * x by gradient descent, by hand
torch.manual_seed(0)
xs = torch.linspace(-1, 1, 50)
ys = 3.0 * xs + 0.1 * torch.randn(50)
w = torch.zeros(1, requires_grad=True)
for step in range(30):
    loss = ((w * xs - ys) ** 2).mean()
    loss.backward()              # logs `loss` to the chart automatically
    with torch.no_grad():
        w -= 0.5 * w.grad
    w.grad.zero_()
    if step % 10 == 9:
        print(f"step {step + 1}: loss {loss.item():.4f}, w = {w.item():.3f}")
torchpad.log(w=w.item())
