"""Configuration defaults; the instance folder and TRACKER_* environment variables override them outside tests."""
from __future__ import annotations

import os

from flask import Flask

DEV_SECRET_KEY = "dev-only-change-me"
MIN_SECRET_KEY = 32  # characters

DEFAULTS = {
    "SECRET_KEY": DEV_SECRET_KEY,
    "TIMEZONE": "Asia/Ho_Chi_Minh",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "PAGE_SIZE": 100,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Secure by default; `make run` serves plain http on 127.0.0.1 and turns it off explicitly.
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PASSWORD_HASH_METHOD": "scrypt",
    # Failed sign-ins allowed (limits' notation) per account from one address, per address over all
    # accounts (an office behind one NAT address), and per account from anywhere.
    "LOGIN_LIMIT_ACCOUNT_ADDRESS": "5 per 15 minutes",
    "LOGIN_LIMIT_ADDRESS": "30 per 15 minutes",
    "LOGIN_LIMIT_ACCOUNT": "20 per hour",
    # Every sign-in request, successful or not, per address: a flood guard in front of the above.
    "LOGIN_LIMIT_REQUESTS": "60 per minute",
    # Counters shared by every worker: the application's database by default, or redis://host:6379.
    "RATELIMIT_STORAGE_URI": "database://",
    "RATELIMIT_STRATEGY": "fixed-window",
    "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on a refusal
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    # A request may carry a few files of MAX_UPLOAD_BYTES each; larger ones get 413.
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    # Attachments: unset, a folder (UPLOAD_FOLDER, default instance/uploads; on several hosts, the same shared
    # volume mounted at the same path on each); "file:///path", that folder; "s3://bucket/prefix", an
    # S3-compatible bucket, its endpoint and keys from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
    # and AWS_DEFAULT_REGION (docs/deploy.md).
    "FILES_URL": None,
    "UPLOAD_FOLDER": None,
    # Mail: with no SMTP_HOST, messages wait in the outbox.
    "SMTP_HOST": None,
    "SMTP_PORT": None,  # default by SMTP_SECURITY: 25 none, 587 starttls, 465 ssl
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_SECURITY": "none",  # none | starttls | ssl
    "SMTP_TIMEOUT": 30,
    "MAIL_FROM": "nhacviec@localhost",
    "MAIL_FROM_NAME": "Theo dõi kế hoạch NTM Lạng Sơn",
    "MAIL_DOMAIN": "tracker.localhost",
    "MAIL_SUBJECT_PREFIX": "[NTM Lạng Sơn]",
    "BASE_URL": "http://127.0.0.1:5000",  # links in e-mails
    "REMINDER_SWEEP_HOUR": 7,
    "REMINDER_SWEEP_MINUTE": 0,
    "OUTBOX_INTERVAL_SECONDS": 60,
    # How long a claimed message is the claimant's alone; longer than SMTP_TIMEOUT times the steps of a send.
    "OUTBOX_LEASE_SECONDS": 600,
    # Several scheduler processes may run (one per host); the one holding this lease runs the jobs, and
    # a standby takes over at most this long after the leader dies (at once after a clean stop).
    "SCHEDULER_LEASE_SECONDS": 60,
    # Behind a reverse proxy (nginx): how many proxies set X-Forwarded-For/-Proto/-Host; 0 trusts none.
    "PROXY_FIX": 0,
    # Logs of the processes started by wsgi.py, gunicorn and `flask scheduler`: "json" (one object a
    # line, for a log shipper) or "text"; tests and other embedders configure their own.
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    # A plan's document: the largest upload taken, the most pages read (a plan's appendix has a few), how
    # often the scheduler's process looks for documents to read, and how long a reader may go without a
    # word before another process takes its document up again (it reports after every page).
    "DOCUMENT_MAX_BYTES": 30 * 1024 * 1024,
    "DOCUMENT_MAX_PAGES": 40,
    "DOCUMENT_INTERVAL_SECONDS": 10,
    "DOCUMENT_STALE_SECONDS": 300,
    # Sign-in with the province's identity service (OpenID Connect; docs/deploy.md), beside local passwords:
    # off while OIDC_ISSUER is unset. The issuer is the provider's URL as its discovery document names it
    # (ISSUER/.well-known/openid-configuration is read at the first sign-in, not at start); the client id and
    # secret are those the provider issued when the tracker was registered with the redirect URI
    # https://<tracker>/login/oidc/callback (and, for signing out there too, https://<tracker>/login).
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    # The scopes asked for: they must bring the e-mail, the name, and the two claims below (add the provider's
    # scope for groups, e.g. "openid email profile groups", where it keeps them in one of its own).
    "OIDC_SCOPE": "openid email profile",
    # The claim naming the person's department or district (matched to the agencies and their aliases; a list
    # is tried in order), and the claim listing their groups (a dotted name reads inside an object:
    # "realm_access.roles"). Members of OFFICE_GROUP get the office's role, of LEADER_GROUP a leader's; everyone
    # else is an officer. Unset groups give nobody those roles.
    "OIDC_AGENCY_CLAIM": "department",
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_OFFICE_GROUP": None,
    "OIDC_LEADER_GROUP": None,
    # Seconds to wait for the provider (discovery, token, keys, userinfo) before saying it is unreachable.
    "OIDC_TIMEOUT": 10,
    # Demo accounts (`flask demo-users`) can be created only when this is on, as in `make run`.
    "DEMO": False,
    # Sign-in with the province's directory (LDAP, docs/deploy.md); off while LDAP_URL is unset. People type their
    # e-mail or directory login and password on the same page; the service account (BIND_DN) finds their entry
    # under USER_BASE by USER_FILTER ({login} stands for what they typed, escaped), then their own password is
    # checked by binding as that entry. Local accounts keep their own passwords beside it.
    "LDAP_URL": None,  # ldap://host:389 or ldaps://host:636
    "LDAP_STARTTLS": False,  # upgrade an ldap:// connection with StartTLS before any password is sent
    "LDAP_CA_FILE": None,  # the CA (PEM) that signed the directory's certificate; the system's CAs when unset
    "LDAP_BIND_DN": None,
    "LDAP_BIND_PASSWORD": None,
    "LDAP_USER_BASE": None,
    "LDAP_USER_FILTER": "(|(uid={login})(mail={login}))",
    # The attribute naming the person's department or district, matched to the agencies with their aliases.
    "LDAP_AGENCY_ATTRIBUTE": "ou",
    # Groups (DNs) whose members (member or uniqueMember) are the office, or leaders; everyone else an officer.
    "LDAP_OFFICE_GROUP": None,
    "LDAP_LEADER_GROUP": None,
    # Seconds to connect, and to wait for each answer: a directory that hangs must not hold a worker long.
    "LDAP_TIMEOUT": 5,
}


