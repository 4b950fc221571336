#!/usr/bin/env python3
"""Generate hashd's password-hash test vectors from REFERENCE implementations.

Run by hand (never at test time):

    python3 test/vectors/generate.py

Every hash written here comes from a reference implementation (passlib,
Django, argon2-cffi, the `bcrypt` package, Werkzeug, libxcrypt's crypt(3) via
Python's `crypt` module), or, for formats that no Python library implements,
from a transcription of the originating system's published algorithm that is
first checked against that system's own published example hashes. Nothing is
produced by hashd's TypeScript code.

Salts are derived deterministically from labels, so a rerun writes the same
files byte for byte (the only exception would be a library that cannot take
an explicit salt; none is used that way).

After generating, every vector is verified again with the reference
implementation (and cross-checked with a second one where one exists); every
malformed string is confirmed to be rejected by the reference. Any failure
aborts with a non-zero exit status and no file is written.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import hashlib
import hmac
import importlib.metadata
import json
import os
import platform
import struct
import sys
import unicodedata
import warnings
from pathlib import Path
from typing import Callable

warnings.filterwarnings("ignore")  # passlib 1.7.4 warns about bcrypt.__about__, crypt is deprecated

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import crypt as _crypt  # deprecated in 3.11, removed in 3.13: libxcrypt crypt(3)

import argon2  # argon2-cffi
import bcrypt as pybcrypt
from argon2 import low_level as argon2_ll
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib import hash as ph
from passlib.utils import handlers as uh
from passlib.utils.binary import h64

OUT_DIR = Path(__file__).resolve().parent
GENERATOR = "test/vectors/generate.py"

# passlib 1.7.4 cannot use the `bcrypt` 5.x package as its backend (its
# backend self-test hashes a >72-byte password, which bcrypt 5 refuses), so
# passlib's bcrypt-family handlers are run on its "os_crypt" backend, i.e.
# libxcrypt's crypt(3), which implements $2a$/$2b$/$2y$. The `bcrypt`
# package is used as an independent second implementation for cross-checks.
for _h in (ph.bcrypt, ph.bcrypt_sha256):
    _h.set_backend("os_crypt")


def ver(dist: str) -> str:
    return importlib.metadata.version(dist)


LIBXCRYPT = "libxcrypt 4.4.33 (Debian 12 libcrypt1, glibc-compatible crypt(3))"
VERSIONS = {
    "python": platform.python_version(),
    "passlib": ver("passlib"),
    "django": ver("django"),
    "argon2-cffi": ver("argon2-cffi"),
    "bcrypt": ver("bcrypt"),
    "werkzeug": ver("werkzeug"),
    "cryptography": ver("cryptography"),
    "crypt(3)": LIBXCRYPT,
}
PL = f"passlib {VERSIONS['passlib']}"
DJ = f"Django {VERSIONS['django']}"
A2 = f"argon2-cffi {VERSIONS['argon2-cffi']}"
BC = f"bcrypt {VERSIONS['bcrypt']}"
WZ = f"Werkzeug {VERSIONS['werkzeug']}"
GLIBC = "glibc crypt"  # value of "crosschecked" asked for by the brief; see README

# --------------------------------------------------------------------------
# passwords
# --------------------------------------------------------------------------
PW1 = "password"
PW2 = "correct horse battery staple"
PW3 = "Tr0ub4dor&3"
PW_UNI = "pässwörd-日本-🔑"
PW_LONG = "A long passphrase for hashd test vectors: 0123456789 abcdefghijklmnopqrstuvwxyz!"
PW_71 = "bcrypt-71-byte-password: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGH"
assert len(PW_LONG.encode()) == 80, len(PW_LONG.encode())
assert len(PW_71.encode()) == 71, len(PW_71.encode())

LONG_NOTE = "80-byte password"
B71_NOTE = "71-byte password (under bcrypt's 72-byte limit)"
UNI_NOTE = "unicode password (UTF-8)"

# --------------------------------------------------------------------------
# deterministic "random" material
# --------------------------------------------------------------------------
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HASH64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def dbytes(label: str, n: int) -> bytes:
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"hashd-vectors:{label}:{i}".encode()).digest()
        i += 1
    return out[:n]


def dchars(label: str, n: int, alphabet: str = ALNUM) -> str:
    return "".join(alphabet[b % len(alphabet)] for b in dbytes(label, n))


_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCR = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TO_BCRYPT = str.maketrans(_STD, _BCR)


def bcrypt_salt(label: str) -> str:
    """22-char bcrypt salt encoding 16 deterministic bytes (clean padding bits)."""
    return base64.b64encode(dbytes(label, 16)).decode().rstrip("=").translate(_TO_BCRYPT)


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def b64_nopad(b: bytes) -> str:
    return b64(b).rstrip("=")


def b64_strict(s: str) -> bytes:
    """Go's base64.StdEncoding.Strict(): padded, canonical."""
    raw = base64.b64decode(s, validate=True)
    if b64(raw) != s:
        raise ValueError("non-canonical base64")
    return raw


def b64_raw_strict(s: str) -> bytes:
    """Go's base64.RawStdEncoding.Strict(): unpadded, canonical."""
    if "=" in s:
        raise ValueError("padding in raw base64")
    raw = base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
    if b64_nopad(raw) != s:
        raise ValueError("non-canonical base64")
    return raw


def hex_strict(s: str) -> bytes:
    if len(s) % 2 or any(c not in "0123456789abcdefABCDEF" for c in s):
        raise ValueError("bad hex")
    return bytes.fromhex(s)


# --------------------------------------------------------------------------
# libxcrypt helpers
# --------------------------------------------------------------------------
_libcrypt = ctypes.CDLL("libcrypt.so.1")
_gensalt = _libcrypt.crypt_gensalt_rn
_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int,
                     ctypes.c_char_p, ctypes.c_int]
_gensalt.restype = ctypes.c_char_p


def crypt_gensalt(prefix: str, count: int, label: str) -> str:
    buf = ctypes.create_string_buffer(256)
    r = _gensalt(prefix.encode(), count, dbytes(label, 16), 16, buf, 256)
    if not r:
        raise RuntimeError(f"crypt_gensalt({prefix!r}, {count}) failed")
    return r.decode()


def crypt3(password: str, setting: str) -> str | None:
    return _crypt.crypt(password, setting)


def crypt_ok(password: str, h: str) -> bool:
    r = crypt3(password, h)
    return r is not None and r == h


# --------------------------------------------------------------------------
# fixture-file model
# --------------------------------------------------------------------------
class Failure(Exception):
    pass


class Family:
    def __init__(self, name: str, sources: dict[str, str]):
        self.name = name
        self.sources = sources
        self.vectors: list[dict] = []
        self.checks: list[tuple[dict, list[tuple[str, Callable[[], bool]]]]] = []
        self.malformed: list[dict] = []
        self.notes: list[str] = []
        self.dropped: list[str] = []
        self.no_malformed: set[str] = set()  # schemes that have no malformed form at all

    def add(self, scheme: str, hash_: str, password: str, source: str,
            checks: list[tuple[str, Callable[[], bool]]], **extra) -> dict:
        v = {"scheme": scheme, "hash": hash_, "password": password, "source": source}
        for k, val in extra.items():
            if val is not None:
                v[k] = val
        self.vectors.append(v)
        self.checks.append((v, checks))
        return v

    def bad(self, scheme: str, hash_: str, why: str,
            confirm: Callable[[str], tuple[bool, str]]) -> None:
        ok, detail = confirm(hash_)
        if ok:
            self.malformed.append({"scheme": scheme, "hash": hash_, "why": why,
                                   "confirmed_by": detail})
        else:
            self.dropped.append(f"{scheme}: {hash_!r} ({why}): reference accepted it [{detail}]")

    def verify_all(self) -> None:
        for v, checks in self.checks:
            if not checks:
                raise Failure(f"{self.name}: vector without a reference check: {v}")
            for label, fn in checks:
                try:
                    ok = fn()
                except Exception as e:  # noqa: BLE001
                    raise Failure(f"{self.name}: {label} raised {e!r} on {v}") from e
                expect = v.get("expect", True)
                if bool(ok) is not expect:
                    raise Failure(f"{self.name}: {label} returned {ok!r} (expected {expect}) on {v}")
        counts: dict[str, int] = {}
        for m in self.malformed:
            counts[m["scheme"]] = counts.get(m["scheme"], 0) + 1
        for scheme in sorted({v["scheme"] for v in self.vectors if v.get("expect", True)} - self.no_malformed):
            if counts.get(scheme, 0) < 3:
                raise Failure(f"{self.name}: scheme {scheme} has only {counts.get(scheme, 0)} "
                              "confirmed malformed strings; dropped:\n  "
                              + "\n  ".join(d for d in self.dropped if d.startswith(scheme + ":")))

    def write(self) -> None:
        doc = {"generator": GENERATOR, "sources": self.sources}
        if self.notes:
            doc["notes"] = self.notes
        doc["vectors"] = self.vectors
        doc["malformed"] = self.malformed
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (OUT_DIR / f"{self.name}.json").write_text(text, encoding="utf-8")


def passlib_rejects(handler) -> Callable[[str], tuple[bool, str]]:
    """A malformed string counts when passlib does not identify it, or raises on verify."""
    def confirm(h: str) -> tuple[bool, str]:
        name = f"{PL} {handler.name}"
        try:
            if not handler.identify(h):
                return True, f"{name}.identify() is False"
        except (ValueError, TypeError) as e:
            return True, f"{name}.identify() raised {type(e).__name__}"
        regex = getattr(handler, "_hash_regex", None)
        if isinstance(handler, type) and issubclass(handler, uh.StaticHandler) and regex is not None and not regex.match(h):
            # StaticHandler digests (ldap_md5, ldap_sha1) identify by prefix and only
            # compare strings on verify; their format is passlib's _hash_regex.
            return True, f"{name}: passlib's format regex (_hash_regex) does not match"
        try:
            handler.verify(PW1, h)
        except (ValueError, TypeError) as e:
            return True, f"{name}.verify() raised {type(e).__name__}: {e}"
        return False, f"{name}.verify() accepted the string"
    return confirm


def fn_rejects(label: str, verify: Callable[[str, str], bool]) -> Callable[[str], tuple[bool, str]]:
    """For non-passlib references: the strict parser/verifier must raise ValueError."""
    def confirm(h: str) -> tuple[bool, str]:
        try:
            verify(PW1, h)
        except (ValueError, TypeError, IndexError, KeyError, binascii.Error) as e:
            return True, f"{label} raised {type(e).__name__}: {e}"
        return False, f"{label} parsed the string"
    return confirm


def pl(handler, pw: str, h: str) -> tuple[str, Callable[[], bool]]:
    return (f"{PL} {handler.name}.verify", lambda: handler.verify(pw, h))


def glibc(pw: str, h: str) -> tuple[str, Callable[[], bool]]:
    return ("crypt(3)", lambda: crypt_ok(pw, h))


# ==========================================================================
# argon2
# ==========================================================================
def gen_argon2() -> Family:
    fam = Family("argon2", {"passlib": VERSIONS["passlib"], "argon2-cffi": VERSIONS["argon2-cffi"]})
    types = {"argon2id": argon2_ll.Type.ID, "argon2i": argon2_ll.Type.I, "argon2d": argon2_ll.Type.D}
    letters = {"argon2id": "ID", "argon2i": "I", "argon2d": "D"}
    passlib_type = {"argon2id": "id", "argon2i": "i", "argon2d": "d"}

    def cffi_hash(scheme, pw, salt, t, m, p, hl=32, version=19):
        return argon2_ll.hash_secret(pw.encode(), salt, time_cost=t, memory_cost=m, parallelism=p,
                                     hash_len=hl, type=types[scheme], version=version).decode()

    def checks(scheme, pw, h):
        return [
            (f"{PL} argon2.verify", lambda: ph.argon2.verify(pw, h)),
            (f"{A2} verify_secret", lambda: argon2_ll.verify_secret(h.encode(), pw.encode(), types[scheme])),
        ]

    for scheme, T in types.items():
        i = 0
        # low-cost vectors: (password, t, m, p, hash_len, via, note)
        low = [
            (PW1, 2, 256, 1, 32, "cffi", None),
            (PW2, 1, 1024, 2, 32, "passlib", None),
            (PW3, 2, 512, 1, 16, "cffi", "16-byte hash"),
            (PW_UNI, 2, 256, 1, 32, "cffi", UNI_NOTE),
            (PW_LONG, 1, 512, 1, 32, "passlib", LONG_NOTE),
        ]
        for pw, t, m, p, hl, via, note in low:
            i += 1
            salt = dbytes(f"{scheme}-{i}", 16)
            if via == "cffi":
                h = cffi_hash(scheme, pw, salt, t, m, p, hl)
                src = f"{A2} low_level.hash_secret(type=Type.{letters[scheme]}, version=19)"
            else:
                h = ph.argon2.using(type=passlib_type[scheme], rounds=t, memory_cost=m,
                                    parallelism=p, digest_size=hl, salt=salt).hash(pw)
                src = f"{PL} argon2.using(type={passlib_type[scheme]!r}).hash"
            fam.add(scheme, h, pw, src, checks(scheme, pw, h), note=note)
        # version 0x10 (argon2 1.0): argon2-cffi writes "v=16"; the reference C
        # decoder and passlib also accept the original form without a v= field.
        salt = dbytes(f"{scheme}-v16", 16)
        h16 = cffi_hash(scheme, PW1, salt, 2, 256, 1, 32, version=16)
        assert "$v=16$" in h16
        fam.add(scheme, h16, PW1, f"{A2} low_level.hash_secret(version=16)",
                checks(scheme, PW1, h16), note="argon2 version 0x10 written as v=16")
        h16b = h16.replace("$v=16$", "$", 1)
        fam.add(scheme, h16b, PW1, f"{A2} low_level.hash_secret(version=16), v= field removed",
                checks(scheme, PW1, h16b),
                note="argon2 version 0x10 in the original encoding without a v= field "
                     "(missing v= means version 16 for passlib and the reference C decoder)")
        # library default cost
        ph_default = argon2.PasswordHasher()
        salt = dbytes(f"{scheme}-default", ph_default.salt_len)
        h = cffi_hash(scheme, PW1, salt, ph_default.time_cost, ph_default.memory_cost,
                      ph_default.parallelism, ph_default.hash_len)
        fam.add(scheme, h, PW1, f"{A2} low_level.hash_secret with PasswordHasher() defaults",
                checks(scheme, PW1, h), default_cost=True,
                note=f"default cost: argon2-cffi PasswordHasher() and passlib argon2 defaults "
                     f"m={ph_default.memory_cost},t={ph_default.time_cost},p={ph_default.parallelism}")

        good = cffi_hash(scheme, PW1, dbytes(f"{scheme}-bad", 16), 2, 256, 1)
        head, salt_b64, digest = good.rsplit("$", 2)
        rej = passlib_rejects(ph.argon2)
        fam.bad(scheme, f"{head}${salt_b64}${digest[:-2]}", "truncated hash (invalid base64 length)", rej)
        fam.bad(scheme, f"{head}${salt_b64}${digest[:-2]}!!", "invalid base64 character in hash", rej)
        fam.bad(scheme, good.replace("m=256", "m=abc"), "non-numeric memory cost", rej)
        fam.bad(scheme, good.replace("t=2", "t=0"), "time cost 0 (out of range)", rej)
        fam.bad(scheme, good.replace("p=1", "p=0"), "parallelism 0 (out of range)", rej)
        fam.bad(scheme, f"{head}${digest}", "missing salt field", rej)
        fam.bad(scheme, good.replace(",t=2", ""), "missing t= parameter", rej)
    fam.notes.append("argon2d vectors come from argon2-cffi and passlib; argon2d is not used for "
                     "password storage by those libraries by default but both verify it.")
    return fam


