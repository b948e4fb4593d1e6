"""Regenerate `digits.npz` from the copy of the UCI digits that scikit-learn ships.

    pip install scikit-learn && python -m torchpad.datasets.make_digits

Run once by a maintainer; TorchPad itself never imports scikit-learn. The file holds the
1,797 8x8 images as uint8 (pixel counts 0..16) and their labels, compressed (~45 KB), so
the browser bundle stays small. Licence and source: DIGITS_NOTICE.txt beside it.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("digits.npz")


def main() -> None:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = d.images.astype(np.uint8)
    assert images.shape == (1797, 8, 8) and np.array_equal(images, d.images)
    np.savez_compressed(OUT, images=images, labels=d.target.astype(np.uint8))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
