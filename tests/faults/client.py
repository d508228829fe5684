"""A candidate's browser, as far as the server can tell: a session cookie, the login form with its
CSRF token, the start form, and exam.js's autosave and submit requests (static/js/exam.js)."""

import http.client
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

# What the drills count as "the request never got an answer": the browser keeps the change and sends it again.
NETWORK_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Browser:
    base: str
    cookies: dict = field(default_factory=dict)
    timeout: float = 15

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        url = urlsplit(self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=self.timeout)
        sent = {"Host": url.netloc, "Origin": self.base, "Referer": self.base + path, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Reply(response.status, dict(response.headers), data, time.monotonic() - started)

    def _csrf_from(self, reply: Reply) -> str:
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', reply.body)
        assert match, f"no CSRF token in the page ({reply.status})"
        return match.group(1).decode()

    def post_form(self, path: str, fields: dict | list, page: Reply | None = None, **headers) -> Reply:
        token = self._csrf_from(page) if page else self.cookies["csrftoken"]
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        body = urlencode([("csrfmiddlewaretoken", token), *pairs]).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **headers})

    def login(self, email: str, password: str) -> None:
        page = self.request("GET", "/accounts/login/")
        assert page.status == 200, page.status
        reply = self.post_form("/accounts/login/", {"username": email, "password": password}, page)
        assert reply.status == 302, f"login refused for {email}: {reply.status}"

    def start(self, slug: str, fields: list | None = None) -> int:
        page = self.request("GET", f"/exams/{slug}/")
        assert page.status == 200, page.status
        reply = self.post_form(f"/exams/{slug}/", fields or [], page)
        # The start answers with the exam page; Content-Location is the attempt's address.
        assert reply.status == 200, f"start refused: {reply.status} {reply.body[:300]!r}"
        return int(re.search(r"/attempts/(\d+)/", reply.header("Content-Location")).group(1))

    def save(self, attempt: int, position: int, selected: list[int], flagged: bool, seq: int) -> Reply:
        body = json.dumps({"position": position, "selected": selected, "flagged": flagged, "seq": seq}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", "")}
        return self.request("POST", f"/exams/attempts/{attempt}/save", body, headers)

    def submit(self, attempt: int) -> Reply:
        return self.post_form(f"/exams/attempts/{attempt}/submit", {"by": "button"}, Accept="application/json")
