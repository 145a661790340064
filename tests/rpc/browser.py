"""A real headless Chromium (Debian's package, installed by `make install`) driven over the DevTools
protocol, and pages on origins of our choosing, so tests see exactly what a web page can and cannot do.

`Browser.run(page_url, script)` opens the page in a new tab and evaluates `script` (an async function
body) in it, returning its JSON value; the page's origin is the page URL's.
"""

import asyncio
import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import aiohttp
import pytest
import requests
from aiohttp import web

STARTUP_SECONDS = 30
PAGE = "<!doctype html><html><head><title>a web page</title></head><body>a web page</body></html>"


def chromium_path() -> str:
    """Debian's chromium; absent only where `make install` could not apt-get it (never in CI)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make install` installs Debian's chromium package")
        pytest.skip("no chromium on PATH (`make install` installs it where apt-get runs as root)")
    return path


class PageServer:
    """A plain web server for a blank page, on a thread; reached as http://localhost:PORT or 127.0.0.1:PORT,
    which are two different origins to a browser."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the page server did not start")

    def _serve(self):
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        async def page(_request):
            return web.Response(text=PAGE, content_type="text/html")

        app.router.add_get("/", page)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = self.runner.addresses[0][1]
        self.ready.set()
        self.loop.run_forever()

    def origin(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Browser:
    def __init__(self, workdir: Path):
        self.log_path = workdir / "chromium.log"
        self.process = subprocess.Popen(
            [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={workdir / 'profile'}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "wb"), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", self.log_path.read_text(errors="replace"))
            if found:
                self.devtools = f"http://127.0.0.1:{found[1]}"
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.close()
        raise RuntimeError(f"chromium did not start:\n{self.log_path.read_text(errors='replace')}")

    def run(self, page_url: str, script: str):
        """Open `page_url` in a new tab, run `script` (an async function body) there, return its value."""
        tab = requests.put(f"{self.devtools}/json/new?{page_url}", timeout=10).json()
        try:
            return asyncio.run(self._evaluate(tab["webSocketDebuggerUrl"], script))
        finally:
            requests.get(f"{self.devtools}/json/close/{tab['id']}", timeout=10)

    async def _evaluate(self, tab_socket: str, script: str):
        async with aiohttp.ClientSession() as session, session.ws_connect(tab_socket, max_msg_size=0) as ws:
            ids = iter(range(1, 1_000_000))

            async def command(method: str, **params):
                id_ = next(ids)
                await ws.send_str(json.dumps({"id": id_, "method": method, "params": params}))
                while True:
                    message = json.loads((await asyncio.wait_for(ws.receive(), 30)).data)
                    if message.get("id") == id_:
                        if "error" in message:
                            raise RuntimeError(f"{method}: {message['error']}")
                        return message["result"]

            for _ in range(100):
                state = await command("Runtime.evaluate", expression="document.readyState", returnByValue=True)
                if state["result"].get("value") == "complete":
                    break
                await asyncio.sleep(0.1)
            answer = await command("Runtime.evaluate", expression=f"(async () => {{ {script} }})()",
                                   awaitPromise=True, returnByValue=True)
            if "exceptionDetails" in answer:
                raise RuntimeError(f"the page's script threw: {answer['exceptionDetails']}")
            return answer["result"].get("value")

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
