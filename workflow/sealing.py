"""Sealed secret ballots.

On a secret ballot a member's vote writes who voted (``BallotCast``: the double-vote guard and
the quorum) and a *sealed ballot*: the decision, score and comment encrypted with AES-256-GCM
under a key that lives in the environment, never in the database (``BALLOT_SEALING_KEY``). The
sealed row carries no voter, no time and a random key, and every sealed ballot has the same
length, so neither its content nor its size says anything. The close opens the session's sealed
ballots, tallies them, writes the anonymous decision rows in a random order in its own
transaction and deletes the sealed copies (``workflow.actions.initiative_close``).

- Each ballot: a random 96-bit nonce ‖ AES-256-GCM(key, nonce, plaintext, associated data).
  The associated data binds the session id and the key id, so a sealed ballot moved to another
  session (or altered) does not open.
- The plaintext is padded to ``BLOCK`` bytes, whatever the decision and the comment (up to
  ``MAX_COMMENT_CHARS`` characters, 4 bytes each at most in UTF-8).
- Payload format 2 (every ballot sealed since the assessed benefit) also carries the member's
  estimate of the yearly benefit in a fixed 8-byte field (all ones: none given), so a ballot with
  an estimate has the same size as one without. Format 1 ballots (sealed before) still open.
- Keys: ``BALLOT_SEALING_KEY`` (32 random bytes, base64 or hex). After a rotation, the previous
  keys go in ``BALLOT_SEALING_OLD_KEYS`` until every session sealed under them has closed; each
  sealed ballot names its key by a short id (a hash of the key, not the key).
- With ``DEBUG`` on and no key, a development key is created once in ``BALLOT_SEALING_KEY_FILE``
  (default ``var/keys/ballot-sealing.key``, git-ignored), so ``make run`` needs nothing. With
  ``DEBUG`` off and no key, secret votes are refused (``SealingUnavailable``) and ``manage.py
  check`` warns.
"""

import base64
import binascii
import hashlib
import os
import random
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BLOCK = 40 * 1024  # every sealed plaintext has exactly this size
MAX_COMMENT_CHARS = 10_000  # 10,000 characters are at most 40,000 bytes of UTF-8
NONCE_BYTES = 12
KEY_BYTES = 32
_HEADER = struct.Struct(">BBHI")  # format, decision length, score (0xFFFF: none), comment length
_ESTIMATE = struct.Struct(">Q")  # format 2: the estimate of the yearly benefit (all ones: none)
_FORMAT = 1  # of the associated data (unchanged, so ballots sealed before still open)
_PAYLOAD_FORMAT = 2
_NO_SCORE = 0xFFFF
_NO_ESTIMATE = 2**64 - 1

_random = random.SystemRandom()  # os.urandom: the order of the decision rows is not predictable


class SealingUnavailable(Exception):
    """No sealing key is configured (DEBUG off and no BALLOT_SEALING_KEY)."""


class UnsealError(Exception):
    """A sealed ballot does not open: unknown key, another session's ballot, or altered."""


@dataclass(frozen=True)
class Opened:
    decision: str
    score: int | None
    comment: str
    estimate: int | None = None


def shuffled(items) -> list:
    """The items in a random order (the close writes the decision rows in this order)."""
    items = list(items)
    _random.shuffle(items)
    return items


def parse_key(text: str) -> bytes:
    """32 bytes from base64 (standard or URL-safe, padding optional) or 64 hex digits."""
    text = (text or "").strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            "BALLOT_SEALING_KEY must be 32 random bytes in base64 or hex, e.g. the output of "
            'python -c "import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
        )
    return raw


def key_id(key: bytes) -> str:
    """A short public name for a key (a hash of it), stored with each sealed ballot."""
    return hashlib.sha256(b"sangkien ballot sealing key id\x00" + key).hexdigest()[:16]


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _development_key() -> bytes:
    """The key of a developer machine: created once, readable by its owner only."""
    path = Path(settings.BALLOT_SEALING_KEY_FILE)
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return parse_key(path.read_text(encoding="ascii"))
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(new_key_text() + "\n")
    return parse_key(path.read_text(encoding="ascii"))


def current_key() -> bytes:
    if settings.BALLOT_SEALING_KEY:
        return parse_key(settings.BALLOT_SEALING_KEY)
    if settings.DEBUG:
        return _development_key()
    raise SealingUnavailable


def _keyring() -> dict[str, bytes]:
    ring = {}
    try:
        key = current_key()
        ring[key_id(key)] = key
    except SealingUnavailable:
        pass
    for text in settings.BALLOT_SEALING_OLD_KEYS:
        key = parse_key(text)
        ring.setdefault(key_id(key), key)
    if not ring:
        raise SealingUnavailable
    return ring


def _associated_data(session_id: int, kid: str) -> bytes:
    return f"sangkien/sealed-ballot/v{_FORMAT}/session={session_id}/key={kid}".encode("ascii")


def _pack(decision: str, score: int | None, comment: str, estimate: int | None = None) -> bytes:
    d, c = decision.encode("ascii"), comment.encode("utf-8")
    if score is not None and not 0 <= score < _NO_SCORE:
        raise ValueError("score out of range")
    if estimate is not None and not 0 <= estimate < _NO_ESTIMATE:
        raise ValueError("estimate out of range")
    body = (
        _HEADER.pack(_PAYLOAD_FORMAT, len(d), _NO_SCORE if score is None else score, len(c))
        + _ESTIMATE.pack(_NO_ESTIMATE if estimate is None else estimate)
        + d
        + c
    )
    if len(body) > BLOCK:
        raise ValueError("ballot too large to seal")
    return body + bytes(BLOCK - len(body))


def _unpack(block: bytes) -> Opened:
    fmt, dlen, score, clen = _HEADER.unpack_from(block)
    start = _HEADER.size
    estimate = _NO_ESTIMATE
    if fmt == _PAYLOAD_FORMAT:
        (estimate,) = _ESTIMATE.unpack_from(block, start)
        start += _ESTIMATE.size
    elif fmt != 1:
        raise UnsealError("unknown format")
    if start + dlen + clen > len(block):
        raise UnsealError("unknown format")
    decision = block[start : start + dlen].decode("ascii")
    comment = block[start + dlen : start + dlen + clen].decode("utf-8")
    return Opened(
        decision=decision,
        score=None if score == _NO_SCORE else score,
        comment=comment,
        estimate=None if estimate == _NO_ESTIMATE else estimate,
    )


def seal(
    *, session_id: int, decision: str, score: int | None, comment: str, estimate: int | None = None
) -> tuple[str, bytes]:
    """(key id, nonce ‖ ciphertext) of one ballot. Raises ``SealingUnavailable`` without a key."""
    key = current_key()
    kid = key_id(key)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, _pack(decision, score, comment, estimate), _associated_data(session_id, kid))
    return kid, nonce + sealed


def unseal_all(*, session_id: int, ballots) -> list[Opened]:
    """Open ``ballots`` [(key id, sealed bytes)] of one session. Raises ``UnsealError`` when one
    does not open, ``SealingUnavailable`` when no key is configured at all."""
    ring = _keyring()
    opened = []
    for kid, blob in ballots:
        blob = bytes(blob)
        key = ring.get(kid)
        if key is None or len(blob) <= NONCE_BYTES:
            raise UnsealError(kid)
        try:
            block = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _associated_data(session_id, kid))
        except InvalidTag:
            raise UnsealError(kid) from None
        opened.append(_unpack(block))
    return opened
