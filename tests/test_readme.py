"""The README's parameter table states the defaults the code has, for every parameter."""

import ast
from pathlib import Path

from sklearn_lstm_ae import LSTMAutoencoderTransformer

README = Path(__file__).resolve().parents[1] / "README.md"


def _split(cell):
    """Split a table cell on the commas outside brackets and quotes."""
    parts, depth, quoted, current = [], 0, False, ""
    for char in cell:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def readme_defaults():
    """``{parameter: default}`` read from the README's "Main parameters" table."""
    text = README.read_text()
    table = text.split("### Main parameters", 1)[1].split("\n\n", 2)[1]
    defaults = {}
    for line in table.splitlines()[2:]:  # after the header and its rule
        names, values = (c.strip() for c in line.strip("|").split("|")[:2])
        names = [n.strip("` ") for n in _split(names)]
        values = [ast.literal_eval(v.strip("`")) for v in _split(values)]
        assert len(names) == len(values), line
        defaults.update(zip(names, values, strict=True))
    return defaults


def test_the_readme_table_gives_every_parameter_with_its_default():
    stated = readme_defaults()
    params = LSTMAutoencoderTransformer().get_params(deep=False)
    assert sorted(stated) == sorted(params)
    wrong = {k: (v, params[k]) for k, v in stated.items() if v != params[k]}
    assert not wrong, f"README default != code default: {wrong}"


def test_the_table_parser_reads_tuples_and_strings():
    assert _split('`(32, 64)`, 5, "a, b"') == ["`(32, 64)`", "5", '"a, b"']
