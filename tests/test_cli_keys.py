"""`qa keys`: create prints the key once and stores only its hash; list and revoke; errors in Chinese, no traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def qa(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"QA_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "QA_CONFIG": str(tmp_path / "none.toml")}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], capture_output=True, text=True, env=env, cwd=tmp_path
    )


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    made = qa(tmp_path, "keys", "create", "张红")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("qa-") and "只显示这一次" in made.stderr
    stored = sqlite3.connect(tmp_path / "data" / "qa.sqlite3").execute("SELECT * FROM api_keys").fetchall()
    assert token not in str(stored)
    listed = qa(tmp_path, "keys", "list")
    assert "张红" in listed.stdout and token[:10] in listed.stdout and token not in listed.stdout
    assert qa(tmp_path, "keys", "revoke", "张红").stdout.strip() == "已吊销 1 个密钥"
    again = qa(tmp_path, "keys", "revoke", "张红")
    assert again.returncode == 1 and "没有找到" in again.stderr and "Traceback" not in again.stderr