# Settings taken from the environment exactly as written (never parsed as JSON).
TEXT_SETTINGS = ("LDAP_BIND_PASSWORD", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_OFFICE_GROUP", "OIDC_LEADER_GROUP")


def load_config(app: Flask, test_config: dict | None) -> None:
    """Apply defaults, then either test_config alone or instance/config.py and TRACKER_* variables.

    As in Flask's tutorial, a test's configuration replaces the instance file and the environment
    instead of being layered on them: a developer's TRACKER_PAGE_SIZE or SMTP host never leaks into
    a test.
    """
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        # TRACKER_DATABASE_URL -> DATABASE_URL, TRACKER_SECRET_KEY -> SECRET_KEY, …
        app.config.from_prefixed_env("TRACKER")
        # from_prefixed_env reads values as JSON where they parse: a password of digits would become a number.
        for key in TEXT_SETTINGS:
            if f"TRACKER_{key}" in os.environ:
                app.config[key] = os.environ[f"TRACKER_{key}"]
    else:
        app.config.from_mapping(test_config)
    if test_config is None and not app.config.get("DEMO"):
        _require_secret_key(app.config.get("SECRET_KEY"))
    _check_ldap(app.config)
    default_db = "sqlite:///" + os.path.join(app.instance_path, "tracker.sqlite")
    app.config.setdefault("DATABASE_URL", default_db)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]


class ConfigurationError(RuntimeError):
    """The app refuses to start with a configuration that is not safe to serve."""


def _check_ldap(config) -> None:
    """A directory half configured fails at start, not at someone's first sign-in."""
    url = config.get("LDAP_URL")
    if not url:
        return
    if not str(url).lower().startswith(("ldap://", "ldaps://")):
        raise ConfigurationError(f"TRACKER_LDAP_URL={url!r}: give ldap://host[:port] or ldaps://host[:port].")
    if str(url).lower().startswith("ldaps://") and flag(config.get("LDAP_STARTTLS")):
        raise ConfigurationError("TRACKER_LDAP_STARTTLS applies to ldap:// only; an ldaps:// URL is encrypted already.")
    missing = [f"TRACKER_{key}" for key in ("LDAP_USER_BASE", "LDAP_USER_FILTER", "LDAP_AGENCY_ATTRIBUTE")
               if not config.get(key)]
    if missing:
        raise ConfigurationError(f"TRACKER_LDAP_URL is set but {', '.join(missing)} is not.")
    if "{login}" not in str(config["LDAP_USER_FILTER"]):
        raise ConfigurationError("TRACKER_LDAP_USER_FILTER must contain {login}, e.g. (mail={login}).")


def flag(value) -> bool:
    """A yes/no setting: from the environment `true` arrives as True (JSON), but `True`, `yes` or `1` as text."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _require_secret_key(key) -> None:
    """Outside the demo and tests, a known or short key would let anyone forge a session cookie."""
    if not key or key == DEV_SECRET_KEY or len(str(key)) < MIN_SECRET_KEY:
        raise ConfigurationError(
            f"TRACKER_SECRET_KEY is missing, the development default, or shorter than {MIN_SECRET_KEY} characters. "
            "Set it in the environment or in instance/config.py, for example to the output of "
            "`python -c \"import secrets; print(secrets.token_hex(32))\"`. "
            "(The demo of `make run` sets TRACKER_DEMO=true instead.)")
