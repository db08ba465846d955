"""Where the project's packages are installed (everything else is in pyproject.toml).

A wheel installs one import name, `torchdrill`: the folders checker/, reference/, quizzes/ and buggy_examples/ go
to torchdrill/_lib/, which only torchdrill's commands, its children and `import torchdrill` put on sys.path (see
torchdrill/__init__.py). An editable install (`pip install -e .`, as `make setup` does in a clone) keeps them
importable under their own names, so that the clone works as it always has.
"""
import sys

from setuptools import find_namespace_packages, setup

OURS = ("checker", "reference", "quizzes", "buggy_examples")
found = find_namespace_packages(include=[f"{name}*" for name in OURS], exclude=["*.__pycache__"])

if "editable_wheel" in sys.argv or "develop" in sys.argv:
    setup(packages=["torchdrill", *found])
else:
    setup(packages=["torchdrill", *(f"torchdrill._lib.{package}" for package in found)],
          package_dir={f"torchdrill._lib.{name}": name for name in OURS})
