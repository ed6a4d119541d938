"""Reading an uploaded file from a request: a raw text/csv body or a multipart form's file."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from fastapi import Request

from qualification.errors import InvalidInput


def _multipart_file(content_type: str, body: bytes) -> bytes:
    # The standard library's MIME parser reads multipart/form-data well enough for one file.
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InvalidInput("the multipart body could not be read")
    parts: list[Message] = [p for p in message.iter_parts() if isinstance(p, Message)]
    files = [p for p in parts if p.get_param("filename", header="content-disposition")]
    named = [p for p in parts if p.get_param("name", header="content-disposition") == "file"]
    chosen = (named or files)[:1]
    if not chosen:
        raise InvalidInput("the form has no file: send the CSV in a field named 'file'")
    payload = chosen[0].get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


async def uploaded_file(request: Request) -> bytes:
    """The CSV bytes of a text/csv (or text/plain) body, or of a multipart form's file field."""
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return _multipart_file(content_type, body)
    if kind in ("text/csv", "text/plain", "application/csv", "application/octet-stream", ""):
        return body
    raise InvalidInput(f"send the file as text/csv or multipart/form-data, not {kind}")
