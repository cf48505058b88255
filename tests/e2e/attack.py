#!/usr/bin/python3
"""Attacks from a backend container, and the probes that watch them land.

Used by tests/e2e/t-40-attacks.sh.  One subcommand per attack or probe; all
addresses, MACs and interfaces come from the arguments.  The attacks build
whole Ethernet frames with scapy and send them from the attacker's network
namespace (run under nsenter with Docker's default capabilities: NET_RAW is
all they need).  The probes run in the victim's namespace.

Exit status: 0 when the effect the subcommand looks for was observed (a
frame captured, a reply received, a connection made), 1 when it was not,
2 on bad usage.  Senders exit 0 once their frames are out.

Only the subcommands that build or capture frames import scapy, so the
socket helpers (sink, ticker, probe) start in milliseconds.  scapy is
Debian's python3-scapy (scripts/deps.sh), hence /usr/bin/python3.
"""

import argparse
import select
import socket
import sys
import threading
import time


def now_ms():
    """Milliseconds since the epoch (the clock the shell's `date +%s%N` reads)."""
    return time.time_ns() // 1000000


def family_of(address):
    """AF_INET6 for an IPv6 address (with or without %scope), else AF_INET."""
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def sockaddr(address, port):
    """The socket address for ADDRESS (which may carry a %scope) and PORT."""
    info = socket.getaddrinfo(address, port, family_of(address), 0, 0, socket.AI_NUMERICHOST)
    return info[0][4]


def touch(path):
    """Create PATH (a readiness marker for the shell)."""
    if path:
        with open(path, "w", encoding="ascii") as marker:
            marker.write("%d\n" % now_ms())


# ------------------------------------------------------------------ frames


def scapy():
    """Import scapy (slow: only for subcommands that need it) and return it."""
    import logging

    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    import scapy.all  # pylint: disable=import-outside-toplevel

    scapy.all.conf.verb = 0
    return scapy.all


def ether(sc, args):
    """The Ethernet header from --src-mac/--dst-mac, with the --vlan tags.

    dot1q: one 802.1Q tag with VLAN id 0 (a priority tag); qinq: an 802.1ad
    service tag with id 0 around an 802.1Q tag with id 0.
    """
    frame = sc.Ether(src=args.src_mac, dst=args.dst_mac)
    if args.vlan == "dot1q":
        frame = frame / sc.Dot1Q(vlan=0)
    elif args.vlan == "qinq":
        frame = frame / sc.Dot1AD(vlan=0) / sc.Dot1Q(vlan=0)
    return frame


def ip_header(sc, src, dst, hlim=64):
    """An IPv4 or IPv6 header from SRC to DST."""
    if family_of(dst) == socket.AF_INET6:
        return sc.IPv6(src=src, dst=dst, hlim=hlim)
    return sc.IP(src=src, dst=dst, ttl=hlim)


def send_frames(sc, args, frame):
    """Send FRAME --count times, --interval seconds apart, out of --iface."""
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        sc.sendp(frame, iface=args.iface)
    return 0


def cmd_udp(args):
    """A UDP datagram from --src:--sport to --dst:--dport (any source address).

    With --fragment SIZE, the datagram (its payload padded with spaces,
    which the sink strips, to 20 fragments' worth) goes out as IP fragments
    of SIZE payload bytes each (a multiple of 8): with 8, the first IPv4
    fragment holds the UDP header and nothing else.
    """
    sc = scapy()
    payload = args.payload.encode()
    if not args.fragment:
        frame = ether(sc, args) / ip_header(sc, args.src, args.dst)
        frame = frame / sc.UDP(sport=args.sport, dport=args.dport) / payload
        return send_frames(sc, args, frame)
    payload = payload.ljust(max(len(payload), 20 * args.fragment), b" ")
    udp = sc.UDP(sport=args.sport, dport=args.dport) / payload
    if family_of(args.dst) == socket.AF_INET6:
        packet = ip_header(sc, args.src, args.dst) / sc.IPv6ExtHdrFragment() / udp
        # fragment6's size counts the IPv6 and fragment headers (48 bytes)
        pieces = sc.fragment6(packet, args.fragment + 48)
    else:
        pieces = sc.fragment(ip_header(sc, args.src, args.dst) / udp, fragsize=args.fragment)
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        sc.sendp([ether(sc, args) / piece for piece in pieces], iface=args.iface)
    return 0


