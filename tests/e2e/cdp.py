# SPDX-License-Identifier: Apache-2.0
"""A small Chrome DevTools Protocol client in the standard library: Debian's
headless Chromium started with a fresh profile, one page, commands and
their answers over a WebSocket (RFC 6455) written here, without a browser
driver from a package registry.

  with Browser(profile_dir) as b:
      b.goto("http://127.0.0.1:8080/")
      b.wait("document.querySelectorAll('.tile').length == 2")
      b.eval("...")              # Runtime.evaluate, returnByValue
      b.type_text("SIM000801"); b.key("Enter")
      b.click(".tile .stop")     # a real mouse press/release at its centre
      b.screenshot("out.png")
"""
import base64
import hashlib
import json
import os
import re
import select
import socket
import struct
import subprocess
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--window-size=1280,800", "--hide-scrollbars"]
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"   # RFC 6455, 1.3


class CDPError(Exception):
    pass


class WebSocket:
    """A client WebSocket: text frames out (masked), frames in (unmasked)."""

    def __init__(self, url, timeout):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        if not m:
            raise CDPError("not a ws:// URL: %r" % url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("the browser closed the WebSocket handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if b" 101 " not in head.split(b"\r\n")[0] or want.encode() not in head:
            raise CDPError("WebSocket handshake refused: %r" % head[:200])

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise CDPError("the browser closed the WebSocket")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text, opcode=1):
        data = text.encode() if isinstance(text, str) else text
        head = bytes([0x80 | opcode])
        if len(data) < 126:
            head += bytes([0x80 | len(data)])
        elif len(data) < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(data))
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        """The next whole text message (pings answered, fragments joined)."""
        parts = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            op = b0 & 0x0F
            if op == 8:
                raise CDPError("the browser closed the WebSocket")
            if op == 9:
                self.send(data, opcode=10)
                continue
            if op in (0, 1):
                parts.append(data)
                if b0 & 0x80:
                    return b"".join(parts).decode()

    def close(self):
        self.sock.close()


class Browser:
    def __init__(self, profile, timeout=30):
        self.timeout = timeout
        self.proc = subprocess.Popen([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile,
                                                           "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        url = self._devtools_url()
        self.ws = WebSocket(url, timeout)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _devtools_url(self):
        deadline = time.monotonic() + self.timeout
        seen = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stderr], [], [], 0.5)
            if r:
                line = self.proc.stderr.readline()
                if not line and self.proc.poll() is not None:
                    break
                seen += line
                m = re.search(rb"DevTools listening on (ws://\S+)", line)
                if m:
                    return m.group(1).decode()
        self.proc.kill()
        raise CDPError("chromium did not start: %s" % seen.decode(errors="replace")[-2000:])

    def call(self, method, params=None, session=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, session=True)
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, expr, what=None, timeout=None):
        """Until expr is true in the page; its last value, or CDPError."""
        deadline = time.monotonic() + (timeout or self.timeout)
        v = None
        while time.monotonic() < deadline:
            v = self.eval(expr)
            if v:
                return v
            time.sleep(0.05)
        raise CDPError("timed out waiting for %s (%s)" % (what or expr, v))

    def goto(self, url):
        self.call("Page.navigate", {"url": url}, session=True)

    def reload(self):
        self.call("Page.reload", {"ignoreCache": True}, session=True)

    def type_text(self, text):
        self.call("Input.insertText", {"text": text}, session=True)

    def key(self, name):
        keys = {"Enter": (13, "\r"), "Tab": (9, "")}
        code, text = keys[name]
        down = {"type": "keyDown", "key": name, "code": name, "windowsVirtualKeyCode": code}
        if text:
            down["text"] = text
        self.call("Input.dispatchKeyEvent", down, session=True)
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": name, "code": name,
                                             "windowsVirtualKeyCode": code}, session=True)

    def click(self, selector):
        box = self.eval("(function(){const r = document.querySelector(%s)"
                        ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];})()"
                        % json.dumps(selector))
        for t in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": t, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1},
                      session=True)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.ws.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
