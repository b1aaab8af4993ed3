"""Arbitrary input for the fuzz tests: control characters, huge numbers, any Unicode (lone
surrogates included), empty and blank values, and the values that usually go wrong."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
#: What a command-line argument holds for bytes that are not UTF-8, and other text no backend stores.
BROKEN = ["\udcff", "\ud800", "\udfff", "\ufffd", "\u200b"]
SPECIALS = [
    "", " ", "\t", "0", "-1", "1", "007", "99999999999999999999", str(2**31 - 1), str(2**31), str(2**63), "-" + "9" * 30,
    "9" * 5000, "1e309", "NaN", "Infinity", "-0", "0x10", "1_000", "1,5", "\u0661\u0662", "\uff11\uff12", "\u00b2",
    "x" * 400, "' OR 1=1 --", "<script>alert(1)</script>", "%00", "%FF", "\\", "{token}", "{0}", "Zoë", "李", "😀",
    "\u202eevil", "a\u0301", "\ufeff", "\u2028", "\u00a0", "null", "None", "true", "2026-07", "2026-08-01",
    "http://127.0.0.1:1", "https://example.com/t", "admin@example.com", "UPPER@EXAMPLE.COM",
    "https://a\udcffb.example/x", "https://\udcff.example", "https://ex\u200bample.com/x", "\udcff", "a\ud800b",
]

#: Any code point: lone surrogates, controls, private use, unassigned.
any_char = st.characters(codec=None, exclude_categories=())
#: Text as a person, a script or a broken client might send it.
arbitrary_text = st.one_of(
    st.sampled_from(SPECIALS),
    st.sampled_from(BROKEN + ["\x00", "a\x00b", "\x1b[31m", "\r\n"]),
    st.text(max_size=30),
    st.text(alphabet=any_char, max_size=20),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=8), st.sampled_from(CONTROLS + BROKEN), st.text(max_size=8)),
    st.integers().map(str),
)


def field_value(valid: str) -> st.SearchStrategy[str]:
    """Often the valid value (so that whole submissions go through), else arbitrary text."""
    return st.one_of(st.just(valid), arbitrary_text)


def form_values(valid: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    """A submission of the fields of ``valid``: each field valid or arbitrary, some left out."""
    def maybe(value: str) -> st.SearchStrategy[str | None]:
        return st.integers(0, 9).flatmap(lambda n: st.none() if n == 0 else field_value(value))

    return st.fixed_dictionaries({k: maybe(v) for k, v in valid.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})


def form_body(fields: dict[str, Any]) -> bytes:
    """An URL-encoded body as a browser would send it, lone surrogates written as their (invalid)
    UTF-8 bytes, as a broken client would."""
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode("ascii")


#: Numbers as people and scripts mistype them: digits no ``int()`` takes (superscripts) or takes
#: though they are not ASCII (Arabic-Indic, full-width), exponents, signs, blanks, huge values.
NUMBER_EDGES = ["\u00b2", "\u00b9\u00b2", "\u0661\u0662", "\uff11\uff12", "1e3", "-0", "+1", " 7 ", "0.001", "1.", ".5",
                "9" * 30, "0" * 40 + "1", "10000", "1_0", "1,000.00", "5.00", "0.00"]
number_text = st.one_of(st.sampled_from(NUMBER_EDGES), st.sampled_from(NUMBER_EDGES), arbitrary_text)


def whole_or_part(valid: dict[str, str], *, numbers: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, str]]:
    """The valid submission as it is (so that saves happen, and are checked), or with one field odd
    (``number_text`` for the fields named in ``numbers``), or ``form_values``: a third each."""
    def one_odd(key: str) -> st.SearchStrategy[dict[str, str]]:
        return (number_text if key in numbers else arbitrary_text).map(lambda value: {**valid, key: value})

    return st.integers(0, 2).flatmap(lambda n: st.just(dict(valid)) if n == 0 else
                                     st.sampled_from(sorted(valid)).flatmap(one_odd) if n == 1 else form_values(valid))