# ==========================================================================
# bcrypt family
# ==========================================================================
def gen_bcrypt() -> Family:
    fam = Family("bcrypt", {"passlib": VERSIONS["passlib"], "bcrypt": VERSIONS["bcrypt"],
                            "crypt(3)": LIBXCRYPT})
    fam.notes.append("passlib 1.7.4's bcrypt handlers run on its os_crypt backend (libxcrypt "
                     "crypt(3)) because its bcrypt-package backend does not load with bcrypt 5.x; "
                     "every bcrypt vector is cross-checked with the bcrypt package's checkpw too.")

    def bc_checks(pw, h):
        return [pl(ph.bcrypt, pw, h),
                (f"{BC} checkpw", lambda: pybcrypt.checkpw(pw.encode(), h.encode())),
                glibc(pw, h)]

    n = 0
    for ident in ("2a", "2b", "2y"):
        for pw, rounds, note in ((PW1, 4, None), (PW2, 5, None), (PW_UNI, 4, UNI_NOTE), (PW_71, 4, B71_NOTE)):
            n += 1
            h = ph.bcrypt.using(ident=ident, rounds=rounds, salt=bcrypt_salt(f"bcrypt-{n}")).hash(pw)
            fam.add("bcrypt", h, pw, f"{PL} bcrypt.using(ident={ident!r}).hash", bc_checks(pw, h),
                    note=note, crosschecked=GLIBC)
    for pw, rounds, prefix in ((PW3, 4, "2b"), (PW2, 5, "2a")):
        n += 1
        h = pybcrypt.hashpw(pw.encode(), f"${prefix}${rounds:02d}${bcrypt_salt(f'bcrypt-{n}')}".encode()).decode()
        fam.add("bcrypt", h, pw, f"{BC} hashpw", bc_checks(pw, h), crosschecked=GLIBC)
    h = ph.bcrypt.using(salt=bcrypt_salt("bcrypt-default")).hash(PW1)
    fam.add("bcrypt", h, PW1, f"{PL} bcrypt.hash (default rounds={ph.bcrypt.default_rounds}, ident 2b)",
            bc_checks(PW1, h), default_cost=True, crosschecked=GLIBC,
            note=f"default cost (passlib rounds={ph.bcrypt.default_rounds})")

    good = ph.bcrypt.using(rounds=4, salt=bcrypt_salt("bcrypt-bad")).hash(PW1)
    rej = passlib_rejects(ph.bcrypt)
    fam.bad("bcrypt", good[:-1], "truncated checksum (59 chars)", rej)
    fam.bad("bcrypt", good[:-3] + "!!!", "invalid bcrypt-base64 character in checksum", rej)
    fam.bad("bcrypt", good.replace("$04$", "$4$", 1), "one-digit cost field", rej)
    fam.bad("bcrypt", good.replace("$04$", "$ab$", 1), "non-numeric cost", rej)
    fam.bad("bcrypt", good.replace("$04$", "$32$", 1), "cost 32 out of range (max 31)", rej)
    fam.bad("bcrypt", good.replace("$04$", "$03$", 1), "cost 3 out of range (min 4)", rej)
    fam.bad("bcrypt", good[:29], "missing checksum", rej)
    fam.bad("bcrypt", good.replace("$2b$", "$2c$", 1), "unknown ident $2c$", rej)

    # bcrypt_sha256 -------------------------------------------------------
    def bs_checks(pw, h):
        return [pl(ph.bcrypt_sha256, pw, h)]

    n = 0
    for version in (2, 1):
        for pw, rounds, note in ((PW1, 4, None), (PW2, 5, None), (PW_UNI, 4, UNI_NOTE), (PW_LONG, 4, LONG_NOTE)):
            n += 1
            h = ph.bcrypt_sha256.using(version=version, rounds=rounds,
                                       salt=bcrypt_salt(f"bcrypt_sha256-{n}")).hash(pw)
            label = "v2 (HMAC-SHA256 keyed by salt)" if version == 2 else "v1 (plain SHA256)"
            fam.add("bcrypt_sha256", h, pw, f"{PL} bcrypt_sha256.using(version={version}).hash",
                    bs_checks(pw, h), note=f"{label}" + (f"; {note}" if note else ""))
    for ident in ("2a",):
        n += 1
        h = ph.bcrypt_sha256.using(version=1, ident=ident, rounds=4,
                                   salt=bcrypt_salt(f"bcrypt_sha256-{n}")).hash(PW3)
        fam.add("bcrypt_sha256", h, PW3, f"{PL} bcrypt_sha256.using(version=1, ident='2a').hash",
                bs_checks(PW3, h), note="v1 with $2a$ inner ident")
    h = ph.bcrypt_sha256.using(salt=bcrypt_salt("bcrypt_sha256-default")).hash(PW1)
    fam.add("bcrypt_sha256", h, PW1, f"{PL} bcrypt_sha256.hash (defaults: v2, rounds={ph.bcrypt_sha256.default_rounds})",
            bs_checks(PW1, h), default_cost=True, note="default cost")

    rej = passlib_rejects(ph.bcrypt_sha256)
    g2 = ph.bcrypt_sha256.using(rounds=4, salt=bcrypt_salt("bcrypt_sha256-bad2")).hash(PW1)
    g1 = ph.bcrypt_sha256.using(version=1, rounds=4, salt=bcrypt_salt("bcrypt_sha256-bad1")).hash(PW1)
    fam.bad("bcrypt_sha256", g2[:-1], "v2: truncated digest", rej)
    fam.bad("bcrypt_sha256", g2.replace("r=4$", "r=xx$", 1), "v2: non-numeric rounds", rej)
    fam.bad("bcrypt_sha256", g2.replace("v=2,t=2b,", "v=2,", 1), "v2: missing t= field", rej)
    fam.bad("bcrypt_sha256", g2.replace("v=2,", "v=3,", 1), "unknown version v=3", rej)
    fam.bad("bcrypt_sha256", g2[:-2] + "!!", "v2: invalid character in digest", rej)
    fam.bad("bcrypt_sha256", g1[:-1], "v1: truncated digest", rej)
    fam.bad("bcrypt_sha256", g1.replace(",4$", ",99$", 1), "v1: rounds 99 out of range", rej)
    fam.bad("bcrypt_sha256", g1.replace("$2b,", "$2x,", 1), "v1: unknown ident", rej)
    return fam


# ==========================================================================
# scrypt family
# ==========================================================================
def werkzeug_hash(method: str, salt: str, pw: str) -> str:
    from werkzeug.security import _hash_internal  # same code path as generate_password_hash
    h, actual = _hash_internal(method, salt, pw)
    return f"{actual}${salt}${h}"


def werkzeug_check(pw: str, h: str) -> bool:
    from werkzeug.security import check_password_hash
    return check_password_hash(h, pw)


def setup_django():
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(
            SECRET_KEY="hashd-test-vectors",
            USE_TZ=True,
            PASSWORD_HASHERS=[
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
                "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
                "django.contrib.auth.hashers.BCryptPasswordHasher",
                "django.contrib.auth.hashers.ScryptPasswordHasher",
                "django.contrib.auth.hashers.MD5PasswordHasher",
            ],
        )
        django.setup()


def dj_check(pw: str, h: str) -> tuple[str, Callable[[], bool]]:
    def f():
        from django.contrib.auth.hashers import check_password
        return check_password(pw, h)
    return (f"{DJ} check_password", f)


def django_rejects(h: str) -> tuple[bool, str]:
    from django.contrib.auth.hashers import identify_hasher
    try:
        hasher = identify_hasher(h)
    except ValueError as e:
        return True, f"{DJ} identify_hasher raised ValueError: {e}"
    try:
        ok = hasher.verify(PW1, h)
    except (ValueError, TypeError, binascii.Error) as e:
        return True, f"{DJ} {type(hasher).__name__}.verify raised {type(e).__name__}: {e}"
    if ok:
        return False, "verified"
    return False, f"{DJ} {type(hasher).__name__}.verify returned False without an error"


def either(*confirms):
    def confirm(h):
        details = []
        for c in confirms:
            ok, d = c(h)
            if ok:
                return True, d
            details.append(d)
        return False, "; ".join(details)
    return confirm


def gen_scrypt() -> Family:
    setup_django()
    from django.contrib.auth.hashers import ScryptPasswordHasher
    fam = Family("scrypt", {"passlib": VERSIONS["passlib"], "werkzeug": VERSIONS["werkzeug"],
                            "django": VERSIONS["django"]})

    # passlib scrypt
    n = 0
    for pw, ln, r, p, note in ((PW1, 8, 8, 1, None), (PW2, 10, 1, 1, None), (PW3, 6, 4, 2, None),
                               (PW_UNI, 8, 8, 1, UNI_NOTE), (PW_LONG, 8, 8, 1, LONG_NOTE)):
        n += 1
        h = ph.scrypt.using(rounds=ln, block_size=r, parallelism=p,
                            salt=dbytes(f"scrypt-{n}", 16)).hash(pw)
        fam.add("scrypt", h, pw, f"{PL} scrypt.using(rounds={ln}, block_size={r}, parallelism={p}).hash",
                [pl(ph.scrypt, pw, h)], note=note)
    h = ph.scrypt.using(salt=dbytes("scrypt-default", 16)).hash(PW1)
    fam.add("scrypt", h, PW1, f"{PL} scrypt.hash (defaults ln={ph.scrypt.default_rounds}, r=8, p=1)",
            [pl(ph.scrypt, PW1, h)], default_cost=True,
            note="default cost: N=65536, r=8 needs 64 MiB; Node's crypto.scrypt needs maxmem raised")
    rej = passlib_rejects(ph.scrypt)
    good = ph.scrypt.using(rounds=8, salt=dbytes("scrypt-bad", 16)).hash(PW1)
    head, s, d = good.rsplit("$", 2)
    fam.bad("scrypt", good.replace("ln=8", "ln=abc"), "non-numeric ln", rej)
    fam.bad("scrypt", good.replace(",p=1", ""), "missing p parameter", rej)
    fam.bad("scrypt", f"{head}${s}${d[:-2]}!!", "invalid base64 character in hash", rej)
    fam.bad("scrypt", f"{head}${d}", "missing salt field", rej)
    fam.bad("scrypt", good.replace("r=8", "r=0"), "block size 0 (out of range)", rej)
    fam.bad("scrypt", good.replace("ln=8", "ln=0"), "ln=0 (N=1, out of range)", rej)

    # werkzeug scrypt
    n = 0
    for pw, method, note in ((PW1, "scrypt:1024:8:1", None), (PW2, "scrypt:512:4:2", None),
                             (PW_UNI, "scrypt:1024:8:1", UNI_NOTE), (PW_LONG, "scrypt:1024:8:1", LONG_NOTE)):
        n += 1
        h = werkzeug_hash(method, dchars(f"wz-scrypt-{n}", 16), pw)
        fam.add("werkzeug_scrypt", h, pw, f"{WZ} security._hash_internal({method!r}) as generate_password_hash formats it",
                [(f"{WZ} check_password_hash", lambda pw=pw, h=h: werkzeug_check(pw, h))], note=note)
    h = werkzeug_hash("scrypt", dchars("wz-scrypt-default", 16), PW1)
    fam.add("werkzeug_scrypt", h, PW1, f"{WZ} generate_password_hash(method='scrypt') format, default parameters",
            [(f"{WZ} check_password_hash", lambda h=h: werkzeug_check(PW1, h))], default_cost=True,
            note="default cost scrypt:32768:8:1 (32 MiB; Werkzeug itself passes maxmem=132*N*r*p)")

    def wz_strict(pw, h):
        method, salt, hx = h.split("$")  # raises on a missing field
        parts = method.split(":")
        if parts[0] != "scrypt" or len(parts) != 4:
            raise ValueError("bad method")
        nn, r, p = (int(x) for x in parts[1:])
        if nn < 2 or nn & (nn - 1) or r < 1 or p < 1:
            raise ValueError("bad params")
        hex_strict(hx)
        if len(hx) != 128:
            raise ValueError("bad length")
        return werkzeug_check(pw, h)
    rej = fn_rejects(f"{WZ}-format strict parser (Werkzeug's own check_password_hash returns False)", wz_strict)
    good = werkzeug_hash("scrypt:1024:8:1", dchars("wz-scrypt-bad", 16), PW1)
    fam.bad("werkzeug_scrypt", good[:-1], "truncated hex digest", rej)
    fam.bad("werkzeug_scrypt", good[:-2] + "zz", "non-hex character in digest", rej)
    fam.bad("werkzeug_scrypt", good.replace("scrypt:1024:8:1", "scrypt:abc:8:1"), "non-numeric N", rej)
    fam.bad("werkzeug_scrypt", good.replace("scrypt:1024:8:1", "scrypt:1000:8:1"), "N not a power of two", rej)
    fam.bad("werkzeug_scrypt", good.rsplit("$", 1)[0], "missing digest field", rej)
    fam.notes.append("Werkzeug's check_password_hash returns False (never raises) for malformed "
                     "strings; werkzeug_scrypt malformed entries are confirmed by a strict parser of "
                     "the format Werkzeug writes and all also return False from check_password_hash.")

    # django scrypt
    class LowScrypt(ScryptPasswordHasher):
        work_factor = 2 ** 10
        block_size = 8
        parallelism = 1

    class LowScrypt2(ScryptPasswordHasher):
        work_factor = 2 ** 9
        block_size = 4
        parallelism = 2

    n = 0
    for pw, cls, note in ((PW1, LowScrypt, None), (PW2, LowScrypt2, None), (PW_UNI, LowScrypt, UNI_NOTE),
                          (PW_LONG, LowScrypt, LONG_NOTE)):
        n += 1
        h = cls().encode(pw, dchars(f"dj-scrypt-{n}", 22))
        fam.add("django_scrypt", h, pw,
                f"{DJ} ScryptPasswordHasher.encode (subclass work_factor={cls.work_factor}, block_size={cls.block_size}, parallelism={cls.parallelism})",
                [dj_check(pw, h)], note=note)
    h = ScryptPasswordHasher().encode(PW1, dchars("dj-scrypt-default", 22))
    fam.add("django_scrypt", h, PW1, f"{DJ} ScryptPasswordHasher.encode (defaults)", [dj_check(PW1, h)],
            default_cost=True, note="default cost N=16384, r=8, p=1")
    good = LowScrypt().encode(PW1, dchars("dj-scrypt-bad", 22))
    alg, nn, salt, r, p, d = good.split("$")
    fam.bad("django_scrypt", f"{alg}$abc${salt}${r}${p}${d}", "non-numeric N", django_rejects)
    fam.bad("django_scrypt", f"{alg}${nn}${salt}${r}${d}", "missing parallelism field", django_rejects)
    fam.bad("django_scrypt", f"{alg}${nn}${salt}$x${p}${d}", "non-numeric block size", django_rejects)
    fam.bad("django_scrypt", f"{alg}$1000${salt}${r}${p}${d}", "N not a power of two", django_rejects)
    return fam


