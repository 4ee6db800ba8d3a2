"""A real OpenLDAP server (Debian's slapd) for tests: its own folder, data and port, stopped by its own PID.

The directory stands for the province's: people in ou=people with a department or district in `ou` (as a
directory names it, not always as the tracker does), a service account that searches, and the office's and
leaders' groups as groupOfNames. Its certificate is made by the test (a CA of its own), so StartTLS and
ldaps are checked against a certificate the client must verify.
"""
from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from pathlib import Path

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMAS = "/etc/ldap/schema"
MODULES = "/usr/lib/ldap"
SUFFIX = "dc=langson,dc=gov,dc=vn"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "quan-tri-danh-ba"
SERVICE_DN = f"cn=tracker,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "dich-vu-tim-kiem"
PEOPLE = f"ou=people,{SUFFIX}"
OFFICE_GROUP = f"cn=vpdp-ntm,ou=groups,{SUFFIX}"
LEADER_GROUP = f"cn=lanh-dao-tinh,ou=groups,{SUFFIX}"
# Every person's directory password (each may be changed by a test through `set_attribute`).
PASSWORD = "mat-khau-danh-ba-tinh"


def available() -> bool:
    """Whether Debian's slapd is installed here."""
    return Path(SLAPD).exists() and Path(SLAPADD).exists()


def person(uid: str, name: str, agency: str | None, mail: str | None = None) -> dict:
    """A person of the directory: uid, cn and displayName, mail, and the agency attribute (`ou`)."""
    return {"uid": uid, "name": name, "agency": agency, "mail": mail if mail is not None else f"{uid}@langson.gov.vn"}


# The province's people as its directory knows them: agencies by a full name, an alias, a district's name.
PEOPLE_ENTRIES = [
    person("nguyenvana", "Nguyễn Văn A", "Sở Nông nghiệp và Phát triển nông thôn"),  # the agency's own name
    person("tranthib", "Trần Thị B", "Sở KH&ĐT"),  # an alias
    person("hoangvanc", "Hoàng Văn C", "Văn phòng Điều phối nông thôn mới tỉnh"),  # in the office's group
    person("lythid", "Lý Thị D", "UBND tỉnh"),  # in the leaders' group
    person("phamvane", "Phạm Văn E", "Sở Nông nghiệp và PTNT"),  # a name the tracker does not know (yet)
    person("vuthig", "Vũ Thị G", "Huyện Đình Lập"),
    person("dothih", "Đỗ Thị H", "Sở Tài chính", mail="taichinh@test.vn"),  # has a local account already
]
OFFICE_MEMBERS = ["hoangvanc"]
LEADER_MEMBERS = ["lythid"]


def dn_of(uid: str) -> str:
    """The DN of a person of PEOPLE_ENTRIES."""
    return f"uid={uid},{PEOPLE}"


def _ldif(entries: list[dict]) -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: langson\no: UBND tinh Lang Son",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\ncn: tracker\n"
        f"userPassword: {SERVICE_PASSWORD}",
    ]
    for entry in entries:
        lines = [f"dn: {dn_of(entry['uid'])}", "objectClass: inetOrgPerson", f"uid: {entry['uid']}",
                 f"cn: {entry['name']}", f"sn: {entry['name'].split()[0]}", f"displayName: {entry['name']}",
                 f"userPassword: {PASSWORD}"]
        if entry["mail"]:
            lines.append(f"mail: {entry['mail']}")
        if entry["agency"]:
            lines.append(f"ou: {entry['agency']}")
        blocks.append("\n".join(lines))
    for group, members in ((OFFICE_GROUP, OFFICE_MEMBERS), (LEADER_GROUP, LEADER_MEMBERS)):
        cn = group.split(",")[0].split("=")[1]
        blocks.append("\n".join([f"dn: {group}", "objectClass: groupOfNames", f"cn: {cn}",
                                 *(f"member: {dn_of(uid)}" for uid in members)]))
    return "\n\n".join(blocks) + "\n"


def _config(folder: Path) -> str:
    schemas = "\n".join(f"include {SCHEMAS}/{name}.schema" for name in ("core", "cosine", "inetorgperson", "nis"))
    # The service account reads everything but passwords; a person may bind with their own password (auth) and
    # nobody else reads it; the root DN may do anything (the tests change the directory through it).
    return f"""{schemas}
modulepath {MODULES}
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server.key

database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {folder}/data
index objectClass eq
index uid,mail eq
index member eq
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by * none
"""


