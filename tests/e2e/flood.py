#!/usr/bin/python3
"""Sends TCP SYNs from this network namespace as fast as it can, for a while.

Usage: flood.py SRC DST PORT SECONDS

Each SYN has its own source port (a new connection attempt each time), from
SRC (the sender's own address, so that layer-2 bindings let it through) to
DST:PORT.  Prints the number of packets sent.
"""
import socket
import struct
import sys
import time


def checksum(data):
    """The Internet checksum of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn(src, dst, sport, dport):
    """An IPv4 packet holding a TCP SYN."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64,
                         socket.IPPROTO_TCP, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + tcp


def main():
    src, dst = socket.inet_aton(sys.argv[1]), socket.inet_aton(sys.argv[2])
    port, seconds = int(sys.argv[3]), float(sys.argv[4])
    packets = [syn(src, dst, 1024 + i, port) for i in range(60000)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    target = (sys.argv[2], 0)
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for packet in packets[sent % 60000:sent % 60000 + 500]:
            try:
                sock.sendto(packet, target)
            except OSError:
                pass
            sent += 1
    print(sent)


if __name__ == "__main__":
    main()
