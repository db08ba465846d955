"""Deleting what a run could write in, without ever following a link it planted (standard library only, so that
a warm worker inside the OS boundary can use it too)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path


def remove_tree(folder: Path) -> None:
    """Delete `folder` and everything in it. A folder the run made unwritable is made writable again first,
    through a descriptor opened without following links: a link is deleted as a link, never followed to change
    what it names."""
    _make_writable(str(folder.parent), folder.name)
    for parent, dirs, _ in os.walk(folder):  # os.walk lists a link to a folder among `dirs`, never enters it
        for name in dirs:
            _make_writable(parent, name)
    shutil.rmtree(folder, ignore_errors=True)  # rmtree unlinks links, never follows them


def empty_folder(folder: Path, keep: frozenset[str] = frozenset()) -> None:
    """Delete everything inside `folder`, which stays, except the entries whose paths are in `keep`."""
    _make_writable(str(folder.parent), folder.name)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = folder / name
        if str(path) in keep:
            continue
        if path.is_dir() and not path.is_symlink():
            remove_tree(path)
        else:
            try:
                path.unlink()
            except OSError:
                pass


def _make_writable(parent: str, name: str) -> None:
    try:
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:  # O_PATH opens even a folder of mode 000; with O_NOFOLLOW and O_DIRECTORY, never a link
        fd = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
        try:
            os.chmod(f"/proc/self/fd/{fd}", 0o755)  # that very folder, whatever its path has become
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass  # a link (refused), gone, or no O_PATH on this system
    finally:
        os.close(parent_fd)
