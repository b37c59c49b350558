"""Who may sign: OpenSSH ``allowed_signers`` plus a revocation list, read from a workspace.

``.reviewer/allowed_signers`` uses OpenSSH's format (ssh-keygen(1), "ALLOWED SIGNERS"), so the very
same file works with ``ssh-keygen -Y verify -f``::

    principals [options] key-type base64-key [comment]

- principals: comma-separated patterns with ``*`` and ``?``, ``!`` negates (``*@example.com``).
- options: ``namespaces="a,b"``, ``valid-after="YYYYMMDD[HHMM[SS]][Z]"``, ``valid-before="..."``,
  ``cert-authority``. Unknown options are an error, as in OpenSSH.
- Dates without ``Z`` are read as UTC here (OpenSSH reads them in local time; CI runs in UTC).
  Write the ``Z`` to mean the same thing everywhere.
- ``cert-authority`` lines authorise user certificates signed by that CA that list the principal,
  within both the line's and the certificate's validity; a plain key that matches a cert-authority
  line never counts, and a certificate never matches a plain-key line (both as in OpenSSH).

``.reviewer/revoked_keys``: public keys one per line, or a binary OpenSSH KRL, which is checked
with ``ssh-keygen -Q -f revoked_keys key.pub``; a KRL that cannot be checked revokes everything.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.core.signing import sshsig
from reviewer_app.core.signing.sshsig import PublicKey
from reviewer_app.errors import UserError

if TYPE_CHECKING:
    from reviewer_app.core.workspace import Workspace

ALLOWED_SIGNERS_PATH = ".reviewer/allowed_signers"
REVOKED_KEYS_PATH = ".reviewer/revoked_keys"
KRL_MAGIC = b"SSHKRL\n\0"

_KEY_TYPE_PREFIXES = ("ssh-", "ecdsa-", "sk-")
_OPENSSH_DATE = re.compile(r"^(\d{8})(\d{4})?(\d{2})?(Z)?$")

# Stable reason codes, shared with events.verify_event and the gate's JSON.
UNKNOWN_PRINCIPAL = "unknown principal"
WRONG_NAMESPACE = "wrong namespace"
NOT_VALID_AT_SIGNING = "key not valid at signing time"
REVOKED = "revoked"


@dataclass(frozen=True)
class AllowedSigner:
    principals: str  # OpenSSH pattern list, kept as written
    key: PublicKey
    line_no: int
    cert_authority: bool = False
    namespaces: str | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None

    def names(self, principal: str) -> bool:
        return match_pattern_list(principal, self.principals)

    def allows_namespace(self, namespace: str) -> bool:
        return self.namespaces is None or match_pattern_list(namespace, self.namespaces)

    def valid_at(self, when: datetime) -> bool:
        if self.valid_after is not None and when < self.valid_after:
            return False
        return not (self.valid_before is not None and when > self.valid_before)

    def window(self) -> str:
        after = self.valid_after.isoformat() if self.valid_after else "always"
        before = self.valid_before.isoformat() if self.valid_before else "forever"
        return f"valid from {after} until {before}"


@dataclass(frozen=True)
class TrustDecision:
    ok: bool
    reason: str | None = None
    detail: str | None = None


# --- OpenSSH pattern matching (match.c) ----------------------------------------------------------

def match_pattern(text: str, pattern: str) -> bool:
    """OpenSSH ``match_pattern``: ``*`` any run, ``?`` one character, everything else literal."""
    return _pattern_regex(pattern).fullmatch(text) is not None


@functools.lru_cache(maxsize=4096)
def _pattern_regex(pattern: str) -> "re.Pattern[str]":
    # Compiled once per pattern: re's own cache holds 512 entries, fewer than a large team's
    # allowed_signers patterns, and translating the pattern again for each event showed in profiles.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _split_literal(signers: list["AllowedSigner"]) -> tuple[dict[str, list[int]], list[int]]:
    """Lines whose principals are plain names (no ``*``, ``?`` or ``!``), indexed by name; the other lines."""
    literal: dict[str, list[int]] = {}
    patterned: list[int] = []
    for index, signer in enumerate(signers):
        names = [p.strip() for p in signer.principals.split(",")]
        if any(c in signer.principals for c in "*?!"):
            patterned.append(index)
            continue
        for name in dict.fromkeys(n for n in names if n):
            literal.setdefault(name, []).append(index)
    return literal, patterned


def match_pattern_list(text: str, patterns: str) -> bool:
    """OpenSSH ``match_pattern_list``: any positive match, unless a ``!`` pattern matches."""
    matched = False
    for pattern in patterns.split(","):
        pattern = pattern.strip()
        if pattern.startswith("!"):
            if match_pattern(text, pattern[1:]):
                return False
        elif pattern and match_pattern(text, pattern):
            matched = True
    return matched


# --- parsing -------------------------------------------------------------------------------------

def parse_openssh_date(value: str) -> datetime:
    m = _OPENSSH_DATE.match(value)
    if not m:
        raise ValueError(f"{value!r} is not YYYYMMDD[HHMM[SS]][Z]")
    day, hm, sec = m.group(1), m.group(2) or "0000", m.group(3) or "00"
    if m.group(3) and not m.group(2):
        raise ValueError(f"{value!r} is not YYYYMMDD[HHMM[SS]][Z]")
    return datetime.strptime(day + hm + sec, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def _split_options(text: str) -> tuple[list[str], str]:
    """Options up to the first unquoted whitespace, split on unquoted commas; returns (options, rest)."""
    options, current, quoted, i = [], [], False, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and quoted and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        elif c == "," and not quoted:
            options.append("".join(current))
            current = []
            i += 1
            continue
        elif c.isspace() and not quoted:
            break
        if c != '"':
            current.append(c)
        i += 1
    if quoted:
        raise ValueError("unterminated quote in options")
    options.append("".join(current))
    return options, text[i:].lstrip()


def _first_token(text: str) -> tuple[str, str]:
    """The principals field: a quoted string or a word; returns (token, rest)."""
    text = text.lstrip()
    if text.startswith('"'):
        end = text.find('"', 1)
        if end < 0:
            raise ValueError("unterminated quoted principals")
        return text[1:end], text[end + 1:].lstrip()
    parts = text.split(None, 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


def parse_allowed_signers(text: str, source: str) -> list[AllowedSigner]:
    """Every entry of an allowed_signers file; a bad line is a UserError naming ``source:line``."""
    entries = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            entries.append(_parse_line(stripped, line_no))
        except ValueError as exc:
            raise UserError(f"{source}:{line_no}: {exc}") from exc
    return entries


def _parse_line(line: str, line_no: int) -> AllowedSigner:
    principals, rest = _first_token(line)
    if principals.startswith(_KEY_TYPE_PREFIXES) and rest[:4] == "AAAA":
        # A public key pasted as it is in ~/.ssh/id_*.pub: the principal in front is missing.
        raise ValueError(f"the line starts with the key type {principals!r}: an allowed_signers line starts with "
                         "the signer's email, e.g. 'alice@example.com ssh-ed25519 AAAA…'")
    if not rest:
        raise ValueError("expected 'principals [options] key-type base64-key'")
    options: list[str] = []
    if not rest.startswith(_KEY_TYPE_PREFIXES):
        options, rest = _split_options(rest)
    if not rest:
        raise ValueError("no public key after the options")
    key = sshsig.parse_public_key_text(rest)
    fields: dict[str, object] = {}
    for option in options:
        name, has_value, value = option.partition("=")
        name = name.strip().lower()
        if name == "cert-authority" and not has_value:
            fields["cert_authority"] = True
        elif name == "namespaces" and has_value:
            fields["namespaces"] = value
        elif name in ("valid-after", "valid-before") and has_value:
            fields[name.replace("-", "_")] = parse_openssh_date(value)
        else:
            raise ValueError(f"unsupported option {option!r} (known: cert-authority, namespaces=, valid-after=, valid-before=)")
    return AllowedSigner(principals=principals, key=key, line_no=line_no, **fields)  # type: ignore[arg-type]


def parse_revoked_keys(text: str, source: str) -> set[bytes]:
    """The key blobs of a plain revocation list (public keys one per line)."""
    revoked = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            revoked.add(sshsig.parse_public_key_text(stripped).blob)
        except ValueError as exc:
            raise UserError(f"{source}:{line_no}: not a public key: {exc}") from exc
    return revoked


# --- the trust store ------------------------------------------------------------------------------

@dataclass
class TrustStore:
    signers: list[AllowedSigner]
    revoked_blobs: set[bytes] = field(default_factory=set)
    krl: bytes | None = None  # a binary KRL, checked with ssh-keygen -Q
    source: str = ALLOWED_SIGNERS_PATH
    revoked_source: str = REVOKED_KEYS_PATH
    missing: bool = False  # no allowed_signers file at all: nobody is trusted
    _krl_cache: dict[bytes, bool] = field(default_factory=dict, repr=False)
    _krl_errors: dict[bytes, str] = field(default_factory=dict, repr=False)  # why a KRL check failed closed
    # principal -> the lines naming it. Matching every pattern list again for each event was about a
    # third of a 10,000-event sync import; a sync checks the same few principals thousands of times.
    _named_cache: dict[str, list[AllowedSigner]] = field(default_factory=dict, repr=False)
    _named_cache_of: tuple[int, int] = field(default=(0, -1), repr=False)  # (id, length) of the signers it is for
    _literal_lines: dict[str, list[int]] = field(default_factory=dict, repr=False)  # address -> lines naming only addresses
    _pattern_lines: list[int] = field(default_factory=list, repr=False)  # lines with a wildcard or a negation

    @classmethod
    def load(cls, workspace: "Workspace") -> "TrustStore":
        signers_bytes = workspace.read_bytes(ALLOWED_SIGNERS_PATH)
        revoked_bytes = workspace.read_bytes(REVOKED_KEYS_PATH)
        return cls._build(signers_bytes, revoked_bytes, workspace.describe(ALLOWED_SIGNERS_PATH),
                          workspace.describe(REVOKED_KEYS_PATH))

    @classmethod
    def from_files(cls, allowed_signers: Path, revoked: Path | None = None) -> "TrustStore":
        def read(path: Path | None) -> bytes | None:
            if path is None:
                return None
            try:
                return path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from exc

        return cls._build(read(allowed_signers), read(revoked), str(allowed_signers), str(revoked or REVOKED_KEYS_PATH))

    @classmethod
    def _build(cls, signers_bytes: bytes | None, revoked_bytes: bytes | None, source: str, revoked_source: str) -> "TrustStore":
        signers = [] if signers_bytes is None else parse_allowed_signers(_decode(signers_bytes, source), source)
        blobs: set[bytes] = set()
        krl = None
        if revoked_bytes is not None:
            if revoked_bytes.startswith(KRL_MAGIC):
                krl = revoked_bytes
            else:
                blobs = parse_revoked_keys(_decode(revoked_bytes, revoked_source), revoked_source)
        return cls(signers=signers, revoked_blobs=blobs, krl=krl, source=source, revoked_source=revoked_source,
                   missing=signers_bytes is None)

    def warnings(self) -> list[str]:
        """Lines that parse but cannot do what their author meant (a principal with upper-case letters)."""
        found = []
        for signer in self.signers:
            upper = [p for p in signer.principals.split(",") if p != p.lower()]
            if upper:
                found.append(f"{self.source}:{signer.line_no}: principal {', '.join(upper)} has upper-case letters: "
                             "approvals count only under lower-case principals, so this line lets nobody approve; "
                             "write the email in lower case")
        return found

    def signers_naming(self, principal: str) -> list[AllowedSigner]:
        """The lines whose principals pattern names ``principal``, in file order (cached per principal)."""
        current = (id(self.signers), len(self.signers))
        if current != self._named_cache_of:  # the list was replaced or changed: the cache is for another one
            self._named_cache.clear()
            self._named_cache_of = current
            self._literal_lines, self._pattern_lines = _split_literal(self.signers)
        named = self._named_cache.get(principal)
        if named is None:
            # A line of plain addresses names exactly those: found by lookup, not by matching every line
            # (5,000 signers syncing were 25 million pattern matches). Patterns are matched as before.
            hits = self._literal_lines.get(principal, []) + [i for i in self._pattern_lines if self.signers[i].names(principal)]
            named = self._named_cache[principal] = [self.signers[i] for i in sorted(hits)]
        return named

    def keys_for(self, principal: str, namespace: str) -> list[PublicKey]:
        """Plain keys this file lets ``principal`` sign with in ``namespace`` (at any time)."""
        return [s.key for s in self.signers_naming(principal) if not s.cert_authority and s.allows_namespace(namespace)]

    def is_revoked(self, key: PublicKey) -> bool:
        if key.blob in self.revoked_blobs:
            return True
        if self.krl is None:
            return False
        if key.blob not in self._krl_cache:
            revoked, error = _krl_revokes(self.krl, key)
            self._krl_cache[key.blob] = revoked
            if error:
                self._krl_errors[key.blob] = f"{self.revoked_source}: the revocation list could not be checked ({error}); failing closed"
        return self._krl_cache[key.blob]

    def check(self, principal: str, key: PublicKey, namespace: str, at: datetime) -> TrustDecision:
        """May ``key`` sign as ``principal`` in ``namespace`` at time ``at``? Fail closed on any doubt."""
        certificate = sshsig.Certificate.parse(key) if key.is_certificate else None
        # A certificate is revoked with its own key, its CA, or itself (a KRL can name serials and ids).
        for candidate in ([key] if certificate is None else [certificate.key, certificate.ca, key]):
            if self.is_revoked(candidate):
                how = "is listed in" if candidate.blob in self.revoked_blobs else "is revoked by the KRL"
                what = "the certificate's CA" if certificate and candidate is certificate.ca else "key"
                detail = self._krl_errors.get(candidate.blob) or f"{what} {candidate.fingerprint} {how} {self.revoked_source}"
                return TrustDecision(False, REVOKED, detail)
        if certificate is not None:
            return self._check_certificate(principal, certificate, namespace, at)
        named = self.signers_naming(principal)
        if not named:
            where = f"{self.source} does not exist" if self.missing else f"no line of {self.source} names it"
            return TrustDecision(False, UNKNOWN_PRINCIPAL, f"{principal}: {where}")
        with_key = [s for s in named if s.key.blob == key.blob]
        plain = [s for s in with_key if not s.cert_authority]
        if not plain:
            if with_key:
                detail = (f"{key.fingerprint} is a cert-authority for {principal} (line {with_key[0].line_no}); "
                          "a plain-key signature does not count")
            else:
                detail = f"key {key.fingerprint} is not listed for {principal} in {self.source}"
            return TrustDecision(False, UNKNOWN_PRINCIPAL, detail)
        in_namespace = [s for s in plain if s.allows_namespace(namespace)]
        if not in_namespace:
            return TrustDecision(False, WRONG_NAMESPACE,
                                 f"{self.source}:{plain[0].line_no} allows namespaces={plain[0].namespaces!r}, not {namespace!r}")
        if not any(s.valid_at(at) for s in in_namespace):
            s = in_namespace[0]
            return TrustDecision(False, NOT_VALID_AT_SIGNING,
                                 f"signed at {at.isoformat()}, but {self.source}:{s.line_no} is {s.window()}")
        return TrustDecision(True)

    def _check_certificate(self, principal: str, cert: "sshsig.Certificate", namespace: str, at: datetime) -> TrustDecision:
        """OpenSSH's rules for a certificate: a cert-authority line naming the principal trusts its CA,
        the certificate is a user certificate that lists the principal, and both are valid at ``at``."""
        named = self.signers_naming(principal)
        if not named:
            where = f"{self.source} does not exist" if self.missing else f"no line of {self.source} names it"
            return TrustDecision(False, UNKNOWN_PRINCIPAL, f"{principal}: {where}")
        authorities = [s for s in named if s.cert_authority and s.key.blob == cert.ca.blob]
        if not authorities:
            return TrustDecision(False, UNKNOWN_PRINCIPAL, f"certificate {cert.key_id!r} is signed by CA {cert.ca.fingerprint}, "
                                                           f"which no cert-authority line of {self.source} trusts for {principal}")
        if cert.cert_type != sshsig.USER_CERT:
            return TrustDecision(False, UNKNOWN_PRINCIPAL, f"certificate {cert.key_id!r} is not a user certificate")
        if principal not in cert.principals:
            listed = ", ".join(cert.principals) or "no principals"
            return TrustDecision(False, UNKNOWN_PRINCIPAL, f"certificate {cert.key_id!r} is for {listed}, not {principal}")
        in_namespace = [s for s in authorities if s.allows_namespace(namespace)]
        if not in_namespace:
            line = authorities[0]
            return TrustDecision(False, WRONG_NAMESPACE,
                                 f"{self.source}:{line.line_no} allows namespaces={line.namespaces!r}, not {namespace!r}")
        if not cert.valid_at(int(at.timestamp())):
            return TrustDecision(False, NOT_VALID_AT_SIGNING, f"signed at {at.isoformat()}, but the {cert.window()}")
        if not any(s.valid_at(at) for s in in_namespace):
            line = in_namespace[0]
            return TrustDecision(False, NOT_VALID_AT_SIGNING,
                                 f"signed at {at.isoformat()}, but {self.source}:{line.line_no} is {line.window()}")
        return TrustDecision(True)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{source}: not UTF-8 text (byte {exc.start})") from exc


def _krl_revokes(krl: bytes, key: PublicKey) -> tuple[bool, str | None]:
    """Ask ssh-keygen whether a binary KRL revokes ``key``: (revoked, why the check failed if it did).

    When ssh-keygen cannot tell, the key is treated as revoked (fail closed)."""
    with tempfile.TemporaryDirectory(prefix="reviewer-app-krl-") as tmp:
        krl_path, key_path = Path(tmp) / "revoked.krl", Path(tmp) / "key.pub"
        krl_path.write_bytes(krl)
        key_path.write_text(key.openssh + "\n", encoding="ascii")
        try:
            proc = subprocess.run(["ssh-keygen", "-Q", "-f", str(krl_path), str(key_path)],
                                  capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return True, f"ssh-keygen -Q did not run: {exc}"
    if proc.returncode == 0:
        return False, None
    if proc.returncode == 1:  # ssh-keygen's answer for "REVOKED"
        return True, None
    message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return True, message[-1] if message else f"ssh-keygen -Q exit status {proc.returncode}"
