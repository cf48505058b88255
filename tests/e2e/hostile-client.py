#!/usr/bin/env python3
"""Throw hostile input at tjd's control socket (SOCK_SEQPACKET).

Usage: hostile-client.py SOCKET TJCTL

Each case prints "ok ..." or "FAIL ..."; the exit status is 1 if any case
failed.  Whether tjd survived is checked by the caller afterwards; here we
check what tjd answers: malformed, wrong-version and oversize requests must
get an error reply (ok = false) or at worst a closed connection, never an ok.
The protobuf messages are encoded by hand (proto/tjd.proto, package tjd.v1).
"""

import random
import socket
import subprocess
import sys
import time

REPLY_TIMEOUT = 3.0
ERROR_VERSION = 2
WRONG_VERSION = 999
SEED = 20240601

failures = 0


def report(ok, text):
    """Print one result line and count failures."""
    global failures
    print(("ok   " if ok else "FAIL ") + text, flush=True)
    if not ok:
        failures += 1


def varint(value):
    """Encode an unsigned protobuf varint."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def request(version, command_field):
    """A Request with `version` and an empty sub-message in `command_field`
    (10 status, 11 clear, 12 reload, 13 rules)."""
    return b"\x08" + varint(version) + varint(command_field << 3 | 2) + b"\x00"


def read_varint(data, pos):
    """Decode a varint at pos; return (value, new position)."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def decode_response(data):
    """Decode the Response fields we check: ok (1), code (2), error (3)."""
    fields = {"ok": False, "code": 0, "error": ""}
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 2:
            length, pos = read_varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError("bad wire type %d" % wire)
        if number == 1:
            fields["ok"] = bool(value)
        elif number == 2:
            fields["code"] = value
        elif number == 3:
            fields["error"] = value.decode("utf-8", "replace")
    return fields


def connect(path):
    """A new connection to the control socket.  When tjd's listen backlog is
    full, connect() fails with EAGAIN: retry for a while."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.setblocking(False)
        try:
            sock.connect(path)
            break
        except BlockingIOError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    sock.settimeout(REPLY_TIMEOUT)
    return sock


def exchange(path, payload):
    """Send one datagram on a new connection; return the decoded reply, or
    "closed" if tjd closed the connection, or "silent" on timeout."""
    with connect(path) as sock:
        sock.send(payload)
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            return "silent"
        except ConnectionResetError:
            return "closed"
        if not data:
            return "closed"
        try:
            return decode_response(data)
        except ValueError as error:
            return "undecodable reply (%s)" % error


def describe(reply):
    """A short text for a reply."""
    if isinstance(reply, dict):
        return "ok=%s code=%d error=%r" % (reply["ok"], reply["code"], reply["error"][:60])
    return reply


def expect_error_reply(path, payload, what, code=None, may_close=False):
    """One datagram that tjd must refuse with an error reply (with `code`,
    if given), or close the connection if `may_close`."""
    try:
        reply = exchange(path, payload)
    except OSError as error:
        report(False, "%s: %s" % (what, error))
        return
    good = isinstance(reply, dict) and not reply["ok"]
    if good and code is not None:
        good = reply["code"] == code
    if may_close and reply == "closed":
        good = True
    report(good, "%s -> %s" % (what, describe(reply)))


def case_garbage(path):
    """Random bytes of random sizes, each on its own connection."""
    rng = random.Random(SEED)
    replies = closed = 0
    bad = []
    for _ in range(200):
        payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
        try:
            reply = exchange(path, payload)
        except OSError as error:
            bad.append(str(error))
            continue
        if isinstance(reply, dict) and not reply["ok"]:
            replies += 1
        elif reply == "closed":
            closed += 1
        else:
            bad.append(describe(reply))
    report(not bad, "200 random datagrams (seed %d): %d error replies, %d closed%s"
           % (SEED, replies, closed, "; unexpected: %s" % bad[:3] if bad else ""))


def case_oversize(path):
    """A 1 MiB datagram (the frame limit is 64 KiB)."""
    size = 1 << 20
    with connect(path) as sock:
        # Root may raise the send buffer past wmem_max (SO_SNDBUFFORCE = 32).
        try:
            sock.setsockopt(socket.SOL_SOCKET, 32, 4 * size)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * size)
        while True:
            try:
                sock.send(b"\x08\x01\x52" + varint(size) + b"\x00" * size)
                break
            except OSError as error:
                if error.errno != 90 or size <= 70000:  # EMSGSIZE
                    report(False, "oversize datagram: %s" % error)
                    return
                size //= 2
        try:
            data = sock.recv(1 << 20)
            reply = decode_response(data) if data else "closed"
        except socket.timeout:
            reply = "silent"
        except (ConnectionResetError, ValueError):
            reply = "closed"
    good = (isinstance(reply, dict) and not reply["ok"]) or reply == "closed"
    report(good, "%d KiB datagram -> %s" % (size // 1024, describe(reply)))


def tjctl_status(tjctl, path):
    """Run `tjctl status`; return (exit status, first line of its stderr)."""
    status = subprocess.run([tjctl, "--socket", path, "status"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            timeout=20, check=False)
    return status.returncode, status.stderr.decode(errors="replace").strip()[:120]


def case_idle(path, tjctl):
    """Many connections opened and left idle.  tjd caps its clients but
    always admits root (closing the oldest client), so root's tjctl status
    must answer even while they are held; once they are gone, it must
    answer at once too (no slot leaked)."""
    held = []
    try:
        for _ in range(300):
            held.append(connect(path))
    except OSError as error:
        print("     (opened %d idle connections, then: %s)" % (len(held), error))
    code, message = tjctl_status(tjctl, path)
    report(code == 0, "tjctl status while %d idle connections are held: exit %d %s"
           % (len(held), code, message))
    for sock in held:
        sock.close()
    deadline = time.monotonic() + 2
    while True:
        code, message = tjctl_status(tjctl, path)
        if code == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    report(code == 0, "tjctl status after the idle connections closed: exit %d %s"
           % (code, message))


def case_connect_close(path):
    """Clients that connect and close at once, or send and leave unread."""
    for _ in range(200):
        connect(path).close()
    for command in (10, 13):
        for _ in range(50):
            with connect(path) as sock:
                sock.send(request(1, command))
    report(True, "200 connect-and-close, 100 requests whose reply was never read")


def main():
    path, tjctl = sys.argv[1], sys.argv[2]
    # A zero-length datagram reads like end-of-file: closing is fine.
    expect_error_reply(path, b"", "empty datagram", may_close=True)
    case_garbage(path)
    expect_error_reply(path, request(WRONG_VERSION, 10),
                       "status with protocol version %d" % WRONG_VERSION, ERROR_VERSION)
    expect_error_reply(path, request(WRONG_VERSION, 11),
                       "clear with protocol version %d" % WRONG_VERSION, ERROR_VERSION)
    expect_error_reply(path, b"\x08\x01\x52\x05\x00", "truncated status request")
    expect_error_reply(path, b"\x08\x01\xfa\x06\x00", "version 1, unknown command field 111")
    case_oversize(path)
    case_idle(path, tjctl)
    case_connect_close(path)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
