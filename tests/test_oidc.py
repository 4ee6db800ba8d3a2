"""Sign-in through the province's identity service (OpenID Connect), against a real provider the tests start:
`oidc-provider` under Node (tests/oidc/), its own login page driven by a small browser (oidc_provider.Browser),
the tracker driven by Flask's test client; the provider issues and signs real codes and tokens."""
from __future__ import annotations

import html
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.auth import oidc
from tracker.auth.models import AccessRequest, User
from tracker.config import ConfigurationError
from tracker.extensions import db

from conftest import PASSWORD, make_app
from mailserver import bound_socket
from oidc_provider import APP, CALLBACK, CLIENT_ID, CLIENT_SECRET, Browser, Provider, install, require_node

SECRET = "mat-khau-o-dich-vu-dinh-danh"
OFFICE_GROUP, LEADER_GROUP = "tracker-office", "tracker-leaders"
BUTTON = "Đăng nhập bằng tài khoản của tỉnh"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The identity service, with one person of each kind the tracker must tell apart."""
    require_node()
    install()
    running = Provider(tmp_path_factory.mktemp("oidc"))
    running.add("an", SECRET, sub="sub-an", email="an.nguyen@taichinh.langson.gov.vn", email_verified=True,
                name="Nguyễn Văn An", department="Sở Tài chính", groups=["can-bo"])
    running.add("vanphong", SECRET, sub="sub-vanphong", email="dieuphoi@langson.gov.vn", email_verified=True,
                name="Trần Thị Bình", department="VPĐP tỉnh", groups=["can-bo", OFFICE_GROUP])
    running.add("lanhdao", SECRET, sub="sub-lanhdao", email="pct@langson.gov.vn", email_verified=True,
                name="Hoàng Văn Cường", department="UBND tỉnh", groups=[LEADER_GROUP])
    running.add("xa", SECRET, sub="sub-xa", email="vanthu@xatanthanh.langson.gov.vn", email_verified=True,
                name="Lý Thị Dung", department="UBND xã Tân Thành", groups=[])
    # Says it is the officer who already has a local account here, with an address nobody checked.
    running.add("mao-danh", SECRET, sub="sub-mao-danh", email="khdt@test.vn", email_verified=False,
                name="Kẻ mạo danh", department="Sở KH&ĐT", groups=[OFFICE_GROUP])
    running.start()
    yield running
    running.stop()


def configure(app, issuer: str) -> None:
    app.config.update(OIDC_ISSUER=issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                      OIDC_SCOPE="openid email profile groups", OIDC_OFFICE_GROUP=OFFICE_GROUP,
                      OIDC_LEADER_GROUP=LEADER_GROUP, OIDC_TIMEOUT=5)


@pytest.fixture
def app_on(seeded, provider):
    """The seeded tracker, configured for the running provider (the `app` fixture restores its configuration)."""
    configure(seeded, provider.issuer)
    return seeded


def dead_issuer() -> str:
    with bound_socket() as sock:  # a port nobody listens on
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def start(client, next_url: str | None = None) -> str:
    """Press the provider's button on the tracker: the provider's authorization address it redirects to."""
    response = client.get("/login/oidc", query_string={"next": next_url} if next_url else None)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def local(url: str) -> str:
    """The tracker's address as the test client takes it."""
    assert url.startswith(APP + "/"), url
    return url[len(APP):]


def callback_of(client, browser: Browser, username: str, next_url: str | None = None) -> str:
    return local(browser.sign_in(start(client, next_url), username, SECRET))


