"""Files a user can trust: saves that a crash cannot destroy, loads whose cost is bounded."""

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import keras
import numpy as np
import pytest

from sklearn_lstm_ae import LSTMAutoencoderTransformer, _persistence

from .helpers import tiny


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    """Two fitted transformers (different weights) saved as old.lstmae and new.lstmae.

    256 units make a file of a few MiB, whose writing takes long enough that a
    kill at a random moment often lands in it: a save that truncates the
    target first lost 7 of 8 such files in the same procedure.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 10, 2)).astype(np.float32)
    folder = tmp_path_factory.mktemp("models")
    old = tiny(random_state=0, encoder_units=(256,), epochs=1).fit(X)
    new = tiny(random_state=1, encoder_units=(256,), epochs=1).fit(X)
    return X, old.save(folder / "old.lstmae"), new.save(folder / "new.lstmae"), old, new


def _codes(path, X):
    return LSTMAutoencoderTransformer.load(path).transform(X)


def _leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


_SAVER = textwrap.dedent(
    """
    import sys
    from sklearn_lstm_ae import LSTMAutoencoderTransformer as T
    old, new, target = sys.argv[1:4]
    models = [T.load(old), T.load(new)]
    print("ready", flush=True)
    i = 0
    while True:
        models[i % 2].save(target)
        i += 1
    """
)


@pytest.mark.slow  # starts and kills saving processes
def test_a_save_killed_at_random_moments_never_loses_the_file(two_models, tmp_path):
    """SIGKILL a process that saves over the target in a loop: the target always loads."""
    X, old_path, new_path, old, new = two_models
    expected = [old.transform(X), new.transform(X)]
    target = tmp_path / "model.lstmae"
    target.write_bytes(old_path.read_bytes())
    rng = np.random.default_rng(0)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(old_path), str(new_path), str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            assert child.stdout.readline().strip() == b"ready"
            time.sleep(rng.uniform(0.05, 1.5))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
        codes = _codes(target, X)  # raises if the file no longer loads
        matches = [np.array_equal(codes, e) for e in expected]
        assert any(matches), "the file is neither the old model nor the new one"
    # The files a killed save leaves are temporary siblings, never the target.
    assert all(name.startswith(".model.lstmae.") for name in _leftovers(tmp_path, {target.name}))


def _assert_failed_save_left_no_trace(folder, target, before):
    assert target.read_bytes() == before
    assert _leftovers(folder, {target.name}) == []


def test_an_error_inside_keras_save_keeps_the_old_file(two_models, tmp_path, monkeypatch):
    _, old_path, _, _, new = two_models
    target = tmp_path / "model.lstmae"
    target.write_bytes(before := old_path.read_bytes())

    def broken_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a model")
        raise RuntimeError("Keras failed half-way")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(RuntimeError, match="Keras failed half-way"):
        new.save(target)
    _assert_failed_save_left_no_trace(tmp_path, target, before)


def test_a_full_disk_keeps_the_old_file(two_models, tmp_path):
    """A real write failure: the file-size limit of the process makes writes fail (EFBIG)."""
    _, old_path, _, _, new = two_models
    target = tmp_path / "model.lstmae"
    target.write_bytes(before := old_path.read_bytes())
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) // 2, hard))
    try:
        with pytest.raises(OSError) as info:
            new.save(target)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert info.value.errno == errno.EFBIG or "too large" in str(info.value).lower()
    _assert_failed_save_left_no_trace(tmp_path, target, before)


def test_no_space_at_fsync_keeps_the_old_file(two_models, tmp_path, monkeypatch):
    """ENOSPC reported when the data are flushed (as NFS and full disks do) after the write."""
    _, old_path, _, _, new = two_models
    target = tmp_path / "model.lstmae"
    target.write_bytes(before := old_path.read_bytes())
    real_fsync = os.fsync

    def fsync(fd):
        if os.path.isfile(f"/proc/self/fd/{fd}") or not os.path.exists("/proc/self/fd"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space left"):
        new.save(target)
    _assert_failed_save_left_no_trace(tmp_path, target, before)


def test_a_directory_that_is_not_writable_keeps_the_old_file(two_models, tmp_path, monkeypatch):
    _, old_path, _, _, new = two_models
    target = tmp_path / "model.lstmae"
    target.write_bytes(before := old_path.read_bytes())
    if os.geteuid() != 0:  # root writes anywhere: then the refusal is simulated
        tmp_path.chmod(0o555)
    else:
        real_open = os.open

        def refuse_new_files(path, flags, *args, **kwargs):
            if flags & os.O_CREAT:
                raise PermissionError(errno.EACCES, "Permission denied", path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse_new_files)
    try:
        with pytest.raises(PermissionError):
            new.save(target)
    finally:
        tmp_path.chmod(0o755)
    _assert_failed_save_left_no_trace(tmp_path, target, before)


def test_save_replaces_the_file_and_keeps_its_permissions(two_models, tmp_path):
    X, old_path, _, _, new = two_models
    target = tmp_path / "model.lstmae"
    target.write_bytes(old_path.read_bytes())
    target.chmod(0o640)
    new.save(target)
    assert target.stat().st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(_codes(target, X), new.transform(X))
    assert _leftovers(tmp_path, {target.name}) == []


# ----------------------------------------------------------------- loading


def _rewrite(src, dst, members):
    """Copy the archive ``src`` to ``dst`` with ``members`` (name -> bytes) added or replaced."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            if name not in members:
                zout.writestr(name, zin.read(name))
        for name, data in members.items():
            zout.writestr(name, data)
    return dst


