#!/usr/bin/env python3
"""Stands in for systemd's notify socket: receives sd_notify datagrams on a
unix socket and appends each one, newlines kept, to an output file."""
import os
import socket
import sys

path, output = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
# Like systemd's own /run/systemd/notify: a daemon started as root that has
# switched to its service user must still be able to send.
os.chmod(path, 0o666)
with open(output + ".ready", "w"):
    pass
with open(output, "a", buffering=1) as out:
    while True:
        data = sock.recv(4096)
        out.write(data.decode(errors="replace").replace("\n", "|") + "\n")
