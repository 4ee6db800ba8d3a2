"""A real OpenID Connect provider for tests: `oidc-provider` (npm) under Node, started on a free port of 127.0.0.1
from tests/oidc/, and a small browser (requests) that signs a person in on its own pages.

Node and npm must be installed (Debian's nodejs and npm do); `npm ci` runs in tests/oidc/ when its node_modules
is missing or differs from package-lock.json. Without Node the tests that need the provider are skipped, except
under CI, which must install it (see .ci/run).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from mailserver import bound_socket

HERE = Path(__file__).parent / "oidc"
CLIENT_ID = "tracker-test"
CLIENT_SECRET = "bi-mat-cua-tracker-tai-dich-vu-dinh-danh"
APP = "http://localhost"  # the Flask test client's host: the redirect URIs registered for the tracker
CALLBACK = APP + "/login/oidc/callback"


def require_node() -> None:
    """Skip the calling test (fail under CI) when Node or npm is missing."""
    if shutil.which("node") and shutil.which("npm"):
        return
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Node.js and npm for the OpenID Connect provider (see .ci/run)")
    pytest.skip("Node.js and npm are not installed (the OpenID Connect provider runs on them)")


def _installed() -> bool:
    """Whether node_modules holds exactly the versions package-lock.json names (npm's own record of it)."""
    hidden = HERE / "node_modules" / ".package-lock.json"
    if not hidden.exists():
        return False
    wanted = json.loads((HERE / "package-lock.json").read_text())["packages"]
    have = json.loads(hidden.read_text())["packages"]
    return all(have.get(path, {}).get("version") == entry.get("version") for path, entry in wanted.items() if path)


def install() -> None:
    """`npm ci` in tests/oidc/, unless node_modules is already what the lock file says (works offline then)."""
    if not _installed():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)], check=True,
                       capture_output=True, timeout=600)


class Provider:
    """One running provider: its issuer URL, and the accounts it knows (a file it reads at every sign-in)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.accounts_file = folder / "accounts.json"
        self.accounts: dict[str, dict] = {}
        self.process: subprocess.Popen | None = None
        self.issuer = ""

    def add(self, username: str, password: str, **claims) -> dict:
        """A person the provider knows; `claims` are what it says of them (sub, email, name, department, groups)."""
        self.accounts[username] = {"password": password, **claims}
        self.accounts_file.write_text(json.dumps(self.accounts, ensure_ascii=False))
        return self.accounts[username]

    def start(self) -> None:
        """Start `node provider.js` on a free port and wait for its discovery document."""
        with bound_socket() as sock:
            port = sock.getsockname()[1]
        settings = self.folder / "settings.json"
        settings.write_text(json.dumps({
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": [APP + "/login"], "accounts": str(self.accounts_file)}))
        self.accounts_file.write_text(json.dumps(self.accounts))
        self.log = open(self.folder / "provider.log", "wb")
        self.process = subprocess.Popen(["node", str(HERE / "provider.js"), str(port), str(settings)], cwd=HERE,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.issuer = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.issuer + "/.well-known/openid-configuration", timeout=2) as answer:
                    if json.load(answer)["issuer"] == self.issuer:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the OpenID Connect provider did not start:\n"
                                   + (self.folder / "provider.log").read_text(errors="replace"))
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the provider's own process (by its PID) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Browser:
    """A person's browser at the provider (its cookies are the provider's session): follows its redirects and
    fills its login page, and hands back the first address that leads to the tracker."""

    def __init__(self):
        self.session = requests.Session()
        self.pages: list[str] = []  # the provider's pages shown on the way, for the assertions

    def follow(self, url: str, method: str = "GET", data: dict | None = None) -> requests.Response | str:
        """Go to `url`, following the provider's redirects: the tracker's address where one leads there, else the
        provider's page (a login form, a logout question, an error)."""
        for _ in range(20):
            response = self.session.request(method, url, data=data, allow_redirects=False, timeout=10)
            if response.status_code not in (302, 303):
                self.pages.append(response.text)
                return response
            url = urljoin(url, response.headers["Location"])
            method, data = "GET", None
            if url.startswith(APP + "/"):
                return url
        raise AssertionError("the provider redirected too many times")

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """Sign in at the provider and return the callback address it sends the browser to."""
        page = self.follow(authorize_url)
        if isinstance(page, str):
            return page  # the provider's session already knew the person
        action = form_action(page.text, "/login")
        answer = self.follow(urljoin(page.url, action), "POST", {"username": username, "password": password})
        assert isinstance(answer, str), f"the provider refused the sign-in: {answer.status_code} {answer.text[:300]}"
        return answer

    def cancel(self, authorize_url: str) -> str:
        """Press «Cancel» on the provider's login page; the callback address it sends the browser to."""
        page = self.follow(authorize_url)
        assert not isinstance(page, str), "the provider did not ask who this is"
        answer = self.follow(urljoin(page.url, form_action(page.text, "/abort")), "POST", {})
        assert isinstance(answer, str), answer.text[:300]
        return answer

    def confirm_logout(self, end_session_url: str) -> str:
        """Answer «Yes, sign me out» on the provider's logout page; the tracker's address it sends the browser to."""
        page = self.follow(end_session_url)
        assert not isinstance(page, str), "the provider ended its session without asking"
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
        assert form, page.text[:500]
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
        answer = self.follow(urljoin(page.url, form.group(1)), "POST", {**fields, "logout": "yes"})
        assert isinstance(answer, str), answer.text[:300]
        return answer


def form_action(html: str, ending: str) -> str:
    """The action of the page's form whose address ends with `ending`."""
    for action in re.findall(r'<form[^>]*action="([^"]+)"', html):
        if action.endswith(ending):
            return action
    raise AssertionError(f"no form posting to …{ending} on the provider's page:\n{html[:500]}")