def _certificates(folder: Path) -> None:
    """A CA and a certificate for 127.0.0.1 and localhost signed by it, valid a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA of the directory")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                          x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                             critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (folder / "server.key").chmod(0o600)


def free_port() -> int:
    """A port nothing listens on now (slapd binds it itself, so a race is retried by `start`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LdapServer:
    """slapd in a folder of its own, loaded with `entries` by slapadd before it starts; on ldap:// (StartTLS
    offered) and ldaps://, each on a free port."""

    def __init__(self, folder: Path, entries: list[dict] | None = None):
        self.folder = folder
        self.entries = PEOPLE_ENTRIES if entries is None else entries
        self.port = self.tls_port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> str:
        return str(self.folder / "ca.pem")

    def config(self) -> dict:
        """The app's configuration for this directory (as TRACKER_LDAP_* would give it)."""
        return {"LDAP_URL": self.url, "LDAP_BIND_DN": SERVICE_DN, "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
                "LDAP_USER_BASE": PEOPLE, "LDAP_USER_FILTER": "(|(uid={login})(mail={login}))",
                "LDAP_AGENCY_ATTRIBUTE": "ou", "LDAP_OFFICE_GROUP": OFFICE_GROUP, "LDAP_LEADER_GROUP": LEADER_GROUP,
                "LDAP_TIMEOUT": 3}

    def prepare(self) -> None:
        """Write the configuration, the certificates and the data (slapadd), once."""
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        (self.folder / "slapd.conf").write_text(_config(self.folder), encoding="utf-8")
        (self.folder / "data.ldif").write_text(_ldif(self.entries), encoding="utf-8")
        _certificates(self.folder)
        subprocess.run([SLAPADD, "-q", "-f", str(self.folder / "slapd.conf"), "-l", str(self.folder / "data.ldif")],
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        """Run slapd in the foreground (-d 0: no fork, so the PID is ours); ready when it answers a TCP connect."""
        for _attempt in range(5):
            self.port = self.port or free_port()
            self.tls_port = self.tls_port or free_port()
            log = open(self.folder / "slapd.log", "ab")
            self.process = subprocess.Popen(
                [SLAPD, "-d", "0", "-f", str(self.folder / "slapd.conf"),
                 "-h", f"ldap://127.0.0.1:{self.port}/ ldaps://127.0.0.1:{self.tls_port}/"],
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
            if self._wait_ready():
                return
            self.stop()
            self.port = self.tls_port = 0  # taken meanwhile by someone else: choose again
        raise RuntimeError("slapd did not start: " + (self.folder / "slapd.log").read_text(errors="replace")[-2000:])

    def _wait_ready(self, seconds: float = 15) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                for port in (self.port, self.tls_port):
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop our slapd by its PID (SIGTERM, then SIGKILL); the ports and data stay for a restart."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _admin(self):
        import ldap3

        connection = ldap3.Connection(ldap3.Server(self.url, get_info=ldap3.NONE), ROOT_DN, ROOT_PASSWORD,
                                      auto_bind=True, receive_timeout=5)
        return connection

    def set_attribute(self, uid: str, attribute: str, values: list[str]) -> None:
        """Change a person's entry as the directory's administrators would (values replaced; [] removes it)."""
        import ldap3

        connection = self._admin()
        try:
            ok = connection.modify(dn_of(uid), {attribute: [(ldap3.MODIFY_REPLACE, values)]})
            assert ok, connection.result
        finally:
            connection.unbind()

    def set_members(self, group: str, uids: list[str]) -> None:
        """Replace a group's members."""
        import ldap3

        connection = self._admin()
        try:
            members = [dn_of(uid) for uid in uids] or [ROOT_DN]  # groupOfNames must keep a member
            ok = connection.modify(group, {"member": [(ldap3.MODIFY_REPLACE, members)]})
            assert ok, connection.result
        finally:
            connection.unbind()

    def reset(self) -> None:
        """Put every person's entry and the groups back as they were loaded (a test may have changed them)."""
        for entry in self.entries:
            self.set_attribute(entry["uid"], "ou", [entry["agency"]] if entry["agency"] else [])
            self.set_attribute(entry["uid"], "userPassword", [PASSWORD])
            self.set_attribute(entry["uid"], "cn", [entry["name"]])
            self.set_attribute(entry["uid"], "displayName", [entry["name"]])
        self.set_members(OFFICE_GROUP, OFFICE_MEMBERS)
        self.set_members(LEADER_GROUP, LEADER_MEMBERS)

    def remove(self) -> None:
        """Stop and delete the folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
