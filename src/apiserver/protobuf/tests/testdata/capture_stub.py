#!/usr/bin/env python3
"""Loopback HTTP stub that records the request bodies kubectl sends.

    python3 capture_stub.py 18765 OUT_DIR &
    kubectl.1.33 --server=http://127.0.0.1:18765 create configmap x \
        --from-literal=a=b --from-literal=empty= -n default
    kubectl.1.33 --server=http://127.0.0.1:18765 create configmap x \
        --from-literal=a=b --from-literal=empty= -n default --dry-run=client -o json

Each POST/PUT body goes to OUT_DIR/NN.bin (path and content type in NN.meta) and is
answered 201; every GET is a 404, so only commands that need no discovery work.
"""

import http.server
import json
import os
import sys

OUT = sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                         "reason": "NotFound", "code": 404})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = len([f for f in os.listdir(OUT) if f.endswith(".bin")])
        with open(os.path.join(OUT, f"{n:02d}.bin"), "wb") as f:
            f.write(body)
        with open(os.path.join(OUT, f"{n:02d}.meta"), "w") as f:
            f.write(f"{self.path}\n{self.headers.get('Content-Type')}\n")
        self.reply(201, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                         "code": 201})

    do_PUT = do_POST


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
