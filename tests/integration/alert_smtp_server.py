#!/usr/bin/python3
"""alert_smtp_server.py - a loopback SMTP server (Debian's python3-aiosmtpd)
that insists on STARTTLS and AUTH, for the e-mail channel's integration
test. Each accepted message is written to OUT_DIR/N.eml with its envelope in
OUT_DIR/N.json.

usage: alert_smtp_server.py PORT_FILE OUT_DIR CERT KEY USER PASSWORD
"""
import json
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PORT_FILE, OUT_DIR, CERT, KEY, USER, PASSWORD = sys.argv[1:7]
count = 0


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        with open(os.path.join(OUT_DIR, "%d.eml" % count), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(OUT_DIR, "%d.json" % count), "w") as f:
            json.dump({"from": envelope.mail_from,
                       "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None,
                       "authenticated": bool(session.authenticated)}, f)
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and
          auth_data.login.decode() == USER and
          auth_data.password.decode() == PASSWORD)
    return AuthResult(success=ok)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(CERT, KEY)
# The controller cannot listen on port 0: take a free port first.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Handler(), hostname="127.0.0.1", port=port,
                        tls_context=context, require_starttls=True,
                        auth_required=True, auth_require_tls=True,
                        authenticator=authenticator)
controller.start()
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(port))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
