"""Settings: config.yaml validated at start-up, every key overridable from the environment.

Environment variables win over the file: `STYLEBOT_WEB__PORT=9000`, `STYLEBOT_TELEGRAM__TOKEN=…`.
The Telegram token is only ever read from the environment (also `TELEGRAM_BOT_TOKEN`), held as a
SecretStr so it never appears in logs or reprs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(Section):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    # Per-user token bucket (bot/chat/ratelimit.py): `rate_burst` tokens, refilled at
    # `rate_refill_per_second`; a text costs 1, a photo `photo_cost`, a button `button_cost`.
    rate_burst: float = Field(12, ge=1)
    rate_refill_per_second: float = Field(0.5, gt=0)
    photo_cost: float = Field(3, ge=0)
    button_cost: float = Field(0.5, ge=0)
    album_wait_seconds: float = Field(1.5, gt=0)
    poll_timeout_seconds: int = Field(10, ge=0)
    # `stylebot run` also serves the web chat (web.host:port) in the same process: one copy of
    # the models and one store for both channels.
    web_chat_too: bool = False


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_upload_mb: float = Field(20, gt=0)
    history_messages: int = Field(200, ge=0)  # kept per user, so a reload shows the chat again
    # an upload that sends nothing for this long is answered 408 (a stalled client holds a
    # connection and its buffers until then); idle time, so a slow but moving upload finishes
    upload_timeout_seconds: float = Field(30, gt=0)
    # Per client address, in front of the per-user bucket (same costs): cookie-less floods from
    # one address are throttled. The address is the peer's, or X-Forwarded-For's only when the
    # peer is one of `trusted_proxies`.
    address_burst: float = Field(36, ge=1)
    address_refill_per_second: float = Field(1.5, gt=0)
    trusted_proxies: list[str] = []
    # Names the chat may be reached by besides IP addresses, localhost and `host` ("*": any).
    # Another Host is refused, so a web page whose name was rebound to 127.0.0.1 (DNS
    # rebinding) cannot talk to the chat as the person whose browser opened it.
    allowed_hosts: list[str] = []
    # Pictures and files waiting to be fetched: `blob_cache_mb` in all, a session at most
    # `blob_session_share` of it (one big /export never evicts everyone's pictures).
    blob_cache_mb: float = Field(96, gt=0)
    blob_session_share: float = Field(0.25, gt=0, le=1)


class StorageSettings(Section):
    database: Path = Path("var/stylebot.db")
    # postgresql://user:password@host/db: PostgreSQL instead of the SQLite file `database`
    # (the `postgres` extra); a SecretStr, so a password in it never reaches logs or reprs.
    url: SecretStr | None = None
    files_dir: Path = Path("var/files")
    keep_photos_default: bool = False
    # Kept photos per user on disk (re-encoded JPEGs); over it the oldest ones are dropped.
    photo_quota_mb: float = Field(100, gt=0)
    kept_jpeg_quality: int = Field(90, ge=50, le=100)

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
                ("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value

    @property
    def target(self) -> Path | str:
        """What the store opens: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.url.get_secret_value() if self.url else self.database


def _default_processes() -> int:
    cores = os.cpu_count() or 1
    return min(cores, 4) if cores > 1 else 0


class InferenceSettings(Section):
    parser: str = "lite0-fpn"
    embedder: str = "lite0"
    comments: str = "templates"
    # One model thread per core, one thread in each model call: while one photo is in the
    # network, another's colours, pictures and suggestion (numpy, Python) use the other core.
    # With worker processes (below) these threads run the rest: searches, grids, charts.
    threads: int = Field(1, ge=1)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # Model jobs that may wait behind the running ones; more get "busy" (the web: HTTP 503).
    # Users are served in turns, so a long queue delays each by one job per other user.
    max_queue: int = Field(default_factory=lambda: 16 * (os.cpu_count() or 1), ge=0)
    # Photos from several users that wait together are parsed as one batch of at most this,
    # gathered for at most batch_wait_ms once the first is taken. 1 on a CPU: the bundled
    # parser in ONNX Runtime takes 34 ms a photo alone, 38 ms a photo in fours, and a batch of
    # four holds 170 MB more (10 users, 2 worker processes: 15.9 photos/s and a peak of 809 MB
    # at 1, 15.5 and 1,170 MB at 4). Batches pay where one call costs much more than one image
    # (a GPU, the hub backends).
    max_batch: int = Field(1, ge=1)
    batch_wait_ms: float = Field(5, ge=0)
    max_pixels: int = Field(40_000_000, ge=1_000_000)
    # Worker processes for the per-photo steps (parse, comments, diary embedding, pictures,
    # suggestion), each with its own models (about 230 MB under load); 0 runs them in the model
    # threads above. Threads share Python's interpreter lock, which held a photo reply's Python
    # stages to one core at a time: on 2 cores with 10 users, 15.5-15.9 photos/s with two
    # processes against 12.7-13.0 in threads (inference/serve/processes.py; bench.throughput,
    # BENCHMARKS.md "Throughput"). Default: one per core, at most 4; none on one core.
    processes: int = Field(default_factory=_default_processes, ge=0)
    # "" runs the models in this process. A Ray address ("ray://head:10001", or "auto" / a GCS
    # "host:6379" to join as a driver) sends parsing, embeddings, comments and Style Check to the
    # Ray Serve deployments `stylebot serve-inference` started (the `ray` extra). An http://
    # address of a Serve app is not supported yet: refused here rather than failing at a photo.
    serve: str = Field("", pattern=r"^(|auto|ray://\S+|[\w.-]+:\d+)$")
    serve_replicas: int = Field(1, ge=1)  # per deployment, one CPU each
    serve_timeout_s: float = Field(10, gt=0)  # one call's wait for its answer
    serve_retries: int = Field(2, ge=0)  # more tries after a timeout or a lost replica
    hub_models: dict[str, str] = {
        "segformer-clothes": "mattmdjaga/segformer_b2_clothes",
        "fashion-clip": "patrickjohncyh/fashion-clip",
        "causal-lm": "HuggingFaceTB/SmolLM2-135M-Instruct",
    }