# ==========================================================================
# pbkdf2 family
# ==========================================================================
def gen_pbkdf2() -> Family:
    setup_django()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, PBKDF2SHA1PasswordHasher
    fam = Family("pbkdf2", {"passlib": VERSIONS["passlib"], "django": VERSIONS["django"],
                            "werkzeug": VERSIONS["werkzeug"]})

    std = ((PW1, 1000, None), (PW2, 2000, None), (PW_UNI, 1000, UNI_NOTE), (PW_LONG, 1000, LONG_NOTE))

    for name in ("pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha512", "cta_pbkdf2_sha1", "grub_pbkdf2_sha512"):
        handler = getattr(ph, name)
        n = 0
        for pw, rounds, note in std:
            n += 1
            h = handler.using(rounds=rounds, salt=dbytes(f"{name}-{n}", 16)).hash(pw)
            fam.add(name, h, pw, f"{PL} {name}.using(rounds={rounds}).hash", [pl(handler, pw, h)], note=note)
        h = handler.using(salt=dbytes(f"{name}-default", 16)).hash(PW1)
        fam.add(name, h, PW1, f"{PL} {name}.hash (default rounds={handler.default_rounds})",
                [pl(handler, PW1, h)], default_cost=True, note="default cost")
    # atlassian: fixed 10000 rounds, the format carries no cost
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = ph.atlassian_pbkdf2_sha1.using(salt=dbytes(f"atlassian-{n}", 16)).hash(pw)
        fam.add("atlassian_pbkdf2_sha1", h, pw, f"{PL} atlassian_pbkdf2_sha1.hash",
                [pl(ph.atlassian_pbkdf2_sha1, pw, h)],
                note="fixed 10000 iterations (the only cost this format has)" + (f"; {note}" if note else ""),
                default_cost=True if n == 1 else None)

    # malformed (passlib)
    def bad_mcf(name, good, sep="$"):
        rej = passlib_rejects(getattr(ph, name))
        parts = good.split(sep)
        return rej, parts

    g = ph.pbkdf2_sha256.using(rounds=1000, salt=dbytes("p256-bad", 16)).hash(PW1)
    for name in ("pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha512"):
        handler = getattr(ph, name)
        g = handler.using(rounds=1000, salt=dbytes(f"{name}-bad", 16)).hash(PW1)
        rej = passlib_rejects(handler)
        head, rounds, salt, chk = g.rsplit("$", 3)
        fam.bad(name, f"{head}$abc${salt}${chk}", "non-numeric rounds", rej)
        fam.bad(name, f"{head}$0${salt}${chk}", "rounds 0 (out of range)", rej)
        fam.bad(name, f"{head}${rounds}${salt}${chk[:-2]}!!", "invalid ab64 character in checksum", rej)
        fam.bad(name, f"{head}${rounds}${salt}", "missing checksum field", rej)
        fam.bad(name, f"{head}${rounds}${salt}${chk[:-5]}", "truncated checksum", rej)
    g = ph.cta_pbkdf2_sha1.using(rounds=1000, salt=dbytes("cta-bad", 16)).hash(PW1)
    rej = passlib_rejects(ph.cta_pbkdf2_sha1)
    head, rounds, salt, chk = g.rsplit("$", 3)
    fam.bad("cta_pbkdf2_sha1", f"{head}$xyz${salt}${chk}", "non-hex rounds", rej)
    fam.bad("cta_pbkdf2_sha1", f"{head}${rounds}${salt}${chk[:-4]}", "truncated checksum", rej)
    fam.bad("cta_pbkdf2_sha1", f"{head}${rounds}${salt}${chk[:-2]}!!", "invalid base64 character", rej)
    fam.bad("cta_pbkdf2_sha1", f"{head}${rounds}${salt}", "missing checksum field", rej)
    g = ph.grub_pbkdf2_sha512.using(rounds=1000, salt=dbytes("grub-bad", 16)).hash(PW1)
    rej = passlib_rejects(ph.grub_pbkdf2_sha512)
    parts = g.split(".")
    fam.bad("grub_pbkdf2_sha512", ".".join(parts[:3] + ["abc"] + parts[4:]), "non-numeric rounds", rej)
    fam.bad("grub_pbkdf2_sha512", ".".join(parts[:-1] + [parts[-1][:-2]]), "truncated checksum", rej)
    fam.bad("grub_pbkdf2_sha512", ".".join(parts[:-1] + [parts[-1][:-2] + "ZZ"]), "non-hex checksum", rej)
    fam.bad("grub_pbkdf2_sha512", ".".join(parts[:-1]), "missing checksum field", rej)
    g = ph.atlassian_pbkdf2_sha1.using(salt=dbytes("atl-bad", 16)).hash(PW1)
    rej = passlib_rejects(ph.atlassian_pbkdf2_sha1)
    fam.bad("atlassian_pbkdf2_sha1", g[:-4], "truncated payload (wrong decoded length)", rej)
    fam.bad("atlassian_pbkdf2_sha1", g[:-3] + "!!=", "invalid base64 character", rej)
    fam.bad("atlassian_pbkdf2_sha1", "{PKCS5S2}", "missing payload", rej)
    fam.bad("atlassian_pbkdf2_sha1", g + "AAAA", "payload too long", rej)

    # django pbkdf2 ---------------------------------------------------------
    for scheme, cls, pl_handler in (("django_pbkdf2_sha256", PBKDF2PasswordHasher, ph.django_pbkdf2_sha256),
                                    ("django_pbkdf2_sha1", PBKDF2SHA1PasswordHasher, ph.django_pbkdf2_sha1)):
        n = 0
        for pw, it, note in std:
            n += 1
            h = cls().encode(pw, dchars(f"{scheme}-{n}", 22), iterations=it)
            fam.add(scheme, h, pw, f"{DJ} {cls.__name__}.encode(iterations={it})",
                    [dj_check(pw, h), pl(pl_handler, pw, h)], note=note)
        h = cls().encode(PW1, dchars(f"{scheme}-default", 22))
        fam.add(scheme, h, PW1, f"{DJ} {cls.__name__}.encode (default iterations={cls.iterations})",
                [dj_check(PW1, h), pl(pl_handler, PW1, h)], default_cost=True, note="default cost")
        g = cls().encode(PW1, dchars(f"{scheme}-bad", 22), iterations=1000)
        alg, it, salt, chk = g.split("$")
        rej = either(passlib_rejects(pl_handler), django_rejects)
        fam.bad(scheme, f"{alg}$abc${salt}${chk}", "non-numeric iterations", rej)
        fam.bad(scheme, f"{alg}${it}${salt}", "missing hash field", rej)
        fam.bad(scheme, f"{alg}${it}${salt}${chk[:-3]}!!=", "invalid base64 character in hash", rej)
        fam.bad(scheme, f"{alg}$0${salt}${chk}", "iterations 0", rej)
        fam.bad(scheme, f"{alg}${it}${salt}${chk[:-4]}", "truncated hash", rej)

    # werkzeug pbkdf2 -------------------------------------------------------
    def wz_checks(pw, h):
        return [(f"{WZ} check_password_hash", lambda: werkzeug_check(pw, h)),
                ("hashlib.pbkdf2_hmac recomputation", lambda: wz_pbkdf2_strict(pw, h))]

    n = 0
    for method in ("pbkdf2:sha256:1000", "pbkdf2:sha1:1000", "pbkdf2:sha512:1000"):
        for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
            n += 1
            h = werkzeug_hash(method, dchars(f"wz-pbkdf2-{n}", 16), pw)
            fam.add("werkzeug_pbkdf2", h, pw, f"{WZ} security._hash_internal({method!r}) as generate_password_hash formats it",
                    wz_checks(pw, h), note=note)
    h = werkzeug_hash("pbkdf2", dchars("wz-pbkdf2-default", 16), PW1)
    fam.add("werkzeug_pbkdf2", h, PW1, f"{WZ} generate_password_hash(method='pbkdf2') format, default parameters",
            wz_checks(PW1, h), default_cost=True, note="default cost pbkdf2:sha256:1000000")
    rej = fn_rejects(f"{WZ}-format strict parser (Werkzeug's own check_password_hash returns False)",
                     wz_pbkdf2_strict)
    good = werkzeug_hash("pbkdf2:sha256:1000", dchars("wz-pbkdf2-bad", 16), PW1)
    fam.bad("werkzeug_pbkdf2", good[:-1], "truncated hex digest", rej)
    fam.bad("werkzeug_pbkdf2", good[:-2] + "zz", "non-hex character in digest", rej)
    fam.bad("werkzeug_pbkdf2", good.replace(":1000$", ":abc$"), "non-numeric iterations", rej)
    fam.bad("werkzeug_pbkdf2", good.replace(":1000$", ":0$"), "iterations 0", rej)
    fam.bad("werkzeug_pbkdf2", good.rsplit("$", 1)[0], "missing digest field", rej)
    fam.bad("werkzeug_pbkdf2", good.replace("pbkdf2:sha256:", "pbkdf2:sha999:"), "unknown digest name", rej)
    fam.notes.append("werkzeug_pbkdf2 covers the method strings pbkdf2:sha256, pbkdf2:sha1 and "
                     "pbkdf2:sha512; the hex digest length is the digest size of the named hash.")
    return fam


def wz_pbkdf2_strict(pw: str, h: str) -> bool:
    method, salt, hx = h.split("$")
    parts = method.split(":")
    if parts[0] != "pbkdf2" or len(parts) != 3:
        raise ValueError("bad method")
    name, it = parts[1], int(parts[2])
    if name not in ("sha1", "sha224", "sha256", "sha384", "sha512") or it < 1:
        raise ValueError("bad params")
    want = hex_strict(hx)
    dk = hashlib.pbkdf2_hmac(name, pw.encode(), salt.encode(), it)
    if len(want) != len(dk):
        raise ValueError("bad digest length")
    return hmac.compare_digest(dk, want)


# ==========================================================================
# crypt family
# ==========================================================================
def gen_crypt() -> Family:
    fam = Family("crypt", {"passlib": VERSIONS["passlib"], "crypt(3)": LIBXCRYPT,
                           "python-crypt": f"Python {VERSIONS['python']} crypt module"})

    def add_pl(scheme, handler, pw, h, src, note=None, cross=True, **kw):
        checks = [pl(handler, pw, h)]
        if cross:
            checks.append(glibc(pw, h))
        fam.add(scheme, h, pw, src, checks, note=note, crosschecked=GLIBC if cross else None, **kw)

    for scheme, handler in (("sha512_crypt", ph.sha512_crypt), ("sha256_crypt", ph.sha256_crypt)):
        n = 0
        for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
            n += 1
            salt = dchars(f"{scheme}-{n}", 16, HASH64)
            h = handler.using(rounds=1000, salt=salt).hash(pw)
            add_pl(scheme, handler, pw, h, f"{PL} {scheme}.using(rounds=1000).hash", note)
        salt = dchars(f"{scheme}-short", 8, HASH64)
        h = handler.using(rounds=1000, salt=salt).hash(PW3)
        add_pl(scheme, handler, PW3, h, f"{PL} {scheme}.using(rounds=1000).hash", "8-char salt")
        salt = dchars(f"{scheme}-implicit2", 16, HASH64)
        h = handler.using(rounds=5000, salt=salt).hash(PW2)
        assert "rounds=" not in h
        add_pl(scheme, handler, PW2, h, f"{PL} {scheme}.using(rounds=5000).hash (writes no rounds=)",
               "implicit rounds=5000 (no rounds= field)")
        salt = dchars(f"{scheme}-default", 16, HASH64)
        h = handler.using(rounds=5000, salt=salt).hash(PW1)
        add_pl(scheme, handler, PW1, h, f"{PL} {scheme}.using(rounds=5000).hash (writes no rounds=)",
               "default cost of the format and of crypt(3): implicit rounds=5000, no rounds= field "
               f"(passlib's own default, rounds={handler.default_rounds}, is exercised by the "
               "kratos_*_crypt vectors in beyond.json)", default_cost=True)
        setting = crypt_gensalt("$6$" if scheme == "sha512_crypt" else "$5$", 1000, f"{scheme}-glibc")
        h = crypt3(PW3, setting)
        fam.add(scheme, h, PW3, f"{LIBXCRYPT} crypt() with crypt_gensalt(rounds=1000)",
                [pl(handler, PW3, h), glibc(PW3, h)], crosschecked="passlib")
        rej = passlib_rejects(handler)
        good = handler.using(rounds=1000, salt=dchars(f"{scheme}-bad", 16, HASH64)).hash(PW1)
        pfx, _, rest = good[1:].partition("$")
        rounds, salt, chk = rest.split("$")
        p = f"${pfx}$"
        fam.bad(scheme, f"{p}rounds=abc${salt}${chk}", "non-numeric rounds", rej)
        fam.bad(scheme, f"{p}rounds=0999${salt}${chk}", "zero-padded rounds", rej)
        fam.bad(scheme, f"{p}rounds=${salt}${chk}", "empty rounds value", rej)
        fam.bad(scheme, f"{p}{rounds}${salt}${chk[:-1]}", "truncated checksum", rej)
        fam.bad(scheme, f"{p}{rounds}${salt}${chk[:-1]}!", "invalid hash64 character in checksum", rej)
        fam.bad(scheme, f"{p}{rounds}${salt}${chk}x", "checksum one character too long", rej)
        fam.bad(scheme, f"{p}{rounds}${salt}$", "missing checksum", rej)
        fam.bad(scheme, f"{p}rounds=1000$ab$cd${chk}", "extra field ('$' in salt)", rej)

    n = 0
    for scheme, handler in (("md5_crypt", ph.md5_crypt), ("apr_md5_crypt", ph.apr_md5_crypt)):
        cross = scheme == "md5_crypt"  # libxcrypt has no $apr1$
        for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
            n += 1
            h = handler.using(salt=dchars(f"{scheme}-{n}", 8, HASH64)).hash(pw)
            add_pl(scheme, handler, pw, h, f"{PL} {scheme}.hash", note, cross=cross)
        n += 1
        h = handler.using(salt=dchars(f"{scheme}-{n}", 4, HASH64)).hash(PW3)
        add_pl(scheme, handler, PW3, h, f"{PL} {scheme}.hash", "4-char salt", cross=cross)
        h = handler.using(salt="").hash(PW1)
        add_pl(scheme, handler, PW1, h, f"{PL} {scheme}.using(salt='').hash", "empty salt", cross=cross)
        rej = passlib_rejects(handler)
        good = handler.using(salt=dchars(f"{scheme}-bad", 8, HASH64)).hash(PW1)
        head, salt, chk = good.rsplit("$", 2)
        fam.bad(scheme, f"{head}${salt}${chk[:-1]}", "truncated checksum", rej)
        fam.bad(scheme, f"{head}${salt}${chk[:-1]}!", "invalid hash64 character", rej)
        fam.bad(scheme, f"{head}${salt}${chk}A", "checksum too long", rej)
        fam.bad(scheme, f"{head}${salt}x${chk}", "salt longer than 8 chars", rej)
        fam.bad(scheme, f"{head}${salt}", "missing checksum field", rej)
    fam.notes.append("apr_md5_crypt ($apr1$) has no crypt(3) implementation on Debian, so it is not "
                     "cross-checked; md5_crypt, sha256/512_crypt, des_crypt and bsdi_crypt are.")

    # des_crypt
    n = 0
    for pw, note in (("password", None), ("hashd", None), ("pä日", "unicode password (UTF-8, 6 bytes)"),
                     ("12345678", "exactly 8 characters")):
        n += 1
        h = ph.des_crypt.using(salt=dchars(f"des-{n}", 2, HASH64)).hash(pw)
        add_pl("des_crypt", ph.des_crypt, pw, h, f"{PL} des_crypt.hash", note)
    n += 1
    h = ph.des_crypt.using(salt=dchars(f"des-{n}", 2, HASH64)).hash(PW_LONG)
    add_pl("des_crypt", ph.des_crypt, PW_LONG, h, f"{PL} des_crypt.hash",
           "80-byte password: DES crypt uses only the first 8 bytes ('A long p'), so that prefix "
           "(and any password sharing it) also verifies")
    rej = passlib_rejects(ph.des_crypt)
    good = ph.des_crypt.using(salt="ab").hash(PW1)
    fam.bad("des_crypt", good[:-1], "12 characters (truncated)", rej)
    fam.bad("des_crypt", good + "A", "14 characters", rej)
    fam.bad("des_crypt", good[:-1] + "!", "invalid character", rej)
    fam.bad("des_crypt", "!" + good[1:], "invalid salt character", rej)

    # bsdi_crypt
    n = 0
    for pw, rounds, note in ((PW1, 725, None), (PW2, 1001, None), (PW_UNI, 725, UNI_NOTE), (PW_LONG, 725, LONG_NOTE)):
        n += 1
        h = ph.bsdi_crypt.using(rounds=rounds, salt=dchars(f"bsdi-{n}", 4, HASH64)).hash(pw)
        add_pl("bsdi_crypt", ph.bsdi_crypt, pw, h, f"{PL} bsdi_crypt.using(rounds={rounds}).hash", note)
    h = ph.bsdi_crypt.using(salt=dchars("bsdi-default", 4, HASH64)).hash(PW1)
    add_pl("bsdi_crypt", ph.bsdi_crypt, PW1, h, f"{PL} bsdi_crypt.hash (default rounds={ph.bsdi_crypt.default_rounds})",
           "default cost", default_cost=True)
    rej = passlib_rejects(ph.bsdi_crypt)
    good = ph.bsdi_crypt.using(rounds=725, salt="abcd").hash(PW1)
    fam.bad("bsdi_crypt", good[:-1], "truncated checksum", rej)
    fam.bad("bsdi_crypt", good[:-1] + "!", "invalid character in checksum", rej)
    fam.bad("bsdi_crypt", "_!!!!" + good[5:], "invalid character in rounds field", rej)
    fam.bad("bsdi_crypt", good + "A", "too long", rej)

    # yescrypt via libxcrypt
    def y_checks(pw, h):
        return [("crypt(3) (libxcrypt)", lambda: crypt_ok(pw, h)),
                ("crypt(3) recomputation with the salt prefix", lambda: crypt3(pw, h.rsplit("$", 1)[0]) == h)]
    n = 0
    for pw, count, note in ((PW1, 1, None), (PW2, 2, None), (PW_UNI, 1, UNI_NOTE), (PW_LONG, 1, LONG_NOTE)):
        n += 1
        setting = crypt_gensalt("$y$", count, f"yescrypt-{n}")
        h = crypt3(pw, setting)
        fam.add("yescrypt", h, pw, f"{LIBXCRYPT} crypt() with crypt_gensalt('$y$', {count})", y_checks(pw, h),
                note=f"low cost (params {setting.split('$')[2]})" + (f"; {note}" if note else ""))
    setting = crypt_gensalt("$y$", 0, "yescrypt-default")
    h = crypt3(PW1, setting)
    fam.add("yescrypt", h, PW1, f"{LIBXCRYPT} crypt() with crypt_gensalt('$y$', 0) (default cost)",
            y_checks(PW1, h), default_cost=True,
            note=f"default cost (params {setting.split('$')[2]}: N=4096, r=32, 16 MiB), the Debian 12 default for /etc/shadow")

    def y_rej(h):
        r = crypt3(PW1, h)
        if r is None or r.startswith("*"):
            return True, f"{LIBXCRYPT} crypt() failed (returned {r!r})"
        return False, f"crypt() returned a hash {r!r}"
    good = crypt3(PW1, crypt_gensalt("$y$", 1, "yescrypt-bad"))
    _, y, params, salt, chk = good.split("$")
    fam.bad("yescrypt", f"$y$!!!${salt}${chk}", "invalid params field", y_rej)
    fam.bad("yescrypt", f"$y$${salt}${chk}", "empty params field", y_rej)
    fam.bad("yescrypt", f"$y${params}$!{salt[1:]}${chk}", "invalid character in salt", y_rej)
    fam.bad("yescrypt", f"$y${params}", "missing salt and hash", y_rej)
    fam.notes.append("yescrypt: passlib has no yescrypt handler; vectors come from libxcrypt's "
                     "crypt(3) through Python's crypt module, settings from libxcrypt's "
                     "crypt_gensalt_rn called through ctypes with deterministic random bytes. "
                     "Malformed yescrypt strings are those for which crypt(3) fails.")
    fam.notes.append("ldap_crypt ({CRYPT} wrappers) is in ldap.json.")
    return fam


# ==========================================================================
# phpass
# ==========================================================================
def gen_phpass() -> Family:
    fam = Family("phpass", {"passlib": VERSIONS["passlib"]})
    n = 0
    for ident in ("P", "H"):
        for pw, rounds, note in ((PW1, 7, None), (PW2, 8, "WordPress cost (2^8)"), (PW_UNI, 7, UNI_NOTE),
                                 (PW_LONG, 7, LONG_NOTE)):
            n += 1
            h = ph.phpass.using(ident=ident, rounds=rounds, salt=dchars(f"phpass-{n}", 8, HASH64)).hash(pw)
            fam.add("phpass", h, pw, f"{PL} phpass.using(ident={ident!r}, rounds={rounds}).hash",
                    [pl(ph.phpass, pw, h)], note=note)
    h = ph.phpass.using(salt=dchars("phpass-default", 8, HASH64)).hash(PW1)
    fam.add("phpass", h, PW1, f"{PL} phpass.hash (default rounds={ph.phpass.default_rounds}, ident $P$)",
            [pl(ph.phpass, PW1, h)], default_cost=True, note="default cost (2^19 MD5 iterations)")
    rej = passlib_rejects(ph.phpass)
    good = ph.phpass.using(rounds=7, salt="abcdefgh").hash(PW1)
    fam.bad("phpass", good[:-1] + "!", "invalid hash64 character in checksum", rej)
    fam.bad("phpass", good[:3] + "!" + good[4:], "invalid rounds character", rej)
    fam.bad("phpass", good[:3] + "U" + good[4:], "rounds 2^32 (out of range, max 30)", rej)
    fam.bad("phpass", good[:11], "missing checksum", rej)
    return fam