def cmd_arp_reply(args):
    """An ARP reply: --psrc is at --hwsrc, told to --pdst (--hwdst)."""
    sc = scapy()
    frame = ether(sc, args) / sc.ARP(
        op=2, psrc=args.psrc, hwsrc=args.hwsrc, pdst=args.pdst, hwdst=args.hwdst
    )
    return send_frames(sc, args, frame)


def cmd_ra(args):
    """A router advertisement from --src (link-local) announcing --prefix/64
    with autonomous configuration, and the sender as default router."""
    sc = scapy()
    frame = ether(sc, args) / sc.IPv6(src=args.src, dst="ff02::1", hlim=255)
    frame = frame / sc.ICMPv6ND_RA(chlim=64, routerlifetime=args.lifetime)
    frame = frame / sc.ICMPv6NDOptSrcLLAddr(lladdr=args.src_mac)
    frame = frame / sc.ICMPv6NDOptPrefixInfo(
        prefix=args.prefix,
        prefixlen=64,
        L=1,
        A=1,
        validlifetime=args.lifetime,
        preferredlifetime=args.lifetime,
    )
    return send_frames(sc, args, frame)


def cmd_na(args):
    """An unsolicited neighbour advertisement with the override flag: --target
    is at --lladdr, sent from --src to --dst."""
    sc = scapy()
    frame = ether(sc, args) / sc.IPv6(src=args.src, dst=args.dst, hlim=255)
    frame = frame / sc.ICMPv6ND_NA(R=0, S=0, O=1, tgt=args.target)
    frame = frame / sc.ICMPv6NDOptDstLLAddr(lladdr=args.lladdr)
    return send_frames(sc, args, frame)


def tcp_options(args):
    """The timestamp option (--tsval/--tsecr), if given."""
    if args.tsval is None:
        return []
    return [("NOP", None), ("NOP", None), ("Timestamp", (args.tsval, args.tsecr))]


def cmd_tcp(args):
    """A TCP segment with the given flags, sequence and acknowledgement
    numbers and payload (a spoofed SYN, or data injected into a connection)."""
    sc = scapy()
    segment = sc.TCP(
        sport=args.sport,
        dport=args.dport,
        flags=args.flags,
        seq=args.seq,
        ack=args.ack,
        window=args.window,
        options=tcp_options(args),
    )
    frame = ether(sc, args) / ip_header(sc, args.src, args.dst) / segment
    if args.payload:
        frame = frame / args.payload.encode()
    return send_frames(sc, args, frame)


def cmd_icmp_error(args):
    """An ICMP error from --src to --dst quoting a packet --dst sent to
    --inner-dst (--inner-proto from --inner-sport to --inner-dport):
    fragmentation needed / packet too big (--kind mtu, with --mtu), or port
    unreachable (--kind port)."""
    sc = scapy()
    v6 = family_of(args.dst) == socket.AF_INET6
    if args.inner_proto == "tcp":
        inner_l4 = sc.TCP(sport=args.inner_sport, dport=args.inner_dport, flags="A",
                          seq=args.inner_seq, ack=args.inner_ack)
    else:
        inner_l4 = sc.UDP(sport=args.inner_sport, dport=args.inner_dport) / b"quoted"
    if v6:
        inner = sc.IPv6(src=args.dst, dst=args.inner_dst, hlim=63) / inner_l4
        if args.kind == "mtu":
            error = sc.ICMPv6PacketTooBig(mtu=args.mtu)
        else:
            error = sc.ICMPv6DestUnreach(code=4)
    else:
        inner = sc.IP(src=args.dst, dst=args.inner_dst, ttl=63, flags="DF") / inner_l4
        if args.kind == "mtu":
            error = sc.ICMP(type=3, code=4, nexthopmtu=args.mtu)
        else:
            error = sc.ICMP(type=3, code=3)
    frame = ether(sc, args) / ip_header(sc, args.src, args.dst) / error / inner
    return send_frames(sc, args, frame)


