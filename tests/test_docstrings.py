"""Every public object has a numpydoc docstring with the sections users look for."""

import pytest

import sklearn_lstm_ae

SECTIONS = ("Parameters\n", "See Also\n", "Examples\n", ">>> ")


@pytest.mark.parametrize("name", sklearn_lstm_ae.__all__)
def test_public_docstring_sections(name):
    doc = getattr(sklearn_lstm_ae, name).__doc__ or ""
    missing = [s.strip() for s in SECTIONS if s not in doc]
    assert not missing, f"{name} docstring lacks {missing}"
    assert "Returns\n" in doc or "Attributes\n" in doc, name
