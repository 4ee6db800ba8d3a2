"""Sign-in against the province's directory (LDAP, with ldap3): who the person is and whether the password is theirs.

The service account (LDAP_BIND_DN) finds the person's entry by what they typed (LDAP_USER_FILTER, the input
escaped), then a second connection binds as that entry with the typed password: only the directory ever sees
it. The entry gives the e-mail, the name and the agency attribute; membership of the office's and leaders'
groups gives the role. The answer is a `DirectoryPerson` for `directory.account_for`; nothing here writes.

A directory that cannot be reached, times out, refuses the service account or answers wrongly raises
`DirectoryUnavailable` (nothing decided: the person is told to try later, the log says why).
"""
from __future__ import annotations

import logging
import ssl
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _

from ..config import flag
from .directory import DirectoryPerson, DirectoryUnavailable

# ldap3 and pyasn1 are imported by the functions that talk to the directory, at the first sign-in against it: a
# worker of a tracker without a directory never loads them.
if TYPE_CHECKING:
    import ldap3

log = logging.getLogger("tracker.auth.ldap")

DIRECTORY = "ldap"
# The result code of a bind with a wrong password (or an entry without one): a refusal, not a failure.
INVALID_CREDENTIALS = 49


def configured() -> bool:
    """Whether sign-in with the directory is on (LDAP_URL set)."""
    return bool(current_app.config.get("LDAP_URL"))


def _unavailable(reason: str, *args) -> DirectoryUnavailable:
    log.error("LDAP directory unavailable: " + reason, *args, extra={"ldap_url": current_app.config.get("LDAP_URL")})
    return DirectoryUnavailable(_("Không kết nối được danh bạ của tỉnh để kiểm tra mật khẩu. Vui lòng thử lại sau "
                                  "ít phút; nếu vẫn không được, liên hệ bộ phận công nghệ thông tin."))


def _timeout() -> int:
    # Whole seconds: ldap3 packs the receive timeout into a socket option as an integer.
    return max(1, round(float(current_app.config.get("LDAP_TIMEOUT") or 5)))


def _server() -> ldap3.Server:
    import ldap3

    config = current_app.config
    timeout = _timeout()
    # The certificate is always checked (a directory that anyone on the way could impersonate would be handed
    # everyone's password), against LDAP_CA_FILE or the system's CAs.
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.get("LDAP_CA_FILE") or None)
    return ldap3.Server(config["LDAP_URL"], get_info=ldap3.NONE, tls=tls, connect_timeout=timeout)


def _connection(server: ldap3.Server, user: str | None, password: str | None) -> ldap3.Connection:
    """An open connection (StartTLS done when configured), not yet bound."""
    import ldap3
    from ldap3.core.exceptions import LDAPException

    config = current_app.config
    connection = ldap3.Connection(server, user=user or None, password=password or None,
                                  receive_timeout=_timeout(), raise_exceptions=False,
                                  read_only=True, auto_referrals=False)
    try:
        connection.open()
        if flag(config.get("LDAP_STARTTLS")) and not connection.start_tls():
            raise LDAPException(f"StartTLS refused: {connection.result}")
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: ldap3.Connection) -> None:
    """Unbind and close the socket, whatever state a failure left it in (ldap3 keeps a socket it failed to use)."""
    from ldap3.core.exceptions import LDAPException

    try:
        connection.unbind()
    except (LDAPException, OSError):
        pass
    if connection.socket is not None:
        connection.socket.close()


def _values(attributes: dict, name: str) -> list[str]:
    value = attributes.get(name)
    if value is None:
        # Attribute names are case-insensitive; the server answers in its own case.
        value = next((v for k, v in attributes.items() if k.lower() == name.lower()), [])
    values = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def _entries(connection: ldap3.Connection) -> list[dict]:
    return [entry for entry in connection.response or [] if entry.get("type") == "searchResEntry"]