# ==========================================================================
# ldap
# ==========================================================================
def gen_ldap() -> Family:
    fam = Family("ldap", {"passlib": VERSIONS["passlib"], "crypt(3)": LIBXCRYPT})
    plain = (("ldap_md5", ph.ldap_md5), ("ldap_sha1", ph.ldap_sha1))
    salted = (("ldap_salted_md5", ph.ldap_salted_md5, 4), ("ldap_salted_sha1", ph.ldap_salted_sha1, 4),
              ("ldap_salted_sha256", ph.ldap_salted_sha256, 8), ("ldap_salted_sha512", ph.ldap_salted_sha512, 8))
    for scheme, handler in plain:
        for pw, note in ((PW1, None), (PW2, None), (PW3, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
            h = handler.hash(pw)
            fam.add(scheme, h, pw, f"{PL} {scheme}.hash", [pl(handler, pw, h)], note=note)
        rej = passlib_rejects(handler)
        good = handler.hash(PW1)
        fam.bad(scheme, good[:-4], "truncated base64 (wrong digest length)", rej)
        fam.bad(scheme, good[:-3] + "!!=", "invalid base64 character", rej)
        fam.bad(scheme, good + "AAAA", "digest too long", rej)
        fam.bad(scheme, good.split("}")[0] + "}", "missing digest", rej)
    for scheme, handler, dsalt in salted:
        n = 0
        for pw, slen, note in ((PW1, dsalt, None), (PW2, 16, "16-byte salt"), (PW3, 4, "4-byte salt"),
                               (PW_UNI, dsalt, UNI_NOTE), (PW_LONG, dsalt, LONG_NOTE)):
            n += 1
            h = handler.using(salt=dbytes(f"{scheme}-{n}", slen)).hash(pw)
            fam.add(scheme, h, pw, f"{PL} {scheme}.hash", [pl(handler, pw, h)], note=note)
        rej = passlib_rejects(handler)
        good = handler.using(salt=dbytes(f"{scheme}-bad", dsalt)).hash(PW1)
        tag = good.split("}")[0] + "}"
        digest_len = {"ldap_salted_md5": 16, "ldap_salted_sha1": 20, "ldap_salted_sha256": 32,
                      "ldap_salted_sha512": 64}[scheme]
        fam.bad(scheme, tag + b64(dbytes(f"{scheme}-short", digest_len + 2)), "payload shorter than digest + 4-byte salt", rej)
        fam.bad(scheme, tag + b64(dbytes(f"{scheme}-long", digest_len + 17)), "salt longer than 16 bytes", rej)
        fam.bad(scheme, good[:-3] + "!!=", "invalid base64 character", rej)
        fam.bad(scheme, tag, "missing payload", rej)
    # {CRYPT}
    n = 0
    items = [
        (ph.ldap_sha512_crypt, PW1, {"rounds": 1000, "salt": dchars("lc-1", 16, HASH64)}, None),
        (ph.ldap_sha512_crypt, PW_UNI, {"rounds": 1000, "salt": dchars("lc-2", 16, HASH64)}, UNI_NOTE),
        (ph.ldap_sha512_crypt, PW2, {"rounds": 5000, "salt": dchars("lc-3", 16, HASH64)},
         "default cost of the wrapped format: implicit rounds=5000"),
        (ph.ldap_sha256_crypt, PW2, {"rounds": 1000, "salt": dchars("lc-4", 16, HASH64)}, None),
        (ph.ldap_md5_crypt, PW1, {"salt": dchars("lc-5", 8, HASH64)}, None),
        (ph.ldap_md5_crypt, PW_LONG, {"salt": dchars("lc-6", 8, HASH64)}, LONG_NOTE),
        (ph.ldap_des_crypt, "hashd", {"salt": dchars("lc-7", 2, HASH64)}, "DES crypt: 8-byte password limit"),
        (ph.ldap_bsdi_crypt, PW3, {"rounds": 725, "salt": dchars("lc-8", 4, HASH64)}, None),
        (ph.ldap_bcrypt, PW3, {"rounds": 4, "salt": bcrypt_salt("lc-9")}, None),
    ]
    for handler, pw, kw, note in items:
        n += 1
        h = handler.using(**kw).hash(pw)
        assert h.startswith("{CRYPT}")
        fam.add("ldap_crypt", h, pw, f"{PL} {handler.name}.hash", [pl(handler, pw, h), glibc(pw, h[7:])],
                note=note, crosschecked=GLIBC, default_cost=True if n == 3 else None)
    good = ph.ldap_sha512_crypt.using(rounds=1000, salt="abcdefgh").hash(PW1)
    rej = either(passlib_rejects(ph.ldap_sha512_crypt), passlib_rejects(ph.ldap_md5_crypt),
                 passlib_rejects(ph.ldap_des_crypt))
    fam.bad("ldap_crypt", good[:-1], "{CRYPT}$6$: truncated checksum", passlib_rejects(ph.ldap_sha512_crypt))
    fam.bad("ldap_crypt", good.replace("rounds=1000", "rounds=abc"), "{CRYPT}$6$: non-numeric rounds",
            passlib_rejects(ph.ldap_sha512_crypt))
    fam.bad("ldap_crypt", "{CRYPT}" + ph.md5_crypt.using(salt="abcdefgh").hash(PW1)[:-1] + "!",
            "{CRYPT}$1$: invalid checksum character", passlib_rejects(ph.ldap_md5_crypt))
    fam.bad("ldap_crypt", "{CRYPT}ab!defghijklm", "{CRYPT} DES: invalid character", passlib_rejects(ph.ldap_des_crypt))
    fam.bad("ldap_crypt", "{CRYPT}", "{CRYPT} with nothing wrapped", rej)
    fam.notes.append("ldap_crypt covers every {CRYPT} wrapper passlib implements (sha512, sha256, "
                     "md5, des, bsdi, bcrypt); the wrapped hash is cross-checked with crypt(3).")
    return fam


# ==========================================================================
# django
# ==========================================================================
def gen_django() -> Family:
    setup_django()
    from django.contrib.auth import hashers as dh

    fam = Family("django", {"django": VERSIONS["django"], "passlib": VERSIONS["passlib"],
                            "argon2-cffi": VERSIONS["argon2-cffi"], "bcrypt": VERSIONS["bcrypt"]})

    class LowArgon2(dh.Argon2PasswordHasher):
        time_cost = 2
        memory_cost = 256
        parallelism = 1

    class LowArgon2b(dh.Argon2PasswordHasher):
        time_cost = 1
        memory_cost = 1024
        parallelism = 2

    n = 0
    for pw, cls, note in ((PW1, LowArgon2, None), (PW2, LowArgon2b, None), (PW_UNI, LowArgon2, UNI_NOTE),
                          (PW_LONG, LowArgon2, LONG_NOTE)):
        n += 1
        h = cls().encode(pw, dchars(f"dj-argon2-{n}", 22))
        fam.add("django_argon2", h, pw,
                f"{DJ} Argon2PasswordHasher.encode (subclass time_cost={cls.time_cost}, memory_cost={cls.memory_cost}, parallelism={cls.parallelism})",
                [dj_check(pw, h), pl(ph.django_argon2, pw, h)], note=note)
    h = dh.Argon2PasswordHasher().encode(PW1, dchars("dj-argon2-default", 22))
    fam.add("django_argon2", h, PW1, f"{DJ} Argon2PasswordHasher.encode (defaults)",
            [dj_check(PW1, h), pl(ph.django_argon2, PW1, h)], default_cost=True,
            note="default cost m=102400, t=2, p=8")
    good = LowArgon2().encode(PW1, dchars("dj-argon2-bad", 22))
    rej = either(passlib_rejects(ph.django_argon2), django_rejects)
    fam.bad("django_argon2", good.replace("m=256", "m=abc"), "non-numeric memory cost", rej)
    fam.bad("django_argon2", good.rsplit("$", 1)[0], "missing hash field", rej)
    fam.bad("django_argon2", good[:-2] + "!!", "invalid base64 character", rej)
    fam.bad("django_argon2", good.replace("$argon2id$", "$argon2xx$"), "unknown argon2 variant", rej)

    def bc_salt(label, rounds, prefix=b"2b"):
        return b"$" + prefix + f"${rounds:02d}$".encode() + bcrypt_salt(label).encode()

    for scheme, cls, plh in (("django_bcrypt_sha256", dh.BCryptSHA256PasswordHasher, ph.django_bcrypt_sha256),
                             ("django_bcrypt", dh.BCryptPasswordHasher, ph.django_bcrypt)):
        n = 0
        long_pw, long_note = (PW_LONG, LONG_NOTE) if scheme == "django_bcrypt_sha256" else (PW_71, B71_NOTE)
        for pw, rounds, note in ((PW1, 4, None), (PW2, 5, None), (PW_UNI, 4, UNI_NOTE), (long_pw, 4, long_note)):
            n += 1
            h = cls().encode(pw, bc_salt(f"{scheme}-{n}", rounds))
            fam.add(scheme, h, pw, f"{DJ} {cls.__name__}.encode (salt with rounds={rounds})",
                    [dj_check(pw, h), pl(plh, pw, h)], note=note)
        h = cls().encode(PW1, bc_salt(f"{scheme}-default", cls.rounds))
        fam.add(scheme, h, PW1, f"{DJ} {cls.__name__}.encode (default rounds={cls.rounds})",
                [dj_check(PW1, h), pl(plh, PW1, h)], default_cost=True, note="default cost")
        good = cls().encode(PW1, bc_salt(f"{scheme}-bad", 4))
        rej = either(passlib_rejects(plh), django_rejects)
        alg = scheme.replace("django_", "")
        fam.bad(scheme, good[:-1], "truncated bcrypt checksum", rej)
        fam.bad(scheme, good.replace("$04$", "$ab$"), "non-numeric cost", rej)
        fam.bad(scheme, good[:-2] + "!!", "invalid bcrypt-base64 character", rej)
        fam.bad(scheme, f"{alg}$", "missing bcrypt hash", rej)

    # salted md5 (Django) / salted sha1 (passlib: Django 5.1 removed SHA1PasswordHasher)
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = dh.MD5PasswordHasher().encode(pw, dchars(f"dj-md5-{n}", 22))
        fam.add("django_salted_md5", h, pw, f"{DJ} MD5PasswordHasher.encode",
                [dj_check(pw, h), pl(ph.django_salted_md5, pw, h)], note=note)
    h = ph.django_salted_md5.using(salt=dchars("dj-md5-old", 5)).hash(PW3)
    fam.add("django_salted_md5", h, PW3, f"{PL} django_salted_md5.hash (5-char salt, Django < 1.4 style)",
            [dj_check(PW3, h), pl(ph.django_salted_md5, PW3, h)], note="short salt")
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = ph.django_salted_sha1.using(salt=dchars(f"dj-sha1-{n}", 12)).hash(pw)
        fam.add("django_salted_sha1", h, pw,
                f"{PL} django_salted_sha1.hash (Django's SHA1PasswordHasher was removed in Django 5.1)",
                [pl(ph.django_salted_sha1, pw, h),
                 ("sha1(salt+password) recomputation", lambda pw=pw, h=h: hashlib.sha1((h.split("$")[1] + pw).encode()).hexdigest() == h.split("$")[2])],
                note=note)
    for scheme, handler, algo in (("django_salted_md5", ph.django_salted_md5, "md5"),
                                  ("django_salted_sha1", ph.django_salted_sha1, "sha1")):
        good = handler.using(salt="abcdef").hash(PW1)
        rej = passlib_rejects(handler)
        fam.bad(scheme, good[:-1], "truncated hex digest", rej)
        fam.bad(scheme, good[:-1] + "g", "non-hex character", rej)
        fam.bad(scheme, f"{algo}$abcdef", "missing digest field", rej)
        fam.bad(scheme, good + "00", "digest too long", rej)

    # unsalted
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = ph.hex_md5.hash(pw)
        fam.add("django_unsalted_md5", h, pw,
                f"{PL} hex_md5.hash (the format of Django's UnsaltedMD5PasswordHasher, removed in Django 5.1)",
                [pl(ph.hex_md5, pw, h)], note=note)
    h = "md5$$" + ph.hex_md5.hash(PW3)
    fam.add("django_unsalted_md5", h, PW3, f"{PL} hex_md5.hash with Django's 'md5$$' prefix",
            [pl(ph.django_salted_md5, PW3, h)],
            note="'md5$$<hex>' form, also accepted by Django's UnsaltedMD5PasswordHasher.verify")
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        h = ph.django_salted_sha1.using(salt="").hash(pw)
        assert h.startswith("sha1$$")
        fam.add("django_unsalted_sha1", h, pw,
                f"{PL} django_salted_sha1.using(salt='').hash (the 'sha1$$<hex>' format of Django's "
                "UnsaltedSHA1PasswordHasher, removed in Django 5.1)",
                [pl(ph.django_salted_sha1, pw, h),
                 ("sha1(password) recomputation", lambda pw=pw, h=h: hashlib.sha1(pw.encode()).hexdigest() == h[6:])],
                note=note)
    rej = passlib_rejects(ph.hex_md5)
    good = ph.hex_md5.hash(PW1)
    fam.bad("django_unsalted_md5", good[:-1], "31 hex characters", rej)
    fam.bad("django_unsalted_md5", good[:-1] + "g", "non-hex character", rej)
    fam.bad("django_unsalted_md5", good + "0", "33 hex characters", rej)
    rej = passlib_rejects(ph.django_salted_sha1)
    good = ph.django_salted_sha1.using(salt="").hash(PW1)
    fam.bad("django_unsalted_sha1", good[:-1], "truncated hex digest", rej)
    fam.bad("django_unsalted_sha1", good[:-1] + "x", "non-hex character", rej)
    fam.bad("django_unsalted_sha1", "sha1$$", "missing digest", rej)

    # des crypt: Django's CryptPasswordHasher was removed in Django 5.0
    class DjangoDesNoDup(ph.django_des_crypt):
        use_duplicate_salt = False
    n = 0
    for pw, note in (("password", None), ("hashd", None), ("pä日", "unicode password (UTF-8, 6 bytes)"),
                     (PW_LONG, "80-byte password: only the first 8 bytes are used by DES crypt")):
        n += 1
        h = DjangoDesNoDup.using(salt=dchars(f"dj-des-{n}", 2, HASH64)).hash(pw)
        assert h.startswith("crypt$$")
        fam.add("django_des_crypt", h, pw,
                f"{PL} django_des_crypt (use_duplicate_salt=False, i.e. the 'crypt$$<des>' output of "
                "Django's CryptPasswordHasher, removed in Django 5.0)",
                [pl(ph.django_des_crypt, pw, h), glibc(pw, h[7:])], note=note, crosschecked=GLIBC)
    h = ph.django_des_crypt.using(salt=dchars("dj-des-dup", 2, HASH64)).hash("hashd")
    fam.add("django_des_crypt", h, "hashd", f"{PL} django_des_crypt.hash (salt repeated in the middle field)",
            [pl(ph.django_des_crypt, "hashd", h), glibc("hashd", h.split("$")[2])],
            note="'crypt$<salt>$<des>' form", crosschecked=GLIBC)
    rej = passlib_rejects(ph.django_des_crypt)
    good = DjangoDesNoDup.using(salt="ab").hash("hashd")
    fam.bad("django_des_crypt", good[:-1], "truncated DES hash", rej)
    fam.bad("django_des_crypt", good[:-1] + "!", "invalid character", rej)
    fam.bad("django_des_crypt", "crypt$$", "missing DES hash", rej)
    fam.bad("django_des_crypt", "crypt$xy$" + good[7:], "salt field does not match DES salt", rej)

    # disabled (unusable) passwords
    assert dh.UNUSABLE_PASSWORD_PREFIX == "!" and dh.UNUSABLE_PASSWORD_SUFFIX_LENGTH == 40
    real = dh.make_password(None)
    assert real.startswith("!") and len(real) == 41 and not dh.is_password_usable(real)
    for i in range(2):
        h = "!" + dchars(f"dj-unusable-{i}", 40)
        fam.add("django_disabled", h, "anything",
                f"{DJ} make_password(None) format ('!' + get_random_string(40)); the random part is "
                "fixed here for determinism",
                [(f"{DJ} check_password", lambda h=h: dh.check_password("anything", h)),
                 (f"{DJ} is_password_usable", lambda h=h: dh.is_password_usable(h)),
                 (f"{PL} django_disabled.verify", lambda h=h: ph.django_disabled.verify("anything", h))],
                expect=False, note="must verify as false")
    h = "!"
    fam.add("django_disabled", h, "anything", f"{PL} django_disabled.hash / Django unusable prefix alone",
            [(f"{DJ} check_password", lambda: dh.check_password("anything", "!")),
             (f"{PL} django_disabled.verify", lambda: ph.django_disabled.verify("anything", "!"))],
            expect=False, note="must verify as false")
    fam.notes.append("Django 5.x no longer ships SHA1PasswordHasher, UnsaltedSHA1PasswordHasher, "
                     "UnsaltedMD5PasswordHasher (removed in 5.1) or CryptPasswordHasher (removed in "
                     "5.0): those vectors come from passlib's django_* / hex_md5 handlers, which "
                     "write the same formats; 'source' says which library made each vector.")
    fam.notes.append("Vectors with \"expect\": false must verify as false for any password.")
    return fam


# ==========================================================================
# raw digests
# ==========================================================================
def gen_raw() -> Family:
    fam = Family("raw", {"passlib": VERSIONS["passlib"]})
    for scheme in ("hex_md5", "hex_sha1", "hex_sha256", "hex_sha512"):
        handler = getattr(ph, scheme)
        for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
            h = handler.hash(pw)
            fam.add(scheme, h, pw, f"{PL} {scheme}.hash", [pl(handler, pw, h)], note=note)
        h = handler.hash(PW3).upper()
        fam.add(scheme, h, PW3, f"{PL} {scheme}.hash, upper-cased", [pl(handler, PW3, h)], note="uppercase")
        rej = passlib_rejects(handler)
        good = handler.hash(PW1)
        fam.bad(scheme, good[:-1], "one hex character short", rej)
        fam.bad(scheme, good[:-1] + "g", "non-hex character", rej)
        fam.bad(scheme, good + "0", "one hex character too many", rej)
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        h = ph.mysql41.hash(pw)
        fam.add("mysql41", h, pw, f"{PL} mysql41.hash", [pl(ph.mysql41, pw, h)], note=note)
    h = ph.mysql41.hash(PW3).lower()
    fam.add("mysql41", h, PW3, f"{PL} mysql41.hash, lower-cased", [pl(ph.mysql41, PW3, h)], note="lowercase hex")
    rej = passlib_rejects(ph.mysql41)
    good = ph.mysql41.hash(PW1)
    fam.bad("mysql41", good[1:], "missing '*' prefix", rej)
    fam.bad("mysql41", good[:-1], "39 hex characters", rej)
    fam.bad("mysql41", good[:-1] + "G", "non-hex character", rej)
    for user, pw, note in (("postgres", PW1, None), ("alice", PW2, None), ("bob", PW_UNI, UNI_NOTE),
                           ("Ünïcode-user", PW3, "unicode user name"), ("carol", PW_LONG, LONG_NOTE)):
        h = ph.postgres_md5.hash(pw, user=user)
        fam.add("postgres_md5", h, pw, f"{PL} postgres_md5.hash(user=...)",
                [(f"{PL} postgres_md5.verify", lambda pw=pw, h=h, user=user: ph.postgres_md5.verify(pw, h, user=user))],
                user=user, note=note)
    def pg_rej(h):
        try:
            if not ph.postgres_md5.identify(h):
                return True, f"{PL} postgres_md5.identify() is False"
            ph.postgres_md5.verify(PW1, h, user="postgres")
        except ValueError as e:
            return True, f"{PL} postgres_md5.verify raised ValueError: {e}"
        return False, "accepted"
    good = ph.postgres_md5.hash(PW1, user="postgres")
    fam.bad("postgres_md5", good[:-1], "31 hex characters", pg_rej)
    fam.bad("postgres_md5", good[:-1] + "z", "non-hex character", pg_rej)
    fam.bad("postgres_md5", good[3:], "missing 'md5' prefix", pg_rej)
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        h = ph.nthash.hash(pw)
        fam.add("nthash", h, pw, f"{PL} nthash.hash", [pl(ph.nthash, pw, h)], note=note)
    h = ph.nthash.hash(PW3).upper()
    fam.add("nthash", h, PW3, f"{PL} nthash.hash, upper-cased", [pl(ph.nthash, PW3, h)],
            note="uppercase (pwdump style)")
    rej = passlib_rejects(ph.nthash)
    good = ph.nthash.hash(PW1)
    fam.bad("nthash", good[:-1], "31 hex characters", rej)
    fam.bad("nthash", good[:-1] + "x", "non-hex character", rej)
    fam.bad("nthash", good + "00", "34 hex characters", rej)
    fam.notes.append("postgres_md5 vectors carry the role name in \"user\" (the salt of the format); "
                     "nthash is MD4 over the UTF-16LE password.")
    return fam


# ==========================================================================
# beyond: formats without a single passlib handler
# ==========================================================================
# -- WordPress 6.8+ ---------------------------------------------------------
def wp_prehash(pw: str) -> bytes:
    return base64.b64encode(hmac.new(b"wp-sha384", pw.encode(), hashlib.sha384).digest())


def wp_verify(pw: str, h: str) -> bool:
    if not h.startswith("$wp$2y$"):
        raise ValueError("not a $wp$2y$ hash")
    inner = h[3:]
    if not ph.bcrypt.identify(inner):
        raise ValueError("inner bcrypt hash malformed")
    return ph.bcrypt.verify(wp_prehash(pw), inner)


# -- Drupal 7 -----------------------------------------------------------------
def drupal_password_crypt(algo: str, pw: str, setting: str) -> str:
    """Transcription of Drupal 7 includes/password.inc _password_crypt()."""
    pwb = pw.encode()
    if len(pwb) > 512:
        raise ValueError("DRUPAL_MAX_PASSWORD_LENGTH")
    setting = setting[:12]
    if setting[0] != "$" or setting[2] != "$":
        raise ValueError("bad setting")
    count_log2 = HASH64.index(setting[3])
    if count_log2 < 7 or count_log2 > 30:
        raise ValueError("count out of range")
    salt = setting[4:12]
    if len(salt) != 8:
        raise ValueError("bad salt")
    count = 1 << count_log2
    d = hashlib.new(algo, salt.encode() + pwb).digest()
    for _ in range(count):
        d = hashlib.new(algo, d + pwb).digest()
    out = setting + h64.encode_bytes(d).decode()
    expected = 12 + -(-8 * len(d) // 6)
    if len(out) != expected:
        raise ValueError("length mismatch")
    return out[:55]


def drupal7_verify(pw: str, stored: str) -> bool:
    if stored.startswith("U$"):
        stored = stored[1:]
        pw = hashlib.md5(pw.encode()).hexdigest()
    if not stored.startswith("$S$"):
        raise ValueError("not $S$")
    if len(stored) != 55 or any(c not in HASH64 for c in stored[3:]):
        raise ValueError("bad length or character")
    return hmac.compare_digest(drupal_password_crypt("sha512", pw, stored), stored)


# -- ASP.NET Core Identity ------------------------------------------------------
ASP_PRF = {0: "sha1", 1: "sha256", 2: "sha512"}


def aspnet_v2(pw: str, salt: bytes) -> str:
    return b64(b"\x00" + salt + hashlib.pbkdf2_hmac("sha1", pw.encode(), salt, 1000, 32))


def aspnet_v3(pw: str, salt: bytes, prf: int, it: int, sublen: int = 32) -> str:
    sub = hashlib.pbkdf2_hmac(ASP_PRF[prf], pw.encode(), salt, it, sublen)
    return b64(b"\x01" + struct.pack(">III", prf, it, len(salt)) + salt + sub)


def aspnet_verify(pw: str, h: str) -> bool:
    """Transcription of PasswordHasher<T>.VerifyHashedPassword (V2 and V3)."""
    raw = b64_strict(h)
    if not raw:
        raise ValueError("empty")
    if raw[0] == 0:
        if len(raw) != 1 + 16 + 32:
            raise ValueError("bad v2 length")
        salt, sub = raw[1:17], raw[17:]
        return hmac.compare_digest(hashlib.pbkdf2_hmac("sha1", pw.encode(), salt, 1000, 32), sub)
    if raw[0] == 1:
        if len(raw) < 13:
            raise ValueError("short v3 header")
        prf, it, slen = struct.unpack(">III", raw[1:13])
        if prf not in ASP_PRF:
            raise ValueError("unknown prf")
        if slen < 128 // 8:
            raise ValueError("salt too short")
        salt = raw[13:13 + slen]
        sub = raw[13 + slen:]
        if len(salt) != slen or len(sub) < 128 // 8:
            raise ValueError("subkey too short")
        if it < 1:
            raise ValueError("iterations")
        return hmac.compare_digest(hashlib.pbkdf2_hmac(ASP_PRF[prf], pw.encode(), salt, it, len(sub)), sub)
    raise ValueError("unknown format marker")


# -- Spring Security ---------------------------------------------------------
SPRING_PBKDF2 = {  # prefix -> (algorithm, iterations, salt length) of the defaults registered for it
    "{pbkdf2}": ("sha1", 185000, 8),                         # defaultsForSpringSecurity_v5_5
    "{pbkdf2@SpringSecurity_v5_8}": ("sha256", 310000, 16),  # defaultsForSpringSecurity_v5_8
}


def spring_pbkdf2(pw: str, salt: bytes, algo: str, it: int) -> str:
    return (salt + hashlib.pbkdf2_hmac(algo, pw.encode(), salt, it, 32)).hex()


def spring_pbkdf2_verify(pw: str, h: str, algo: str, it: int, slen: int) -> bool:
    prefix, body = h.split("}", 1)
    if prefix + "}" not in SPRING_PBKDF2:
        raise ValueError("prefix")
    raw = hex_strict(body)
    if len(raw) != slen + 32:
        raise ValueError("length")
    return hmac.compare_digest(bytes.fromhex(spring_pbkdf2(pw, raw[:slen], algo, it)), raw)


def spring_scrypt(pw: str, salt: bytes, ln: int, r: int, p: int) -> str:
    dk = hashlib.scrypt(pw.encode(), salt=salt, n=1 << ln, r=r, p=p, dklen=32, maxmem=2 ** 31 - 1)
    return f"${(ln << 16 | r << 8 | p):x}${b64(salt)}${b64(dk)}"


def spring_scrypt_verify(pw: str, h: str) -> bool:
    if not h.startswith("{scrypt}") and not h.startswith("{scrypt@SpringSecurity_v5_8}"):
        raise ValueError("prefix")
    parts = h.split("}", 1)[1].split("$")
    if len(parts) != 4 or parts[0] != "":
        raise ValueError("field count")
    params = int(parts[1], 16)
    salt, dk = b64_strict(parts[2]), b64_strict(parts[3])
    ln, r, p = params >> 16 & 0xFFFF, params >> 8 & 0xFF, params & 0xFF
    if ln < 1 or r < 1 or p < 1:
        raise ValueError("params")
    got = hashlib.scrypt(pw.encode(), salt=salt, n=1 << ln, r=r, p=p, dklen=32, maxmem=2 ** 31 - 1)
    return hmac.compare_digest(got, dk)


def spring_sha256(pw: str, salt: bytes) -> str:
    d = salt + pw.encode()  # StandardPasswordEncoder: salt || secret("") || utf8(password)
    for _ in range(1024):
        d = hashlib.sha256(d).digest()
    return (salt + d).hex()


def spring_sha256_verify(pw: str, h: str) -> bool:
    if not h.startswith("{sha256}"):
        raise ValueError("prefix")
    raw = hex_strict(h[8:])
    if len(raw) != 8 + 32:
        raise ValueError("length")
    return hmac.compare_digest(bytes.fromhex(spring_sha256(pw, raw[:8])), raw)


def spring_bcrypt_verify(pw: str, h: str) -> bool:
    if not h.startswith("{bcrypt}"):
        raise ValueError("prefix")
    if not ph.bcrypt.identify(h[8:]):
        raise ValueError("inner")
    return ph.bcrypt.verify(pw, h[8:])


def spring_argon2_verify(pw: str, h: str) -> bool:
    if not (h.startswith("{argon2}") or h.startswith("{argon2@SpringSecurity_v5_8}")):
        raise ValueError("prefix")
    inner = h.split("}", 1)[1]
    return ph.argon2.verify(pw, inner)


# -- PHC pbkdf2 (Kratos / Auth0) ---------------------------------------------
PHC_DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512")


def phc_pbkdf2(pw: str, algo: str, salt: bytes, it: int, length: int) -> str:
    dk = hashlib.pbkdf2_hmac(algo, pw.encode(), salt, it, length)
    return f"$pbkdf2-{algo}$i={it},l={length}${b64_nopad(salt)}${b64_nopad(dk)}"


def phc_pbkdf2_verify(pw: str, h: str) -> bool:
    """Transcription of Kratos decodePbkdf2Hash/ComparePbkdf2."""
    parts = h.split("$")
    if len(parts) != 5 or parts[0] != "":
        raise ValueError("field count")
    kind = parts[1].split("-", 1)
    if len(kind) != 2 or kind[0] != "pbkdf2" or kind[1] not in PHC_DIGESTS:
        raise ValueError("algorithm")
    fields = dict(kv.split("=", 1) for kv in parts[2].split(","))
    if set(fields) != {"i", "l"}:
        raise ValueError("params")
    it, length = int(fields["i"]), int(fields["l"])
    if it < 1:
        raise ValueError("iterations")
    salt, dk = b64_raw_strict(parts[3]), b64_raw_strict(parts[4])
    if len(dk) != length:
        raise ValueError("l= does not match hash length")
    return hmac.compare_digest(hashlib.pbkdf2_hmac(kind[1], pw.encode(), salt, it, len(dk)), dk)


# -- Kratos md5 / sha / hmac ---------------------------------------------------
def kratos_pf_apply(pf: bytes, salt: bytes, pw: str) -> bytes:
    # Go strings.NewReplacer("{SALT}", salt, "{PASSWORD}", password): single left-to-right pass
    out, i = b"", 0
    while i < len(pf):
        if pf.startswith(b"{SALT}", i):
            out += salt
            i += 6
        elif pf.startswith(b"{PASSWORD}", i):
            out += pw.encode()
            i += 10
        else:
            out += pf[i:i + 1]
            i += 1
    return out


def kratos_salted(algo: str, pw: str, pf: str, salt: bytes) -> str:
    pfb = pf.encode()
    d = hashlib.new(algo, kratos_pf_apply(pfb, salt, pw)).digest()
    return f"${algo}$pf={b64(pfb)}${b64(salt)}${b64(d)}"


def kratos_salted_verify(pw: str, h: str, algo: str) -> bool:
    parts = h.split("$")
    if algo == "md5" and len(parts) == 3 and parts[0] == "" and parts[1] == "md5":
        return hmac.compare_digest(hashlib.md5(pw.encode()).digest(), b64_strict(parts[2]))
    if len(parts) != 5 or parts[0] != "" or parts[1] != algo:
        raise ValueError("field count")
    if not parts[2].startswith("pf=") or len(parts[2]) == 3:
        raise ValueError("pf")
    pf = b64_strict(parts[2][3:])
    salt = b64_strict(parts[3])
    want = b64_strict(parts[4])
    return hmac.compare_digest(hashlib.new(algo, kratos_pf_apply(pf, salt, pw)).digest(), want)


def kratos_hmac(pw: str, algo: str, key: bytes) -> str:
    mac = hmac.new(key, pw.encode(), algo).hexdigest().encode()
    return f"$hmac-{algo}${b64(mac)}${b64(key)}"


def kratos_hmac_verify(pw: str, h: str) -> bool:
    parts = h.split("$")
    if len(parts) != 4 or parts[0] != "":
        raise ValueError("field count")
    if not parts[1].startswith("hmac-") or parts[1][5:] not in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
        raise ValueError("algorithm")
    want = b64_strict(parts[2])
    key = b64_strict(parts[3])
    if not want:
        raise ValueError("empty hash")
    return hmac.compare_digest(hmac.new(key, pw.encode(), parts[1][5:]).hexdigest().encode(), want)


def kratos_crypt_verify(pw: str, h: str, kprefix: str, cprefix: str, handler) -> bool:
    if not h.startswith(kprefix + "$"):
        raise ValueError("prefix")
    inner = cprefix + h[len(kprefix):]
    if not handler.identify(inner):
        raise ValueError("inner")
    return handler.verify(pw, inner)


# -- Firebase scrypt -----------------------------------------------------------
def firebase_scrypt(pw: str, salt: bytes, sep: bytes, signer: bytes, rounds: int, mem_cost: int) -> bytes:
    key = hashlib.scrypt(pw.encode(), salt=salt + sep, n=1 << mem_cost, r=rounds, p=1, dklen=32,
                         maxmem=2 ** 31 - 1)
    enc = Cipher(algorithms.AES(key), modes.CTR(b"\x00" * 16)).encryptor()
    return enc.update(signer) + enc.finalize()


def firescrypt_string(salt: bytes, hash_: bytes, sep: bytes, signer: bytes, rounds: int, mem_cost: int) -> str:
    return f"$firescrypt$ln={mem_cost},r={rounds},p=1${b64(salt)}${b64(hash_)}${b64(sep)}${b64(signer)}"


def firescrypt_verify(pw: str, h: str) -> bool:
    parts = h.split("$")
    if len(parts) != 7 or parts[0] != "" or parts[1] != "firescrypt":
        raise ValueError("field count")
    fields = dict(kv.split("=", 1) for kv in parts[2].split(","))
    if set(fields) != {"ln", "r", "p"}:
        raise ValueError("params")
    ln, r, p = int(fields["ln"]), int(fields["r"]), int(fields["p"])
    if p != 1 or ln < 1 or r < 1:
        raise ValueError("params range")
    salt, want, sep, signer = (b64_strict(x) for x in parts[3:])
    return hmac.compare_digest(firebase_scrypt(pw, salt, sep, signer, r, ln), want)


# -- better-auth -------------------------------------------------------------------
def better_auth(pw: str, salt: bytes) -> str:
    salt_hex = salt.hex()
    key = hashlib.scrypt(unicodedata.normalize("NFKC", pw).encode(), salt=salt_hex.encode(),
                         n=16384, r=16, p=1, dklen=64, maxmem=128 * 16384 * 16 * 2)
    return f"{salt_hex}:{key.hex()}"


def better_auth_verify(pw: str, h: str) -> bool:
    salt_hex, key_hex = h.split(":")
    if not salt_hex or not key_hex:
        raise ValueError("Invalid password hash")
    want = hex_strict(key_hex)
    key = hashlib.scrypt(unicodedata.normalize("NFKC", pw).encode(), salt=salt_hex.encode(),
                         n=16384, r=16, p=1, dklen=64, maxmem=128 * 16384 * 16 * 2)
    return hmac.compare_digest(key, want)


# -- Werkzeug < 2.3 salted HMAC, Joomla ----------------------------------------------
def werkzeug_legacy(method: str, salt: str, pw: str) -> str:
    # werkzeug 2.0.x security._hash_internal: hmac.new(salt, password, method).hexdigest()
    return f"{method}${salt}${hmac.new(salt.encode(), pw.encode(), method).hexdigest()}"


def werkzeug_legacy_verify(pw: str, h: str, method: str) -> bool:
    m, salt, hx = h.split("$")
    if m != method or not salt:
        raise ValueError("method/salt")
    want = hex_strict(hx)
    if len(want) != hashlib.new(method).digest_size:
        raise ValueError("length")
    return hmac.compare_digest(hmac.new(salt.encode(), pw.encode(), method).digest(), want)


def joomla(pw: str, salt: str) -> str:
    return hashlib.md5((pw + salt).encode()).hexdigest() + ":" + salt


def joomla_verify(pw: str, h: str) -> bool:
    hx, salt = h.split(":")
    if len(hx) != 32:
        raise ValueError("digest length")
    hex_strict(hx)
    if not salt:
        raise ValueError("salt")
    return hmac.compare_digest(hashlib.md5((pw + salt).encode()).hexdigest(), hx.lower())


def gen_beyond() -> Family:
    fam = Family("beyond", {
        "passlib": VERSIONS["passlib"], "bcrypt": VERSIONS["bcrypt"],
        "argon2-cffi": VERSIONS["argon2-cffi"], "cryptography": VERSIONS["cryptography"],
        "python-hashlib": f"Python {VERSIONS['python']} hashlib/hmac (OpenSSL)",
        "crypt(3)": LIBXCRYPT,
    })
    fam.notes.append(
        "beyond.json holds formats that no single passlib handler implements. Each is produced by "
        "the reference primitives (hashlib/hmac on OpenSSL, the bcrypt package, libxcrypt, "
        "argon2-cffi, passlib, cryptography's AES) composed exactly as the originating system's "
        "published source composes them; every such transcription is first checked against that "
        "system's own published example hashes (source fields 'published: ...'), and the "
        "generator aborts if one does not reproduce.")

    # ---- wordpress_bcrypt ------------------------------------------------
    def wp_hash(pw, rounds, label):
        inner = pybcrypt.hashpw(wp_prehash(pw), f"$2b${rounds:02d}${bcrypt_salt(label)}".encode()).decode()
        return "$wp$2y$" + inner[4:]

    def wp_checks(pw, h):
        return [("WordPress wp_check_password transcription (passlib bcrypt)", lambda: wp_verify(pw, h)),
                ("crypt(3) on the inner $2y$ hash", lambda: crypt_ok(wp_prehash(pw).decode(), h[3:])),
                (f"{BC} checkpw on the inner hash", lambda: pybcrypt.checkpw(wp_prehash(pw), h[3:].encode()))]
    n = 0
    for pw, rounds, note in ((PW1, 4, None), (PW2, 5, None), (PW_UNI, 4, UNI_NOTE),
                             (PW_LONG, 4, "80-byte password: the HMAC-SHA384 pre-hash lifts bcrypt's 72-byte limit")):
        n += 1
        h = wp_hash(pw, rounds, f"wp-{n}")
        fam.add("wordpress_bcrypt", h, pw,
                f"WordPress 6.8 wp_hash_password(): '$wp' . password_hash(base64_encode(hash_hmac('sha384', "
                f"$password, 'wp-sha384', true)), PASSWORD_BCRYPT) using {BC} hashpw ($2b$ rewritten to PHP's $2y$)",
                wp_checks(pw, h), note=note)
    h = wp_hash(PW1, 10, "wp-default")
    fam.add("wordpress_bcrypt", h, PW1, "as above, cost 10", wp_checks(PW1, h), default_cost=True,
            note="default cost: PHP password_hash() cost 10 (PHP < 8.4; PHP 8.4 raised its default to 12)")
    fam.notes.append("wordpress_bcrypt: wp_hash_password() trims the password before hashing while "
                     "wp_check_password() does not (wp_authenticate trims earlier); these vectors use "
                     "passwords without surrounding whitespace.")
    good = wp_hash(PW1, 4, "wp-bad")
    rej = fn_rejects("wp_check_password transcription (inner hash checked by passlib bcrypt)", wp_verify)
    fam.bad("wordpress_bcrypt", good[:-1], "truncated inner bcrypt hash", rej)
    fam.bad("wordpress_bcrypt", good.replace("$04$", "$xx$"), "non-numeric cost", rej)
    fam.bad("wordpress_bcrypt", good[:-2] + "!!", "invalid bcrypt-base64 character", rej)
    fam.bad("wordpress_bcrypt", "$wp", "prefix only", rej)

    # ---- drupal7 -----------------------------------------------------------------
    # self-test: the same _password_crypt() with md5 must reproduce passlib's phpass
    for i in range(3):
        ref = ph.phpass.using(rounds=7 + i, salt=dchars(f"drupal-selftest-{i}", 8, HASH64)).hash(PW_UNI)
        mine = drupal_password_crypt("md5", PW_UNI, ref[:12])
        if mine != ref:
            raise Failure(f"drupal _password_crypt transcription does not reproduce passlib phpass: {mine} {ref}")

    def d7_checks(pw, h):
        return [("Drupal 7 user_check_password/_password_crypt transcription", lambda: drupal7_verify(pw, h))]
    n = 0
    for pw, log2, note in ((PW1, 7, None), (PW2, 8, None), (PW_UNI, 7, UNI_NOTE), (PW_LONG, 7, LONG_NOTE)):
        n += 1
        setting = "$S$" + HASH64[log2] + dchars(f"drupal-{n}", 8, HASH64)
        h = drupal_password_crypt("sha512", pw, setting)
        fam.add("drupal7", h, pw, f"Drupal 7 _password_crypt('sha512', ...) transcription, count 2^{log2}",
                d7_checks(pw, h), note=note)
    setting = "$S$" + HASH64[15] + dchars("drupal-default", 8, HASH64)
    h = drupal_password_crypt("sha512", PW1, setting)
    fam.add("drupal7", h, PW1, "Drupal 7 _password_crypt('sha512', ...) transcription, count 2^15",
            d7_checks(PW1, h), default_cost=True, note="default cost: DRUPAL_HASH_COUNT = 15 ($S$D...)")
    setting = "$S$" + HASH64[7] + dchars("drupal-U", 8, HASH64)
    h = "U" + drupal_password_crypt("sha512", hashlib.md5(PW3.encode()).hexdigest(), setting)
    fam.add("drupal7", h, PW3,
            "Drupal 7 'U$S$' form: user_update_7000 re-hashed old md5 hashes, so the stored hash is "
            "_password_crypt('sha512', md5_hex(password)) prefixed with 'U'",
            d7_checks(PW3, h), note="U$S$ (upgraded from unsalted md5): verify with md5(password) as input")
    fam.notes.append("drupal7: the _password_crypt() transcription is self-checked by reproducing "
                     "passlib's phpass ($P$, same algorithm with md5) before any $S$ vector is written.")
    good = drupal_password_crypt("sha512", PW1, "$S$5" + dchars("drupal-bad", 8, HASH64))
    rej = fn_rejects("Drupal 7 _password_crypt transcription", drupal7_verify)
    fam.bad("drupal7", good[:-1], "54 characters (DRUPAL_HASH_LENGTH is 55)", rej)
    fam.bad("drupal7", good[:3] + "4" + good[4:], "count 2^6 below DRUPAL_MIN_HASH_COUNT (7)", rej)
    fam.bad("drupal7", good[:3] + "T" + good[4:], "count 2^31 above DRUPAL_MAX_HASH_COUNT (30)", rej)
    fam.bad("drupal7", good[:-1] + "!", "invalid character", rej)
    fam.bad("drupal7", good[:12], "missing hash", rej)

    # ---- ASP.NET Core Identity ---------------------------------------------------
    ASP_SRC = "published: dotnet/aspnetcore src/Identity/test/Identity.Test/PasswordHasherTest.cs"
    published_asp = [
        ("aspnet_identity_v2", "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==", "V2_SHA1_1000iter_128salt_256subkey"),
        ("aspnet_identity_v3", "AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M", "V3_SHA1_250iter_128salt_128subkey"),
        ("aspnet_identity_v3", "AQAAAAEAA9CQAAAAIESkQuj2Du8Y+kbc5lcN/W/3NiAZFEm11P27nrSN5/tId+bR1SwV8CO1Jd72r4C08OLvplNlCDc3oQZ8efcW+jQ=", "V3_SHA256_250000iter_256salt_256subkey"),
        ("aspnet_identity_v3", "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw", "V3_SHA512_50iter_128salt_128subkey"),
        ("aspnet_identity_v3", "AQAAAAIAAAD6AAAAIJbVi5wbMR+htSfFp8fTw8N8GOS/Sje+S/4YZcgBfU7EQuqv4OkVYmc4VJl9AGZzmRTxSkP7LtVi9IWyUxX8IAAfZ8v+ZfhjCcudtC1YERSqE1OEdXLW9VukPuJWBBjLuw==", "V3_SHA512_250iter_256salt_512subkey"),
        ("aspnet_identity_v3", "AQAAAAIAACcQAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A==", "V3_SHA512_10000iter_128salt_256subkey"),
        ("aspnet_identity_v3", "AQAAAAIAAYagAAAAEAABAgMEBQYHCAkKCwwNDg/Q8A0WMKbtHQJQ2DHCdoEeeFBrgNlldq6vH4qX/CGqGQ==", "V3_SHA512_100000iter_128salt_256subkey"),
    ]
    for scheme, h, label in published_asp:
        fam.add(scheme, h, "my password", f"{ASP_SRC} {label}",
                [("ASP.NET Identity VerifyHashedPassword transcription", lambda h=h: aspnet_verify("my password", h))],
                note="published example" + ("; default cost of .NET 7+ (HMACSHA512, 100000 iterations)" if "100000" in label else ""))
    # the generated V2/V3 strings must round-trip the published ones (SequentialRandomNumberGenerator salt 00..0f)
    if aspnet_v2("my password", bytes(range(16))) != published_asp[0][1]:
        raise Failure("ASP.NET v2 transcription does not reproduce the published vector")
    if aspnet_v3("my password", bytes(range(16)), 2, 100000) != published_asp[-1][1]:
        raise Failure("ASP.NET v3 transcription does not reproduce the published vector")
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = aspnet_v2(pw, dbytes(f"asp2-{n}", 16))
        fam.add("aspnet_identity_v2", h, pw, "ASP.NET Identity V2 layout (0x00|salt16|PBKDF2-HMAC-SHA1 1000 it, 32 bytes) via hashlib",
                [("ASP.NET Identity VerifyHashedPassword transcription", lambda pw=pw, h=h: aspnet_verify(pw, h))],
                note="fixed 1000 iterations (the only cost of V2)" + (f"; {note}" if note else ""),
                default_cost=True if n == 1 else None)
    n = 0
    for pw, prf, it, note in ((PW1, 1, 1000, None), (PW2, 2, 1000, None), (PW3, 0, 1000, "HMACSHA1 PRF"),
                              (PW_UNI, 1, 1000, UNI_NOTE), (PW_LONG, 2, 1000, LONG_NOTE),
                              (PW1, 1, 10000, "ASP.NET Core Identity 2.x-6 default: HMACSHA256, 10000 iterations"),
                              (PW2, 2, 100000, "default cost: .NET 7+ default HMACSHA512, 100000 iterations")):
        n += 1
        h = aspnet_v3(pw, dbytes(f"asp3-{n}", 16), prf, it)
        fam.add("aspnet_identity_v3", h, pw,
                f"ASP.NET Identity V3 layout (0x01|prf={prf}|iter={it}|saltlen=16|salt|subkey32, big-endian) via hashlib",
                [("ASP.NET Identity VerifyHashedPassword transcription", lambda pw=pw, h=h: aspnet_verify(pw, h))],
                note=note, default_cost=True if it == 100000 else None)
    rej = fn_rejects("ASP.NET Identity VerifyHashedPassword transcription", aspnet_verify)
    # the published failure cases of PasswordHasherTest are malformed (length) cases
    fam.bad("aspnet_identity_v2", "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggE=", "too short (published failure case)", rej)
    fam.bad("aspnet_identity_v2", "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJgAAAAAAAAAAAAA=", "extra data at end (published failure case)", rej)
    fam.bad("aspnet_identity_v2", published_asp[0][1][:-3] + "!!=", "invalid base64", rej)
    fam.bad("aspnet_identity_v3", "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4A=", "too short (published failure case)", rej)
    fam.bad("aspnet_identity_v3", b64(b"\x01" + struct.pack(">III", 7, 1000, 16) + bytes(48)), "unknown PRF 7", rej)
    fam.bad("aspnet_identity_v3", b64(b"\x01" + struct.pack(">III", 1, 1000, 8) + bytes(40)), "salt length 8 below 16", rej)
    fam.bad("aspnet_identity_v3", b64(b"\x01" + struct.pack(">II", 1, 1000)), "truncated header", rej)
    fam.bad("aspnet_identity_v3", b64(b"\x02" + bytes(60)), "unknown format marker 0x02", rej)
    fam.notes.append("aspnet_identity_v3: the published V3 'extra data at end' failure case is a "
                     "wrong-password case (a longer subkey is legal in V3), so it is not listed as malformed.")

    # ---- Spring Security -----------------------------------------------------------------
    SPRING_DOC = "published: spring-security docs features/authentication/password-storage.adoc (DelegatingPasswordEncoder example, all passwords 'password')"
    pub_bcrypt = "{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG"
    pub_pbkdf2 = "{pbkdf2}5d923b44a6d129f3ddf3e3c8d29412723dcbde72445e8ef6bf3b508fbf17fa4ed4d6b99ca763d8dc"
    pub_scrypt = "{scrypt}$e0801$8bWJaSu2IKSn9Z9kM+TPXfOc/9bdYSrN1oD9qfVThWEwdRTnO7re7Ei+fUZRJ68k9lTyuTeUp4of4g24hHnazw==$OAOec05+bXxvuu/1qZ6NUR+xQYvYv7BeL1QxwRpY5Pc="
    pub_sha256 = "{sha256}97cde38028ad898ebc02e690819fa220e88c62e0699403e94fff291cfffaf8410849f27605abcbc0"

    def sp_b(pw, h):
        return [("Spring BCryptPasswordEncoder semantics via passlib bcrypt", lambda: spring_bcrypt_verify(pw, h)),
                ("crypt(3) on the inner hash", lambda: crypt_ok(pw, h[8:]))]
    fam.add("spring_bcrypt", pub_bcrypt, "password", SPRING_DOC, sp_b("password", pub_bcrypt),
            note="published example; default cost (BCryptPasswordEncoder strength 10, $2a$)", default_cost=True)
    n = 0
    for pw, rounds, note in ((PW1, 4, None), (PW2, 5, None), (PW_UNI, 4, UNI_NOTE), (PW_71, 4, B71_NOTE)):
        n += 1
        h = "{bcrypt}" + ph.bcrypt.using(ident="2a", rounds=rounds, salt=bcrypt_salt(f"sp-bc-{n}")).hash(pw)
        fam.add("spring_bcrypt", h, pw, f"{PL} bcrypt.using(ident='2a', rounds={rounds}) with the '{{bcrypt}}' id prefix",
                sp_b(pw, h), note=note)

    def sp_p(pw, h, algo, it, slen):
        return [("Spring Pbkdf2PasswordEncoder transcription (hashlib.pbkdf2_hmac)",
                 lambda: spring_pbkdf2_verify(pw, h, algo, it, slen))]
    prm = {"algorithm": "PBKDF2WithHmacSHA1", "iterations": 185000, "salt_length": 8, "hash_width": 256}
    fam.add("spring_pbkdf2", pub_pbkdf2, "password", SPRING_DOC, sp_p("password", pub_pbkdf2, "sha1", 185000, 8),
            params=prm, default_cost=True,
            note="published example; '{pbkdf2}' maps to Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_5() "
                 "(PBKDF2WithHmacSHA1, 185000 iterations, 8-byte salt, 256-bit hash); the string carries no parameters")
    n = 0
    for prefix, (algo, dit, slen) in SPRING_PBKDF2.items():
        jalgo = {"sha1": "PBKDF2WithHmacSHA1", "sha256": "PBKDF2WithHmacSHA256"}[algo]
        for pw, it, note in ((PW1, 1000, None), (PW2, 2000, None), (PW_UNI, 1000, UNI_NOTE), (PW_LONG, 1000, LONG_NOTE)):
            n += 1
            h = prefix + spring_pbkdf2(pw, dbytes(f"sp-pb-{n}", slen), algo, it)
            fam.add("spring_pbkdf2", h, pw, f"Spring Pbkdf2PasswordEncoder layout hex(salt{slen}||{jalgo}) via hashlib, low iterations",
                    sp_p(pw, h, algo, it, slen),
                    params={"algorithm": jalgo, "iterations": it, "salt_length": slen, "hash_width": 256},
                    note="low-cost variant: iterations are NOT in the string, use \"params\"" + (f"; {note}" if note else ""))
    h = "{pbkdf2@SpringSecurity_v5_8}" + spring_pbkdf2(PW1, dbytes("sp-pb-v58", 16), "sha256", 310000)
    fam.add("spring_pbkdf2", h, PW1,
            "Spring Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_8() layout via hashlib",
            sp_p(PW1, h, "sha256", 310000, 16),
            params={"algorithm": "PBKDF2WithHmacSHA256", "iterations": 310000, "salt_length": 16, "hash_width": 256},
            note="defaultsForSpringSecurity_v5_8: PBKDF2WithHmacSHA256, 310000 iterations, 16-byte salt "
                 "(registered as '{pbkdf2@SpringSecurity_v5_8}' by PasswordEncoderFactories)")

    def sp_s(pw, h):
        return [("Spring SCryptPasswordEncoder transcription (hashlib.scrypt)", lambda: spring_scrypt_verify(pw, h))]
    fam.add("spring_scrypt", pub_scrypt, "password", SPRING_DOC, sp_s("password", pub_scrypt), default_cost=True,
            note="published example; default cost of SCryptPasswordEncoder v4_1 defaults (N=16384, r=8, p=1, 64-byte salt, 32-byte key)")
    n = 0
    for pw, ln, r, p, note in ((PW1, 10, 8, 1, None), (PW2, 8, 4, 2, None), (PW_UNI, 10, 8, 1, UNI_NOTE),
                               (PW_LONG, 10, 8, 1, LONG_NOTE)):
        n += 1
        h = "{scrypt}" + spring_scrypt(pw, dbytes(f"sp-sc-{n}", 16), ln, r, p)
        fam.add("spring_scrypt", h, pw, f"Spring SCryptPasswordEncoder layout via hashlib.scrypt (N=2^{ln}, r={r}, p={p})",
                sp_s(pw, h), note=note)
    h = "{scrypt@SpringSecurity_v5_8}" + spring_scrypt(PW1, dbytes("sp-sc-v58", 16), 16, 8, 1)
    fam.add("spring_scrypt", h, PW1, "Spring SCryptPasswordEncoder.defaultsForSpringSecurity_v5_8() layout via hashlib.scrypt",
            sp_s(PW1, h), note="v5_8 defaults N=65536, r=8, p=1, 16-byte salt (64 MiB)")

    def sp_a(pw, h):
        return [("passlib argon2 on the inner PHC string", lambda: spring_argon2_verify(pw, h)),
                (f"{A2} verify_secret", lambda: argon2_ll.verify_secret(h.split("}", 1)[1].encode(), pw.encode(), argon2_ll.Type.ID))]
    n = 0
    for prefix, pw, t, m, p, note, dflt in (
            ("{argon2}", PW1, 2, 256, 1, None, None), ("{argon2}", PW2, 1, 1024, 1, None, None),
            ("{argon2}", PW_UNI, 2, 256, 1, UNI_NOTE, None), ("{argon2}", PW_LONG, 2, 512, 1, LONG_NOTE, None),
            ("{argon2}", PW3, 3, 4096, 1, "Argon2PasswordEncoder.defaultsForSpringSecurity_v5_2() parameters (m=4096, t=3, p=1)", None),
            ("{argon2@SpringSecurity_v5_8}", PW1, 2, 16384, 1,
             "default cost: Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8() (m=16384, t=2, p=1)", True)):
        n += 1
        inner = argon2_ll.hash_secret(pw.encode(), dbytes(f"sp-a2-{n}", 16), time_cost=t, memory_cost=m,
                                      parallelism=p, hash_len=32, type=argon2_ll.Type.ID).decode()
        h = prefix + inner
        fam.add("spring_argon2", h, pw, f"{A2} low_level.hash_secret (Spring's Argon2EncodingUtils layout: PHC, unpadded base64) with the '{prefix}' id",
                sp_a(pw, h), note=note, default_cost=dflt)

    def sp_sha(pw, h):
        return [("Spring StandardPasswordEncoder transcription (1024 x SHA-256)", lambda: spring_sha256_verify(pw, h))]
    fam.add("spring_sha256", pub_sha256, "password", SPRING_DOC, sp_sha("password", pub_sha256),
            note="published example; fixed 1024 iterations (the only cost)", default_cost=True)
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = "{sha256}" + spring_sha256(pw, dbytes(f"sp-sha-{n}", 8))
        fam.add("spring_sha256", h, pw, "Spring StandardPasswordEncoder layout hex(salt8 || SHA-256^1024(salt||password)) via hashlib",
                sp_sha(pw, h), note=note)
    for pw, note in (("password", "published example"), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        h = "{noop}" + pw
        fam.add("spring_noop", h, pw, SPRING_DOC if pw == "password" else "Spring NoOpPasswordEncoder: '{noop}' + plaintext",
                [("plaintext comparison", lambda pw=pw, h=h: h[6:] == pw)], note=note)
    fam.no_malformed.add("spring_noop")

    rej = fn_rejects("Spring BCryptPasswordEncoder semantics via passlib bcrypt", spring_bcrypt_verify)
    fam.bad("spring_bcrypt", pub_bcrypt[:-1], "truncated inner bcrypt", rej)
    fam.bad("spring_bcrypt", pub_bcrypt.replace("$10$", "$1x$"), "non-numeric cost", rej)
    fam.bad("spring_bcrypt", "{bcrypt}", "nothing after the id", rej)
    rej = fn_rejects("Spring Pbkdf2PasswordEncoder transcription",
                     lambda pw, h: spring_pbkdf2_verify(pw, h, "sha1", 185000, 8))
    fam.bad("spring_pbkdf2", pub_pbkdf2[:-2], "hex shorter than salt + 32-byte hash", rej)
    fam.bad("spring_pbkdf2", pub_pbkdf2[:-1] + "g", "non-hex character", rej)
    fam.bad("spring_pbkdf2", pub_pbkdf2[:-1], "odd number of hex digits", rej)
    rej = fn_rejects("Spring SCryptPasswordEncoder transcription", spring_scrypt_verify)
    fam.bad("spring_scrypt", pub_scrypt.replace("$e0801$", "$zz$"), "non-hex params", rej)
    fam.bad("spring_scrypt", pub_scrypt.rsplit("$", 1)[0], "missing derived key", rej)
    fam.bad("spring_scrypt", pub_scrypt[:-3] + "!!=", "invalid base64", rej)
    fam.bad("spring_scrypt", pub_scrypt.replace("$e0801$", "$e0800$"), "parallelism 0", rej)
    rej = fn_rejects("passlib argon2 on the inner PHC string", spring_argon2_verify)
    g = "{argon2}" + argon2_ll.hash_secret(PW1.encode(), dbytes("sp-a2-bad", 16), time_cost=2, memory_cost=256,
                                           parallelism=1, hash_len=32, type=argon2_ll.Type.ID).decode()
    fam.bad("spring_argon2", g[:-1], "truncated hash", rej)
    fam.bad("spring_argon2", g.replace("m=256", "m=x"), "non-numeric memory", rej)
    fam.bad("spring_argon2", g.rsplit("$", 1)[0], "missing hash", rej)
    rej = fn_rejects("Spring StandardPasswordEncoder transcription", spring_sha256_verify)
    fam.bad("spring_sha256", pub_sha256[:-2], "hex shorter than salt8 + 32", rej)
    fam.bad("spring_sha256", pub_sha256[:-1] + "x", "non-hex character", rej)
    fam.bad("spring_sha256", "{sha256}", "nothing after the id", rej)
    fam.notes.append("Spring: the {id} prefix names the encoder; PasswordEncoderFactories maps "
                     "'{pbkdf2}' to defaultsForSpringSecurity_v5_5 (SHA1, 185000, 8-byte salt) and "
                     "'{pbkdf2@SpringSecurity_v5_8}' to v5_8 (SHA256, 310000, 16-byte salt); pbkdf2 "
                     "strings carry no parameters, so every spring_pbkdf2 vector has \"params\". "
                     "spring_noop has no malformed form (any text after {noop} is a plaintext).")

    # ---- phc_pbkdf2 (Kratos / Auth0 PHC-style) ------------------------------------
    KRATOS_SRC = "published: ory/kratos hash/hasher_test.go TestCompare"
    for h, note in (("$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI", None),
                    ("$pbkdf2-sha512$i=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc", "sha512 with a 32-byte key")):
        fam.add("phc_pbkdf2", h, "test", KRATOS_SRC,
                [("Kratos ComparePbkdf2 transcription", lambda h=h: phc_pbkdf2_verify("test", h))],
                note="published example" + (f"; {note}" if note else ""))
    n = 0
    for pw, algo, it, ln, note in ((PW1, "sha256", 1000, 32, None), (PW2, "sha512", 1000, 64, None),
                                   (PW_UNI, "sha256", 1000, 32, UNI_NOTE), (PW_LONG, "sha512", 2000, 64, LONG_NOTE),
                                   (PW3, "sha1", 1000, 20, "pbkdf2-sha1 (Kratos accepts sha1/224/256/384/512)")):
        n += 1
        h = phc_pbkdf2(pw, algo, dbytes(f"phc-{n}", 16), it, ln)
        fam.add("phc_pbkdf2", h, pw, f"PHC pbkdf2 layout (Kratos hasher_pbkdf2 / Auth0 import) via hashlib.pbkdf2_hmac({algo!r})",
                [("Kratos ComparePbkdf2 transcription", lambda pw=pw, h=h: phc_pbkdf2_verify(pw, h))], note=note)
    h = phc_pbkdf2(PW1, "sha256", dbytes("phc-default", 16), 10000, 32)
    fam.add("phc_pbkdf2", h, PW1, "PHC pbkdf2 layout via hashlib.pbkdf2_hmac('sha256'), i=10000",
            [("Kratos ComparePbkdf2 transcription", lambda h=h: phc_pbkdf2_verify(PW1, h))], default_cost=True,
            note="default cost as given in the brief (i=10000, l=32); Kratos' own hasher default is i=100000 (see the published vectors)")
    rej = fn_rejects("Kratos decodePbkdf2Hash transcription", phc_pbkdf2_verify)
    # Kratos' own published failure cases
    fam.bad("phc_pbkdf2", "$pbkdf2-sha256$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI", "missing parameter field (published failure case)", rej)
    fam.bad("phc_pbkdf2", "$pbkdf2-sha256$aaaa$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI", "non-numeric parameters (published failure case)", rej)
    fam.bad("phc_pbkdf2", "$pbkdf2-sha512$I=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc", "upper-case I= parameter (published failure case)", rej)
    fam.bad("phc_pbkdf2", "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc=$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI", "padding in unpadded base64", rej)
    fam.bad("phc_pbkdf2", "$pbkdf2-md5$i=1000,l=16$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "unsupported digest md5", rej)

    # ---- Kratos md5 / sha / hmac ----------------------------------------------------------
    def km_checks(pw, h, algo):
        return [("Kratos CompareMD5/CompareSHA transcription", lambda: kratos_salted_verify(pw, h, algo))]
    for h, pw, note in (("$md5$pf=e1NBTFR9e1BBU1NXT1JEfQ==$MTIz$q+RdKCgc+ipCAcm5ChQwlQ==", "test", "pf={SALT}{PASSWORD}, salt=123"),
                        ("$md5$pf=e1NBTFR9JCR7UEFTU1dPUkR9$MTIzNA==$ud392Z8rfZ+Ou7ZFXYLKbA==", "test", "pf={SALT}$${PASSWORD}, salt=1234"),
                        ("$md5$pf=e1BBU1NXT1JEfXtTQUxUfSQ/$MTIzNDU2Nzg5$8PhwWanVRnpJAFK4NUjR0w==", "ory", "pf={PASSWORD}{SALT}$?, salt=123456789"),
                        ("$md5$CY9rzUYh03PK3k6DJie09g==", "test", "unsalted form $md5$<b64 md5>"),
                        ("$md5$ptoWyof5SobW+pbZu2QXoQ==", "ory", "unsalted form")):
        fam.add("kratos_md5", h, pw, KRATOS_SRC, km_checks(pw, h, "md5"), note="published example; " + note)
    n = 0
    for pw, pf, note in ((PW1, "{SALT}{PASSWORD}", None), (PW2, "{PASSWORD}{SALT}", None),
                         (PW_UNI, "{SALT}{PASSWORD}", UNI_NOTE), (PW_LONG, "{SALT}{PASSWORD}", LONG_NOTE)):
        n += 1
        h = kratos_salted("md5", pw, pf, dchars(f"kmd5-{n}", 12).encode())
        fam.add("kratos_md5", h, pw, f"Kratos $md5$pf= layout via hashlib (pf={pf})", km_checks(pw, h, "md5"), note=note)
    for scheme, algo, pubs in (
            ("kratos_sha256", "sha256", [("$sha256$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$0gfRVLCvtBCk20udLDEY5vNhujWx7RGjwRIS1ebMsLY=", "pf={SALT}{PASSWORD}"),
                                        ("$sha256$pf=e1NBTFR9JCR7UEFTU1dPUkR9$NW9wbWtnejAzcg==$HokCOi9OtiZaZRvnkgemV3B4UUHpI7kA8zq/EZWH2NY=", "pf={SALT}$${PASSWORD}")]),
            ("kratos_sha1", "sha1", [("$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=", "pf={SALT}{PASSWORD}"),
                                    ("$sha1$pf=e1BBU1NXT1JEfSUle1NBTFR9$NW9wbWtnejAzcg==$YX0AW8/MW5ojUlnzTaR43ucHCog=", "pf={PASSWORD}%%{SALT}")]),
            ("kratos_sha512", "sha512", [("$sha512$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$6ctpVuApMNp0CgBXcdHw/GC562eFEFGr4gpgANX8ZYsX+j5B19IkdmOY2Fytsz3QUwSWdGcUjbqwgJGTH0UYvw==", "pf={SALT}{PASSWORD}")])):
        for h, note in pubs:
            fam.add(scheme, h, "test", KRATOS_SRC, km_checks("test", h, algo), note="published example; " + note)
        n = 0
        for pw, pf, note in ((PW1, "{SALT}{PASSWORD}", None), (PW2, "{PASSWORD}{SALT}", None),
                             (PW_UNI, "{SALT}{PASSWORD}", UNI_NOTE), (PW_LONG, "{SALT}{PASSWORD}", LONG_NOTE)):
            n += 1
            h = kratos_salted(algo, pw, pf, dchars(f"k{algo}-{n}", 12).encode())
            fam.add(scheme, h, pw, f"Kratos ${algo}$pf= layout via hashlib (pf={pf})", km_checks(pw, h, algo), note=note)
    for scheme, algo in (("kratos_md5", "md5"), ("kratos_sha256", "sha256"), ("kratos_sha1", "sha1"), ("kratos_sha512", "sha512")):
        rej = fn_rejects("Kratos decodeMD5Hash/decodeSHAHash transcription", lambda pw, h, a=algo: kratos_salted_verify(pw, h, a))
        fam.bad(scheme, f"${algo}$pf=e1NBTFR9e1BBU1NXT1JEfQ==$5opmkgz03r$2qU2SGWP8viTM1md3FiI3+rjWXQ=", "salt not base64 (as in Kratos' tests)", rej)
        fam.bad(scheme, f"${algo}$pf=$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=", "empty pf (as in Kratos' tests)", rej)
        fam.bad(scheme, f"${algo}$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=", "wrong number of fields (as in Kratos' tests)", rej)
        fam.bad(scheme, f"${algo}$pf=e1BBU1NXT1JEfQ$MTIz$q+RdKCgc+ipCAcm5ChQwlQ==", "unpadded pf (Kratos requires strict padded base64)", rej)
    fam.notes.append("kratos_md5/kratos_sha*: pf is STANDARD base64 WITH padding of a pattern where "
                     "{SALT} and {PASSWORD} are replaced in one left-to-right pass; salt and digest are "
                     "padded standard base64 (Go StdEncoding.Strict). The brief's example "
                     "'pf=e1BBU1NXT1JEfQ' (no padding) is rejected by Kratos. kratos_sha1 and "
                     "kratos_sha512 are the same code path as kratos_sha256 and are included as extra schemes.")
    for algo, h in (("md5", "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU="),
                    ("sha1", "$hmac-sha1$NDMyNjcxZTUyY2Y2YTBmYjZjZDE2NjQxYjAwNjFiZjAwOGEzNWM5MA==$MTIzNDU="),
                    ("sha224", "$hmac-sha224$YmUwYmYzM2EwNGRlNDE0YjQzNjBhNmIyOThmNmIyYzI4OWQyMzk3MDUwZDFjMzliYjVmMDMyOTQ=$MTIzNDU="),
                    ("sha256", "$hmac-sha256$ZTAzMWJhMWMyOTM4YjFkMjgzZjkxOWExZGY5YWM2NmMxOTJhN2RkNzQ0MzJkNWZkNGFkYTI5OTk0MWJhMTA5Zg==$MTIzNDU="),
                    ("sha384", "$hmac-sha384$ZWEyMGM3NGE4Y2UzMTljNTdjZTlhZGQyYTZjNDE0MGQ4YjMwYWIwOWM4OTRiNWQ4MmZjODlhMzBhMmQzNGE5NmQ0NDY1NWRhYjQ2ZjhiYjBkNTRmYjk5YWZkZTA1MGY1$MTIzNDU="),
                    ("sha512", "$hmac-sha512$OTFmODY0ZTI1NmU0ZjVhYjhiMDViZGFmNGVmNGZmMGVlNTY4ODYwNWJhYTk4MTk2OTgyMzc3NzI1YTc4MzcxMTMzNzZmY2YxYTk5MGMxM2RiZDk2MGFmMmQ1YzRmODdlMGMwYTNkYjcyNjY0NjM4NGE4YzQ2MjNhZDZkN2UxZTE=$MTIzNDU=")):
        fam.add("kratos_hmac", h, "test", KRATOS_SRC,
                [("Kratos CompareHMAC transcription", lambda h=h: kratos_hmac_verify("test", h))],
                note=f"published example; hmac-{algo}, key '12345'")
        if kratos_hmac("test", algo, b"12345") != h:
            raise Failure(f"kratos_hmac transcription does not reproduce the published hmac-{algo} example")
    n = 0
    for pw, algo, note in ((PW1, "sha256", None), (PW2, "sha512", None), (PW_UNI, "sha256", UNI_NOTE),
                           (PW_LONG, "sha256", LONG_NOTE)):
        n += 1
        h = kratos_hmac(pw, algo, dbytes(f"khmac-{n}", 16))
        fam.add("kratos_hmac", h, pw, f"Kratos $hmac-{algo}$ layout via hmac/hashlib",
                [("Kratos CompareHMAC transcription", lambda pw=pw, h=h: kratos_hmac_verify(pw, h))], note=note)
    rej = fn_rejects("Kratos decodeHMACHash transcription", kratos_hmac_verify)
    fam.bad("kratos_hmac", "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=", "missing key (published failure case)", rej)
    fam.bad("kratos_hmac", "$hmac-md5$", "missing hash and key (published failure case)", rej)
    fam.bad("kratos_hmac", "$hmac$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=", "missing hash algorithm (published failure case)", rej)
    fam.bad("kratos_hmac", "$hmac-invalid$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=", "unknown hash algorithm (published failure case)", rej)
    fam.bad("kratos_hmac", "$hmac-sha256$ZTAzMWJhMWMyOTM4YjFkMjgzZjkxOWExZGY5YWM2NmMxOTJhN2RkNzQ0MzJkNWZkNGFkYTI5OTk0MWJhMTA5Zg$MTIzNDU=", "unpadded base64 hash", rej)
    fam.notes.append("kratos_hmac: the stored hash field is base64 of the LOWER-CASE HEX of the HMAC "
                     "(Kratos compares against hex.EncodeToString(mac.Sum(nil))), and the key is the "
                     "last field. Kratos also accepts hmac-md4; no md4 vector is included because "
                     "OpenSSL 3 (and so Node) ships MD4 only in the legacy provider.")

    # ---- kratos crypt wrappers -----------------------------------------------------
    for scheme, kprefix, cprefix, handler, pubs in (
            ("kratos_md5_crypt", "$md5-crypt", "$1", ph.md5_crypt,
             [("$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/", "test"), ("$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.", "ory"),
              ("$md5-crypt$$whuMjZj.HMFoaTaZRRtkO0", "test")]),
            ("kratos_sha512_crypt", "$sha512-crypt", "$6", ph.sha512_crypt,
             [("$sha512-crypt$rounds=656000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1", "test")]),
            ("kratos_sha256_crypt", "$sha256-crypt", "$5", ph.sha256_crypt,
             [("$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78", "test")])):
        def kc_checks(pw, h, kprefix=kprefix, cprefix=cprefix, handler=handler):
            return [(f"Kratos Compare*Crypt transcription ({PL} {handler.name})",
                     lambda: kratos_crypt_verify(pw, h, kprefix, cprefix, handler)),
                    ("crypt(3) on the translated hash", lambda: crypt_ok(pw, cprefix + h[len(kprefix):]))]
        for h, pw in pubs:
            extra = {}
            if "rounds=656000" in h or "rounds=535000" in h:
                extra = {"default_cost": True, "note": "published example; default cost of passlib (and Kratos' example) rounds"}
            else:
                extra = {"note": "published example" + ("; empty salt" if "$$" in h else "")}
            fam.add(scheme, h, pw, KRATOS_SRC, kc_checks(pw, h), crosschecked=GLIBC, **extra)
        n = 0
        for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
            n += 1
            kw = {"salt": dchars(f"{scheme}-{n}", 8 if "md5" in scheme else 16, HASH64)}
            if "md5" not in scheme:
                kw["rounds"] = 1000
            inner = handler.using(**kw).hash(pw)
            h = kprefix + inner[len(cprefix):]
            fam.add(scheme, h, pw, f"{PL} {handler.name}.hash with '{cprefix}$' replaced by '{kprefix}$'",
                    kc_checks(pw, h), note=note, crosschecked=GLIBC)
        rej = fn_rejects(f"Kratos Compare*Crypt transcription ({PL} {handler.name})",
                         lambda pw, h, a=kprefix, b=cprefix, c=handler: kratos_crypt_verify(pw, h, a, b, c))
        fam.bad(scheme, f"{kprefix}$$", "empty body (published failure case)", rej)
        fam.bad(scheme, f"{kprefix}$$$", "empty fields (published failure case)", rej)
        body = pubs[0][0][len(kprefix):]
        fam.bad(scheme, kprefix + body[:-1] + "!", "invalid hash64 character", rej)
        if "md5" in scheme:
            fam.bad(scheme, "$md5-crypt$whuMjZj.HMFoaTaZRRtkO0", "missing salt section (published failure case)", rej)
        else:
            fam.bad(scheme, kprefix + body.replace("rounds=", "rounds=x", 1), "non-numeric rounds", rej)
    fam.notes.append("kratos_sha256_crypt ($sha256-crypt$) is included as an extra scheme next to the "
                     "requested kratos_md5_crypt and kratos_sha512_crypt; Kratos implements all three.")

    # ---- firebase scrypt -----------------------------------------------------------
    FB_SIGNER = base64.b64decode("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==")
    FB_SEP = base64.b64decode("Bw==")
    fb_pub_salt = base64.b64decode("42xEC+ixf3L2lw==")
    fb_pub_hash = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
    got = firebase_scrypt("user1password", fb_pub_salt, FB_SEP, FB_SIGNER, 8, 14)
    if b64(got) != fb_pub_hash:
        raise Failure(f"firebase scrypt transcription does not reproduce the README example: {b64(got)}")
    fb_checks = lambda pw, h: [("Firebase scrypt transcription (hashlib.scrypt + cryptography AES-256-CTR)",  # noqa: E731
                                lambda: firescrypt_verify(pw, h))]
    h = firescrypt_string(fb_pub_salt, base64.b64decode(fb_pub_hash), FB_SEP, FB_SIGNER, 8, 14)
    fam.add("firebase_scrypt", h, "user1password",
            "published: firebase/scrypt README.md example (signer key, salt separator 'Bw==', rounds 8, mem_cost 14, "
            "salt '42xEC+ixf3L2lw==', password 'user1password'), written in the $firescrypt$ layout",
            fb_checks("user1password", h), default_cost=True,
            note="published example; default cost of Firebase projects (rounds=8, mem_cost=14)")
    kratos_fb = "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw=="
    fam.add("firebase_scrypt", kratos_fb, "8x4WjoDbSxJZdR", KRATOS_SRC, fb_checks("8x4WjoDbSxJZdR", kratos_fb),
            note="published example (Kratos' own $firescrypt$ string, a different signer key)")
    n = 0
    for pw, rounds, mem, note in ((PW1, 4, 10, None), (PW2, 8, 9, None), (PW_UNI, 4, 10, UNI_NOTE),
                                  (PW_LONG, 4, 10, LONG_NOTE)):
        n += 1
        salt = dbytes(f"fb-{n}", 10)
        d = firebase_scrypt(pw, salt, FB_SEP, FB_SIGNER, rounds, mem)
        h = firescrypt_string(salt, d, FB_SEP, FB_SIGNER, rounds, mem)
        fam.add("firebase_scrypt", h, pw, f"Firebase scrypt transcription, README signer key, rounds={rounds}, mem_cost={mem}",
                fb_checks(pw, h), note=note)
    fam.notes.append(
        "firebase_scrypt layout (Ory Kratos' $firescrypt$): "
        "$firescrypt$ln=<mem_cost>,r=<rounds>,p=1$<b64 salt>$<b64 hash>$<b64 salt separator>$<b64 signer key>, "
        "all padded standard base64. hash = AES-256-CTR(key=scrypt(password, salt||separator, N=2^mem_cost, "
        "r=rounds, p=1, dkLen=32), IV=16 zero bytes) applied to the signer key, so the hash is as long as "
        "the signer key (64 bytes for real projects). The transcription reproduces the firebase/scrypt "
        "README example and Kratos' published example.")
    rej = fn_rejects("Firebase scrypt transcription ($firescrypt$ parser as in Kratos)", firescrypt_verify)
    fam.bad("firebase_scrypt", kratos_fb.rsplit("$", 1)[0], "missing signer key field", rej)
    fam.bad("firebase_scrypt", kratos_fb.replace("ln=14", "ln=x"), "non-numeric ln", rej)
    fam.bad("firebase_scrypt", kratos_fb.replace("$Bw==$", "$Bw=$"), "invalid base64 salt separator", rej)
    fam.bad("firebase_scrypt", kratos_fb.replace(",p=1", ""), "missing p", rej)

    # ---- better-auth ----------------------------------------------------------------
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE),
                     ("ﬁancé", "NFKC-normalised before hashing: 'ﬁancé' (U+FB01 ligature) hashes as 'fiancé'")):
        n += 1
        h = better_auth(pw, dbytes(f"ba-{n}", 16))
        fam.add("better_auth_scrypt", h, pw,
                "better-auth crypto/password.ts layout via hashlib.scrypt (salt = hex string of 16 random bytes, "
                "password NFKC, N=16384, r=16, p=1, dkLen=64)",
                [("better-auth verifyPassword transcription", lambda pw=pw, h=h: better_auth_verify(pw, h))],
                note="fixed cost N=16384, r=16, p=1 (32 MiB; the format carries no parameters)" + (f"; {note}" if note else ""),
                default_cost=True if n == 1 else None)
    rej = fn_rejects("better-auth verifyPassword transcription", better_auth_verify)
    good = better_auth(PW1, dbytes("ba-bad", 16))
    fam.bad("better_auth_scrypt", good.split(":")[0], "missing key part", rej)
    fam.bad("better_auth_scrypt", ":" + good.split(":")[1], "empty salt part", rej)
    fam.bad("better_auth_scrypt", good[:-1] + "z", "non-hex key", rej)
    fam.bad("better_auth_scrypt", good[:-1], "odd-length hex key", rej)
    fam.notes.append("better_auth_scrypt: a correct implementation must NOT hex-decode the salt "
                     "(the 32-char hex string itself is the scrypt salt) and must NFKC-normalise the "
                     "password; Node needs maxmem >= 64 MiB (better-auth passes 128*N*r*2).")

    # ---- werkzeug legacy salted HMAC ------------------------------------------------------
    for scheme, method in (("werkzeug_salted_sha1", "sha1"), ("werkzeug_salted_md5", "md5")):
        n = 0
        for pw, slen, note in ((PW1, 8, None), (PW2, 16, None), (PW_UNI, 8, UNI_NOTE), (PW_LONG, 16, LONG_NOTE)):
            n += 1
            h = werkzeug_legacy(method, dchars(f"{scheme}-{n}", slen), pw)
            fam.add(scheme, h, pw,
                    f"Werkzeug 2.0.x security._hash_internal({method!r}, salt, password) = "
                    "hmac.new(salt, password, method).hexdigest() (transcribed; Werkzeug 3.x no longer "
                    "implements it and no Werkzeug < 2.3 is installable here)",
                    [("Werkzeug 2.0 check_password_hash transcription", lambda pw=pw, h=h, m=method: werkzeug_legacy_verify(pw, h, m))],
                    note=note)
        rej = fn_rejects("Werkzeug 2.0 check_password_hash transcription", lambda pw, h, m=method: werkzeug_legacy_verify(pw, h, m))
        good = werkzeug_legacy(method, "abcdefgh", PW1)
        fam.bad(scheme, good[:-1], "truncated hex digest", rej)
        fam.bad(scheme, good[:-1] + "g", "non-hex character", rej)
        fam.bad(scheme, good.rsplit("$", 1)[0], "missing digest field", rej)
    fam.notes.append("werkzeug_salted_*: Werkzeug < 2.3 wrote 'method$salt$hex' with hex = "
                     "HMAC-<method>(key=salt, msg=password). A 'method$$hex' string (empty salt) "
                     "meant an unsalted plain digest in those versions; none is included here.")

    # ---- joomla ---------------------------------------------------------------------------
    n = 0
    for pw, note in ((PW1, None), (PW2, None), (PW_UNI, UNI_NOTE), (PW_LONG, LONG_NOTE)):
        n += 1
        h = joomla(pw, dchars(f"joomla-{n}", 32))
        fam.add("joomla_md5", h, pw, "Joomla 1.5-3.x layout md5(password . salt) . ':' . salt (32-char salt) via hashlib",
                [("Joomla md5 transcription", lambda pw=pw, h=h: joomla_verify(pw, h))], note=note)
    rej = fn_rejects("Joomla md5 transcription", joomla_verify)
    good = joomla(PW1, dchars("joomla-bad", 32))
    fam.bad("joomla_md5", good.split(":")[0][:-1] + ":" + good.split(":")[1], "31 hex characters", rej)
    fam.bad("joomla_md5", good.split(":")[0], "missing salt", rej)
    fam.bad("joomla_md5", "g" + good[1:], "non-hex character", rej)
    fam.bad("joomla_md5", good.split(":")[0] + ":", "empty salt", rej)
    return fam


# ==========================================================================
# disabled
# ==========================================================================
def gen_disabled() -> Family:
    setup_django()
    from django.contrib.auth.hashers import check_password
    fam = Family("disabled", {"passlib": VERSIONS["passlib"], "django": VERSIONS["django"]})
    locked = "!" + ph.sha512_crypt.using(rounds=1000, salt=dchars("locked", 16, HASH64)).hash("anything")
    locked_bc = "!" + ph.bcrypt.using(rounds=4, salt=bcrypt_salt("locked-bc")).hash("anything")
    items = [
        ("!", "shadow: locked / no password"),
        ("*", "shadow: no password login"),
        ("", "empty hash string"),
        ("!!", "shadow: password never set (RHEL useradd)"),
        ("*LK*", "Solaris locked account"),
        ("*NP*", "Solaris no password"),
        (locked, "locked account (usermod -L): '!' + a valid sha512_crypt hash OF THE PASSWORD 'anything'"),
        (locked_bc, "locked account: '!' + a valid bcrypt hash of 'anything'"),
        ("!" + dchars("disabled-django", 40), "Django unusable password (make_password(None) format)"),
    ]

    def ctx_false(h):
        from passlib.context import CryptContext
        ctx = CryptContext(schemes=["unix_disabled", "django_disabled", "sha512_crypt", "bcrypt", "md5_crypt", "des_crypt"])
        try:
            return ctx.verify("anything", h)
        except ValueError:
            return False  # not a hash of any known scheme: no password verifies

    for h, note in items:
        fam.add("disabled", h, "anything", "shadow(5)/crypt(5) conventions; Django UNUSABLE_PASSWORD_PREFIX",
                [(f"{PL} CryptContext(unix_disabled, django_disabled, ...).verify", lambda h=h: ctx_false(h)),
                 (f"{DJ} check_password", lambda h=h: check_password("anything", h)),
                 ("crypt(3)", lambda h=h: bool(h) and crypt_ok("anything", h))],
                expect=False, note="must verify as false; " + note)
    fam.notes.append("Every vector here has \"expect\": false: no password may verify, including "
                     "the password 'anything' that the wrapped hashes after '!' were made from.")
    return fam


# ==========================================================================
def main() -> int:
    families = [gen_argon2, gen_bcrypt, gen_scrypt, gen_pbkdf2, gen_crypt, gen_phpass, gen_ldap,
                gen_django, gen_raw, gen_beyond, gen_disabled]
    built: list[Family] = []
    try:
        for g in families:
            fam = g()
            fam.verify_all()
            built.append(fam)
    except Failure as e:
        print(f"SELF-CHECK FAILED: {e}", file=sys.stderr)
        return 1
    for fam in built:
        fam.write()
    for fam in built:
        per: dict[str, int] = {}
        for v in fam.vectors:
            per[v["scheme"]] = per.get(v["scheme"], 0) + 1
        print(f"{fam.name}.json: {len(fam.vectors)} vectors, {len(fam.malformed)} malformed  "
              + ", ".join(f"{k}={c}" for k, c in per.items()))
        for d in fam.dropped:
            print(f"  dropped malformed candidate (reference accepted it): {d}")
    print("all vectors re-verified by their reference implementations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
