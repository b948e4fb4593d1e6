# A custom autograd Function
# Expected: prints the same gradients for the custom clamp-like ReLU as for torch.relu, then trains with it (loss falls)
#
# Subclass torch.autograd.Function with static forward and backward; ctx carries what the
# backward needs. This is the pattern of PyTorch's "Extending torch.autograd" tutorial.
import torch
import torch.nn as nn
import torchpad


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


x = torch.tensor([-2.0, -0.5, 0.5, 2.0], requires_grad=True)
MyReLU.apply(x).sum().backward()
print("custom relu grad:", x.grad)
x.grad = None
torch.relu(x).sum().backward()
print("torch.relu grad: ", x.grad)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        return self.fc2(MyReLU.apply(self.fc1(x)))


torch.manual_seed(0)
(X_train, y_train), (X_test, y_test) = torchpad.datasets.moons(n=600, seed=0)
net = Net()
optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
for step in range(100):
    loss = nn.functional.cross_entropy(net(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
acc = (net(X_test).argmax(dim=1) == y_test).float().mean().item()
torchpad.log(test_acc=acc)
print(f"moons with MyReLU: loss {loss.item():.3f}, test accuracy {acc:.1%}")
