# compare: values
"""Learning-rate schedules (the optimizer recipe): StepLR, ExponentialLR, MultiStepLR, ReduceLROnPlateau."""
import torch
import torch.nn as nn

model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.5, -0.5]]))
    model.bias.zero_()
x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
y = torch.tensor([[1.0], [2.0], [0.0]])

optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
for epoch in range(8):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(epoch, round(loss.item(), 5), scheduler.get_last_lr())

opt2 = torch.optim.Adam(model.parameters(), lr=0.01)
exp = torch.optim.lr_scheduler.ExponentialLR(opt2, gamma=0.9)
for _ in range(3):
    opt2.step()
    exp.step()
print([round(lr, 6) for lr in exp.get_last_lr()])

opt3 = torch.optim.SGD(model.parameters(), lr=1.0)
multi = torch.optim.lr_scheduler.MultiStepLR(opt3, milestones=[2, 4], gamma=0.1)
lrs = []
for _ in range(6):
    opt3.step()
    multi.step()
    lrs.append(round(opt3.param_groups[0]["lr"], 6))
print(lrs)

opt4 = torch.optim.SGD(model.parameters(), lr=1.0)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt4, mode="min", factor=0.5, patience=1)
for val_loss in [1.0, 0.9, 0.95, 0.96, 0.97, 0.5]:
    plateau.step(val_loss)
    print(val_loss, opt4.param_groups[0]["lr"])
