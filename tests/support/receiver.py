"""A subscriber for tests: a real HTTP/1.1 server on 127.0.0.1 that records what it is sent.

Every request is kept (method, path, headers, body, the MessageID in the body) and answered
as told, per request: a ResponseMessage with Result OK (the default, CorrelationID = the
received MessageID), a Result FAILED, an HTTP error with a SOAP Fault, garbage, an empty body,
after a delay (a subscriber that hangs), or no answer at all (the connection is cut). It can
be stopped and started again on the same port: a subscriber that is down for a while.

    async with Receiver() as receiver:
        receiver.answer_next(Answer.error(500), Answer.hang(5))  # the next two requests
        receiver.default = Answer.ok()                            # then every other one
        ...  # POST to receiver.url
        await receiver.wait_for(3)
        receiver.message_ids()  # in arrival order

HTTP is parsed with h11 (as uvicorn and httpx do): the server is small, not hand-rolled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import h11
from lxml import etree

from cas.messages import (
    MES,
    ErrorCode,
    ErrorDetail,
    InternalError,
    SoapVersion,
    build_response,
    render_fault,
    render_response,
)

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request."""

    status: int = 200
    result: str | None = "OK"
    """A ResponseMessage with this Reply/Result (correlated to the request), unless ``body``."""
    body: bytes | None = None
    """Sent as is instead of a ResponseMessage."""
    delay: float = 0.0
    """Seconds to wait before answering (or before cutting the connection)."""
    drop: bool = False
    """Cut the connection instead of answering."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra response headers (e.g. a Location)."""

    @classmethod
    def ok(cls) -> Answer:
        return cls()

    @classmethod
    def failed(cls) -> Answer:
        """HTTP 200, a ResponseMessage with Result FAILED."""
        return cls(result="FAILED")

    @classmethod
    def error(cls, status: int = 500) -> Answer:
        """An HTTP error status with a SOAP Fault."""
        return cls(status=status, body=render_fault(InternalError("receiver broken")))

    @classmethod
    def garbage(cls) -> Answer:
        return cls(body=b"<<< this is not XML")

    @classmethod
    def empty(cls) -> Answer:
        return cls(body=b"")

    @classmethod
    def hang(cls, seconds: float, then: Answer | None = None) -> Answer:
        """Answer like ``then`` (OK) after ``seconds``."""
        return dataclasses.replace(then or cls(), delay=seconds)

    @classmethod
    def redirect(cls, location: str, status: int = 307) -> Answer:
        return cls(status=status, body=b"", headers=(("location", location),))

    @classmethod
    def cut(cls) -> Answer:
        """Read the request, then close the connection without answering."""
        return cls(drop=True)


Responder = Answer | Callable[["ReceivedRequest"], Answer]


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    message_id: str | None  # mes:Header/mes:MessageID of the body, if it has one
    received: float = field(default_factory=time.monotonic)
    answer: Answer | None = None
    answered: bool = False  # the answer was written completely

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def message_id_of(body: bytes) -> str | None:
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    found = root.find(f".//{{{MES}}}Header/{{{MES}}}MessageID")
    return found.text if found is not None else None


class Receiver:
    """An HTTP subscriber on an ephemeral port of 127.0.0.1 (kept across stop/start)."""

    def __init__(self, *, path: str = "/notify", default: Responder | None = None) -> None:
        self.path = path
        self.default: Responder = default or Answer.ok()
        self.requests: list[ReceivedRequest] = []
        self.port = 0
        self._next: deque[Answer] = deque()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self._closing = asyncio.Event()  # set by stop(): hanging answers give up
        self._arrived = asyncio.Condition()
        self.active = 0  # requests received and not answered yet
        self.peak_active = 0  # the most at once since the receiver was created

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the receiver was never started")
        return f"http://{HOST}:{self.port}{self.path}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def answer_next(self, *answers: Answer) -> None:
        """The next requests get these answers, in order; later ones get ``default``."""
        self._next.extend(answers)

    def message_ids(self, *, answered_ok: bool = False) -> list[str | None]:
        """MessageIDs received, in arrival order (only those answered OK when asked)."""
        return [
            request.message_id
            for request in self.requests
            if not answered_ok or (request.answered and _is_ok(request.answer))
        ]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Until at least ``count`` requests arrived (since the receiver was created)."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (again, on the same port once it has one)."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._serve_connection, HOST, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every open connection (answers under way are lost)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        self._closing.set()
        for writer in self._connections.values():
            writer.transport.abort()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()
        self._closing = asyncio.Event()

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- one connection ------------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        connection = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await self._read_request(connection, reader)
                if request is None:
                    return
                answer = self._choose(request)
                request.answer = answer
                self.active += 1
                self.peak_active = max(self.peak_active, self.active)
                try:
                    if answer.delay:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._closing.wait(), answer.delay)
                    if answer.drop or self._closing.is_set():
                        return
                    writer.write(self._render(connection, request, answer))
                    await writer.drain()
                    request.answered = True
                finally:
                    self.active -= 1
                if connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                    return
                connection.start_next_cycle()
        except (ConnectionError, h11.ProtocolError):
            return
        finally:
            self._connections.pop(task, None)
            writer.transport.abort()

    async def _read_request(
        self, connection: h11.Connection, reader: asyncio.StreamReader
    ) -> ReceivedRequest | None:
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                break
            elif isinstance(event, h11.ConnectionClosed):
                return None
        request = ReceivedRequest(
            method=head.method.decode(),
            path=head.target.decode(),
            headers={name.decode().lower(): value.decode() for name, value in head.headers},
            body=bytes(body),
            message_id=message_id_of(bytes(body)),
        )
        self.requests.append(request)
        async with self._arrived:
            self._arrived.notify_all()
        return request

    def _choose(self, request: ReceivedRequest) -> Answer:
        if self._next:
            return self._next.popleft()
        return self.default(request) if callable(self.default) else self.default

    def _render(
        self, connection: h11.Connection, request: ReceivedRequest, answer: Answer
    ) -> bytes:
        version = SoapVersion.from_content_type(request.content_type) or SoapVersion.V12
        if answer.body is not None:
            body = answer.body
        else:
            errors = (
                [ErrorDetail(ErrorCode.INVALID_REQUEST_ID, "refused by the test receiver")]
                if answer.result != "OK"
                else []
            )
            response = build_response(
                None,
                result=answer.result or "OK",
                errors=errors,
                noun="DeviceAccess",
                correlation_id=request.message_id,
            )
            body = render_response(response, version)
        headers = [
            ("content-type", version.content_type),
            ("content-length", str(len(body))),
            *answer.headers,
        ]
        return b"".join(
            connection.send(event) or b""
            for event in (
                h11.Response(status_code=answer.status, headers=headers),
                h11.Data(data=body),
                h11.EndOfMessage(),
            )
        )


def _is_ok(answer: Answer | None) -> bool:
    return (
        answer is not None
        and 200 <= answer.status < 300
        and answer.body is None
        and answer.result == "OK"
        and not answer.drop
    )
