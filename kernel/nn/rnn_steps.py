"""Recurrent layers run one time step at a time, from the cell ops: the path for PackedSequence
input (the batch shrinks as sequences end) and for LSTM's `proj_size` (h = W_hr (o * tanh(c))).

Padded input takes this path as a packed sequence whose batch never shrinks. Each step is a
cell call on the still-running prefix of the batch; a sequence's final state is the state at
its last step, as PyTorch returns it.
"""

from __future__ import annotations

import numpy as np

from .. import creation
from ..ops import recurrent as R
from ..ops.shape import cat, stack
from . import functional as F
from .utils.rnn import PackedSequence


def _lstm_projected(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
    gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return F.linear(o.sigmoid() * c.tanh(), w_hr), c


def _step(mode, x, h, c, weights):
    """One step of one layer and direction; weights as listed in _flat_weights (biases may be absent)."""
    w_ih, w_hh = weights[0], weights[1]
    b_ih, b_hh = (weights[2], weights[3]) if len(weights) in (4, 5) else (None, None)
    if mode == "LSTM":
        if len(weights) in (3, 5):
            return _lstm_projected(x, h, c, w_ih, w_hh, b_ih, b_hh, weights[-1])
        return R.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
    cell = {"GRU": R.gru_cell, "RNN_TANH": R.rnn_tanh_cell, "RNN_RELU": R.rnn_relu_cell}[mode]
    return cell(x, h, w_ih, w_hh, b_ih, b_hh), None


def _direction(mode, data, batch_sizes, h0, c0, weights, reverse):
    """Run one direction over packed `data`; returns (per-step outputs in data order, h_n, c_n)."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)])
    steps = len(batch_sizes)
    outputs = [None] * steps
    lstm = mode == "LSTM"
    if not reverse:
        h, c = h0, c0
        done_h, done_c = [], []
        for t in range(steps):
            n = int(batch_sizes[t])
            if n < h.shape[0]:  # sequences n.. ended at the previous step: keep their final states
                done_h.append(h[n:])
                h = h[:n]
                if lstm:
                    done_c.append(c[n:])
                    c = c[:n]
            h, c = _step(mode, data[int(offsets[t]):int(offsets[t + 1])], h, c, weights)
            outputs[t] = h
        h_n = cat([h] + done_h[::-1], 0) if done_h else h
        c_n = (cat([c] + done_c[::-1], 0) if done_c else c) if lstm else None
        return outputs, h_n, c_n
    n_last = int(batch_sizes[-1])
    h, c = h0[:n_last], (c0[:n_last] if lstm else None)
    for t in reversed(range(steps)):
        n = int(batch_sizes[t])
        if n > h.shape[0]:  # sequences start (from the end) here: they begin from their initial state
            h = cat([h, h0[h.shape[0]:n]], 0)
            if lstm:
                c = cat([c, c0[c.shape[0]:n]], 0)
        h, c = _step(mode, data[int(offsets[t]):int(offsets[t + 1])], h, c, weights)
        outputs[t] = h
    return outputs, h, c


def run(module, input, hx):
    """The module's forward on a PackedSequence or (for proj_size) a padded batch, step by step."""
    packed = isinstance(input, PackedSequence)
    lstm = module.mode == "LSTM"
    if packed:
        data, batch_sizes = input.data, input.batch_sizes.array
        batch = int(batch_sizes[0])
        sorted_indices, unsorted_indices = input.sorted_indices, input.unsorted_indices
        is_batched = True
    else:
        is_batched = module._batched(input, "LSTM" if lstm else module.mode)
        if not is_batched:
            input = input.unsqueeze(0 if module.batch_first else 1)
        x = input.transpose(0, 1) if module.batch_first else input
        steps, batch = x.shape[0], x.shape[1]
        data, batch_sizes = x.reshape(steps * batch, *x.shape[2:]), np.full(steps, batch, dtype=np.int64)
        sorted_indices = unsorted_indices = None
    module._check_input(data.unsqueeze(0))
    directions = 2 if module.bidirectional else 1
    out_size = module.proj_size or module.hidden_size
    h_shape = (module.num_layers * directions, batch, out_size)
    c_shape = (module.num_layers * directions, batch, module.hidden_size)
    if hx is None:
        h0 = creation.zeros(*h_shape, dtype=data.dtype)
        c0 = creation.zeros(*c_shape, dtype=data.dtype) if lstm else None
    else:
        h0, c0 = hx if lstm else (hx, None)
        if not is_batched:
            h0, c0 = h0.unsqueeze(1), (c0.unsqueeze(1) if lstm else None)
        if sorted_indices is not None:
            h0 = h0.index_select(1, sorted_indices)
            c0 = c0.index_select(1, sorted_indices) if lstm else None
        label = "Expected hidden[0] size {}, got {}" if lstm else "Expected hidden size {}, got {}"
        module._check_hidden(h0, h_shape, label)
        if lstm:
            module._check_hidden(c0, c_shape, "Expected hidden[1] size {}, got {}")
    layer_input, h_n, c_n = data, [], []
    for layer in range(module.num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            weights = [getattr(module, n) for n in module._all_weights[k]]
            steps_out, h, c = _direction(module.mode, layer_input, batch_sizes, h0[k], c0[k] if lstm else None,
                                         weights, reverse=d == 1)
            outs.append(cat(steps_out, 0))
            h_n.append(h)
            c_n.append(c)
        layer_input = outs[0] if directions == 1 else cat(outs, 1)
        if module.dropout and module.training and layer < module.num_layers - 1:
            layer_input = F.dropout(layer_input, module.dropout, True)
    h_n = stack(h_n, 0)
    c_n = stack(c_n, 0) if lstm else None
    if unsorted_indices is not None:
        h_n = h_n.index_select(1, unsorted_indices)
        c_n = c_n.index_select(1, unsorted_indices) if lstm else None
    if packed:
        output = PackedSequence(layer_input, input.batch_sizes, sorted_indices, unsorted_indices)
    else:
        output = layer_input.reshape(len(batch_sizes), batch, -1)
        if module.batch_first:
            output = output.transpose(0, 1)
        if not is_batched:
            output = output.squeeze(0 if module.batch_first else 1)
            h_n, c_n = h_n.squeeze(1), (c_n.squeeze(1) if lstm else None)
    return (output, (h_n, c_n)) if lstm else (output, h_n)


