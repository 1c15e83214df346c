#!/usr/bin/env python3
"""A test-owned TCP fault proxy for the local cluster (test/e2e/cluster).

One process serves several routes, each a loopback listen address forwarded
to a loopback target, and puts faults on them on command, so a test can cut a
replica off from its store or its peers without touching the host firewall:

  forward        relay bytes both ways (the default)
  drop           refuse: new connections are closed at once, open ones reset
  blackhole      accept and swallow: nothing is relayed either way and nothing
                 is closed, so the peer sees a hang until its own timeout
  delay MS       relay every chunk MS milliseconds late

Usage:
  fault_proxy.py serve --control SOCK --route NAME=LISTEN_HOST:PORT=TARGET_HOST:PORT[=proxy-v2] ...
  fault_proxy.py ctl SOCK set PATTERN MODE [MS]
  fault_proxy.py ctl SOCK status
  fault_proxy.py ctl SOCK ping

A route ending in "=proxy-v2" opens each upstream connection with a PROXY
protocol v2 header naming the real client (as HAProxy's send-proxy-v2 does),
for targets that expect one (concordd --proxy-protocol).

The control socket is a UNIX socket taking one line per connection:
"set <route name or glob pattern> <mode> [ms]", "status" or "ping"; it answers "ok ..."
or "error ...". Only loopback addresses are accepted for listening and
targets. The server stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import fnmatch
import ipaddress
import json
import os
import signal
import socket
import struct
import sys

MODES = ("forward", "drop", "blackhole", "delay")
CHUNK = 64 * 1024
MAX_DELAY_MS = 600_000
PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2_header(source, destination):
    """PROXY v2, command PROXY, TCP over IPv4 or IPv6, no TLVs."""
    src = ipaddress.ip_address(source[0])
    dst = ipaddress.ip_address(destination[0])
    if src.version != dst.version:
        return PROXY_V2_SIGNATURE + bytes([0x20, 0x00, 0x00, 0x00])  # LOCAL
    family = 0x11 if src.version == 4 else 0x21
    body = src.packed + dst.packed + struct.pack("!HH", source[1], destination[1])
    return PROXY_V2_SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(body)) + body


def parse_hostport(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"want HOST:PORT, got {text!r}")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"{host} is not a loopback address")
    port = int(port)
    if not 0 < port < 65536:
        raise ValueError(f"port out of range in {text!r}")
    return host, port


class Route:
    def __init__(self, name, listen, target, send_proxy=False):
        self.name = name
        self.send_proxy = send_proxy
        self.listen = listen
        self.target = target
        self.mode = "forward"
        self.delay_ms = 0
        self.connections = set()  # (client_writer, upstream_writer or None)
        self.accepted = 0
        self.server = None

    def describe(self):
        return {
            "listen": f"{self.listen[0]}:{self.listen[1]}",
            "target": f"{self.target[0]}:{self.target[1]}",
            "mode": self.mode,
            "delay_ms": self.delay_ms,
            "open": len(self.connections),
            "accepted": self.accepted,
        }

    def apply(self, mode, delay_ms):
        self.mode = mode
        self.delay_ms = delay_ms
        if mode == "drop":
            for client, upstream in list(self.connections):
                abort(client)
                if upstream is not None:
                    abort(upstream)

    async def handle(self, reader, writer):
        self.accepted += 1
        if self.mode == "drop":
            abort(writer)
            return
        pair = (writer, None)
        self.connections.add(pair)
        try:
            if self.mode == "blackhole":
                await self.swallow(reader)
                return
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection(*self.target), timeout=5)
            except (OSError, asyncio.TimeoutError):
                abort(writer)
                return
            self.connections.discard(pair)
            pair = (writer, up_writer)
            self.connections.add(pair)
            if self.send_proxy:
                up_writer.write(proxy_v2_header(writer.get_extra_info("peername")[:2],
                                                writer.get_extra_info("sockname")[:2]))
            await asyncio.gather(self.pump(reader, up_writer), self.pump(up_reader, writer),
                                 return_exceptions=True)
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            self.connections.discard(pair)
            for w in pair:
                if w is not None:
                    close(w)

    async def swallow(self, reader):
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return

    async def pump(self, reader, writer):
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                while self.mode == "blackhole":
                    await asyncio.sleep(0.05)  # swallowed: hold, relay nothing
                    data = b""
                if self.mode == "drop":
                    abort(writer)
                    return
                if self.mode == "delay" and self.delay_ms > 0:
                    await asyncio.sleep(self.delay_ms / 1000)
                if data:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, OSError):
            abort(writer)


def abort(writer):
    transport = writer.transport
    if transport is not None and not transport.is_closing():
        transport.abort()


def close(writer):
    try:
        writer.close()
    except (ConnectionError, OSError, RuntimeError):
        pass


class Proxy:
    def __init__(self, routes):
        self.routes = {r.name: r for r in routes}

    def command(self, line):
        parts = line.split()
        if not parts:
            return "error empty command"
        if parts[0] == "ping":
            return "ok pong"
        if parts[0] == "status":
            return "ok " + json.dumps({n: r.describe() for n, r in self.routes.items()},
                                      sort_keys=True)
        if parts[0] != "set" or len(parts) not in (3, 4):
            return "error want: set PATTERN MODE [MS] | status | ping"
        pattern, mode = parts[1], parts[2]
        if mode not in MODES:
            return f"error mode: want one of {', '.join(MODES)}, got {mode!r}"
        delay_ms = 0
        if mode == "delay":
            if len(parts) != 4 or not parts[3].isdigit() or int(parts[3]) > MAX_DELAY_MS:
                return f"error delay: want milliseconds 0..{MAX_DELAY_MS}"
            delay_ms = int(parts[3])
        elif len(parts) == 4:
            return f"error mode {mode} takes no argument"
        chosen = [r for n, r in self.routes.items() if fnmatch.fnmatchcase(n, pattern)]
        if not chosen:
            return f"error no route matches {pattern!r}"
        for route in chosen:
            route.apply(mode, delay_ms)
        return "ok " + " ".join(sorted(r.name for r in chosen))

    async def control(self, reader, writer):
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            answer = self.command(line.decode("utf-8", "replace").strip()[:1024])
            writer.write(answer.encode() + b"\n")
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass
        finally:
            close(writer)


async def serve(args):
    routes = []
    for spec in args.route:
        name, sep, rest = spec.partition("=")
        listen, sep2, target = rest.partition("=")
        target, _, option = target.partition("=")
        if not sep or not sep2 or not name or option not in ("", "proxy-v2"):
            raise SystemExit(f"--route: want NAME=LISTEN=TARGET[=proxy-v2], got {spec!r}")
        routes.append(Route(name, parse_hostport(listen), parse_hostport(target),
                            send_proxy=option == "proxy-v2"))
    proxy = Proxy(routes)
    for route in routes:
        route.server = await asyncio.start_server(route.handle, *route.listen,
                                                  reuse_address=True)
    if os.path.exists(args.control):
        os.unlink(args.control)
    control = await asyncio.start_unix_server(proxy.control, path=args.control)
    os.chmod(args.control, 0o600)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    control.close()
    for route in routes:
        route.server.close()
        route.apply("drop", 0)
    try:
        os.unlink(args.control)
    except OSError:
        pass


def ctl(args):
    line = " ".join(args.words)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(args.sock)
        s.sendall(line.encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            data = s.recv(65536)
            if not data:
                break
            answer += data
    text = answer.decode().strip()
    print(text)
    return 0 if text.startswith("ok") else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--control", required=True)
    s.add_argument("--route", action="append", default=[])
    c = sub.add_parser("ctl")
    c.add_argument("sock")
    c.add_argument("words", nargs="+")
    args = parser.parse_args()
    if args.cmd == "serve":
        if not args.route:
            parser.error("serve: at least one --route")
        asyncio.run(serve(args))
        return 0
    return ctl(args)


if __name__ == "__main__":
    sys.exit(main())