class CatalogSettings(Section):
    """The shop catalogue ("where can I buy this") and its Annoy index."""

    index_dir: Path = Path("var/catalog")
    images_dir: Path = Path("var/catalog/images")  # images downloaded from feed URLs
    demo_at_first_start: bool = True  # import and index the bundled demo catalogue if empty
    annoy_trees: int = Field(40, ge=1, le=500)
    results_per_page: int = Field(6, ge=1, le=10)  # a 3 x 2 grid picture
    download_concurrency: int = Field(8, ge=1, le=64)
    download_timeout_seconds: float = Field(20, gt=0)
    download_retries: int = Field(3, ge=0, le=10)


class DialogSettings(Section):
    pair_window_seconds: float = Field(60, ge=0)
    max_text_chars: int = Field(2000, ge=1)
    # parsed photos held in memory for pairing, cut-outs and "show it in navy" (about 2 MB each):
    # the oldest go first past this total, whoever they belong to
    recent_photos_mb: float = Field(256, gt=0)


class PrivacySettings(Section):
    ask_before_keeping_photos: bool = True
    export_includes_photos: bool = True


class DiarySettings(Section):
    """Daily reminders and the weekly summary (sent by the Telegram channel's JobQueue)."""

    reminder_tick_seconds: float = Field(30, gt=0)  # how often due reminders are looked for
    reminder_grace_minutes: int = Field(180, ge=1)  # a reminder missed by longer is skipped
    weekly_default_day: int = Field(6, ge=0, le=6)  # 0 Monday ... 6 Sunday
    weekly_time: str = Field("18:00", pattern=r"^\d{2}:\d{2}$")  # when there is no daily time
    repeat_lookback_days: int = Field(90, ge=1)  # "you wore this on ..." looks this far back


class ConversationSettings(Section):
    """Free-text conversation. `llm` picks the optional language model for open-ended questions
    (inference/text/llm.py): none (the default: fully offline, answers from prompts/ only),
    openai (any OpenAI-compatible server: llama.cpp, Ollama, vLLM) or transformers (in-process)."""

    llm: Literal["none", "openai", "transformers"] = "none"
    llm_url: str = "http://127.0.0.1:8000"  # the server's base URL (a trailing /v1 is fine)
    llm_model: str = "local"  # the server's model name, or a transformers model id / path
    llm_api_key: SecretStr | None = None  # environment only: STYLEBOT_CONVERSATION__LLM_API_KEY
    llm_timeout_seconds: float = Field(8.0, gt=0)
    llm_max_tokens: int = Field(160, ge=1, le=4096)


class WorkersSettings(Section):
    """Several bot processes on one database (docs/scaling.md): with `shared`, what a user's next
    message needs (recent photos, web pictures, rate limits, album parts) is kept in the store,
    so any worker can answer it; off, it stays in memory (one process: the embedded default)."""

    shared: bool = False
    recent_photo_minutes: float = Field(60, gt=0)  # a photo's working-size copy, then dropped
    blob_minutes: float = Field(60, gt=0)  # web pictures and files waiting to be fetched


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STYLEBOT_", env_nested_delimiter="__", extra="forbid"
    )
    telegram: TelegramSettings = TelegramSettings()
    web: WebSettings = WebSettings()
    storage: StorageSettings = StorageSettings()
    inference: InferenceSettings = InferenceSettings()
    catalog: CatalogSettings = CatalogSettings()
    dialog: DialogSettings = DialogSettings()
    privacy: PrivacySettings = PrivacySettings()
    diary: DiarySettings = DiarySettings()
    conversation: ConversationSettings = ConversationSettings()
    workers: WorkersSettings = WorkersSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("telegram")
    @classmethod
    def _token_from_env(cls, value: TelegramSettings) -> TelegramSettings:
        if value.token is None and os.environ.get("TELEGRAM_BOT_TOKEN"):
            value.token = SecretStr(os.environ["TELEGRAM_BOT_TOKEN"])
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first, so it overrides what config.yaml (passed as init kwargs) says.
        return env_settings, init_settings


class ConfigError(ValueError):
    """config.yaml or the environment holds a bad setting; the message names the key."""


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read and validate config.yaml (or `path`), then apply the environment and overrides."""
    path = path or Path(os.environ.get("STYLEBOT_CONFIG", DEFAULT_CONFIG))
    data: dict[str, Any] = {}
    if path.exists():
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of sections")
        if (data.get("telegram") or {}).get("token"):
            raise ConfigError(
                f"{path}: telegram.token must not be in the file; set STYLEBOT_TELEGRAM__TOKEN"
            )
        if (data.get("conversation") or {}).get("llm_api_key"):
            raise ConfigError(
                f"{path}: conversation.llm_api_key must not be in the file; "
                "set STYLEBOT_CONVERSATION__LLM_API_KEY"
            )
    for dotted, value in overrides.items():
        section, _, key = dotted.partition("__")
        data.setdefault(section, {})[key] = value
    try:
        return Settings(**data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"bad setting in {path} or the environment: {problems}") from None
