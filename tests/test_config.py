from pathlib import Path

import pytest

from qa.config import OFFLINE_EMBEDDER, load_settings
from qa.errors import ConfigError


def test_defaults_work_offline(tmp_path: Path) -> None:
    settings = load_settings(config_file=tmp_path / "absent.toml", env={})
    assert settings.embed_model == OFFLINE_EMBEDDER
    assert not settings.llm_configured


def test_environment_overrides_config_file(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text('llm_model = "qwen2.5"\nmax_question_chars = 500\n', encoding="utf-8")
    env = {"QA_CONFIG": str(config), "QA_MAX_QUESTION_CHARS": "800", "QA_INDEX_DIR": str(tmp_path / "idx")}
    settings = load_settings(env=env)
    assert settings.llm_model == "qwen2.5"
    assert settings.max_question_chars == 800
    assert settings.index_dir == tmp_path / "idx"


def test_secrets_are_masked(tmp_path: Path) -> None:
    env = {"QA_LLM_API_KEY": "sk-secret", "QA_USERS": "a:b", "QA_CONFIG": str(tmp_path / "none.toml")}
    masked = load_settings(env=env).masked()
    assert masked["llm_api_key"] == "***"
    assert masked["users"] == "***"
    assert "sk-secret" not in str(masked)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("max_question_chars = 0\n", "应大于 0"),
        ("no_such_setting = 1\n", "未知的设置"),
        ("this is not toml", "不是有效的 TOML"),
        ('max_question_chars = "many"\n', "应为 int 类型"),
    ],
)
def test_bad_config_gives_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "qa.toml"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(env={"QA_CONFIG": str(config)})


def test_default_folders_are_the_working_directorys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed package (pip install .) lives in site-packages: its folders are where the user runs it."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert (settings.index_dir, settings.seeds_dir, settings.data_dir, settings.eval_dir) == (
        tmp_path / "index",
        tmp_path / "seeds",
        tmp_path / "data",
        tmp_path / "eval",
    )
    (tmp_path / "qa.toml").write_text('seeds_dir = "docs"\n', encoding="utf-8")  # ./qa.toml is read from here too
    settings = load_settings(env={"QA_INDEX_DIR": "work/idx"})
    assert settings.seeds_dir == tmp_path / "docs"
    assert settings.index_dir == tmp_path / "work" / "idx"
    monkeypatch.chdir(tmp_path / "..")
    assert settings.index_dir == tmp_path / "work" / "idx"  # resolved once, when the settings were made


def test_packaged_prompts_load_with_or_without_suffix() -> None:
    from qa.config import load_prompt

    assert load_prompt("draft_llm") == load_prompt("draft_llm.txt")
    assert "{asks}" in load_prompt("draft_llm")
    with pytest.raises(ConfigError, match=r"缺少提示词文件 qa/prompts/no_such_prompt\.txt"):
        load_prompt("no_such_prompt")


def test_ingest_limits_have_defaults_and_read_the_environment(tmp_path: Path) -> None:
    none = str(tmp_path / "none.toml")
    defaults = load_settings(env={"QA_CONFIG": none})
    assert (defaults.max_unpacked_mb, defaults.max_archive_entries, defaults.max_pdf_pages) == (100, 2000, 1000)
    assert defaults.max_upload_chars == 2_000_000
    env = {
        "QA_CONFIG": none,
        "QA_MAX_UNPACKED_MB": "20",
        "QA_MAX_ARCHIVE_ENTRIES": "300",
        "QA_MAX_PDF_PAGES": "50",
        "QA_MAX_UPLOAD_CHARS": "500000",
    }
    settings = load_settings(env=env)
    assert (settings.max_unpacked_mb, settings.max_archive_entries, settings.max_pdf_pages) == (20, 300, 50)
    assert settings.max_upload_chars == 500_000
    listed = settings.masked()  # what `qa config` prints
    assert listed["max_unpacked_mb"] == "20" and listed["max_upload_chars"] == "500000"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("QA_MAX_UNPACKED_MB", "0", "QA_MAX_UNPACKED_MB 应大于 0"),
        ("QA_MAX_ARCHIVE_ENTRIES", "-1", "QA_MAX_ARCHIVE_ENTRIES 应大于 0"),
        ("QA_MAX_PDF_PAGES", "0", "QA_MAX_PDF_PAGES 应大于 0"),
        ("QA_MAX_UPLOAD_CHARS", "lots", "max_upload_chars 应为 int 类型"),
    ],
)
def test_bad_ingest_limit_gives_a_clear_error(tmp_path: Path, variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env={"QA_CONFIG": str(tmp_path / "none.toml"), variable: value})
