"""Package discovery for the torchpad distribution.

The sources keep their top-level folders (kernel/, server/, web/) but install under one import
name: torchpad.kernel, torchpad.server and torchpad.web (the built page, web/dist, as package
data). setuptools' `packages.find` cannot rename folders, so the list is found here, from the
folders' __init__.py files, instead of being written out by hand in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = {"torchpad": "torchpad", "torchpad.kernel": "kernel", "torchpad.server": "server", "torchpad.web": "web"}


def discovered_packages() -> list[str]:
    """Each root and every package below it, named under its import root."""
    return [name for root, folder in ROOTS.items() for name in [root, *(f"{root}.{sub}" for sub in find_packages(folder))]]


setup(package_dir=ROOTS, packages=discovered_packages())
