"""Small datasets that need no download, as tensors of whichever `torch` is running.

Every function returns a train/test split, deterministic for a given `seed`:

    (X_train, y_train), (X_test, y_test) = torchpad.datasets.shapes(n=2000, seed=0)

`X` is float32, `y` holds int64 class indices (ready for `nn.CrossEntropyLoss`); `test_size`
is the fraction held out (default 0.2). The tensors come from `sys.modules["torch"]`: the
kernel in the browser, real PyTorch on the server, so the same script runs in both.

    digits()                     1,797 8x8 handwritten digits, X: (N, 1, 8, 8) in [0, 1], 10 classes
    shapes(n, size=32)           RGB circles, squares, triangles: X: (N, 3, size, size) in [0, 1], 3 classes
    spirals(n, classes=3)        interleaved 2-D spirals: X: (N, 2)
    moons(n)                     two interleaved half circles: X: (N, 2), 2 classes
    sine_sequences(n, length=50) noisy sine waves, label = frequency band: X: (N, length, 1), 4 classes
    from_csv(path, target=...)   your own CSV file (from the working directory) as X (and y)

Class names for the image sets are in `SHAPE_CLASSES` and `DIGIT_CLASSES`.
"""

from .files import from_csv
from .images import DIGIT_CLASSES, SHAPE_CLASSES, digits, shapes
from .sequences import sine_sequences
from .toy import moons, spirals

__all__ = ["digits", "shapes", "spirals", "moons", "sine_sequences", "from_csv", "SHAPE_CLASSES", "DIGIT_CLASSES"]
