"""Settings: validation names the bad key, the environment wins, the token stays secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_default_config_file_is_valid() -> None:
    settings = load_settings()
    assert settings.web.host == "127.0.0.1"
    assert settings.inference.parser == "lite0-fpn"


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STYLEBOT_WEB__PORT", "9123")
    monkeypatch.setenv("STYLEBOT_TELEGRAM__TOKEN", "123:secret-token")
    settings = load_settings()
    assert settings.web.port == 9123
    assert settings.telegram.token.get_secret_value() == "123:secret-token"
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings.telegram)


def test_bad_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("web:\n  port: not-a-number\n")
    with pytest.raises(ConfigError, match=r"web\.port"):
        load_settings(path)
    path.write_text("storage:\n  databse: x.db\n")  # a typo is an error, not silently ignored
    with pytest.raises(ConfigError, match=r"storage\.databse"):
        load_settings(path)


def test_token_in_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("telegram:\n  token: '123:abc'\n")
    with pytest.raises(ConfigError, match="STYLEBOT_TELEGRAM__TOKEN"):
        load_settings(path)


def test_rate_limit_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    telegram = load_settings().telegram
    assert (telegram.rate_burst, telegram.rate_refill_per_second, telegram.photo_cost,
            telegram.button_cost) == (12, 0.5, 3, 0.5)
    monkeypatch.setenv("STYLEBOT_TELEGRAM__RATE_BURST", "30")
    assert load_settings().telegram.rate_burst == 30
    path = tmp_path / "config.yaml"
    path.write_text("telegram:\n  rate_limit_per_minute: 20\n")  # the old key, replaced
    with pytest.raises(ConfigError, match=r"telegram\.rate_limit_per_minute"):
        load_settings(path)


def test_conversation_llm_is_off_by_default_and_built_from_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inference.text.llm import OpenAIChat, TransformersChat, create_chat_backend

    settings = load_settings()
    assert settings.conversation.llm == "none" and settings.conversation.llm_timeout_seconds == 8
    assert create_chat_backend(settings.conversation) is None  # offline by default
    monkeypatch.setenv("STYLEBOT_CONVERSATION__LLM_API_KEY", "sk-local")
    ollama = load_settings(conversation__llm="openai",
                           conversation__llm_url="http://127.0.0.1:11434",
                           conversation__llm_model="llama3.2")
    backend = create_chat_backend(ollama.conversation)
    assert isinstance(backend, OpenAIChat) and backend.model == "llama3.2"
    assert backend.endpoint == "http://127.0.0.1:11434/v1/chat/completions"
    assert backend.api_key == "sk-local" and "sk-local" not in repr(ollama)
    local = load_settings(conversation__llm="transformers", conversation__llm_model="some/model")
    assert isinstance(create_chat_backend(local.conversation), TransformersChat)
    path = tmp_path / "config.yaml"
    path.write_text("conversation:\n  llm: gpt\n")
    with pytest.raises(ConfigError, match=r"conversation\.llm"):
        load_settings(path)
    path.write_text("conversation:\n  llm_api_key: sk-x\n")
    with pytest.raises(ConfigError, match="STYLEBOT_CONVERSATION__LLM_API_KEY"):
        load_settings(path)


def test_storage_url_chooses_postgresql_and_keeps_its_password_secret(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().storage.target == Path("var/stylebot.db")  # SQLite by default
    url = "postgresql://stylebot:pg-secret@db.example.org/stylebot"
    monkeypatch.setenv("STYLEBOT_STORAGE__URL", url)
    settings = load_settings()
    assert settings.storage.target == url and "pg-secret" not in repr(settings)
    monkeypatch.setenv("STYLEBOT_STORAGE__URL", "mysql://u:pg-secret@db.example.org/stylebot")
    with pytest.raises(ConfigError, match=r"storage\.url") as raised:
        load_settings()
    assert "pg-secret" not in str(raised.value)


def test_inference_serve_takes_ray_addresses_only(tmp_path: Path) -> None:
    for address in ("", "auto", "ray://head:10001", "10.0.0.5:6379"):
        assert load_settings(None, inference__serve=address).inference.serve == address
    path = tmp_path / "config.yaml"
    path.write_text("inference:\n  serve: http://head:8000\n")  # not supported yet: said at start
    with pytest.raises(ConfigError, match=r"inference\.serve"):
        load_settings(path)
