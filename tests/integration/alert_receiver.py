#!/usr/bin/env python3
"""alert_receiver.py - a loopback HTTP server standing in for Slack, Discord,
Telegram and a signed webhook in the alerter's integration tests.

Each body is checked against the service's documented format and limits;
webhook requests must carry a valid X-Sysops-Signature. Every request is
logged as one JSON line. The answer is chosen by the control file (re-read on
each request): "ok", "429 SECONDS", "429body SECONDS", "500", "404",
"hang", "close", "404echo"; an optional trailing "xN" applies it to N
requests, then "ok" again. "404echo" answers 404 with a body that echoes the
URL it was called with raw, JSON-escaped ("\\/" and "\\u002f"),
percent-encoded, upper-cased, its last path segment alone, and the HMAC
secret upper-cased: what a careless endpoint does, for the masking tests.
POSTs to /api/v1/write (remote write) and /ping... (heartbeat) are logged
with their length and Authorization header and always answered 200. A GET
of /health (for http checks) is answered 200 with "healthy", any other 404.

usage: alert_receiver.py PORT_FILE LOG_FILE CONTROL_FILE HMAC_SECRET
"""
import hashlib
import hmac
import json
import os
import re
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT_FILE, LOG_FILE, CONTROL_FILE, SECRET = sys.argv[1:5]
lock = threading.Lock()


def chars(s):
    return len(s)


def check_slack(body):
    assert isinstance(body.get("text"), str) and body["text"]
    attachments = body["attachments"]
    assert re.fullmatch(r"#[0-9a-f]{6}", attachments[0]["color"])
    blocks = attachments[0]["blocks"]
    assert 1 <= len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["type"] == "plain_text"
    assert chars(blocks[0]["text"]["text"]) <= 150
    for b in blocks[1:]:
        assert b["type"] in ("section", "context")
        text = b["text"]["text"] if b["type"] == "section" else \
            b["elements"][0]["text"]
        assert chars(text) <= 3000
        assert "<" not in text and ">" not in text


def check_discord(body):
    assert chars(body["content"]) <= 2000
    assert body["allowed_mentions"] == {"parse": []}
    embeds = body["embeds"]
    assert 1 <= len(embeds) <= 10
    total = 0
    for e in embeds:
        assert chars(e["title"]) <= 256
        assert chars(e["description"]) <= 4096
        assert isinstance(e["color"], int)
        total += chars(e["title"]) + chars(e["description"]) + \
            chars(e["footer"]["text"])
    assert total <= 6000


def check_telegram(body):
    assert body["parse_mode"] == "HTML"
    assert isinstance(body["chat_id"], str) and body["chat_id"]
    text = body["text"]
    assert chars(text) <= 4096
    tags = re.findall(r"<[^>]*>", text)
    assert all(t in ("<b>", "</b>", "<i>", "</i>") for t in tags), tags
    assert text.count("<b>") == text.count("</b>")


def check_webhook(body, headers):
    ts = headers.get("X-Sysops-Timestamp")
    sig = headers.get("X-Sysops-Signature")
    assert ts and sig, "unsigned"
    assert abs(time.time() - int(ts)) < 300, "stale timestamp"
    return ts, sig


def verify_signature(raw, ts, sig):
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + raw, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), sig)


def take_mode():
    with lock:
        try:
            with open(CONTROL_FILE) as f:
                words = f.read().split()
        except FileNotFoundError:
            words = []
        if not words:
            return ["ok"]
        if words[-1].startswith("x"):
            left = int(words[-1][1:])
            mode = words[:-1]
            rest = "ok" if left <= 1 else " ".join(mode + ["x%d" % (left - 1)])
            with open(CONTROL_FILE + ".tmp", "w") as f:
                f.write(rest)
            os.rename(CONTROL_FILE + ".tmp", CONTROL_FILE)
            return mode
        return words


def log(entry):
    with lock:
        with open(LOG_FILE, "a") as f:
            f.write(json.dumps(entry) + "\n")


def echo_body(path):
    url = "http://127.0.0.1:%d%s" % (server.server_address[1], path)
    forms = [("raw", url), ("json", url.replace("/", "\\/")),
             ("unicode", url.replace("/", "\\u002f")),
             ("percent", urllib.parse.quote(url, safe="")),
             ("upper", url.upper()),
             ("segment", path.rstrip("/").rsplit("/", 1)[-1]),
             ("key", SECRET.upper())]
    # Written by hand: json.dumps would escape the backslashes again.
    return "{" + ",".join('"%s":"%s"' % f for f in
                          [("error", "no such hook")] + forms) + "}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        # A health page for http checks: "healthy" at /health, else 404.
        log({"time": time.time(), "path": self.path, "kind": "get"})
        if self.path == "/health":
            self.reply(200, b'{"status":"healthy"}')
        else:
            self.reply(404, b'{"error":"no such page"}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        path = self.path
        if path.startswith("/api/v1/write") or path.startswith("/ping"):
            # Remote write (snappy protobuf) and heartbeat pings (text):
            # logged with their size and answered 200, never parsed, and
            # outside the control file's modes (those are the alerts').
            log({"time": time.time(), "path": path,
                 "kind": "remote_write" if path.startswith("/api") else "ping",
                 "length": len(raw),
                 "authorization": self.headers.get("Authorization", "")})
            self.reply(200)
            return
        mode = take_mode()
        kind = ("slack" if path.startswith("/slack") else
                "discord" if path.startswith("/discord") else
                "telegram" if "/sendMessage" in path else
                "webhook" if path.startswith("/webhook") else "other")
        entry = {"time": time.time(), "path": path, "kind": kind,
                 "mode": mode[0], "valid": True}
        try:
            body = json.loads(raw)
            entry["body"] = body
            if kind == "slack":
                check_slack(body)
            elif kind == "discord":
                check_discord(body)
            elif kind == "telegram":
                check_telegram(body)
            elif kind == "webhook":
                ts, sig = check_webhook(body, self.headers)
                if not verify_signature(raw, ts, sig):
                    raise AssertionError("bad signature")
                entry["signature"] = "verified"
        except Exception as e:  # noqa: BLE001 - any failure is a bad body
            entry["valid"] = False
            entry["error"] = repr(e)
            log(entry)
            self.reply(400, b'{"error":"invalid body"}')
            return
        log(entry)
        if mode[0] == "hang":
            time.sleep(3600)
            return
        if mode[0] == "close":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode[0] == "429":
            self.reply(429, b'{"message":"slow down"}',
                       [("Retry-After", mode[1])])
            return
        if mode[0] == "429body":
            self.reply(429, json.dumps({"ok": False, "error_code": 429,
                                        "parameters": {"retry_after":
                                                       int(mode[1])}}).encode())
            return
        if mode[0] == "404echo":
            self.reply(404, echo_body(path).encode())
            return
        if mode[0] in ("500", "404"):
            self.reply(int(mode[0]),
                       b'{"error":"failed for ' + path.encode() + b'"}')
            return
        self.reply(200, b'{"ok":true}')


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


port = int(os.environ.get("RECEIVER_PORT", "0"))
server = Server(("127.0.0.1", port), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
