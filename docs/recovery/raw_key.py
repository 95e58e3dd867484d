"""社協デスク：復旧キーと keys.json から、データベース（shakyo.db）の鍵を表示します。

社協デスクのアプリがなくても、Python 3 と cryptography だけで動きます。
使い方（docs/install.md 13章）:

    python3 raw_key.py keys.json            （復旧キーを聞かれます）
    python3 raw_key.py keys.json --pragma   （sqlcipher に渡す1行だけを表示）

復旧キーは環境変数 SHAKYO_RECOVERY_KEY からも読みます。表示される鍵があれば、誰でも記録を
読めます。インターネットにつながっていないパソコンで使い、鍵をファイルに保存しないでください。

Reads both key file formats: format 1 (the data key wrapped with AES-256-GCM under a key that
HKDF-SHA256 derives from the recovery key) and format 2 (an X25519 key pair derived from the
recovery key with HKDF-SHA256; the data key sealed to it with an ephemeral X25519 exchange,
HKDF-SHA256 and AES-256-GCM). The associated data is "shakyo-desk:<store_id>:recovery".
"""

import argparse
import base64
import getpass
import json
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # the printed key: 30 characters, in groups of 5


def b64(text):
    return base64.b64decode(text.encode("ascii"), validate=True)


def hkdf(secret, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def normalise(recovery_key):
    """As the app reads it: any case, hyphens and spaces ignored, O read as 0, I and L as 1."""
    cleaned = "".join(ch for ch in recovery_key.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != 30 or any(ch not in ALPHABET for ch in cleaned):
        raise SystemExit("復旧キーの形式が正しくありません。印刷した30文字の復旧キーを入力してください。")
    return cleaned.encode("ascii")


def data_key(key_file, recovery_key):
    store_id = key_file["store_id"]
    entry = key_file.get("recovery") or {}
    aad = f"shakyo-desk:{store_id}:recovery".encode("utf-8")
    secret = normalise(recovery_key)
    if entry.get("renew") or entry.get("reset_needed") or not entry:
        raise SystemExit("この keys.json には、復旧キーで開ける鍵が入っていません（鍵を作り直したあと、"
                         "新しい復旧キーが作られていません）。バックアップの keys.json を試してください。")
    salt = b64(entry["kdf"]["salt"])
    try:
        if "sealed" in entry:  # format 2
            private = X25519PrivateKey.from_private_bytes(hkdf(secret, salt, b"shakyo-desk recovery x25519"))
            public = private.public_key().public_bytes_raw()
            if public != b64(entry["public"]):
                raise InvalidTag()
            sealed = entry["sealed"]
            ephemeral = b64(sealed["ephemeral"])
            shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
            key = hkdf(shared, ephemeral + public, b"shakyo-desk sealed data key v2")
            return AESGCM(key).decrypt(b64(sealed["nonce"]), b64(sealed["wrapped"]), aad)
        key = hkdf(secret, salt, b"shakyo-desk recovery")  # format 1
        return AESGCM(key).decrypt(b64(entry["nonce"]), b64(entry["wrapped"]), aad)
    except InvalidTag:
        raise SystemExit("復旧キーが違います。印刷した復旧キーをもう一度確かめてください。") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description="復旧キーと keys.json から、shakyo.db の鍵（64桁の16進数）を表示します。")
    parser.add_argument("keys_json", help="データのフォルダにある keys.json")
    parser.add_argument("--pragma", action="store_true", help="sqlcipher に渡す PRAGMA key の1行だけを表示する")
    args = parser.parse_args(argv)
    try:
        with open(args.keys_json, encoding="utf-8") as handle:
            key_file = json.load(handle)
    except (OSError, ValueError) as error:
        raise SystemExit(f"keys.json を読めませんでした（{error}）。ファイルの場所を確かめてください。") from None
    recovery_key = os.environ.get("SHAKYO_RECOVERY_KEY") or getpass.getpass("復旧キー: ")
    hex_key = data_key(key_file, recovery_key).hex()
    if args.pragma:
        print(f"PRAGMA key = \"x'{hex_key}'\";")
        return 0
    print("データベースの鍵（64桁の16進数）:")
    print(hex_key)
    print()
    print("DB Browser for SQLite では「生のキー（Raw key）」を選び、次のとおり入力します:")
    print("0x" + hex_key)
    print()
    print("sqlcipher では、データベースを開いたあと最初に次の1行を入力します:")
    print(f"PRAGMA key = \"x'{hex_key}'\";")
    return 0


if __name__ == "__main__":
    sys.exit(main())
