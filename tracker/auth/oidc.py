"""Sign-in through the province's identity service (OpenID Connect), beside the tracker's own passwords.

`GET /login/oidc` sends the person to the provider with a fresh state, nonce and PKCE challenge (S256), kept in
this browser's session; `GET /login/oidc/callback` takes the provider's answer back: the state must be one this
session started, the code is exchanged with its verifier, the ID token's signature, issuer, audience, expiry and
nonce are checked, and the claims (ID token and userinfo) say who the person is, their agency and their groups.
The account is then made or brought up to date like an LDAP one (`directory.account_for`), and the sign-in ends
as every other does (`finish_sign_in`). Signing out of an account that came this way also ends the provider's
session (RP-initiated logout), where the provider offers it.

The provider is configured by TRACKER_OIDC_* (tracker/config.py) and asked for its discovery document only when
a sign-in needs it: the provider may be down when the app starts, and is then down only for this way in.
"""
from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..config import ConfigurationError
from ..operations import DomainError, perform
from . import operations as ops
from .directory import DirectoryPerson, DirectoryUnavailable
from .forms import LoginForm
from .services import safe_next
from .throttle import limiter

if TYPE_CHECKING:
    from authlib.integrations.flask_client import FlaskOAuth2App

bp = Blueprint("oidc", __name__)

NAME = "oidc"  # Authlib keeps each flow's state, nonce and verifier in the session under "_state_oidc_<state>"
NEXT = "oidc_next"  # where the person was going when the flow began
ID_TOKEN = "oidc_id_token"  # the ID token of the sign-in, for the provider's logout (id_token_hint)
EXTENSION = "tracker.oidc"
# Sign-ins begun and not finished (other tabs, the back button) that the session cookie keeps; older ones are
# dropped, so pressing the button again and again cannot grow the cookie past what browsers store.
MAX_PENDING = 5


class SignInRefused(DomainError):
    """The provider's answer cannot be trusted or says no: nothing was decided, the person may try again."""

    status = 400


def enabled(app: Flask | None = None) -> bool:
    """Whether sign-in through the identity service is configured (TRACKER_OIDC_ISSUER)."""
    return bool((app or current_app).config.get("OIDC_ISSUER"))


def init_app(app: Flask) -> None:
    """Check the configuration (no network: the provider is asked at the first sign-in) and let templates ask
    whether to show the provider's button."""
    if enabled(app):
        _check_config(app.config)
    app.extensions[EXTENSION] = {"lock": threading.Lock(), "clients": {}}
    app.jinja_env.globals["oidc_enabled"] = enabled


def _check_config(config) -> None:
    issuer = str(config.get("OIDC_ISSUER") or "")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(f"TRACKER_OIDC_ISSUER={issuer!r} is not the provider's issuer URL "
                                 "(https://host/path, as its /.well-known/openid-configuration says).")
    missing = [name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not config.get(name)]
    if missing:
        raise ConfigurationError(f"TRACKER_OIDC_ISSUER is set but {', '.join('TRACKER_' + m for m in missing)} "
                                 "is not: the tracker must be registered as a client of the identity service.")


def _issuer() -> str:
    return str(current_app.config["OIDC_ISSUER"]).rstrip("/")


class _Errors(NamedTuple):
    unreachable: tuple[type[Exception], ...]  # down, refused, timed out, not JSON, wrong issuer
    token_refused: type[Exception]  # the token endpoint said no
    bad_token: type[Exception]  # the ID token's signature, issuer, audience, expiry or nonce is wrong


@cache
def _errors() -> _Errors:
    """What talking to the provider can raise. Authlib, requests and joserfc (some 20 MiB) are imported at the
    first sign-in through the provider, so a worker of a tracker without one never loads them."""
    import requests
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    return _Errors((requests.RequestException, ValueError), AuthlibBaseError, JoseError)


