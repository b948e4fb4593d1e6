# compare: values
"""Continuous bag of words: predict a word from the words around it (the NLP tutorial's exercise)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

CONTEXT_SIZE = 2
raw_text = """We are about to study the idea of a computational process.
Computational processes are abstract beings that inhabit computers.
As they evolve, processes manipulate other abstract things called data.""".split()
vocab = sorted(set(raw_text))
vocab_size = len(vocab)
word_to_ix = {word: i for i, word in enumerate(vocab)}
data = []
for i in range(CONTEXT_SIZE, len(raw_text) - CONTEXT_SIZE):
    context = [raw_text[i - j] for j in (2, 1)] + [raw_text[i + j] for j in (1, 2)]
    data.append((context, raw_text[i]))
print(data[:2])


class CBOW(nn.Module):
    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear = nn.Linear(embedding_dim, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).sum(dim=0, keepdim=True)
        return F.log_softmax(self.linear(embeds), dim=1)


def make_context_vector(context, word_to_ix):
    idxs = [word_to_ix[w] for w in context]
    return torch.tensor(idxs, dtype=torch.long)


model = CBOW(vocab_size, 8)
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 1.7 + k).reshape(p.shape) * 0.2)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.NLLLoss()
for epoch in range(20):
    total = 0.0
    for context, target in data:
        optimizer.zero_grad()
        log_probs = model(make_context_vector(context, word_to_ix))
        loss = loss_fn(log_probs, torch.tensor([word_to_ix[target]]))
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch % 5 == 4:
        print(epoch, round(total, 3))
with torch.no_grad():
    guess = model(make_context_vector(data[3][0], word_to_ix)).argmax().item()
print(data[3][1], vocab[guess])
