"""A real SMTP server on loopback (aiosmtpd) for the mail tests: it records each message as it came
over the wire, and can refuse a recipient, answer DATA with an error, or hold a DATA until told."""

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Received:
    def __init__(self, mail_from, rcpt_tos, raw: bytes):
        self.mail_from, self.rcpt_tos, self.raw = mail_from, list(rcpt_tos), raw
        self.message = email.message_from_bytes(raw, policy=email.policy.default)

    @property
    def subject(self) -> str:
        # Django folds a long encoded subject right after "Subject:"; the unfolded space is not the text's
        return str(self.message["Subject"]).strip()

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content()

    def attachments(self):
        return [(p.get_filename(), p.get_content(), p.get_content_type()) for p in self.message.iter_attachments()]


class Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # address → the reply to its RCPT
        self.data_reply: str | None = None  # e.g. "451 4.3.0 try later"
        self.hold = threading.Event()  # DATA waits while ``holding`` is set
        self.holding = False
        self.held = threading.Event()  # set when a DATA is being held
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.holding:
            self.held.set()
            import asyncio

            while not self.hold.is_set():  # the client is killed meanwhile: nothing is accepted
                await asyncio.sleep(0.05)
            return "451 4.3.0 held and dropped"
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(Received(envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
        return "250 2.0.0 accepted"


class SMTPServer:
    def __init__(self, port: int | None = None):
        self.handler = Handler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, decode_data=False)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        if self.controller._thread is not None:  # stopped already: nothing to do
            self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)
