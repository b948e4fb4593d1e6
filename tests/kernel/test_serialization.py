"""torch.save / torch.load round trips: tensors, state dicts, optimizer state, whole modules."""

import io

import numpy as np

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.optim as koptim


def test_tensor_round_trip_path_and_file_object(tmp_path):
    t = K.arange(6, dtype=K.float64).reshape(2, 3)
    K.save(t, tmp_path / "t.pt")
    back = K.load(tmp_path / "t.pt", weights_only=True)
    assert isinstance(back, K.Tensor) and back.dtype == K.float64 and back.tolist() == t.tolist()
    K.save({"a": t, "b": [K.tensor(1), (2, "x")]}, str(tmp_path / "n.pt"))
    nested = K.load(str(tmp_path / "n.pt"), map_location="cpu")
    assert nested["b"][0].item() == 1 and nested["b"][1] == (2, "x")
    buf = io.BytesIO()
    K.save(t, buf)
    buf.seek(0)
    assert K.load(buf).tolist() == t.tolist()


def test_model_and_optimizer_checkpoint(tmp_path):
    model = knn.Sequential(knn.Linear(4, 3), knn.ReLU(), knn.Linear(3, 2))
    opt = koptim.Adam(model.parameters(), lr=0.01)
    model(K.randn(5, 4)).sum().backward()
    opt.step()
    K.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt.pt")
    ckpt = K.load(tmp_path / "ckpt.pt")
    fresh = knn.Sequential(knn.Linear(4, 3), knn.ReLU(), knn.Linear(3, 2))
    assert repr(fresh.load_state_dict(ckpt["model"])) == "<All keys matched successfully>"
    x = K.randn(2, 4)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    opt2 = koptim.Adam(fresh.parameters())
    opt2.load_state_dict(ckpt["opt"])
    assert opt2.state_dict()["state"][0]["step"].item() == 1.0 and ckpt["epoch"] == 3


def test_whole_module_round_trip(tmp_path):
    model = knn.Sequential(knn.Linear(2, 2), knn.Tanh())
    K.save(model, tmp_path / "m.pt")
    back = K.load(tmp_path / "m.pt", weights_only=False)
    assert isinstance(back[0].weight, knn.Parameter)
    assert back[0].weight.tolist() == model[0].weight.tolist()
