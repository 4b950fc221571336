"""Long-password SHA-crypt vectors from the system's crypt(3) (glibc/libxcrypt), which caps
passphrases at 512 bytes. Run: python3 test/vectors/crypt_long_generate.py > test/vectors/crypt-long.json
(Python 3.11's crypt module; Python is never needed to run the tests)."""
import crypt
import json

vectors = []
for ident, scheme in (("5", "sha256_crypt"), ("6", "sha512_crypt")):
    for length in (300, 500):
        password = "".join(chr(97 + (i % 26)) for i in range(length))
        vectors.append({"scheme": scheme, "length": length, "password_pattern": "a..z repeated", "hash": crypt.crypt(password, f"${ident}$rounds=2000$longpwsalt$")})
print(json.dumps({"generator": "test/vectors/crypt_long_generate.py", "source": "crypt(3) of the system (libxcrypt), via Python 3.11 crypt", "vectors": vectors}, indent=2))
