# SPDX-License-Identifier: MIT
"""The daemon as the Python integration tests drive it: started on a config
file, its log read back, SIGHUP and SIGUSR1 sent, stopped."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TUNECHO = os.environ.get("TUNECHO_BIN", "build/src/tunecho/tunecho")


class Daemon:
    def __init__(self, text, must_start=True):
        self.conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
        self.write(text)
        self.log = tempfile.TemporaryFile("w+")
        self.p = subprocess.Popen([TUNECHO, "-c", self.conf.name], stderr=self.log)
        self.ready = self.wait_for("ready", 0)
        if must_start and not self.ready:
            print(self.text(), file=sys.stderr)
            sys.exit("tunecho did not start")

    def write(self, text):
        with open(self.conf.name, "w") as f:
            f.write(text)

    def text(self, start=0):
        self.log.seek(start)
        return self.log.read()

    def end(self):
        self.log.seek(0, 2)
        return self.log.tell()

    def wait_for(self, what, start, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what in self.text(start):
                return True
            if self.p.poll() is not None:
                return what in self.text(start)
            time.sleep(0.02)
        return False

    def all_stats(self):
        """The JSON line SIGUSR1 makes it log, as a dict."""
        start = self.end()
        self.p.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for line in self.text(start).splitlines():
                if line.startswith("tunecho: {"):
                    return json.loads(line[len("tunecho: "):])
            time.sleep(0.05)
        sys.exit("no statistics from tunecho")

    def terminate(self):
        """SIGTERM (unless it ended), its exit status; the config file goes."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        os.unlink(self.conf.name)
        return rc