def account(app, sub: str) -> SimpleNamespace | None:
    """The account the provider's subject signed in to, as plain values (None: no account was made)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.directory == "oidc", User.directory_id == sub))
        return None if user is None else SimpleNamespace(
            email=user.email, name=user.name, agency_name=user.agency.name, role=user.role,
            password_hash=user.password_hash)


def flashed(response) -> str:
    """The messages the page shows the person (the flashes above its content)."""
    return "\n".join(html.unescape(m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>',
                                                           response.get_data(as_text=True), re.S))


def state_key(callback: str) -> str:
    return "_state_oidc_" + parse_qs(urlsplit(callback).query)["state"][0]


# --- signing in -------------------------------------------------------------------------------------------------

def test_an_officer_signs_in_through_the_provider_and_lands_on_its_work(app_on, client, provider):
    page = client.get("/login")
    assert BUTTON in page.get_data(as_text=True)
    authorize = start(client)
    # The request to the provider: this client, this callback, a state, a nonce, and a PKCE challenge (S256).
    assert authorize.startswith(provider.issuer + "/auth?")
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["client_id"] == [CLIENT_ID] and asked["redirect_uri"] == [CALLBACK]
    assert asked["response_type"] == ["code"] and asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) >= 43 and asked["state"][0] and asked["nonce"][0]
    assert set(asked["scope"][0].split()) == {"openid", "email", "profile", "groups"}

    browser = Browser()
    callback = local(browser.sign_in(authorize, "an", SECRET))
    assert "Sign in to the identity service" in browser.pages[0]  # the provider's own login page was shown
    landed = client.get(callback)
    assert landed.status_code == 302 and landed.headers["Location"] == "/my", landed.get_data(as_text=True)
    assert client.get("/my").status_code == 200

    user = account(app_on, "sub-an")
    assert (user.email, user.name, user.agency_name, user.role) == (
        "an.nguyen@taichinh.langson.gov.vn", "Nguyễn Văn An", "Sở Tài chính", "officer")
    assert user.password_hash == ""  # the provider checks the password; the tracker keeps none


def test_the_office_group_gives_the_office_role(app_on, client):
    landed = client.get(callback_of(client, Browser(), "vanphong"))
    assert landed.status_code == 302
    assert account(app_on, "sub-vanphong").role == "office"
    assert client.get("/admin/users").status_code == 200


def test_the_leaders_group_gives_a_leader_who_reads_but_does_not_manage(app_on, client):
    client.get(callback_of(client, Browser(), "lanhdao"))
    assert account(app_on, "sub-lanhdao").role == "leader"
    assert client.get("/admin/users").status_code == 403


def test_a_sign_in_goes_where_the_person_was_going(app_on, client):
    landed = client.get(callback_of(client, Browser(), "an", next_url="/tasks/II.1"))
    assert landed.headers["Location"] == "/tasks/II.1"


def test_an_unknown_agency_is_refused_and_the_office_sees_the_request(app_on, client):
    answer = client.get(callback_of(client, Browser(), "xa"))
    assert answer.status_code == 403
    assert "UBND xã Tân Thành" in flashed(answer) and "Văn phòng Điều phối" in flashed(answer)
    assert account(app_on, "sub-xa") is None
    with app_on.app_context():
        request_ = db.session.scalar(sa.select(AccessRequest).where(AccessRequest.login == "sub-xa"))
        assert (request_.directory, request_.email, request_.agency_text) == (
            "oidc", "vanthu@xatanthanh.langson.gov.vn", "UBND xã Tân Thành")
    assert client.get("/my").status_code == 302  # not signed in


def test_an_address_the_provider_has_not_verified_takes_over_no_local_account(app_on, client):
    answer = client.get(callback_of(client, Browser(), "mao-danh"))
    assert answer.status_code == 403
    assert account(app_on, "sub-mao-danh") is None
    client.get("/")  # the refusal left nobody signed in
    assert client.get("/admin/users").status_code == 302
    # The local account is untouched: still its own password's.
    assert client.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD}).status_code == 302


def test_local_password_accounts_sign_in_beside_the_provider(app_on, client):
    answer = client.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == "/my"


# --- what the tracker checks in the provider's answer ------------------------------------------------------------

def test_a_tampered_state_is_refused(app_on, client):
    callback = callback_of(client, Browser(), "an")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    answer = client.get(callback.replace(f"state={state}", f"state={state[:-2]}xx"))
    assert answer.status_code == 400 and "đã hết hạn hoặc không hợp lệ" in flashed(answer)
    assert account(app_on, "sub-an") is None


def test_an_answer_this_browser_did_not_ask_for_is_refused(app_on, client):
    # Another browser's answer (a sign-in forced on the victim with the attacker's code): its state is unknown here.
    callback = callback_of(app_on.test_client(), Browser(), "an")
    answer = client.get(callback)
    assert answer.status_code == 400
    assert account(app_on, "sub-an") is None


def test_a_code_is_used_once(app_on, client):
    callback = callback_of(client, Browser(), "an")
    with client.session_transaction() as session:
        flow = session[state_key(callback)]
    assert client.get(callback).status_code == 302
    # The same answer again in the same browser: its state was spent.
    again = app_on.test_client()
    assert again.get(callback).status_code == 400
    # Even with the flow's state, verifier and nonce put back, the provider will not exchange the code twice.
    with again.session_transaction() as session:
        session[state_key(callback)] = flow
    replayed = again.get(callback)
    assert replayed.status_code == 400 and "Không xác minh được" in flashed(replayed)
    assert again.get("/my").status_code == 302


def test_an_id_token_for_another_nonce_is_refused(app_on, client):
    callback = callback_of(client, Browser(), "an")
    with client.session_transaction() as session:
        flow = session[state_key(callback)]
        flow["data"]["nonce"] = "a-nonce-this-sign-in-never-sent"
        session[state_key(callback)] = flow
    answer = client.get(callback)
    assert answer.status_code == 400 and "Không xác minh được" in flashed(answer)
    assert account(app_on, "sub-an") is None


def test_a_wrong_verifier_is_refused_by_the_provider(app_on, client):
    # PKCE: a code intercepted on its way back cannot be exchanged without the verifier this session holds.
    callback = callback_of(client, Browser(), "an")
    with client.session_transaction() as session:
        flow = session[state_key(callback)]
        flow["data"]["code_verifier"] = "x" * 64
        session[state_key(callback)] = flow
    assert client.get(callback).status_code == 400
    assert account(app_on, "sub-an") is None


def test_an_answer_naming_another_issuer_is_refused(app_on, client):
    callback = callback_of(client, Browser(), "an")
    assert "iss=" in callback  # the provider names itself (RFC 9207)
    answer = client.get(callback.replace("iss=http", "iss=https"))
    assert answer.status_code == 400
    assert account(app_on, "sub-an") is None


def test_cancelling_at_the_provider_says_so(app_on, client):
    callback = local(Browser().cancel(start(client)))
    assert "error=access_denied" in callback
    answer = client.get(callback)
    assert answer.status_code == 401 and "Bạn đã hủy đăng nhập" in flashed(answer)
    assert "access_denied" not in flashed(answer)  # the protocol's words stay in the log


def test_a_callback_without_a_flow_is_a_clear_400(app_on, client):
    for query in ("", "?code=abc", "?state=" + "x" * 5000, "?error=server_error&state=nothing"):
        answer = client.get("/login/oidc/callback" + query)
        assert answer.status_code == 400, query
        assert "dịch vụ định danh" in flashed(answer).lower()


# --- the provider down ----------------------------------------------------------------------------------------

def test_a_provider_that_is_down_gives_a_clear_503(app_on, client):
    app_on.config["OIDC_ISSUER"] = dead_issuer()
    answer = client.get("/login/oidc")
    assert answer.status_code == 503
    assert "Không kết nối được dịch vụ định danh" in flashed(answer)
    assert BUTTON in answer.get_data(as_text=True)  # the login page itself, with the password form beside it
    assert client.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD}).status_code == 302


def test_a_provider_that_goes_down_during_the_sign_in_gives_a_clear_503(app_on, client):
    callback = callback_of(client, Browser(), "an")
    app_on.config["OIDC_ISSUER"] = dead_issuer()
    answer = client.get(callback)
    assert answer.status_code == 503 and "Không kết nối được dịch vụ định danh" in flashed(answer)


def test_the_app_starts_while_the_provider_is_down(tmp_path):
    app = make_app(tmp_path, OIDC_ISSUER=dead_issuer(), OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET)
    page = app.test_client().get("/login")
    assert page.status_code == 200 and BUTTON in page.get_data(as_text=True)


def test_a_half_configured_provider_stops_the_start(tmp_path):
    with pytest.raises(ConfigurationError, match="TRACKER_OIDC_CLIENT_SECRET"):
        make_app(tmp_path, create_schema=False, OIDC_ISSUER="https://sso.langson.gov.vn/realms/tinh",
                 OIDC_CLIENT_ID=CLIENT_ID)
    with pytest.raises(ConfigurationError, match="issuer"):
        make_app(tmp_path, create_schema=False, OIDC_ISSUER="sso.langson.gov.vn", OIDC_CLIENT_ID=CLIENT_ID,
                 OIDC_CLIENT_SECRET=CLIENT_SECRET)


def test_without_an_issuer_there_is_no_button_and_no_way_in(seeded, client):
    assert BUTTON not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=a&state=b").status_code == 404


# --- signing out ------------------------------------------------------------------------------------------------

def test_signing_out_ends_the_providers_session_too(app_on, client, provider):
    browser = Browser()
    client.get(callback_of(client, browser, "an"))
    # While the provider's session lives, another sign-in there asks nothing: straight back to the tracker.
    other = app_on.test_client()
    assert browser.follow(start(other)).startswith(CALLBACK)

    answer = client.post("/logout")
    assert answer.status_code == 302
    end = answer.headers["Location"]
    assert end.startswith(provider.issuer + "/session/end?")
    asked = parse_qs(urlsplit(end).query)
    assert asked["post_logout_redirect_uri"] == [APP + "/login"] and asked["id_token_hint"][0].count(".") == 2
    assert client.get("/my").status_code == 302  # the tracker's session ended at once

    back = browser.confirm_logout(end)
    assert back.startswith(APP + "/login")
    assert "Đã đăng xuất" in flashed(client.get(local(back)))
    # The provider's session is gone: the next sign-in there asks for the password again.
    page = browser.follow(start(app_on.test_client()))
    assert not isinstance(page, str) and "Sign in to the identity service" in page.text


def test_signing_out_of_a_local_account_stays_here(app_on, client):
    client.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD})
    answer = client.post("/logout")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_signing_out_while_the_provider_is_down_still_signs_out_here(app_on, client):
    client.get(callback_of(client, Browser(), "an"))
    app_on.config["OIDC_ISSUER"] = dead_issuer()
    answer = client.post("/logout", follow_redirects=True)
    assert answer.status_code == 200 and "vẫn còn đăng nhập ở dịch vụ định danh" in flashed(answer)
    assert client.get("/my").status_code == 302


# --- claims -----------------------------------------------------------------------------------------------------

def test_claims_are_read_as_configured(app):
    app.config.update(OIDC_AGENCY_CLAIM="org.unit", OIDC_GROUPS_CLAIM="realm_access.roles",
                      OIDC_OFFICE_GROUP="vpdp", OIDC_LEADER_GROUP=None)
    with app.test_request_context():
        person = oidc.person_from_claims({"sub": "42", "email": "a@b.vn", "name": "A",
                                          "org": {"unit": ["Sở Y tế", 7, " "]},
                                          "realm_access": {"roles": ["vpdp", "lanh-dao"]}})
        assert (person.directory, person.directory_id, person.agency_names, person.office, person.leader) == (
            "oidc", "42", ["Sở Y tế"], True, False)
        # One string is one group; a missing claim is none; no configured group makes nobody office.
        app.config.update(OIDC_GROUPS_CLAIM="groups", OIDC_OFFICE_GROUP=None, OIDC_LEADER_GROUP="lanh-dao")
        person = oidc.person_from_claims({"sub": "43", "email": "c@d.vn", "groups": "lanh-dao"})
        assert (person.agency_names, person.office, person.leader, person.role) == ([], False, True, "leader")


def test_the_refusals_speak_english_to_an_english_reader(app_on, client):
    client.post("/language", data={"language": "en"})
    assert "Sign in with the province's account" in client.get("/login").get_data(as_text=True)
    app_on.config["OIDC_ISSUER"] = dead_issuer()
    answer = client.get("/login/oidc")
    assert answer.status_code == 503 and "identity service cannot be reached" in flashed(answer)


def test_sign_ins_begun_and_left_do_not_grow_the_session_without_end(app_on, client):
    for _ in range(3 * oidc.MAX_PENDING):
        authorize = start(client)
    with client.session_transaction() as session:
        assert sum(key.startswith("_state_oidc_") for key in session) == oidc.MAX_PENDING
    # The newest of them still signs in.
    assert client.get(local(Browser().sign_in(authorize, "an", SECRET))).status_code == 302
    assert account(app_on, "sub-an").role == "officer"


def test_the_configuration_comes_from_the_environment_as_written(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("TRACKER_OIDC_ISSUER", "https://sso.langson.gov.vn/realms/langson")
    monkeypatch.setenv("TRACKER_OIDC_CLIENT_ID", "2024")  # digits: JSON would make them a number
    monkeypatch.setenv("TRACKER_OIDC_CLIENT_SECRET", "1e5")  # and this one 100000.0
    monkeypatch.setenv("TRACKER_OIDC_OFFICE_GROUP", "1001")
    monkeypatch.setenv("TRACKER_OIDC_SCOPE", "openid email profile groups")
    config = create_app().config
    assert (config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"], config["OIDC_OFFICE_GROUP"]) == (
        "2024", "1e5", "1001")
    assert config["OIDC_SCOPE"] == "openid email profile groups" and config["OIDC_TIMEOUT"] == 10
