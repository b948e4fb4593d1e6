# compare: values
"""Variable-length batches: pad_sequence, pack_padded_sequence through an LSTM, pad_packed_sequence."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

seqs = [torch.arange(n, dtype=torch.float32).unsqueeze(1) * 0.1 + 0.05 * k for k, n in enumerate((4, 2, 5))]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(padded.squeeze(-1))
print(lengths)

lstm = nn.LSTM(input_size=1, hidden_size=3, batch_first=True)
with torch.no_grad():
    for k, p in enumerate(lstm.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) + k).reshape(p.shape) * 0.5)
packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
print(packed.batch_sizes, packed.sorted_indices)
packed_out, (h_n, c_n) = lstm(packed)
out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
print(out.shape, out_lengths)
print(h_n)
last = out[torch.arange(3), out_lengths - 1]
print(torch.allclose(last, h_n[0]))

head = nn.Linear(3, 1)
with torch.no_grad():
    head.weight.copy_(torch.tensor([[0.3, -0.2, 0.5]]))
    head.bias.fill_(0.1)
target = torch.tensor([[1.0], [0.0], [1.0]])
opt = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.5)
for step in range(5):
    opt.zero_grad()
    _, (h, _) = lstm(pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False))
    loss = nn.functional.binary_cross_entropy_with_logits(head(h[-1]), target)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))

gru = nn.GRU(1, 2, bidirectional=True)
with torch.no_grad():
    for k, p in enumerate(gru.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) + k).reshape(p.shape) * 0.4)
packed = nn.utils.rnn.pack_sequence(sorted(seqs, key=len, reverse=True))
o, h = gru(packed)
print(nn.utils.rnn.pad_packed_sequence(o)[0].shape, h)
