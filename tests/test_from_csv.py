"""torchpad.datasets.from_csv: a user's CSV file as tensors of the running torch (real PyTorch or the kernel)."""

import pytest
import torch

import torchpad.datasets as D
import torchpad.kernel as K
from torchpad.kernel import alias


@pytest.fixture
def iris(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal,petal,species\n5.1,1.4,setosa\n6.2,4.5,versicolor\n5.0,1.3,setosa\n")
    return path


def test_features_and_word_labels(iris):
    classes = []
    X, y = D.from_csv(iris, target="species", classes=classes)
    assert isinstance(X, torch.Tensor) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert X.flatten().tolist() == pytest.approx([5.1, 1.4, 6.2, 4.5, 5.0, 1.3])
    assert y.tolist() == [0, 1, 0] and classes == ["setosa", "versicolor"]


def test_no_header_integer_and_float_targets(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,4,2\n\n5,6,1\n")
    X = D.from_csv(path)
    assert X.shape == (3, 3)
    X, y = D.from_csv(path, target=-1)
    assert X.tolist() == [[1, 2], [3, 4], [5, 6]] and y.dtype == torch.int64 and y.tolist() == [0, 2, 1]
    path.write_text("x;y\n1;0.5\n2;1.5\n")
    X, y = D.from_csv(path, target="y", delimiter=";")
    assert y.dtype == torch.float32 and y.tolist() == [0.5, 1.5]


def test_the_kernel_gets_kernel_tensors(iris):
    alias.install()
    try:
        X, y = D.from_csv(iris, target="species")
        assert isinstance(X, K.Tensor) and X.dtype == K.float32 and y.dtype == K.int64
    finally:
        alias.uninstall()


def test_bad_files_say_where(tmp_path, iris):
    with pytest.raises(ValueError, match=r"no column 'label' in .*iris.csv; columns: sepal, petal, species"):
        D.from_csv(iris, target="label")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match=r"data row 2, column 'b': 'oops' is not a number"):
        D.from_csv(bad)
    bad.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match=r"data row 2 has 1 columns, expected 2"):
        D.from_csv(bad)
    with pytest.raises(FileNotFoundError):
        D.from_csv(tmp_path / "missing.csv")
