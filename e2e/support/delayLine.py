#!/usr/bin/env python3
"""A delay line for the network lab (e2e/support/netlab.ts), where the kernel has no sch_netem.

The router's iptables sends a home's packets to two NFQUEUE queues (0: up, from the home; 1: down,
to the home). This process holds each packet for the queue's delay plus a random jitter, then
accepts it. Packets leave in the order they came (each no earlier than the one before it), as on
a real link: a late packet holds up the ones behind it, none overtakes another.

    delayLine.py UP_MS UP_JITTER_MS DOWN_MS DOWN_JITTER_MS SEED

Speaks nfnetlink_queue directly over a netlink socket (struct layouts from
<linux/netfilter/nfnetlink_queue.h>): Debian has no Python binding for it, and only the packet id
is needed (copy mode "meta": no payload crosses into user space). Runs until SIGTERM. On exit the
kernel drops what is still queued, as a link that goes away would.
"""
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
SOL_NETLINK = 270
NETLINK_NO_ENOBUFS = 5
QUEUE_MAXLEN = 8192


def attribute(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


class Queues:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        # A burst larger than the buffer loses packets (as a full link would); it must not stop us.
        self.sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def send(self, msg_type: int, queue: int, attributes: bytes, flags: int = NLM_F_REQUEST) -> None:
        self.seq += 1
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attributes
        header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, self.seq, 0)
        self.sock.send(header + body)

    def config(self, queue: int, attributes: bytes) -> None:
        self.send(NFQNL_MSG_CONFIG, queue, attributes, NLM_F_REQUEST | NLM_F_ACK)
        reply = self.sock.recv(65536)
        _, kind, _, _, _ = struct.unpack_from("=IHHII", reply)
        if kind == NLMSG_ERROR:
            (error,) = struct.unpack_from("=i", reply, 16)
            if error != 0:
                raise OSError(-error, f"nfqueue config of queue {queue}: {os.strerror(-error)}")

    def bind(self, queue: int) -> None:
        self.config(queue, attribute(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_BIND, socket.htons(socket.AF_INET))))
        self.config(queue, attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)))
        self.config(queue, attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", QUEUE_MAXLEN)))

    def accept(self, queue: int, packet_id: int) -> None:
        self.send(NFQNL_MSG_VERDICT, queue, attribute(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id)))

    def packets(self, data: bytes):
        """(queue, packet id) of each packet message in one read."""
        offset = 0
        while offset + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from("=IHHII", data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                (queue,) = struct.unpack_from("!H", data, offset + 18)
                at = offset + 20
                end = offset + length
                while at + 4 <= end:
                    attr_len, attr_kind = struct.unpack_from("=HH", data, at)
                    if attr_len < 4:
                        break
                    if attr_kind & 0x7FFF == NFQA_PACKET_HDR:
                        (packet_id,) = struct.unpack_from("!I", data, at + 4)
                        yield queue, packet_id
                    at += (attr_len + 3) & ~3
            offset += (length + 3) & ~3


def main() -> None:
    up_ms, up_jitter_ms, down_ms, down_jitter_ms, seed = (float(value) for value in sys.argv[1:6])
    delays = {0: (up_ms / 1000, up_jitter_ms / 1000), 1: (down_ms / 1000, down_jitter_ms / 1000)}
    rng = random.Random(int(seed))
    queues = Queues()
    for queue in delays:
        queues.bind(queue)
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("delay line ready", flush=True)

    held: list[tuple[float, int, int, int]] = []  # (release at, arrival order, queue, packet id)
    last_release = {queue: 0.0 for queue in delays}
    order = 0
    while running:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, queue, packet_id = heapq.heappop(held)
            queues.accept(queue, packet_id)
        timeout = max(0.0, held[0][0] - now) if held else 0.5
        try:
            readable, _, _ = select.select([queues.sock], [], [], timeout)
        except InterruptedError:
            continue
        if not readable:
            continue
        data = queues.sock.recv(1 << 20)
        now = time.monotonic()
        for queue, packet_id in queues.packets(data):
            base, jitter = delays.get(queue, (0.0, 0.0))
            release = max(last_release[queue], now + max(0.0, base + rng.uniform(-jitter, jitter)))
            last_release[queue] = release
            order += 1
            heapq.heappush(held, (release, order, queue, packet_id))


if __name__ == "__main__":
    main()
