#!/usr/bin/python3
"""Long-lived two-way flows for the e2e tests.

Each end sends a short line every 0.1 s and keeps, in STATE, how many
bytes it has received so far ("rx N"), so a test can tell whether a flow
still flows by reading STATE twice.  Run inside a network namespace
(nsenter --net=...); runs until killed.

Usage: flows.py tcp-listen PORT STATE | tcp-connect HOST PORT STATE
       flows.py udp-listen PORT STATE | udp-connect HOST PORT STATE
"""
import os
import select
import socket
import sys
import time

INTERVAL = 0.1


def record(state, received):
    tmp = state + ".tmp"
    with open(tmp, "w") as out:
        out.write("rx %d\n" % received)
    os.replace(tmp, state)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def run_stream(sock, state):
    received = 0
    record(state, received)
    sock.setblocking(False)
    next_send = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_send:
            try:
                sock.send(b"tick\n")
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                return
            next_send = now + INTERVAL
        readable, _, _ = select.select([sock], [], [], max(0.0, next_send - now))
        if readable:
            try:
                data = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            if not data:
                return
            received += len(data)
            record(state, received)


def tcp_listen(port, state):
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.bind(("::", port))
    server.listen(1)
    record(state, 0)
    conn, _ = server.accept()
    run_stream(conn, state)


def tcp_connect(host, port, state):
    sock = socket.create_connection((host, port), timeout=5)
    run_stream(sock, state)


def udp_listen(port, state):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", port))
    received = 0
    record(state, received)
    peer = None
    next_send = time.monotonic()
    while True:
        now = time.monotonic()
        if peer is not None and now >= next_send:
            try:
                sock.sendto(b"tock\n", peer)
            except OSError:
                pass
            next_send = now + INTERVAL
        readable, _, _ = select.select([sock], [], [], max(0.0, next_send - now) if peer else None)
        if readable:
            data, peer = sock.recvfrom(4096)
            received += len(data)
            record(state, received)


def udp_connect(host, port, state):
    sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
    sock.connect((host, port))
    received = 0
    record(state, received)
    next_send = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_send:
            try:
                sock.send(b"tick\n")
            except OSError:
                pass  # an ICMP error from a closed port: keep trying
            next_send = now + INTERVAL
        readable, _, _ = select.select([sock], [], [], max(0.0, next_send - now))
        if readable:
            try:
                data = sock.recv(4096)
            except OSError:
                continue
            received += len(data)
            record(state, received)


def main(argv):
    if len(argv) == 4 and argv[1] == "tcp-listen":
        tcp_listen(int(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "tcp-connect":
        tcp_connect(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 4 and argv[1] == "udp-listen":
        udp_listen(int(argv[2]), argv[3])
    elif len(argv) == 5 and argv[1] == "udp-connect":
        udp_connect(argv[2], int(argv[3]), argv[4])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
