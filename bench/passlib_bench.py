"""Measures passlib's verify throughput for hashd's benchmark vectors, for the ratio column of
BENCHMARKS.md. Reads [{"scheme", "hash", "password", "user"?}] as JSON on stdin and prints
{scheme: ops_per_second | null} (null: passlib has no handler for that scheme). Single-threaded,
like one hashd verify at a time. Run by bench/formats.ts only when python3 can import passlib."""
import json
import sys
import time

import passlib
from passlib.registry import get_crypt_handler

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
ALIASES = {"argon2id": "argon2", "argon2i": "argon2", "argon2d": "argon2", "django_unsalted_md5": "hex_md5"}


def handler_for(vector):
    scheme = vector["scheme"]
    if scheme == "ldap_crypt":
        inner = vector["hash"][len("{CRYPT}"):]
        for name in ("ldap_sha512_crypt", "ldap_sha256_crypt", "ldap_md5_crypt", "ldap_bsdi_crypt", "ldap_des_crypt"):
            handler = get_crypt_handler(name)
            if handler.identify(vector["hash"]):
                return handler
        return None
    try:
        return get_crypt_handler(ALIASES.get(scheme, scheme))
    except KeyError:
        return None


def main():
    vectors = json.load(sys.stdin)
    out = {"_version": passlib.__version__}
    for vector in vectors:
        handler = handler_for(vector)
        if handler is None:
            out[vector["scheme"]] = None
            continue
        kwargs = {"user": vector["user"]} if vector.get("user") else {}
        try:
            if not handler.verify(vector["password"], vector["hash"], **kwargs):
                out[vector["scheme"]] = None
                continue
        except Exception:
            out[vector["scheme"]] = None
            continue
        done = 0
        start = time.perf_counter()
        while True:
            handler.verify(vector["password"], vector["hash"], **kwargs)
            done += 1
            elapsed = time.perf_counter() - start
            if elapsed >= SECONDS and done >= 3:
                break
        out[vector["scheme"]] = done / elapsed
    json.dump(out, sys.stdout)


main()
