#!/usr/bin/env python3
"""ping_receiver.py - a stand-in for healthchecks.io on loopback.

Usage: ping_receiver.py PORT_FILE REQUESTS_FILE

Answers every GET/POST/HEAD with 200 "OK" (as healthchecks.io does) and
appends one JSON line per request: time, method, path, body.
"""
import http.server
import json
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def record(self, body):
        with open(sys.argv[2], "a") as out:
            out.write(json.dumps({"time": time.time(), "method": self.command,
                                  "path": self.path,
                                  "body": body.decode("utf-8", "replace")})
                      + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def do_GET(self):
        self.record(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.record(self.rfile.read(length))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
