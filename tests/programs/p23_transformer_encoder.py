# compare: values
"""A small Transformer encoder classifier (the pattern of the language-modeling tutorials), a few training steps."""
import math

import torch
import torch.nn as nn


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:x.size(0)]


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers):
        super().__init__()
        self.pos_encoder = PositionalEncoding(d_model)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout=0.0)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, src_mask)
        return self.linear(output)


ntokens = 10
model = TransformerModel(ntokens, 16, 2, 32, 2)
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.19 + k).reshape(p.shape) * 0.2)
print(sum(p.numel() for p in model.parameters()))
data = (torch.arange(12 * 4).reshape(12, 4) * 7 % ntokens)
inputs, targets = data[:-1], data[1:]
src_mask = nn.Transformer.generate_square_subsequent_mask(inputs.size(0))
print(src_mask[:3, :3])
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
model.train()
for step in range(4):
    output = model(inputs, src_mask)
    loss = criterion(output.view(-1, ntokens), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()
    print(step, round(loss.item(), 4), round(math.exp(loss.item()), 3))
model.eval()
with torch.no_grad():
    print(model(inputs[:3], src_mask[:3, :3]).argmax(-1).tolist())
