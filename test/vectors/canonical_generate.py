#!/usr/bin/env python3
"""Non-canonical spellings of real reference hashes, and what passlib says about each.

Run by hand (never at test time), from the repository root, in the venv of README.md:

    /tmp/vgen/bin/python test/vectors/canonical_generate.py

For every scheme passlib implements, the first vector of each committed fixture file is taken
(a hash passlib itself made or verified) and mutated:
- every run of digits in its settings gets a leading zero and a leading `+`;
- its checksum loses its last character, and its last character is replaced by the next
  character of its alphabet (non-canonical trailing bits where the encoding has unused bits,
  a different digest otherwise).
Each mutation is verified with passlib (argon2 also with argon2-cffi). The output,
test/vectors/canonical.json, records passlib's verdict: "refused" (identify false or ValueError),
or "accepted" with the verify result. Nothing here comes from hashd's code.
"""
from __future__ import annotations

import importlib.metadata
import json
import re
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
import argon2  # argon2-cffi
from passlib import hash as ph

ph.bcrypt.set_backend("os_crypt")
ph.bcrypt_sha256.set_backend("os_crypt")

OUT = Path(__file__).resolve().parent / "canonical.json"
FILES = ["argon2", "bcrypt", "crypt", "pbkdf2", "scrypt", "phpass", "ldap", "django", "raw"]
ALPHABETS = [
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",  # hash64 / bcrypt-ish
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",  # base64
    "0123456789abcdef",
    "0123456789ABCDEF",
]


def handler_for(scheme: str):
    if scheme in ("argon2id", "argon2i", "argon2d"):
        return ph.argon2
    return getattr(ph, scheme, None)


def passlib_verdict(handler, hash_: str, password: str, user: str | None) -> dict:
    try:
        if not handler.identify(hash_):
            return {"passlib": "refused", "why": "identify() is false"}
        kwargs = {"user": user} if user is not None else {}
        ok = handler.verify(password, hash_, **kwargs)
        return {"passlib": "accepted", "verify": bool(ok)}
    except (ValueError, TypeError) as err:
        return {"passlib": "refused", "why": f"{type(err).__name__}: {err}"}


def argon2_cffi_verdict(hash_: str, password: str) -> str:
    try:
        argon2.PasswordHasher().verify(hash_, password)
        return "accepted-true"
    except argon2.exceptions.VerifyMismatchError:
        return "accepted-false"
    except (argon2.exceptions.InvalidHashError, argon2.exceptions.VerificationError, ValueError) as err:
        return f"refused ({type(err).__name__})"


def next_char(c: str) -> str | None:
    for alphabet in ALPHABETS:
        i = alphabet.find(c)
        if i >= 0:
            return alphabet[(i + 1) % len(alphabet)]
    return None


def mutations(hash_: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    # The settings: everything before the last separator (the checksum follows it).
    cut = max(hash_.rfind("$"), hash_.rfind("."), hash_.rfind("}"))
    settings_end = cut if cut > 0 else 0
    for m in re.finditer(r"\d+", hash_[:settings_end]):
        a, b = m.span()
        out.append((f"leading zero on '{m.group()}'", hash_[:a] + "0" + hash_[a:]))
        out.append((f"plus sign on '{m.group()}'", hash_[:a] + "+" + hash_[a:]))
    body = hash_.rstrip("=")
    pad = hash_[len(body):]
    out.append(("checksum without its last character", body[:-1] + pad))
    if pad:
        out.append(("checksum without its last padding character", hash_[:-1]))
        out.append(("checksum without its padding", body))
    nxt = next_char(body[-1])
    if nxt is not None:
        out.append(("checksum's last character replaced by the next one", body[:-1] + nxt + pad))
    return out


def main() -> None:
    records = []
    for name in FILES:
        data = json.loads((Path(__file__).resolve().parent / f"{name}.json").read_text())
        seen = set()
        for v in data["vectors"]:
            scheme = v["scheme"]
            if scheme in seen or v.get("expect") is False:
                continue
            handler = handler_for(scheme)
            if handler is None:
                continue
            seen.add(scheme)
            user = v.get("user")
            base = passlib_verdict(handler, v["hash"], v["password"], user)
            if base != {"passlib": "accepted", "verify": True}:
                raise SystemExit(f"{scheme}: passlib does not verify the original vector: {base}")
            for what, mutated in mutations(v["hash"]):
                if mutated == v["hash"]:
                    continue
                rec = {"scheme": scheme, "original": v["hash"], "hash": mutated, "password": v["password"], "mutation": what}
                if user is not None:
                    rec["user"] = user
                rec.update(passlib_verdict(handler, mutated, v["password"], user))
                if scheme.startswith("argon2"):
                    rec["argon2_cffi"] = argon2_cffi_verdict(mutated, v["password"])
                records.append(rec)
    doc = {
        "generator": "test/vectors/canonical_generate.py",
        "sources": {"passlib": importlib.metadata.version("passlib"), "argon2-cffi": importlib.metadata.version("argon2-cffi")},
        "notes": ["Mutations of the first vector of each passlib scheme in the committed fixtures; the verdict is passlib's (argon2-cffi's too for argon2)."],
        "vectors": records,
    }
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    refused = sum(r["passlib"] == "refused" for r in records)
    print(f"{len(records)} mutations, {refused} refused by passlib")


if __name__ == "__main__":
    main()