# ------------------------------------------------------------------ captures


def capture(sc, args, match):
    """Sniff --iface until MATCH(packet) or --timeout; touch --ready once the
    capture runs.  Returns the first matching packet or None."""
    found = []

    def keep(packet):
        if match(packet):
            found.append(packet)
            return True
        return False

    sc.sniff(
        iface=args.iface,
        timeout=args.timeout,
        store=False,
        stop_filter=keep,
        started_callback=lambda: touch(args.ready),
    )
    return found[0] if found else None


def l3_of(sc, packet):
    """The packet's IPv4 or IPv6 layer, or None."""
    if sc.IP in packet:
        return packet[sc.IP]
    if sc.IPv6 in packet:
        return packet[sc.IPv6]
    return None


def cmd_peek(args):
    """Capture one TCP segment with payload from --src to --dst:--dport and
    print "SPORT NEXT_SEQ ACK TSVAL TSECR": what an in-window segment of that
    connection must carry."""
    sc = scapy()

    def match(packet):
        l3 = l3_of(sc, packet)
        return (
            l3 is not None and sc.TCP in packet and l3.src == args.src and l3.dst == args.dst
            and packet[sc.TCP].dport == args.dport and len(packet[sc.TCP].payload) > 0
        )

    packet = capture(sc, args, match)
    if packet is None:
        return 1
    tcp = packet[sc.TCP]
    l3 = l3_of(sc, packet)
    # From the IP length, not len(payload): that would count Ethernet padding.
    if sc.IP in packet:
        length = l3.len - l3.ihl * 4 - tcp.dataofs * 4
    else:
        length = l3.plen - tcp.dataofs * 4
    tsval = tsecr = "-"
    for name, value in tcp.options:
        if name == "Timestamp":
            tsval, tsecr = value
    print(tcp.sport, (tcp.seq + length) % 2**32, tcp.ack, tsval, tsecr)
    return 0


def cmd_sniff(args):
    """Capture until a packet from --src arrives (to --dst if given) of
    protocol --proto (icmp, icmp6, tcp, udp) with the given --type/--code
    (ICMP), --flags (TCP) and --sport/--dport; print it and exit 0."""
    sc = scapy()
    protos = {"icmp": sc.ICMP, "tcp": sc.TCP, "udp": sc.UDP}

    def l4_of(packet):
        if args.proto == "icmp6":
            for layer in (sc.ICMPv6PacketTooBig, sc.ICMPv6DestUnreach):
                if layer in packet:
                    return packet[layer]
            return None
        layer = protos[args.proto]
        return packet[layer] if layer in packet else None

    def match(packet):
        l3 = l3_of(sc, packet)
        if l3 is None or l3.src != args.src or (args.dst and l3.dst != args.dst):
            return False
        l4 = l4_of(packet)
        if l4 is None:
            return False
        if args.type is not None and l4.type != args.type:
            return False
        if args.code is not None and l4.code != args.code:
            return False
        if args.flags and str(l4.flags) != args.flags:
            return False
        if args.sport is not None and l4.sport != args.sport:
            return False
        if args.dport is not None and l4.dport != args.dport:
            return False
        return True

    packet = capture(sc, args, match)
    if packet is None:
        return 1
    print(packet.summary())
    return 0


# ------------------------------------------------------------------ sockets


