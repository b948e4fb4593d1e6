# compare: values
"""Self-attention with nn.MultiheadAttention and F.scaled_dot_product_attention: shapes, weights, a causal mask."""
import torch
import torch.nn as nn
import torch.nn.functional as F

embed_dim, num_heads, seq, batch = 8, 2, 5, 2
mha = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
with torch.no_grad():
    for k, p in enumerate(mha.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.23 + k).reshape(p.shape) * 0.3)
print([name for name, _ in mha.named_parameters()])
x = torch.cos(torch.arange(batch * seq * embed_dim, dtype=torch.float32) * 0.11).reshape(batch, seq, embed_dim)
out, weights = mha(x, x, x)
print(out.shape, weights.shape)
print(weights[0].sum(dim=-1))
print(out[0, 0].detach())

mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
out, weights = mha(x, x, x, attn_mask=mask)
print(weights[0].detach())
padding = torch.tensor([[False] * seq, [False, False, False, True, True]])
out, weights = mha(x, x, x, key_padding_mask=padding, average_attn_weights=False)
print(weights.shape, weights[1, 0, :, 3:].abs().sum().item())

q = k = v = x.view(batch, seq, num_heads, embed_dim // num_heads).transpose(1, 2)
y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
manual = (q @ k.transpose(-2, -1) / (embed_dim // num_heads) ** 0.5).masked_fill(mask, float("-inf")).softmax(-1) @ v
print(y.shape, torch.allclose(y, manual, atol=1e-6))

x.requires_grad_()
loss = mha(x, x, x, need_weights=False)[0].pow(2).mean()
loss.backward()
print(round(loss.item(), 5), x.grad.abs().sum().item() > 0, mha.in_proj_weight.grad.shape)
