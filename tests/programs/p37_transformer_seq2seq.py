# compare: values
"""nn.Transformer as a sequence-to-sequence model: causal target mask, padding masks, greedy decoding."""
import torch
import torch.nn as nn


class Seq2SeqTransformer(nn.Module):
    def __init__(self, vocab, d_model=16, nhead=2):
        super().__init__()
        self.src_emb = nn.Embedding(vocab, d_model)
        self.tgt_emb = nn.Embedding(vocab, d_model)
        self.transformer = nn.Transformer(d_model=d_model, nhead=nhead, num_encoder_layers=1, num_decoder_layers=1,
                                          dim_feedforward=32, dropout=0.0, batch_first=True)
        self.generator = nn.Linear(d_model, vocab)

    def forward(self, src, tgt, src_padding_mask=None, tgt_padding_mask=None):
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        out = self.transformer(self.src_emb(src), self.tgt_emb(tgt), tgt_mask=tgt_mask,
                               src_key_padding_mask=src_padding_mask, tgt_key_padding_mask=tgt_padding_mask,
                               memory_key_padding_mask=src_padding_mask)
        return self.generator(out)


PAD, BOS = 0, 1
vocab = 8
model = Seq2SeqTransformer(vocab)
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.31 + k).reshape(p.shape) * 0.25)
print([name for name, _ in model.named_parameters()][:6])
print(nn.Transformer.generate_square_subsequent_mask(3))

src = torch.tensor([[2, 3, 4, 5], [6, 7, 2, PAD]])
tgt = torch.tensor([[BOS, 5, 4, 3, 2], [BOS, 2, 7, 6, PAD]])
src_pad = src == PAD
tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(6):
    logits = model(src, tgt_in, src_pad, tgt_in == PAD)
    loss = loss_fn(logits.reshape(-1, vocab), tgt_out.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, round(loss.item(), 4))

model.eval()
with torch.no_grad():
    memory = model.transformer.encoder(model.src_emb(src[:1]))
    ys = torch.tensor([[BOS]])
    for _ in range(4):
        mask = nn.Transformer.generate_square_subsequent_mask(ys.size(1))
        out = model.transformer.decoder(model.tgt_emb(ys), memory, tgt_mask=mask)
        next_word = model.generator(out[:, -1]).argmax(dim=-1, keepdim=True)
        ys = torch.cat([ys, next_word], dim=1)
print(ys.tolist())
