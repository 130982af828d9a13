"""Shared fixtures: real photos, a fresh SQLite store per test, services over the real models."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from bot.app import Services, build_services
from bot.config import Settings, load_settings
from inference.pipeline import Pipeline, PipelineConfig
from tests.botapi_standin import TOKEN, BotApiStandIn

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "ccp_sample"
SHARED_DATA = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "test-artifacts"


def run_cli(
    *args: str, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    """`stylebot ARGS` in a fresh process from the project root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=check,
    )


def read_only_database(tmp_path: Path) -> Path:
    """A migrated database copied to tmp_path/ro/ and made read-only (chmod: root still writes)."""
    from storage import Store

    Store(tmp_path / "db.sqlite", tmp_path / "files").close()
    copy = tmp_path / "ro" / "db.sqlite"
    copy.parent.mkdir()
    shutil.copy(tmp_path / "db.sqlite", copy)
    copy.chmod(0o444)
    return copy


def sample_photo_paths() -> list[Path]:
    return sorted((SAMPLE / "photos").glob("*.jpg"))


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    return sample_photo_paths()


@pytest.fixture(scope="session")
def photo_bytes(photo_paths: list[Path]) -> list[bytes]:
    """Real street-style outfit photos (CCP, Apache-2.0), as a user would upload them."""
    return [p.read_bytes() for p in photo_paths]


@pytest.fixture(scope="session")
def huge_photo_bytes() -> bytes:
    """A real 60-megapixel JPEG (a CCP photo scaled up), about 1 MB on disk."""
    image = Image.open(sample_photo_paths()[0]).convert("RGB").resize((9500, 6400))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=30)
    return buf.getvalue()


@pytest.fixture(scope="session")
def corrupt_photo_bytes(photo_bytes: list[bytes]) -> bytes:
    """A JPEG cut off half way, as a broken upload looks."""
    return photo_bytes[0][: len(photo_bytes[0]) // 3]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "ccp" / "masks").is_dir():
        pytest.skip("../shared/data is not here")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_cluster():
    """The session's throwaway PostgreSQL server (tests/postgres.py); skips without one."""
    from tests import postgres

    if postgres.bindir() is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; scripts/test.sh "
                    "installs it)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")
    cluster = postgres.Cluster(postgres.bindir()).start()
    yield cluster
    cluster.stop()


def _fresh_database(request: pytest.FixtureRequest, tmp_path: Path, migrated: bool):
    if request.param == "sqlite":
        yield tmp_path / "db.sqlite"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database(migrated)
    yield url
    cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path):
    """Where a fresh store lives: an SQLite file, or a new database on the session's server
    (a copy of one already migrated)."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):
    """As `database`, the PostgreSQL one empty too: the store's first start migrates it."""
    yield from _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The real default models, loaded once for the whole run."""
    return Pipeline(PipelineConfig())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        None, storage__database=str(tmp_path / "stylebot.db"),
        storage__files_dir=str(tmp_path / "files"),
        catalog__index_dir=str(tmp_path / "catalog"),
        catalog__images_dir=str(tmp_path / "catalog-images"),
        # The models in this process, loaded once for the run (`pipeline`); the worker
        # processes are tested in tests/inference/test_process_runner.py and by every test
        # that starts a real server (bench.probe.Server).
        inference__processes=0,
    )


@pytest.fixture
def services(settings: Settings, pipeline: Pipeline) -> Services:
    """Fresh database and files per test, sharing the session's loaded models."""
    svc = build_services(settings, pipeline)
    yield svc
    svc.close()


@pytest.fixture
async def api() -> BotApiStandIn:
    """A local Bot API stand-in over HTTP on 127.0.0.1, fresh per test."""
    standin = await BotApiStandIn().start()
    yield standin
    await standin.close()


@pytest.fixture
def tg_settings(settings: Settings, api: BotApiStandIn) -> Settings:
    """Settings that point the real python-telegram-bot at the stand-in."""
    settings.telegram.token = SecretStr(TOKEN)
    settings.telegram.base_url = api.base_url
    settings.telegram.base_file_url = api.base_file_url
    return settings


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
