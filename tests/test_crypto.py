"""The cryptographic ground: RFC 8032 Ed25519 vectors, RFC 8785 canonical JSON, strict
parsing, signatures over canonical statements, and key files (good ones round trip, every
bad one is a KeyFileError naming the file). The vectors live in the project's shared data
beside the repository, or wherever ``SERVANDA_VECTORS`` points; missing vectors fail."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.crypto import (
    canonical_json,
    fingerprint,
    generate_key,
    load_private_key,
    load_public_key,
    parse_json,
    public_hex,
    public_key_from_hex,
    save_private_key,
    save_public_key,
    sign,
    verify,
)
from servanda.errors import KeyFileError

VECTORS = Path(
    os.environ.get(
        "SERVANDA_VECTORS", Path(__file__).resolve().parents[2] / "shared" / "data" / "vectors"
    )
)


def _rfc8032_vectors() -> list[dict]:
    path = VECTORS / "ed25519-rfc8032.json"
    assert path.is_file(), f"{path} is missing: the shared data (or SERVANDA_VECTORS) is not there"
    vectors = json.loads(path.read_text())["vectors"]
    assert len(vectors) == 3, "RFC 8032 section 7.1 has tests 1-3"
    return vectors


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# -- RFC 8032 §7.1 -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 2, 3])
def test_rfc8032_key_from_secret_gives_the_public_key_and_the_signature(number, tmp_path):
    vector = _rfc8032_vectors()[number - 1]
    secret = bytes.fromhex(vector["secret_key"])
    key_file = tmp_path / "secret.jwk"
    key_file.write_text(json.dumps({"kty": "OKP", "crv": "Ed25519", "d": _b64url(secret)}))

    key = load_private_key(key_file)

    assert public_hex(key) == vector["public_key"]
    assert load_public_key(key_file) == vector["public_key"]
    message = bytes.fromhex(vector["message"])
    assert key.sign(message).hex() == vector["signature"]
    public_key_from_hex(vector["public_key"]).verify(bytes.fromhex(vector["signature"]), message)


@pytest.mark.parametrize("number", [1, 2, 3])
def test_verify_accepts_a_vector_key_signature_and_rejects_any_single_bit_flip(number, tmp_path):
    vector = _rfc8032_vectors()[number - 1]
    key_file = tmp_path / "secret.jwk"
    key_file.write_text(
        json.dumps(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "d": _b64url(bytes.fromhex(vector["secret_key"])),
            }
        )
    )
    key = load_private_key(key_file)
    public = vector["public_key"]
    statement = {"type": "test", "rfc8032": number, "text": "pacta sunt servanda"}
    signature = sign(key, statement)
    # Ed25519 is deterministic: the signature is the secret key's over the canonical bytes.
    assert signature == key.sign(canonical_json(statement)).hex()
    assert verify(public, statement, signature)

    raw_signature = bytes.fromhex(signature)
    for bit in range(len(raw_signature) * 8):
        assert not verify(public, statement, _flip(raw_signature, bit).hex()), (
            f"signature bit {bit}"
        )
    raw_public = bytes.fromhex(public)
    for bit in range(len(raw_public) * 8):
        assert not verify(_flip(raw_public, bit).hex(), statement, signature), f"key bit {bit}"
    text = statement["text"].encode()
    for bit in range(len(text) * 8):
        changed = {**statement, "text": _flip(text, bit).decode("latin-1")}
        assert not verify(public, changed, signature), f"message bit {bit}"


def test_verify_says_no_to_malformed_input_instead_of_raising():
    key = generate_key()
    public, statement = public_hex(key), {"a": 1}
    signature = sign(key, statement)
    assert verify(public, statement, signature)
    for bad_signature in (
        signature.upper(),
        signature[:-2],
        signature + "00",
        "",
        None,
        bytes.fromhex(signature),
    ):
        assert not verify(public, statement, bad_signature)
    for bad_key in (public.upper(), public[:-2], "zz" * 32, "", None):
        assert not verify(bad_key, statement, signature)
    assert not verify(public, {"a": float("nan")}, signature)
    assert not verify(public, {"a": 1.0000001}, signature)
    assert not verify(public_hex(generate_key()), statement, signature)


def test_the_signature_covers_the_canonical_form_not_the_spelling():
    key = generate_key()
    statement = parse_json('{"b": [1.0, 2], "a": "x"}')
    signature = sign(key, statement)
    assert verify(public_hex(key), {"a": "x", "b": [1, 2.0]}, signature)


def test_fingerprint_is_sixteen_hex_digits_of_the_sha256_in_groups_of_four():
    vector = _rfc8032_vectors()[0]

    digest = hashlib.sha256(bytes.fromhex(vector["public_key"])).hexdigest()
    assert fingerprint(vector["public_key"]) == ":".join(digest[i : i + 4] for i in range(0, 16, 4))


# -- RFC 8785 --------------------------------------------------------------------------------

#: RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript serialisation (§3.2.2.3).
NUMBERS = [
    ("0000000000000000", b"0"),
    ("8000000000000000", b"0"),
    ("0000000000000001", b"5e-324"),
    ("8000000000000001", b"-5e-324"),
    ("7fefffffffffffff", b"1.7976931348623157e+308"),
    ("ffefffffffffffff", b"-1.7976931348623157e+308"),
    ("4340000000000000", b"9007199254740992"),
    ("c340000000000000", b"-9007199254740992"),
    ("4430000000000000", b"295147905179352830000"),
    ("44b52d02c7e14af5", b"9.999999999999997e+22"),
    ("44b52d02c7e14af6", b"1e+23"),
    ("44b52d02c7e14af7", b"1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", b"999999999999999700000"),
    ("444b1ae4d6e2ef4f", b"999999999999999900000"),
    ("444b1ae4d6e2ef50", b"1e+21"),
    ("3eb0c6f7a0b5ed8c", b"9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", b"0.000001"),
    ("41b3de4355555553", b"333333333.3333332"),
    ("41b3de4355555554", b"333333333.33333325"),
    ("41b3de4355555555", b"333333333.3333333"),
    ("41b3de4355555556", b"333333333.3333334"),
    ("41b3de4355555557", b"333333333.33333343"),
    ("becbf647612f3696", b"-0.0000033333333333333333"),
    ("43143ff3c1cb0959", b"1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), NUMBERS)
def test_rfc8785_number_serialisation(bits, expected):
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert canonical_json(value) == expected
    assert canonical_json([value]) == b"[" + expected + b"]"


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_rfc8785_nan_and_infinity_cannot_be_serialised(bits):
    with pytest.raises(ValueError):
        canonical_json({"x": struct.unpack(">d", bytes.fromhex(bits))[0]})


def test_rfc8785_section_3_2_3_sorts_keys_by_utf16_code_units():
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    # U+1F600 is the surrogate pair D83D DE00, so it sorts before U+FB33 (not after, as it
    # would by code point).
    assert canonical_json(value) == (
        b'{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control",'
        b'"\xc3\xb6":"Latin Small Letter O With Diaeresis","\xe2\x82\xac":"Euro Sign",'
        b'"\xf0\x9f\x98\x80":"Emoji: Grinning Face","\xef\xac\xb3":"Hebrew Letter Dalet With Dagesh"}'
    )


def test_rfc8785_section_3_2_4_example():
    value = parse_json(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    assert canonical_json(value) == (
        b'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        b'"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_canonical_json_has_no_whitespace_and_sorts_nested_objects():
    assert canonical_json({"b": {"z": [1, {"y": 2, "x": 1}], "a": None}, "a": "\t\b\f\u001f"}) == (
        b'{"a":"\\t\\b\\f\\u001f","b":{"a":null,"z":[1,{"x":1,"y":2}]}}'
    )


# -- strict parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 1}',
        '{"a": 1, "b": {"c": 1, "c": 2}}',
        '[{"k": true, "k": false}]',
    ],
)
def test_parse_json_rejects_duplicate_keys(text):
    with pytest.raises(ValueError, match="duplicate key"):
        parse_json(text)


@pytest.mark.parametrize("text", ["NaN", '{"x": NaN}', "[Infinity]", '{"x": -Infinity}'])
def test_parse_json_rejects_nan_and_infinity(text):
    with pytest.raises(ValueError, match="not JSON"):
        parse_json(text)


def test_parse_json_reads_text_and_bytes():
    assert parse_json('{"a": [1, 2.5, "x", null]}') == {"a": [1, 2.5, "x", None]}
    assert parse_json(b'{"\xe2\x82\xac": true}') == {"\u20ac": True}


# -- signatures over arbitrary statements (property) -----------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
STATEMENTS = st.dictionaries(st.text(max_size=8), JSON, max_size=6)
KEY = generate_key()


@settings(max_examples=150, deadline=None)
@given(statement=STATEMENTS)
def test_sign_verify_round_trip_for_any_statement(statement):
    signature = sign(KEY, statement)
    assert verify(public_hex(KEY), statement, signature)
    # Whoever reads the canonical bytes back reads a statement with the same signature.
    assert parse_json(canonical_json(statement)) == statement
    assert verify(public_hex(KEY), parse_json(canonical_json(statement)), signature)


@settings(max_examples=150, deadline=None)
@given(statement=STATEMENTS, bit=st.integers(min_value=0, max_value=511))
def test_any_single_bit_flip_in_the_signature_fails(statement, bit):
    signature = bytes.fromhex(sign(KEY, statement))
    assert not verify(public_hex(KEY), statement, _flip(signature, bit).hex())


@pytest.mark.parametrize("value", [1e16, -(2.0**53), 2.0**53 + 2, 1.0159914126471476e16, 1e300])
def test_a_large_float_survives_the_round_trip(value):
    # RFC 8785 writes such a double without a fraction or exponent ("10000000000000000");
    # reading it back must give the same double, not an integer rfc8785 then refuses.
    statement = {"amount": value}
    signature = sign(KEY, statement)
    assert verify(public_hex(KEY), statement, signature)
    read_back = parse_json(canonical_json(statement))
    assert canonical_json(read_back) == canonical_json(statement)
    assert verify(public_hex(KEY), read_back, signature)


# -- key files -------------------------------------------------------------------------------


def test_private_key_pem_round_trip_with_mode_0600(tmp_path):
    key = generate_key()
    path = tmp_path / "root.pem"
    save_private_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_hex(load_private_key(path)) == public_hex(key)
    assert load_public_key(path) == public_hex(key)
    assert sign(load_private_key(path), {"a": 1}) == sign(key, {"a": 1})


def test_private_key_jwk_is_read(tmp_path):
    key = generate_key()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    x = _b64url(bytes.fromhex(public_hex(key)))
    for name, jwk in (
        ("with-x", {"kty": "OKP", "crv": "Ed25519", "x": x, "d": _b64url(raw)}),
        ("without-x", {"kty": "OKP", "crv": "Ed25519", "d": _b64url(raw)}),
    ):
        path = tmp_path / f"{name}.jwk"
        path.write_text(json.dumps(jwk))
        assert public_hex(load_private_key(path)) == public_hex(key)
        assert load_public_key(path) == public_hex(key)


def test_public_key_jwk_round_trip_and_pem_is_read(tmp_path):
    key = generate_key()
    path = tmp_path / "public.jwk"
    save_public_key(public_hex(key), path)
    jwk = json.loads(path.read_text())
    assert jwk == {"kty": "OKP", "crv": "Ed25519", "x": _b64url(bytes.fromhex(public_hex(key)))}
    assert load_public_key(path) == public_hex(key)

    pem = tmp_path / "public.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert load_public_key(pem) == public_hex(key)


def test_saving_never_overwrites(tmp_path):
    key = generate_key()
    private, public = tmp_path / "root.pem", tmp_path / "root.jwk"
    private.write_bytes(b"precious")
    public.write_bytes(b"precious")
    with pytest.raises(FileExistsError) as raised:
        save_private_key(key, private)
    assert str(private) in str(raised.value)
    with pytest.raises(FileExistsError) as raised:
        save_public_key(public_hex(key), public)
    assert str(public) in str(raised.value)
    assert private.read_bytes() == public.read_bytes() == b"precious"


def test_saving_a_private_key_does_not_follow_a_planted_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    link = tmp_path / "root.pem"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        save_private_key(generate_key(), link)
    assert not target.exists()


def _pem(key, public: bool = False) -> bytes:
    if public:
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _noncanonical(text: str) -> str:
    """Another spelling of the same 32 bytes: 43 base64url characters carry 258 bits, and
    setting the lowest (unused) bit of the last one does not change the decoded bytes."""
    return text[:-1] + _B64URL[_B64URL.index(text[-1]) | 1]


def _public_jwk(key) -> bytes:
    return json.dumps(
        {"kty": "OKP", "crv": "Ed25519", "x": _b64url(bytes.fromhex(public_hex(key)))}
    ).encode()


@pytest.fixture(scope="module")
def bad_key_files() -> dict[str, tuple[bytes, str]]:
    """name: (content, what the message must mention) for every kind of bad key file."""
    ed = generate_key()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    x = _b64url(bytes.fromhex(public_hex(ed)))
    d = _b64url(
        ed.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )
    other_x = _b64url(bytes.fromhex(public_hex(generate_key())))
    jwk = {"kty": "OKP", "crv": "Ed25519"}
    return {
        "empty": (b"", "not a PEM key and not a JSON Web Key"),
        "random": (bytes(range(256))[::-1] * 2, "not a PEM key and not a JSON Web Key"),
        "rsa-pem": (_pem(rsa_key), "not an Ed25519 key"),
        "rsa-traditional-pem": (
            rsa_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ),
            "not an Ed25519 key",
        ),
        "ec-pem": (_pem(ec_key), "not an Ed25519 key"),
        "x25519-pem": (_pem(x25519.X25519PrivateKey.generate()), "not an Ed25519 key"),
        "ed448-pem": (_pem(ed448.Ed448PrivateKey.generate()), "not an Ed25519 key"),
        "encrypted-pem": (
            ed.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"secret"),
            ),
            "PEM",
        ),
        "broken-pem": (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "PEM"),
        "jwk-wrong-kty": (json.dumps({**jwk, "kty": "EC", "x": x, "d": d}).encode(), "kty"),
        "jwk-wrong-crv": (json.dumps({**jwk, "crv": "Ed448", "x": x, "d": d}).encode(), "crv"),
        "jwk-not-an-object": (b'["OKP", "Ed25519"]', "JWK"),
        "jwk-duplicate-key": (b'{"kty": "OKP", "kty": "OKP", "crv": "Ed25519"}', "duplicate key"),
        "jwk-noncanonical-d": (
            json.dumps({**jwk, "d": _noncanonical(d)}).encode(),
            "not canonical base64url",
        ),
        "jwk-padded-d": (json.dumps({**jwk, "d": d + "="}).encode(), "43 base64url characters"),
        "jwk-standard-base64-d": (
            json.dumps({**jwk, "d": "+" + d[1:]}).encode(),
            "43 base64url characters",
        ),
        "jwk-d-not-text": (json.dumps({**jwk, "d": 12}).encode(), "'d'"),
        "jwk-x-not-matching-d": (
            json.dumps({**jwk, "x": other_x, "d": d}).encode(),
            "not the public key",
        ),
        "public-jwk-as-private": (_public_jwk(ed), "public key"),
        "public-pem-as-private": (_pem(ed, public=True), "PEM"),
    }


def test_every_bad_private_key_file_is_a_key_file_error_naming_the_file(bad_key_files, tmp_path):
    for name, (content, mention) in bad_key_files.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(KeyFileError) as raised:
            load_private_key(path)
        message = str(raised.value)
        assert message.startswith(f"{path}: "), (name, message)
        assert mention in message, (name, message)
        assert "\n" not in message, (name, message)


def test_every_bad_public_key_file_is_a_key_file_error_naming_the_file(bad_key_files, tmp_path):
    ed = generate_key()
    cases = {
        name: content
        for name, (content, _) in bad_key_files.items()
        if not name.startswith("public-")
    }
    cases |= {
        "ec-public-pem": _pem(ec.generate_private_key(ec.SECP256R1()), public=True),
        "rsa-public-pem": _pem(
            rsa.generate_private_key(public_exponent=65537, key_size=1024), public=True
        ),
        "jwk-without-x": json.dumps({"kty": "OKP", "crv": "Ed25519"}).encode(),
        "jwk-noncanonical-x": json.dumps(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": _noncanonical(_b64url(bytes.fromhex(public_hex(ed)))),
            }
        ).encode(),
        "jwk-short-x": json.dumps(
            {"kty": "OKP", "crv": "Ed25519", "x": _b64url(bytes.fromhex(public_hex(ed)))[:-1]}
        ).encode(),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(KeyFileError) as raised:
            load_public_key(path)
        assert str(raised.value).startswith(f"{path}: "), (name, str(raised.value))


def test_missing_and_unreadable_key_files(tmp_path):
    missing = tmp_path / "nowhere" / "root.pem"
    for load in (load_private_key, load_public_key):
        with pytest.raises(KeyFileError, match="no such key file") as raised:
            load(missing)
        assert str(missing) in str(raised.value)
        with pytest.raises(KeyFileError, match="cannot read") as raised:
            load(tmp_path)  # a directory
        assert str(tmp_path) in str(raised.value)


@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=200))
def test_arbitrary_bytes_are_a_key_or_a_key_file_error(content, tmp_path_factory):
    path = tmp_path_factory.mktemp("arbitrary") / "key"
    path.write_bytes(content)
    for load in (load_private_key, load_public_key):
        try:
            load(path)
        except KeyFileError as exc:
            assert str(exc).startswith(f"{path}: ")


# -- known defects ---------------------------------------------------------------------------


def test_a_public_jwk_with_a_value_d_is_a_public_key(tmp_path):
    key = generate_key()
    path = tmp_path / "public.jwk"
    path.write_text(
        json.dumps(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "kid": "d",
                "x": _b64url(bytes.fromhex(public_hex(key))),
            }
        )
    )
    assert load_public_key(path) == public_hex(key)


def test_a_private_jwk_whose_x_contradicts_d_is_rejected_by_both_loaders(tmp_path):
    key = generate_key()
    d = _b64url(
        key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )
    other = _b64url(bytes.fromhex(public_hex(generate_key())))
    path = tmp_path / "private.jwk"
    path.write_text(f'{{"kty": "OKP", "crv": "Ed25519", "x": "{other}", "\\u0064": "{d}"}}')
    with pytest.raises(KeyFileError, match="not the public key"):
        load_private_key(path)
    with pytest.raises(KeyFileError):
        load_public_key(path)


def test_public_key_from_hex_accepts_one_spelling_only():
    key = generate_key()
    assert isinstance(public_key_from_hex(public_hex(key)), Ed25519PublicKey)
    for bad in (public_hex(key).upper(), public_hex(key)[:-1], "0x" + public_hex(key)[2:], 7):
        with pytest.raises(ValueError):
            public_key_from_hex(bad)
