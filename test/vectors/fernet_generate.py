#!/usr/bin/env python3
"""Fernet interop fixtures from Python's `cryptography` (the reference hashd must match).

Run by hand from the repository root, never at test time:

    npx tsx test/vectors/fernet_hashd_make.ts   # hashd-made tokens -> fernet/hashd.json
    python3 test/vectors/fernet_generate.py     # Python-made tokens + Python's reading of hashd's

Writes test/vectors/fernet/python.json with:
  - `tokens`: tokens made by cryptography.fernet.Fernet.encrypt_at_time (random IVs, fixed keys
    and timestamps) that hashd must decrypt to the recorded plaintext;
  - `rotated`: MultiFernet([new, old]).rotate(token) results (timestamp kept, new key);
  - `decrypt_at_time`: cryptography's verdict on (token, ttl, now) cases: ok, or InvalidToken
    for expired / far-future / wrong key; hashd must agree (expired is token_expired there);
  - `hashd_verified`: every token of fernet/hashd.json decrypted by cryptography, with the
    plaintext and timestamp it read. The script exits non-zero and writes nothing if a hashd
    token does not decrypt to the plaintext hashd.json says it holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

import cryptography
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

HERE = Path(__file__).resolve().parent / "fernet"


def key(label: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(label.encode()).digest())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def main() -> int:
    k1, k2, other = key("python fernet k1"), key("python fernet k2"), key("python fernet other")
    plaintexts = [b"", b"hello", b"0123456789abcdef", "Grüße, 世界 🔐".encode(), bytes(range(256)), b"y" * 1000]
    tokens = []
    for i, p in enumerate(plaintexts):
        ts = 1_700_000_000 + i * 7
        tok = Fernet(k1).encrypt_at_time(p, ts)
        tokens.append({"key": k1.decode(), "timestamp": ts, "plaintextBase64": b64(p), "token": tok.decode()})

    rotated = []
    multi = MultiFernet([Fernet(k2), Fernet(k1)])
    for t in tokens[:3]:
        new = multi.rotate(t["token"].encode())
        assert Fernet(k2).extract_timestamp(new) == t["timestamp"]
        rotated.append({"from": t["token"], "newKey": k2.decode(), "oldKey": k1.decode(), "token": new.decode(), "timestamp": t["timestamp"], "plaintextBase64": t["plaintextBase64"]})

    ts = 1_700_000_000
    tok = Fernet(k1).encrypt_at_time(b"ttl check", ts)
    verdicts = []
    for desc, keys, ttl, now in [
        ("fresh within ttl", [k1], 60, ts + 60),
        ("one second past ttl", [k1], 60, ts + 61),
        ("no ttl, very old", [k1], None, ts + 10**8),
        ("59 s in the future", [k1], None, ts - 59),
        ("60 s in the future", [k1], None, ts - 60),
        ("61 s in the future", [k1], None, ts - 61),
        ("wrong key", [other], None, ts),
        ("second key of a MultiFernet", [other, k1], None, ts),
    ]:
        mf = MultiFernet([Fernet(k) for k in keys])
        # decrypt_at_time needs a ttl; "no ttl" cases use one far beyond any test (10**9 s), so
        # only the clock-skew rule and the key decide, as in hashd without ttlSeconds.
        try:
            got = mf.decrypt_at_time(tok, ttl if ttl is not None else 10**9, now)
            verdicts.append({"desc": desc, "keys": [k.decode() for k in keys], "ttlSeconds": ttl, "now": now, "token": tok.decode(), "ok": True, "plaintextBase64": b64(got)})
        except InvalidToken:
            verdicts.append({"desc": desc, "keys": [k.decode() for k in keys], "ttlSeconds": ttl, "now": now, "token": tok.decode(), "ok": False})

    hashd_verified = []
    hashd_file = HERE / "hashd.json"
    for case in json.loads(hashd_file.read_text())["cases"]:
        f = Fernet(case["key"].encode())
        token = case["token"].encode()
        plain = f.decrypt(token)
        if b64(plain) != case["plaintextBase64"] or f.extract_timestamp(token) != case["timestamp"]:
            print(f"hashd token {case['desc']!r} does not decrypt as recorded", file=sys.stderr)
            return 1
        hashd_verified.append({"token": case["token"], "plaintextBase64": b64(plain), "timestamp": f.extract_timestamp(token)})

    out = {
        "source": f"cryptography {cryptography.__version__} (cryptography.fernet), Python {sys.version.split()[0]}",
        "tokens": tokens,
        "rotated": rotated,
        "decrypt_at_time": verdicts,
        "hashd_verified": hashd_verified,
    }
    (HERE / "python.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(tokens)} tokens, {len(rotated)} rotations, {len(verdicts)} verdicts; verified {len(hashd_verified)} hashd tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
