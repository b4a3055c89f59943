"""Just enough RSA, in plain Python, to forge the tokens of an RS/HS confusion attack: a key
pair, an RS256 (PKCS#1 v1.5, SHA-256) signature, and the public key as PEM text (what an
attacker would feed to HMAC). Test-only: small exponent choices, no constant time."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass

# DER prefix of a SHA-256 DigestInfo (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
# SubjectPublicKeyInfo algorithm: rsaEncryption with NULL parameters.
RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")
SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)


def _probably_prime(n: int, rng: random.Random) -> bool:
    if any(n % p == 0 for p in SMALL_PRIMES):
        return n in SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        # The top two bits set: the product of two such primes has exactly 2 * bits bits.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if _probably_prime(candidate, rng):
            return candidate


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _der_integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0: stays positive
    return _der(0x02, raw)


@dataclass(frozen=True)
class RsaKey:
    n: int
    e: int
    d: int

    @classmethod
    def generate(cls, bits: int = 2048, seed: int = 7) -> RsaKey:
        rng = random.Random(seed)
        e = 65537
        while True:
            p, q = _prime(bits // 2, rng), _prime(bits // 2, rng)
            phi = (p - 1) * (q - 1)
            if p != q and phi % e:
                return cls(n=p * q, e=e, d=pow(e, -1, phi))

    def sign_rs256(self, message: bytes) -> bytes:
        size = (self.n.bit_length() + 7) // 8
        digest = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        padded = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
        return pow(int.from_bytes(padded, "big"), self.d, self.n).to_bytes(size, "big")

    def verify_rs256(self, message: bytes, signature: bytes) -> bool:
        size = (self.n.bit_length() + 7) // 8
        recovered = pow(int.from_bytes(signature, "big"), self.e, self.n).to_bytes(size, "big")
        return recovered.endswith(SHA256_DIGEST_INFO + hashlib.sha256(message).digest())

    def public_pem(self) -> str:
        rsa_public_key = _der(0x30, _der_integer(self.n) + _der_integer(self.e))
        info = _der(0x30, RSA_ALGORITHM + _der(0x03, b"\x00" + rsa_public_key))
        text = base64.encodebytes(info).decode().replace("\n", "")
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"
