"""torch.save / torch.load between the kernel and real PyTorch, both ways, in PyTorch's zip
format: state_dicts load into the twin model and give the same outputs; dtypes, 0-d tensors,
views and Parameters survive; weights_only=True is the default on both sides."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
import torchpad.kernel.nn as knn


def _models():
    T.manual_seed(0)
    tm = T.nn.Sequential(T.nn.Linear(4, 6), T.nn.BatchNorm1d(6), T.nn.ReLU(), T.nn.Linear(6, 3))
    km = knn.Sequential(knn.Linear(4, 6), knn.BatchNorm1d(6), knn.ReLU(), knn.Linear(6, 3))
    return km, tm


def _forward_both(km, tm):
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    km.eval()
    tm.eval()
    return km(K.tensor(x)).detach().numpy(), tm(T.tensor(x)).detach().numpy()


def test_kernel_state_dict_loads_in_pytorch(tmp_path):
    km, tm = _models()
    km.train()
    km(K.randn(8, 4))  # running statistics and num_batches_tracked move
    K.save(km.state_dict(), tmp_path / "kernel.pt")
    sd = T.load(tmp_path / "kernel.pt")  # PyTorch's default: weights_only=True
    assert list(sd) == list(km.state_dict())
    assert sd["1.num_batches_tracked"].dtype == T.int64 and sd["1.num_batches_tracked"].item() == 1
    tm.load_state_dict(sd)
    k_out, t_out = _forward_both(km, tm)
    np.testing.assert_allclose(k_out, t_out, rtol=1e-5, atol=1e-6)


def test_pytorch_state_dict_loads_in_kernel(tmp_path):
    km, tm = _models()
    tm.train()
    tm(T.randn(8, 4))
    T.save(tm.state_dict(), tmp_path / "torch.pt")
    sd = K.load(tmp_path / "torch.pt")
    assert list(sd) == list(tm.state_dict())
    assert repr(km.load_state_dict(sd)) == "<All keys matched successfully>"
    k_out, t_out = _forward_both(km, tm)
    np.testing.assert_allclose(k_out, t_out, rtol=1e-5, atol=1e-6)


def test_transformer_state_dict_both_ways(tmp_path):
    T.manual_seed(0)
    args = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    tl, kl = T.nn.TransformerEncoderLayer(**args), knn.TransformerEncoderLayer(**args)
    T.save(tl.state_dict(), tmp_path / "t.pt")
    kl.load_state_dict(K.load(tmp_path / "t.pt"))
    K.save(kl.state_dict(), tmp_path / "k.pt")
    back = T.load(tmp_path / "k.pt")
    for name, value in tl.state_dict().items():
        assert T.equal(back[name], value), name


VALUES = {
    "float32": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    "float64": np.linspace(-1, 1, 5),
    "float16": np.array([0.5, -2.25, 1e-3], dtype=np.float16),
    "int64": np.array([[1, -2], [3, 2**40]], dtype=np.int64),
    "int32": np.array([7, -7], dtype=np.int32),
    "uint8": np.array([0, 255], dtype=np.uint8),
    "bool": np.array([True, False, True]),
    "scalar": np.array(3.5, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_dtypes_and_shapes_both_ways(name):
    a = VALUES[name]
    buf = io.BytesIO()
    K.save({"x": K.tensor(a)}, buf)
    buf.seek(0)
    t = T.load(buf)["x"]
    assert tuple(t.shape) == a.shape
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.numpy().dtype == a.dtype
    buf = io.BytesIO()
    T.save({"x": T.tensor(a)}, buf)
    buf.seek(0)
    k = K.load(buf)["x"]
    np.testing.assert_array_equal(k.numpy(), a)
    assert k.numpy().dtype == a.dtype and tuple(k.shape) == a.shape


def test_views_offsets_and_parameters(tmp_path):
    base = T.arange(24, dtype=T.float32).reshape(4, 6)
    p = T.nn.Parameter(T.ones(3))
    T.save({"t": base.t(), "row": base[2], "cols": base[:, 1::2], "p": p, "frozen": T.nn.Parameter(T.zeros(2), requires_grad=False)},
           tmp_path / "views.pt")
    got = K.load(tmp_path / "views.pt")
    for name in ("t", "row", "cols"):
        np.testing.assert_array_equal(got[name].numpy(), {"t": base.t(), "row": base[2], "cols": base[:, 1::2]}[name].numpy())
    assert isinstance(got["p"], knn.Parameter) and got["p"].requires_grad
    assert isinstance(got["frozen"], knn.Parameter) and not got["frozen"].requires_grad
    kb = K.arange(24, dtype=K.float32).reshape(4, 6)
    K.save({"t": kb.t(), "p": knn.Parameter(K.ones(3)), "g": K.ones(2, requires_grad=True)}, tmp_path / "k.pt")
    back = T.load(tmp_path / "k.pt")
    np.testing.assert_array_equal(back["t"].numpy(), kb.t().numpy())
    assert isinstance(back["p"], T.nn.Parameter) and back["p"].requires_grad and back["g"].requires_grad


def test_file_layout_is_pytorchs(tmp_path):
    K.save({"w": K.ones(3)}, tmp_path / "model.pt")
    with zipfile.ZipFile(tmp_path / "model.pt") as zf:
        names = zf.namelist()
        assert {"model/data.pkl", "model/byteorder", "model/data/0", "model/version"} <= set(names)
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if info.filename.startswith("model/data/"):
                data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
                assert data_start % 64 == 0


def test_weights_only_is_the_default(tmp_path):
    model = knn.Sequential(knn.Linear(2, 2))
    K.save(model, tmp_path / "module.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        K.load(tmp_path / "module.pt")
    back = K.load(tmp_path / "module.pt", weights_only=False)
    np.testing.assert_array_equal(back[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    T.save(T.nn.Linear(2, 2), tmp_path / "torch_module.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        K.load(tmp_path / "torch_module.pt")
    with pytest.raises(pickle.UnpicklingError, match="PyTorch object TorchPad's kernel cannot rebuild"):
        K.load(tmp_path / "torch_module.pt", weights_only=False)


def test_files_from_the_earlier_kernel_format_still_load(tmp_path):
    (tmp_path / "old.pt").write_bytes(pickle.dumps({"w": K.tensor([1.0, 2.0])}, protocol=2))
    assert K.load(tmp_path / "old.pt")["w"].tolist() == [1.0, 2.0]


def test_unsupported_arguments_raise():
    with pytest.raises(RuntimeError, match="_use_new_zipfile_serialization"):
        K.save(K.ones(1), io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="pickle_protocol"):
        K.save(K.ones(1), io.BytesIO(), pickle_protocol=4)
