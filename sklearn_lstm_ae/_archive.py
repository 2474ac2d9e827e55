"""Archive files: atomic, durable writes, and zip members read only within size limits."""

import errno
import io
import os
import secrets
import shutil
import stat
import tempfile
import warnings
import zipfile

__all__ = [
    "atomic_directory",
    "atomic_write",
    "check_members",
    "check_names",
    "check_nested_zip",
    "check_size",
    "read_member",
    "InvalidArchive",
    "MiB",
]

MiB = 2**20


class InvalidArchive(ValueError):
    """An archive whose members break a rule (re-raised by the caller with the path)."""


def _fsync_directory(directory):
    """Flush a directory entry (a rename) to disk where the platform allows it."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows: directories cannot be opened
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        warnings.warn(
            f"The file was written completely, but its directory {directory!r} could "
            f"not be opened to flush the new name to disk ({exc}); a power loss "
            "right now could bring back the previous file.",
            RuntimeWarning,
            stacklevel=3,
        )
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise  # a real I/O error; filesystems that cannot sync directories say EINVAL
    finally:
        os.close(fd)


def _create_sibling(path):
    """Open a new, exclusive temporary file next to ``path``; return ``(fd, name)``."""
    directory, name = os.path.split(os.path.abspath(path))
    # Created with mode 0o666 less the umask, as open() would; a replaced
    # file keeps its own permission bits.
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
        except FileExistsError:
            continue
        if mode is not None:
            os.chmod(tmp, mode)
        return fd, tmp
    raise FileExistsError(f"Could not create a temporary file next to {path!r}.")


def atomic_write(path, write):
    """Write ``path`` through ``write(binary_file)`` so that a crash never leaves half a file.

    The bytes go to a new temporary file in the target's own directory,
    which is flushed and ``fsync``-ed, then renamed over ``path`` with
    ``os.replace`` (atomic on POSIX and Windows), and the directory is
    ``fsync``-ed. At every moment ``path`` is either the old file, byte for
    byte, or the complete new one. If anything fails (an exception in
    ``write``, a full disk, a directory that is not writable) the old file
    stays and the temporary file is removed.
    """
    fd, tmp = _create_sibling(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass  # already renamed or never written
        raise
    _fsync_directory(os.path.dirname(os.path.abspath(path)))


def atomic_directory(path, write):
    """Write the directory ``path`` through ``write(tmp_path)``; never leave half of one.

    ``write`` fills a new temporary directory beside ``path``, which then
    takes its name by a rename. An existing directory is first renamed
    aside and removed once the new one is in place, so ``path`` is at every
    moment the old directory, the complete new one, or (between the two
    renames) absent with the old one beside it. If ``write`` fails, the old
    directory stays and the temporary one is removed.
    """
    target = os.path.abspath(os.fspath(path))
    if os.path.exists(target) and not os.path.isdir(target):
        raise FileExistsError(
            f"{os.fspath(path)!r} is a file; a TensorFlow SavedModel is a directory. "
            "Pass a new path, or remove the file first."
        )
    parent, name = os.path.split(target)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=parent)
    old = aside = None
    try:
        write(tmp)
        if os.path.exists(target):
            old = tempfile.mkdtemp(prefix=f".{name}.", suffix=".old", dir=parent)
            aside = os.path.join(old, name)
            os.replace(target, aside)
        os.replace(tmp, target)
    except BaseException:
        if aside is not None and os.path.exists(aside) and not os.path.exists(target):
            os.replace(aside, target)  # the new one did not take its place: put the old back
        for leftover in (tmp, old):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
        raise
    _fsync_directory(parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _unsafe_name(name):
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def check_names(zf):
    """Refuse duplicate member names, and names that are absolute or contain ``..``."""
    seen = set()
    for info in zf.infolist():
        name = info.filename
        if _unsafe_name(name):
            raise InvalidArchive(f"the member name {name!r} is absolute or contains '..'")
        if name in seen:
            raise InvalidArchive(f"the member {name!r} appears twice")
        seen.add(name)


def check_members(zf, limits):
    """Check an archive's member list before any member is read.

    Refuses duplicate names, absolute names or names with ``..``, members
    not in ``limits``, and members whose declared size exceeds their limit.
    The declared size bounds what reading a member can cost: ``zipfile``
    stops decompressing there (and fails the CRC check of a member that
    holds more).

    Parameters
    ----------
    zf : zipfile.ZipFile
    limits : dict of str to int
        The allowed members and their largest uncompressed sizes in bytes.
    """
    check_names(zf)
    for info in zf.infolist():
        name = info.filename
        if name not in limits:
            raise InvalidArchive(f"it holds the unknown member {name!r}")
        check_size(info, limits[name])


def check_size(info, limit):
    """Refuse a member whose declared uncompressed size is above ``limit`` bytes."""
    if info.file_size > limit:
        raise InvalidArchive(
            f"the member {info.filename!r} declares {info.file_size:,} bytes, more than "
            f"the {limit:,} bytes such a member can take"
        )


def read_member(zf, name, limit):
    """Read a member within ``limit`` bytes (declared and actual)."""
    info = zf.getinfo(name)
    check_size(info, limit)
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InvalidArchive(f"the member {name!r} holds more than {limit:,} bytes")
    return data


def check_nested_zip(data, name, limit):
    """Check that the zip archive ``data`` (a member) declares at most ``limit`` bytes in all.

    ``data`` that is not a zip archive passes: it costs nothing to read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            infos = inner.infolist()
    except zipfile.BadZipFile:
        return  # not a zip at all: the reader of the member refuses it with its own error
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise InvalidArchive(
            f"the members of {name!r} declare {total:,} bytes, more than the "
            f"{limit:,} bytes its model can take"
        )