def client() -> FlaskOAuth2App:
    """The Authlib client for the configuration in force, made at its first use (one per configuration, so the
    discovery document and keys it caches are the configured provider's)."""
    config = current_app.config
    key = (_issuer(), str(config["OIDC_CLIENT_ID"]), str(config["OIDC_CLIENT_SECRET"]), config["OIDC_SCOPE"],
           config["OIDC_TIMEOUT"])
    state = current_app.extensions[EXTENSION]
    with state["lock"]:
        found = state["clients"].get(key)
        if found is None:
            from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App

            issuer, client_id, client_secret, scope, timeout = key
            found = FlaskOAuth2App(
                FlaskIntegration(NAME), NAME, client_id=client_id, client_secret=client_secret,
                server_metadata_url=issuer + "/.well-known/openid-configuration",
                # The default requests session waits forever: a hung provider would hold a worker.
                client_kwargs={"scope": scope, "code_challenge_method": "S256", "default_timeout": timeout})
            state["clients"] = {key: found}  # a changed configuration replaces the old client
        return found


def _metadata(oauth: FlaskOAuth2App) -> dict:
    """The provider's discovery document; it must name the configured issuer (a mix-up otherwise)."""
    metadata = oauth.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != _issuer():
        oauth.server_metadata.clear()  # ask again next time: the operator may fix the provider or the setting
        raise ValueError(f"discovery names issuer {metadata.get('issuer')!r}, configured {_issuer()!r}")
    return metadata


def _unavailable(error: Exception) -> DirectoryUnavailable:
    current_app.logger.warning("identity service unavailable: %s: %s", type(error).__name__, error)
    return DirectoryUnavailable(_("Không kết nối được dịch vụ định danh của tỉnh. Vui lòng thử lại sau ít phút, "
                                  "hoặc đăng nhập bằng mật khẩu nếu tài khoản của bạn có mật khẩu."))


def _refused(reason: str, message: str | None = None, status: int = 400) -> SignInRefused:
    current_app.logger.warning("identity service sign-in refused: %s", reason)
    refused = SignInRefused(message or _("Không xác minh được kết quả đăng nhập từ dịch vụ định danh của tỉnh. "
                                         "Vui lòng thử lại."))
    refused.status = status
    return refused


def _show(refused: DomainError):
    from .views import refused_sign_in  # views imports this module for the logout: imported when used

    return refused_sign_in(refused, "auth/login.html", form=LoginForm(next=session.get(NEXT) or ""))


def _limit() -> str:
    return current_app.config["LOGIN_LIMIT_REQUESTS"]


@bp.get("/login/oidc")
@limiter.limit(_limit, exempt_when=lambda: not enabled())
def login():
    """Send the person to the identity service's sign-in, with a new state, nonce and PKCE challenge."""
    if not enabled():
        abort(404)
    oauth = client()
    try:
        _metadata(oauth)
        _drop_oldest_pending()
        response = oauth.authorize_redirect(url_for(".callback", _external=True))
    except _errors().unreachable as error:
        return _show(_unavailable(error))
    session[NEXT] = safe_next(request.args.get("next")) or ""
    return response


def _drop_oldest_pending() -> None:
    pending = sorted((key for key in session if key.startswith(f"_state_{NAME}_")),
                     key=lambda key: (session[key] or {}).get("exp", 0))
    for key in pending[:max(0, len(pending) - MAX_PENDING + 1)]:
        session.pop(key)


def _state_data(state: str) -> dict | None:
    return client().framework.get_state_data(session, state) if state and len(state) < 200 else None


def _claim(claims: dict, name: str):
    """A claim by name; a dotted name walks into objects (Keycloak's "realm_access.roles")."""
    if name in claims:
        return claims[name]
    value = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _strings(value) -> list[str]:
    """A claim that may be one string or a list of them, as strings (anything else is ignored)."""
    values = value if isinstance(value, list) else [value]
    return [item.strip() for item in values if isinstance(item, str) and item.strip()]


def person_from_claims(claims: dict) -> DirectoryPerson:
    """What the identity service says of the person, as the directory's sign-in takes it."""
    config = current_app.config
    groups = set(_strings(_claim(claims, config["OIDC_GROUPS_CLAIM"])))
    office, leader = config.get("OIDC_OFFICE_GROUP"), config.get("OIDC_LEADER_GROUP")
    # An address the provider says it has not verified could be anyone's: it must not take over an account.
    email = claims.get("email") if claims.get("email_verified", True) is not False else ""
    return DirectoryPerson(NAME, str(claims["sub"]), email if isinstance(email, str) else "",
                           name=claims.get("name") if isinstance(claims.get("name"), str) else "",
                           agency_names=_strings(_claim(claims, config["OIDC_AGENCY_CLAIM"])),
                           office=bool(office) and office in groups, leader=bool(leader) and leader in groups)


