# SPDX-License-Identifier: MIT
# usability-guest.py - run by tests/vm/usability.sh in a --host-root ROS with
# -i, --forward PORT:8000 and --share WWW: streamed stdin, loopback and name
# resolution, the share under the host root, then one HTTP request served.
import hashlib
import http.server
import os
import socket
import sys

share = sys.argv[1]

# stdin arrives as it is written: the host sends the rest only after this.
first = sys.stdin.buffer.readline()
print("got", first.decode().strip(), flush=True)
rest = sys.stdin.buffer.read()
print("stdin lines", rest.count(b"\n"), hashlib.sha256(rest).hexdigest(),
      flush=True)

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
c = socket.create_connection(("localhost", srv.getsockname()[1]), timeout=10)
a, _ = srv.accept()
c.sendall(b"ping")
print("loopback", a.recv(4).decode(), flush=True)
print("hostname", socket.gethostname(),
      socket.getaddrinfo(socket.gethostname(), 80)[0][4][0], flush=True)

with open(os.path.join(share, "index.txt")) as f:
    print("share", f.read().strip(), flush=True)
with open(os.path.join(share, "back.txt"), "w") as f:
    f.write("written in the ROS\n")

handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=share)
httpd = http.server.HTTPServer(("", 8000), handler)
print("serving", flush=True)
httpd.handle_request()
print("served", flush=True)
