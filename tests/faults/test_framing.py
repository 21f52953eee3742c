"""Pure units: HTTP framing of the HTTP toxics and toxic validation (no sockets)."""

from __future__ import annotations

import pytest

from pulsekit.faults._http_toxics import Framer, HttpMessage, transform
from pulsekit.faults._toxics import ApiError, check_attributes, parse_toxic

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"


def test_framer_waits_for_a_complete_message_across_chunks() -> None:
    """A response split at any byte comes out as one message once it is complete."""
    framer = Framer(request=False)
    out: list[HttpMessage | bytes] = []
    for i in range(len(RESPONSE)):
        out += framer.feed(RESPONSE[i : i + 1])
    assert len(out) == 1 and isinstance(out[0], HttpMessage) and out[0].body == b"hello"


def test_framer_dechunks_and_reserializes_with_content_length() -> None:
    """A chunked response is de-chunked and written back with a Content-Length."""
    (msg,) = Framer(request=False).feed(CHUNKED + RESPONSE[:10])
    assert isinstance(msg, HttpMessage) and msg.body == b"hello"
    assert msg.serialize() == b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def test_framer_passes_non_http_bytes_through() -> None:
    """Bytes that are not HTTP go through untouched, and so does everything after them."""
    framer = Framer(request=False)
    assert framer.feed(b"\x00binary\r\n\r\nmore") == [b"\x00binary\r\n\r\nmore"]
    assert framer.feed(b"tail") == [b"tail"]


def test_status_code_transform_keeps_the_body_unless_asked() -> None:
    """status_code rewrites the status line; modify_response_body replaces the body."""
    (msg,) = Framer(request=False).feed(RESPONSE)
    attrs = check_attributes("status_code", {"status_code": 503})
    out = transform("status_code", attrs, msg).serialize()
    assert out.startswith(b"HTTP/1.1 503 Service Unavailable\r\n") and out.endswith(b"hello")
    attrs = check_attributes(
        "status_code", {"status_code": 404, "modify_response_body": 1, "response_body": "no"}
    )
    (msg,) = Framer(request=False).feed(RESPONSE)
    assert transform("status_code", attrs, msg).serialize().endswith(b"Content-Length: 2\r\n\r\nno")


def test_header_mode_request_defaults_to_the_upstream_stream() -> None:
    """A header toxic with mode request and no stream acts on requests (upstream)."""
    toxic = parse_toxic(
        {"type": "header", "attributes": {"headers": {"A": "b"}, "mode": "request"}}
    )
    assert (toxic.stream, toxic.name) == ("upstream", "header_upstream")


@pytest.mark.parametrize(
    ("kind", "attrs", "message"),
    [
        ("packet_loss", {"loss_rate": 2}, "between 0 and 1"),
        ("bandwidth", {"rate": 1.5}, "must be an integer"),
        ("header", {"headers": {"A": 1}}, "object of strings"),
        ("slicer", {"delay": True}, "must be an integer"),
    ],
)
def test_attribute_validation(kind: str, attrs: dict, message: str) -> None:
    """Attributes of the wrong type or range are refused with a 400 naming them."""
    with pytest.raises(ApiError) as info:
        check_attributes(kind, attrs)
    assert info.value.status == 400 and message in info.value.message
