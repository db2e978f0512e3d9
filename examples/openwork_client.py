#!/usr/bin/env python3
"""An `openwork rpc` client written from the OpenRPC document alone (Python 3.9+, standard library only).

It starts `openwork rpc`, asks `rpc.discover` for the document, and from then on knows the methods and their
params only from it: `client.call("workspace.add", path=...)` is checked against the method's declared params
(an unknown or a missing required param fails here, before anything is sent), and `client.workspace.add(...)`
is the same call. Requests and answers are JSON lines (the document's `x-transport.stdio`); `event`
notifications (`x-notifications`) are queued for `next_event()`.

Run as a program, it shows the integrator's round trip:

    python3 examples/openwork_client.py [--openwork PATH] DIR_A DIR_B

adds both directories as workspaces, asks opencode for both paths, subscribes to instance events, disposes
the first workspace's instance and waits for its `instance.disposed` event. It prints one JSON line per step.
"""

import argparse
import itertools
import json
import queue
import subprocess
import sys
import threading


class RPCError(Exception):
    """A JSON-RPC error answer: `code`, `message`, and `kind` (the stable `data.kind`)."""

    def __init__(self, error):
        self.code = error.get("code")
        self.kind = (error.get("data") or {}).get("kind")
        self.data = error.get("data")
        super().__init__(f"{error.get('message')} [{self.kind}, {self.code}]")


class _Namespace:
    """`client.workspace.add(...)`: a method name built one dotted part at a time."""

    def __init__(self, client, prefix):
        self._client, self._prefix = client, prefix

    def __getattr__(self, part):
        return _Namespace(self._client, f"{self._prefix}.{part}")

    def __call__(self, **params):
        return self._client.call(self._prefix, **params)


class OpenWorkClient:
    """One `openwork rpc` session, driven by its `rpc.discover` document."""

    def __init__(self, command=("openwork", "rpc"), timeout=60.0):
        self.timeout = timeout
        self._process = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting = {}
        self._events = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.document = self._request("rpc.discover", {})
        self.methods = {method["name"]: method for method in self.document["methods"]}

    # The protocol, as the document's x-transport describes it.

    def _read(self):
        for line in self._process.stdout:
            message = json.loads(line)
            if "id" in message and ("result" in message or "error" in message):
                with self._lock:
                    answer = self._waiting.pop(message["id"], None)
                if answer is not None:
                    answer.put(message)
            elif message.get("method"):
                self._events.put(message)
        with self._lock:
            for answer in self._waiting.values():
                answer.put({"error": {"code": -32603, "message": "openwork rpc ended", "data": {"kind": "eof"}}})

    def _request(self, method, params):
        request_id = next(self._ids)
        answer = queue.Queue(maxsize=1)
        with self._lock:
            self._waiting[request_id] = answer
        line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        message = answer.get(timeout=self.timeout)
        if "error" in message:
            raise RPCError(message["error"])
        return message["result"]

    # What the document allows.

    def call(self, method, **params):
        """Calls `method` with named params, checked against the document first."""
        described = self.methods.get(method)
        if described is None:
            raise ValueError(f"{method} is not in the document (methods: {', '.join(sorted(self.methods))})")
        declared = {param["name"]: param for param in described["params"]}
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise ValueError(f"{method} has no param {unknown[0]} (params: {', '.join(declared) or 'none'})")
        missing = [name for name, param in declared.items() if param.get("required") and name not in params]
        if missing:
            raise ValueError(f"{method} needs {', '.join(missing)}")
        return self._request(method, params)

    def __getattr__(self, part):
        if part.startswith("_"):
            raise AttributeError(part)
        return _Namespace(self, part)

    def next_event(self, type_name=None, timeout=None):
        """The next `event` notification's params (of `type_name` when given; others are skipped)."""
        while True:
            message = self._events.get(timeout=timeout or self.timeout)
            event = message.get("params", {})
            if message.get("method") == "event" and (type_name is None or event.get("type") == type_name):
                return event

    def close(self):
        """Ends the session (EOF on stdin) and waits for `openwork rpc` to exit."""
        self._process.stdin.close()
        return self._process.wait(timeout=self.timeout)


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openwork", default="openwork", help="the openwork executable")
    parser.add_argument("directories", nargs=2, metavar="DIR")
    options = parser.parse_args(arguments)

    def show(step, value):
        print(json.dumps({"step": step, "value": value}), flush=True)

    client = OpenWorkClient([options.openwork, "rpc"])
    try:
        show("discovered", sorted(client.methods))
        added = [client.workspace.add(path=directory)["workspace"] for directory in options.directories]
        show("added", [workspace["id"] for workspace in added])
        paths = [client.workspace.path(id=workspace["id"])["path"]["directory"] for workspace in added]
        show("paths", paths)
        show("subscribed", client.events.subscribe(types=["instance.*"]))
        show("disposed", client.instance.dispose(id=added[0]["id"]))
        event = client.next_event("instance.disposed")
        show("event", event)
    finally:
        status = client.close()
    show("exit", status)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