def _declare_size(path, member, size):
    """Make the central directory declare ``size`` uncompressed bytes for ``member``."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_len] == name:
            data[at + 24 : at + 28] = size.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return path
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not found")


def test_a_decompression_bomb_is_refused_before_anything_is_read(two_models, tmp_path, monkeypatch):
    _, old_path, *_ = two_models
    bomb = _rewrite(old_path, tmp_path / "bomb.lstmae", {})
    _declare_size(bomb, "model.keras", 2**32 - 16)

    def no_disk(*args, **kwargs):
        raise AssertionError("load wrote to disk before refusing the file")

    monkeypatch.setattr(_persistence.tempfile, "TemporaryDirectory", no_disk)
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"'model.keras' declares 4,294,967,280 bytes, more than"):
        LSTMAutoencoderTransformer.load(bomb)
    assert time.perf_counter() - started < 5  # generous: the refusal reads the directory only


@pytest.mark.parametrize(
    "members, problem",
    [
        ({"../evil.txt": b"x"}, r"'../evil.txt' is absolute or contains '..'"),
        ({"/etc/evil": b"x"}, r"'/etc/evil' is absolute or contains '..'"),
        ({"notes.txt": b"x"}, r"unknown member 'notes.txt'"),
        ({"scaler.npz": b"\0" * (70 * 2**20)}, r"'scaler.npz' declares 73,400,320 bytes"),
    ],
)
def test_load_refuses_unsafe_members(two_models, tmp_path, members, problem):
    _, old_path, *_ = two_models
    path = _rewrite(old_path, tmp_path / "bad.lstmae", members)
    with pytest.raises(ValueError, match=problem):
        LSTMAutoencoderTransformer.load(path)


def test_load_refuses_a_member_written_twice(two_models, tmp_path):
    _, old_path, *_ = two_models
    path = _rewrite(old_path, tmp_path / "dup.lstmae", {})
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("estimator.json", b"{}")
    with pytest.raises(ValueError, match="the member 'estimator.json' appears twice"):
        LSTMAutoencoderTransformer.load(path)


def test_the_model_limit_follows_the_saved_network(two_models, tmp_path):
    """model.keras may be as large as its weights and optimizer state explain, no larger."""
    _, old_path, _, old, _ = two_models
    with zipfile.ZipFile(old_path) as zf:
        size = zf.getinfo("model.keras").file_size
        state = json.loads(zf.read("estimator.json"))
    network, spec = old._fitted_.network, old._fitted_.spec
    limit = _persistence._model_limit(network, spec, n_features=2)
    assert _persistence.parameter_bound(network, spec, 2) >= old.model_.count_params()
    assert state["fitted"]["_network"]["encoder_units"] == [256]
    assert size < limit
    with zipfile.ZipFile(old_path) as zf:
        padded = zf.read("model.keras") + b"\0" * limit
    bad = _rewrite(old_path, tmp_path / "padded.lstmae", {"model.keras": padded})
    with pytest.raises(ValueError, match="'model.keras' declares .* bytes, more than"):
        LSTMAutoencoderTransformer.load(bad)
