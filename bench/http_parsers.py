"""The API's HTTP protocol (httptools with our bounds, services/ingest/http.py) beside uvicorn's
pure-Python h11 protocol, in one run, on the same app and the same client.

    .venv/bin/python bench/http_parsers.py [--seconds 5] [--clients 8]

Each server runs in its own process and answers ``GET /healthz`` (no database work), so what is
compared is the HTTP layer. The client keeps ``--clients`` connections alive, one request at a
time on each, over raw sockets, and prints requests/s for each protocol and their ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"


def serve(protocol: str, port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    from services.ingest.http import protocol_for
    from shared.core.settings import Settings

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    http = (
        protocol_for(Settings(database_url="postgresql:///unused"))
        if protocol == "httptools"
        else "h11"
    )
    uvicorn.run(app, host="127.0.0.1", port=port, http=http, log_level="error", access_log=False)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(port: int, clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            while time.monotonic() < stop:
                conn.sendall(REQUEST)
                answer = b""
                while not answer.endswith(b'{"status":"ok"}'):
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    answer += chunk
                done[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    rates = {}
    for protocol in ("h11", "httptools"):
        port = free_port()
        server = multiprocessing.Process(target=serve, args=(protocol, port), daemon=True)
        server.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        load(port, args.clients, 1.0)  # warm-up
        rates[protocol] = load(port, args.clients, args.seconds)
        server.terminate()
        server.join()
        print(f"{protocol:10} {rates[protocol]:8.0f} requests/s", flush=True)
    print(f"httptools (bounded) / h11: {rates['httptools'] / rates['h11']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
