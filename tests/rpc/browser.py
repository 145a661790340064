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

    def tab(self) -> "Tab":
        return Tab(self)

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Tab:
    """One tab under the DevTools protocol, opened with `async with browser.tab() as tab`: navigate,
    evaluate, wait for a condition, screenshot. It records what a user would not see: console errors,
    uncaught exceptions, and the URL of every request the page made."""

    def __init__(self, browser: "Browser"):
        self.browser = browser
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.pending: dict[int, asyncio.Future] = {}
        self.ids = iter(range(1, 10**9))

    async def __aenter__(self) -> "Tab":
        self.target = requests.put(f"{self.browser.devtools}/json/new?about:blank", timeout=10).json()
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.target["webSocketDebuggerUrl"], max_msg_size=0)
        self.reader = asyncio.get_running_loop().create_task(self._read())
        for domain in ("Page", "Runtime", "Network", "Log"):
            await self.command(f"{domain}.enable")
        await self.command("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1,
                           mobile=False)
        return self

    async def __aexit__(self, *_):
        self.reader.cancel()
        await self.ws.close()
        await self.session.close()
        requests.get(f"{self.browser.devtools}/json/close/{self.target['id']}", timeout=10)

    async def _read(self):
        async for message in self.ws:
            event = json.loads(message.data)
            if "id" in event:
                future = self.pending.pop(event["id"], None)
                if future is not None and not future.done():
                    future.set_result(event)
            elif event["method"] == "Network.requestWillBeSent":
                self.requests.append(event["params"]["request"]["url"])
            elif event["method"] == "Runtime.consoleAPICalled" and event["params"]["type"] in ("error", "assert"):
                self.console_errors.append(json.dumps(event["params"]["args"])[:500])
            elif event["method"] == "Runtime.exceptionThrown":
                self.console_errors.append(json.dumps(event["params"]["exceptionDetails"])[:1000])
            elif event["method"] == "Log.entryAdded" and event["params"]["entry"]["level"] == "error":
                self.console_errors.append(event["params"]["entry"].get("text", "")[:500])

    async def command(self, method: str, **params):
        id_ = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[id_] = future
        await self.ws.send_str(json.dumps({"id": id_, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, 60)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    async def evaluate(self, expression: str):
        """The value of a JavaScript expression (awaited if it is a promise)."""
        answer = await self.command("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression[:80]!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    async def navigate(self, url: str) -> None:
        await self.command("Page.navigate", url=url)

    async def wait_for(self, expression: str, timeout: float = 30, what: str = ""):
        """Poll until the expression is truthy; its value (true for an element)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = await self.evaluate(f"(() => {{ const v = ({expression}); return v instanceof Node ? true : v; }})()")
            except RuntimeError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                text = await self.evaluate("document.body ? document.body.innerText.slice(0, 2000) : ''")
                raise AssertionError(f"timed out waiting for {what or expression}; the page shows:\n{text}")
            await asyncio.sleep(0.2)

    async def screenshot(self, path: Path) -> None:
        import base64
        shot = await self.command("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
