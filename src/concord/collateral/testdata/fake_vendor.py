#!/usr/bin/env python3
"""A stand-in for AMD KDS / Intel PCS on 127.0.0.1 (collateral tests only).

Usage: fake_vendor.py ROUTES_JSON REQUEST_LOG
ROUTES_JSON maps a request target (path and query) to a list of responses
{"status": int, "headers": {name: value}, "body_file": path}; each request
takes the next response, the last one repeats. Unknown targets get 404.
Every request target is appended to REQUEST_LOG. Binds port 0 and prints the
port on stdout once it accepts connections; stops on SIGTERM.
"""
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

routes = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with lock:
            with open(log_path, "a") as log:
                log.write(self.path + "\n")
            queue = routes.get(self.path)
            response = None
            if queue:
                response = queue[0] if len(queue) == 1 else queue.pop(0)
        if response is None:
            response = {"status": 404, "headers": {}}
        body = b""
        if "body_file" in response:
            body = open(response["body_file"], "rb").read()
        self.send_response(response["status"])
        for name, value in response.get("headers", {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print(server.server_address[1], flush=True)
server.serve_forever(poll_interval=0.05)