def _claims(oauth: FlaskOAuth2App, token: dict) -> dict:
    """The ID token's claims with the userinfo endpoint's (where providers put the profile), for the same subject."""
    claims = dict(token["userinfo"])
    endpoint = oauth.server_metadata.get("userinfo_endpoint")
    if endpoint:
        extra = oauth.userinfo(token=token)
        if extra.get("sub") != claims["sub"]:  # OpenID Connect Core 5.3.4: another person's answer is dropped
            raise _refused(f"userinfo for subject {extra.get('sub')!r}, ID token for {claims['sub']!r}")
        claims = {**extra, **claims}  # the signed ID token wins where both speak
    return claims


@bp.get("/login/oidc/callback")
@limiter.limit(_limit, exempt_when=lambda: not enabled())
def callback():
    """The identity service's answer: checked, then the account made or brought up to date and signed in."""
    if not enabled():
        abort(404)
    oauth = client()
    state = request.args.get("state", "")
    data = _state_data(state)
    if request.args.get("error"):
        if data is not None:
            oauth.framework.clear_state_data(session, state)
        if request.args["error"] == "access_denied":
            return _show(_refused("access_denied", _("Bạn đã hủy đăng nhập tại dịch vụ định danh của tỉnh, hoặc dịch "
                                                     "vụ đã từ chối. Chưa đăng nhập."), status=401))
        return _show(_refused(f"provider error {request.args['error'][:100]!r}",
                              _("Dịch vụ định danh của tỉnh không hoàn tất việc đăng nhập. Vui lòng thử lại.")))
    if data is None:
        # Not a flow this browser started (or one already finished): a forged or replayed answer, or a stale tab.
        return _show(_refused("unknown state", _("Phiên đăng nhập qua dịch vụ định danh đã hết hạn hoặc không hợp "
                                                 "lệ. Vui lòng bấm «Đăng nhập bằng tài khoản của tỉnh» để thử lại.")))
    try:
        metadata = _metadata(oauth)
        # RFC 9207: a provider that names itself in the answer must name the configured one (mix-up attacks).
        if "iss" in request.args and request.args["iss"].rstrip("/") != _issuer():
            oauth.framework.clear_state_data(session, state)
            raise _refused(f"answer from issuer {request.args['iss'][:200]!r}")
        token = oauth.authorize_access_token(claims_options={
            "iss": {"essential": True, "values": [metadata["issuer"]]},
            "aud": {"essential": True, "values": [oauth.client_id]},
        })
        if "userinfo" not in token:  # no ID token: nothing signed says who this is (Authlib would not object)
            raise _refused("token response without an ID token")
        claims = _claims(oauth, token)
    except SignInRefused as refused:
        return _show(refused)
    except _errors().token_refused as error:  # a replayed or expired code, a wrong verifier
        return _show(_refused(f"token endpoint: {error.error}: {getattr(error, 'description', '')}"))
    except _errors().bad_token as error:
        return _show(_refused(f"ID token: {type(error).__name__}: {error}"))
    except _errors().unreachable as error:
        return _show(_unavailable(error))
    try:
        user = perform(ops.sign_in_from_directory, person_from_claims(claims))
    except DomainError as refused:
        return _show(refused)
    session[ID_TOKEN] = token["id_token"]
    from .views import finish_sign_in

    return finish_sign_in(user, session.pop(NEXT, None))


def end_provider_session() -> str | None:
    """At sign-out: the provider's end-session address for the ID token of this session's sign-in, if it came
    through the identity service and the provider offers RP-initiated logout; None otherwise."""
    id_token = session.pop(ID_TOKEN, None)
    if not id_token or not enabled() or not current_user.is_authenticated:
        return None
    try:
        metadata = _metadata(client())
    except _errors().unreachable as error:
        current_app.logger.warning("identity service unavailable at sign-out: %s", error)
        flash(_("Không liên lạc được dịch vụ định danh của tỉnh: bạn đã đăng xuất khỏi hệ thống này, nhưng có thể vẫn "
                "còn đăng nhập ở dịch vụ định danh."), "error")
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    return client().create_logout_url(post_logout_redirect_uri=url_for("auth.login", _external=True),
                                      id_token_hint=id_token)["url"]
