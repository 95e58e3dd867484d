"""The payload is read one change at a time as it is inflated: however the text falls into
pieces, the same changes come out, and anything that is not an array of objects is refused."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shakyo_desk.sync.bundle import BundleRefused, inflate, json_objects

VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet="あア漢\"\\{}[],: \nabc😀"),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                      max_leaves=8)
OBJECTS = st.lists(st.dictionaries(st.text(alphabet="abcあ", max_size=4), VALUES, max_size=4), max_size=12)


def pieces_of(data: bytes, cuts: list[int]):
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return iter([data[a:b] for a, b in zip(points, points[1:])])


@given(OBJECTS, st.lists(st.integers(min_value=0, max_value=10_000), max_size=30), st.sampled_from(["", " ", "\n  "]))
@settings(max_examples=200, deadline=None)
def test_any_split_gives_the_same_objects(objects, cuts, space):
    text = ("[" + space + ("," + space).join(json.dumps(o, ensure_ascii=False) for o in objects) + space + "]")
    data = text.encode("utf-8")  # cuts fall inside multi-byte characters too
    assert list(json_objects(pieces_of(data, cuts))) == objects


@pytest.mark.parametrize("text", [
    "", "{}", "[", "[{}", "[{},]", "[{}]x", "[{}][]", "[1]", "[{},2]", '[{"a":1}{"b":2}]', "[{}]\n{", '[{"a":"\\ud800"', "[,{}]",
])
def test_not_an_array_of_objects_is_refused(text):
    with pytest.raises(BundleRefused):
        list(json_objects(iter([text.encode()])))


def test_invalid_utf8_is_refused():
    with pytest.raises(BundleRefused):
        list(json_objects(iter([b'[{"a":"\xff"}]'])))


def test_inflate_holds_to_the_declared_size():
    import zlib

    body = zlib.compress(b"[" + b",".join([b'{"x":"' + b"a" * 1000 + b'"}'] * 5000) + b"]")
    size = 1 + 5000 * 1008 + 4999 + 1
    assert sum(len(p) for p in inflate(body, size)) == size
    with pytest.raises(BundleRefused):
        list(inflate(body, size - 1))  # a sender that understated its size
    with pytest.raises(BundleRefused):
        list(inflate(body, size + 1))
    with pytest.raises(BundleRefused):
        list(inflate(body[:-10], size))  # truncated
    with pytest.raises(BundleRefused):
        list(inflate(body + b"junk", size))  # trailing bytes