class Log:
    """A line log shared by threads: "MS PROTO PEER_ADDR PEER_PORT LINE"."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.out = open(path, "a", encoding="utf-8")  # pylint: disable=consider-using-with

    def write(self, proto, peer, line):
        """Append one received line with the time it arrived."""
        with self.lock:
            self.out.write("%d %s %s %d %s\n" % (now_ms(), proto, peer[0], peer[1], line))
            self.out.flush()


def sink_tcp_client(log, conn, peer):
    """Log every line a TCP client sends until it goes away."""
    buf = b""
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                log.write("tcp", unmapped(peer), line.decode(errors="replace"))
    except OSError:
        pass
    conn.close()


def sink_tcp(log, port):
    """Accept TCP connections on PORT (IPv4 and IPv6) and log what they send."""
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.bind(("::", port))
    server.listen(16)
    while True:
        conn, peer = server.accept()
        threading.Thread(target=sink_tcp_client, args=(log, conn, peer), daemon=True).start()


def unmapped(peer):
    """PEER with an IPv4-mapped IPv6 address written as plain IPv4."""
    if peer[0].startswith("::ffff:"):
        return (peer[0][7:], peer[1])
    return peer


def sink_udp(log, sock):
    """Log each datagram and echo it back to its sender."""
    while True:
        data, peer = sock.recvfrom(65535)
        log.write("udp", unmapped(peer), data.decode(errors="replace").strip())
        try:
            sock.sendto(b"echo " + data, peer)
        except OSError:
            pass


def cmd_sink(args):
    """Listen on the --tcp and --udp ports, log every line or datagram to
    --log, echo datagrams back; run until killed."""
    log = Log(args.log)
    threads = []
    for port in args.tcp:
        threads.append(threading.Thread(target=sink_tcp, args=(log, port), daemon=True))
    for port in args.udp:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", port))
        threads.append(threading.Thread(target=sink_udp, args=(log, sock), daemon=True))
    for thread in threads:
        thread.start()
    touch(args.ready)
    while True:
        time.sleep(3600)


def ticker_socket(args):
    """A connected TCP or UDP socket to --dst:--dport from --sport (0: any)."""
    kind = socket.SOCK_STREAM if args.proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(family_of(args.dst), kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.sport:
        sock.bind(("::" if family_of(args.dst) == socket.AF_INET6 else "0.0.0.0", args.sport))
    sock.settimeout(args.connect_timeout)
    sock.connect(sockaddr(args.dst, args.dport))
    sock.setblocking(False)
    return sock


def cmd_ticker(args):
    """Send "TAG N" lines (TCP) or datagrams (UDP) to --dst:--dport every
    --interval seconds, --count of them (0: no limit), on one connection or
    from one source port; then keep the connection open until --duration
    has passed.  Drain whatever comes back.  Touch --ready once connected."""
    try:
        sock = ticker_socket(args)
    except OSError as error:
        print("ticker: %s" % error, file=sys.stderr)
        return 1
    touch(args.ready)
    deadline = time.monotonic() + args.duration
    sent = 0
    next_send = time.monotonic()
    while time.monotonic() < deadline:
        if (args.count == 0 or sent < args.count) and time.monotonic() >= next_send:
            try:
                sock.send(("%s %d\n" % (args.tag, sent)).encode())
            except BlockingIOError:
                pass
            except OSError as error:
                print("ticker: %s" % error, file=sys.stderr)
                return 1
            sent += 1
            next_send += args.interval
        readable, _, _ = select.select([sock], [], [], 0.02)
        if readable:
            try:
                sock.recv(65535)
            except OSError:
                pass
    return 0


def cmd_probe(args):
    """One attempt: TCP (send an HTTP request, expect --expect in the reply)
    or UDP (send a datagram, expect an echo) to --dst:--dport; exit 0 when
    it got through, 1 otherwise."""
    kind = socket.SOCK_STREAM if args.proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(family_of(args.dst), kind)
    sock.settimeout(args.timeout)
    reply = b""
    try:
        sock.connect(sockaddr(args.dst, args.dport))
        if args.proto == "tcp":
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            while True:
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
        else:
            sock.send(args.expect.encode())
            reply = sock.recv(65535)
    except OSError:
        pass
    sock.close()
    return 0 if args.expect.encode() in reply else 1


# ------------------------------------------------------------------ arguments


def add_frame_arguments(parser):
    """The arguments every frame sender takes."""
    parser.add_argument("--iface", default="eth0")
    parser.add_argument("--src-mac", required=True)
    parser.add_argument("--dst-mac", required=True)
    parser.add_argument("--vlan", choices=["none", "dot1q", "qinq"], default="none")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0.1)


def add_capture_arguments(parser):
    """The arguments every capture takes."""
    parser.add_argument("--iface", default="eth0")
    parser.add_argument("--timeout", type=float, default=3)
    parser.add_argument("--ready", help="file to create once capturing")


def parse(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("udp", help=cmd_udp.__doc__)
    add_frame_arguments(p)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--sport", type=int, default=40000)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("--fragment", type=int, default=0, help="send as IP fragments of this size")
    p.set_defaults(run=cmd_udp)

    p = sub.add_parser("arp-reply", help=cmd_arp_reply.__doc__)
    add_frame_arguments(p)
    for name in ("--psrc", "--hwsrc", "--pdst", "--hwdst"):
        p.add_argument(name, required=True)
    p.set_defaults(run=cmd_arp_reply)

    p = sub.add_parser("ra", help=cmd_ra.__doc__)
    add_frame_arguments(p)
    p.add_argument("--src", required=True, help="the sender's link-local address")
    p.add_argument("--prefix", required=True)
    p.add_argument("--lifetime", type=int, default=600)
    p.set_defaults(run=cmd_ra)

    p = sub.add_parser("na", help=cmd_na.__doc__)
    add_frame_arguments(p)
    for name in ("--src", "--dst", "--target", "--lladdr"):
        p.add_argument(name, required=True)
    p.set_defaults(run=cmd_na)

    p = sub.add_parser("tcp", help=cmd_tcp.__doc__)
    add_frame_arguments(p)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--flags", default="S")
    p.add_argument("--seq", type=int, default=1000)
    p.add_argument("--ack", type=int, default=0)
    p.add_argument("--window", type=int, default=64240)
    p.add_argument("--tsval", type=int)
    p.add_argument("--tsecr", type=int, default=0)
    p.add_argument("--payload", default="")
    p.set_defaults(run=cmd_tcp)

    p = sub.add_parser("icmp-error", help=cmd_icmp_error.__doc__)
    add_frame_arguments(p)
    p.add_argument("--kind", choices=["mtu", "port"], required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--mtu", type=int, default=1280)
    p.add_argument("--inner-dst", required=True)
    p.add_argument("--inner-proto", choices=["tcp", "udp"], required=True)
    p.add_argument("--inner-sport", type=int, required=True)
    p.add_argument("--inner-dport", type=int, required=True)
    p.add_argument("--inner-seq", type=int, default=0)
    p.add_argument("--inner-ack", type=int, default=0)
    p.set_defaults(run=cmd_icmp_error)

    p = sub.add_parser("peek", help=cmd_peek.__doc__)
    add_capture_arguments(p)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, required=True)
    p.set_defaults(run=cmd_peek)

    p = sub.add_parser("sniff", help=cmd_sniff.__doc__)
    add_capture_arguments(p)
    p.add_argument("--src", required=True)
    p.add_argument("--dst")
    p.add_argument("--proto", choices=["icmp", "icmp6", "tcp", "udp"], required=True)
    p.add_argument("--type", type=int)
    p.add_argument("--code", type=int)
    p.add_argument("--flags")
    p.add_argument("--sport", type=int)
    p.add_argument("--dport", type=int)
    p.set_defaults(run=cmd_sniff)

    p = sub.add_parser("sink", help=cmd_sink.__doc__)
    p.add_argument("--log", required=True)
    p.add_argument("--tcp", type=int, action="append", default=[])
    p.add_argument("--udp", type=int, action="append", default=[])
    p.add_argument("--ready")
    p.set_defaults(run=cmd_sink)

    p = sub.add_parser("ticker", help=cmd_ticker.__doc__)
    p.add_argument("--proto", choices=["tcp", "udp"], required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--tag", required=True)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--connect-timeout", type=float, default=2)
    p.add_argument("--ready")
    p.set_defaults(run=cmd_ticker)

    p = sub.add_parser("probe", help=cmd_probe.__doc__)
    p.add_argument("--proto", choices=["tcp", "udp"], required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--timeout", type=float, default=1)
    p.set_defaults(run=cmd_probe)

    return parser.parse_args(argv)


def main(argv):
    """Run one subcommand."""
    args = parse(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