def _find(connection: ldap3.Connection, login: str) -> dict | None:
    """The one entry the filter finds for `login`; None for none or several (an ambiguous filter opens nothing)."""
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

    config = current_app.config
    agency = config["LDAP_AGENCY_ATTRIBUTE"]
    query = config["LDAP_USER_FILTER"].replace("{login}", escape_filter_chars(login))
    if not connection.search(config["LDAP_USER_BASE"], query, search_scope=ldap3.SUBTREE, size_limit=2,
                             attributes=["mail", "cn", "displayName", agency]):
        code = connection.result.get("result")
        if code == 4:  # sizeLimitExceeded: more than one entry answers to this login
            log.warning("LDAP: several entries answer to the filter %s; nobody signs in with it", query)
            return None
        if code not in (0, None):
            raise LDAPException(f"search under {config['LDAP_USER_BASE']} failed: {connection.result}")
        return None
    found = _entries(connection)
    if len(found) != 1:
        if found:
            log.warning("LDAP: several entries answer to the filter %s; nobody signs in with it", query)
        return None
    return found[0]


def _member(connection: ldap3.Connection, group: str | None, dn: str) -> bool:
    """Whether the group's entry lists `dn` as a member (groupOfNames' member, groupOfUniqueNames' uniqueMember)."""
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

    if not group:
        return False
    escaped = escape_filter_chars(dn)
    if connection.search(group, f"(|(member={escaped})(uniqueMember={escaped}))", search_scope=ldap3.BASE,
                         attributes=["1.1"]):
        return bool(_entries(connection))
    if connection.result.get("result") == 32:  # noSuchObject: the configured group does not exist
        log.error("LDAP: the group %s does not exist; nobody is a member of it", group)
        return False
    if connection.result.get("result") not in (0, None):
        raise LDAPException(f"reading group {group} failed: {connection.result}")
    return False


def _password_opens(server: ldap3.Server, dn: str, password: str) -> bool:
    """Bind as the entry with the typed password on a connection of its own."""
    from ldap3.core.exceptions import LDAPException

    connection = _connection(server, dn, password)
    try:
        if connection.bind():
            return True
        if connection.result.get("result") == INVALID_CREDENTIALS:
            return False
        raise LDAPException(f"bind as the person failed: {connection.result}")
    finally:
        _close(connection)


def authenticate(login: str, password: str) -> DirectoryPerson | None:
    """The person the directory knows by `login` when `password` is theirs; None when it is not, or nobody (or
    several) answer to the login. DirectoryUnavailable when the directory cannot be asked."""
    from ldap3.core.exceptions import LDAPException

    # An empty password makes a simple bind "anonymous", which succeeds without proving anything (RFC 4513 5.1.2).
    if not login or not password:
        return None
    config = current_app.config
    try:
        server = _server()
        service = _connection(server, config.get("LDAP_BIND_DN"), config.get("LDAP_BIND_PASSWORD"))
        try:
            if not service.bind():
                raise _unavailable("the service account %s cannot bind: %s", config.get("LDAP_BIND_DN"),
                                   service.result.get("description"))
            entry = _find(service, login)
            if entry is None or not _password_opens(server, entry["dn"], password):
                return None
            attributes = entry.get("attributes") or {}
            person = DirectoryPerson(
                DIRECTORY, entry["dn"], email=(_values(attributes, "mail") or [""])[0],
                name=(_values(attributes, "displayName") or _values(attributes, "cn") or [""])[0],
                agency_names=_values(attributes, config["LDAP_AGENCY_ATTRIBUTE"]),
                office=_member(service, config.get("LDAP_OFFICE_GROUP"), entry["dn"]),
                leader=_member(service, config.get("LDAP_LEADER_GROUP"), entry["dn"]))
        finally:
            _close(service)
    except (LDAPException, OSError) as error:  # ssl.SSLError is an OSError
        raise _unavailable("%s: %s", type(error).__name__, error) from None
    return person
