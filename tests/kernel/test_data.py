"""torch.utils.data against real PyTorch: batching, collation, shuffling, splits, samplers."""

import numpy as np
import pytest
import torch as T
import torch.utils.data as td

import torchpad.kernel as K
import torchpad.kernel.utils.data as kd

from .parity import assert_close, same_error


def _tensor_datasets(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 4
    return kd.TensorDataset(K.tensor(x), K.tensor(y)), td.TensorDataset(T.tensor(x), T.tensor(y))


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, False), (16, False)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    dk, dt = _tensor_datasets()
    lk, lt = kd.DataLoader(dk, batch_size=batch_size, drop_last=drop_last), td.DataLoader(dt, batch_size=batch_size, drop_last=drop_last)
    assert len(lk) == len(lt)
    bk, bt = list(lk), list(lt)
    assert len(bk) == len(bt)
    for (xk, yk), (xt, yt) in zip(bk, bt):
        assert isinstance(xk, K.Tensor)
        assert_close(xk, xt)
        assert_close(yk, yt)


def test_shuffle_is_a_permutation_each_epoch():
    dk, _ = _tensor_datasets(20)
    K.manual_seed(0)
    loader = kd.DataLoader(dk, batch_size=6, shuffle=True)
    epochs = [np.concatenate([y.numpy() for _, y in loader]) for _ in range(2)]
    seen = [np.concatenate([x.numpy()[:, 0] // 3 for x, _ in loader]).astype(int) for _ in range(1)]
    assert sorted(seen[0].tolist()) == list(range(20))
    assert len(epochs[0]) == 20
    firsts = [next(iter(loader))[0].numpy()[:, 0] for _ in range(3)]
    assert any(not np.array_equal(firsts[0], f) for f in firsts[1:])


class Pairs(kd.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": K.full((2,), float(i)), "label": i % 3, "weight": i / 2, "name": f"s{i}", "np": np.ones(2) * i}


class PairsT(td.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": T.full((2,), float(i)), "label": i % 3, "weight": i / 2, "name": f"s{i}", "np": np.ones(2) * i}


def test_default_collation_of_dicts_numbers_strings_and_arrays():
    bk = next(iter(kd.DataLoader(Pairs(5), batch_size=4)))
    bt = next(iter(td.DataLoader(PairsT(5), batch_size=4)))
    assert list(bk) == list(bt)
    for key in ("x", "label", "weight", "np"):
        assert_close(bk[key], bt[key])
    assert bk["name"] == bt["name"]


def test_collation_of_tuples_and_lists():
    samples = [(K.tensor([i, i]), i, [float(i), 2.0 * i]) for i in range(3)]
    samples_t = [(T.tensor([i, i]), i, [float(i), 2.0 * i]) for i in range(3)]
    bk, bt = kd.default_collate(samples), td.default_collate(samples_t)
    assert type(bk) is type(bt) and len(bk) == len(bt)
    assert_close(bk[0], bt[0])
    assert_close(bk[1], bt[1])
    for a, b in zip(bk[2], bt[2]):
        assert_close(a, b)
    same_error(lambda: kd.default_collate([K.zeros(3), K.zeros(4)]), lambda: td.default_collate([T.zeros(3), T.zeros(4)]))


def test_collate_fn_num_workers_and_batch_size_none():
    dk, dt = _tensor_datasets(6)
    lk = kd.DataLoader(dk, batch_size=4, num_workers=2, collate_fn=lambda batch: len(batch))
    assert list(lk) == [4, 2]
    unbatched = list(kd.DataLoader(dk, batch_size=None))
    assert len(unbatched) == 6 and unbatched[0][0].shape == (3,)


def test_random_split_lengths_and_fractions():
    dk, dt = _tensor_datasets(10)
    for lengths in ([7, 3], [0.5, 0.3, 0.2], [0.34, 0.33, 0.33]):
        sk, st = kd.random_split(dk, lengths), td.random_split(dt, lengths)
        assert [len(s) for s in sk] == [len(s) for s in st]
        covered = sorted(i for s in sk for i in s.indices)
        assert covered == list(range(10))
    same_error(lambda: kd.random_split(dk, [5, 4]), lambda: td.random_split(dt, [5, 4]))
    g = K.Generator().manual_seed(3)
    a = [s.indices for s in kd.random_split(dk, [5, 5], generator=g)]
    b = [s.indices for s in kd.random_split(dk, [5, 5], generator=K.Generator().manual_seed(3))]
    assert a == b


def test_subset_concat_and_samplers():
    dk, _ = _tensor_datasets(10)
    sub = kd.Subset(dk, [9, 0, 4])
    assert len(sub) == 3 and sub[0][1].item() == 9 % 4
    cat = dk + sub
    assert len(cat) == 13 and cat[10][0].tolist() == dk[9][0].tolist()
    assert list(kd.SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert sorted(kd.RandomSampler(range(7))) == list(range(7))
    assert list(kd.BatchSampler(kd.SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(kd.BatchSampler(range(5), 2, drop_last=True)) == 2
    loader = kd.DataLoader(dk, batch_sampler=kd.BatchSampler(kd.SequentialSampler(dk), 4, False))
    assert [len(y) for _, y in loader] == [4, 4, 2]
    same_error(lambda: kd.DataLoader(dk, sampler=kd.SequentialSampler(dk), shuffle=True),
               lambda: td.DataLoader(dk, sampler=td.SequentialSampler(dk), shuffle=True))


def test_iterable_dataset():
    class Stream(kd.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in kd.DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]


def test_tensor_dataset_size_mismatch():
    same_error(lambda: kd.TensorDataset(K.zeros(3), K.zeros(4)), lambda: td.TensorDataset(T.zeros(3), T.zeros(4)))
