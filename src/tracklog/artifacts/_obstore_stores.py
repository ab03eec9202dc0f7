"""obstore stores configured like the fsspec filesystems (same settings, same credential chains).

Each builder takes the options the repository gave its fsspec filesystem and
returns an :class:`~tracklog.artifacts._obstore.ObjectIO`, or None when obstore
is off or missing or the settings are ones it cannot express (the repository
then moves bytes through fsspec). Credentials that the SDKs resolve (the AWS
chain with profiles, SSO and roles; ``DefaultAzureCredential``; Google's
default credentials) reach obstore through credential providers that call the
SDKs, so both paths authenticate the same way.

Stores are cached per process by their arguments and the environment they
read (like fsspec's instance cache): a repository is often built per call (a
client's ``log_artifact``, a server request on a direct-mode run), while
building a store resolves credentials (profile files, a token request).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from tracklog.artifacts._obstore import ObjectIO, obstore_enabled

if TYPE_CHECKING:
    from obstore.store import AzureConfig, ClientConfig, GCSConfig, S3Config, S3Credential

__all__ = ["azure_object_io", "gcs_object_io", "optional_object_io", "s3_object_io"]

_REFRESH = timedelta(minutes=5)
log = logging.getLogger(__name__)


_ENV_PREFIXES = ("AWS_", "MLFLOW_S3_", "AZURE_", "GOOGLE_", "STORAGE_EMULATOR_HOST", "TRACKLOG_ARTIFACTS_OBSTORE")
_CACHE_SIZE = 32


class _StoreCache:
    """A small LRU of built ``ObjectIO``s (and of failures, as None), keyed by arguments and environment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, ObjectIO | None] = OrderedDict()

    def get(self, builder: Callable[..., ObjectIO | None], args: tuple[Any, ...]) -> ObjectIO | None:
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES))
        key = repr((builder.__qualname__, args, env))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        built = _build(builder, args)
        with self._lock:
            self._items[key] = built
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)
        return built


def _build(builder: Callable[..., ObjectIO | None], args: tuple[Any, ...]) -> ObjectIO | None:
    try:
        return builder(*args)
    except Exception as exc:  # noqa: BLE001 - e.g. no default credentials: fsspec reports it on use
        log.info("obstore not used for this store (%s); using fsspec", exc)
        return None


_cache = _StoreCache()


def optional_object_io(builder: Callable[..., ObjectIO | None], *args: Any) -> ObjectIO | None:
    """``builder(*args)`` (cached), or None (fsspec moves the bytes) if obstore cannot be set up here."""
    return _cache.get(builder, args)


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _client_options(endpoint: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {"allow_http": bool(endpoint and endpoint.startswith("http://"))}
    return options


# -- S3 -------------------------------------------------------------------------------


class _BotocoreCredentials:
    """obstore credential provider backed by botocore's chain (env, profiles, SSO, roles, IMDS)."""

    def __init__(self, profile: str | None = None) -> None:
        import botocore.session

        self._session = botocore.session.Session(profile=profile)

    def __call__(self) -> S3Credential:
        credentials = self._session.get_credentials()
        if credentials is None:
            raise RuntimeError("No AWS credentials found")
        frozen = credentials.get_frozen_credentials()
        refreshable = hasattr(credentials, "refresh_needed")
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": datetime.now(UTC) + _REFRESH if refreshable else None,
        }

    def region(self) -> str | None:
        region = self._session.get_config_variable("region")
        return str(region) if region else None


def s3_object_io(bucket: str, options: dict[str, Any]) -> ObjectIO | None:
    """obstore for ``bucket`` with the settings of ``tracklog.artifacts.s3.s3_filesystem(**options)``."""
    if not obstore_enabled():
        return None
    from obstore.store import S3Store

    client_kwargs = dict(options.get("client_kwargs") or {})
    endpoint = (
        os.environ.get("MLFLOW_S3_ENDPOINT_URL")
        or options.get("endpoint_url")
        or client_kwargs.get("endpoint_url")
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    config: dict[str, Any] = {}
    provider: _BotocoreCredentials | None = None
    if options.get("key") and options.get("secret"):
        config.update(access_key_id=options["key"], secret_access_key=options["secret"])
        if options.get("token"):
            config["token"] = options["token"]
    elif options.get("anon"):
        config["skip_signature"] = True
    else:
        provider = _BotocoreCredentials(options.get("profile"))
    region = client_kwargs.get("region_name") or (provider.region() if provider else None)
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config["region"] = region
    client = _client_options(endpoint)
    if endpoint:
        config["endpoint"] = endpoint
        config["virtual_hosted_style_request"] = os.environ.get("MLFLOW_S3_ADDRESSING_STYLE", "path") == "virtual"
    if _truthy("MLFLOW_S3_IGNORE_TLS") or client_kwargs.get("verify") is False:
        client["allow_invalid_certificates"] = True
    store = S3Store(
        bucket,
        config=cast("S3Config", config),
        client_options=cast("ClientConfig", client),
        credential_provider=provider,
    )
    return ObjectIO(store)


# -- Azure ----------------------------------------------------------------------------


def parse_connection_string(value: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in value.split(";") if "=" in part)


def azure_object_io(container: str, account: str | None, options: dict[str, Any]) -> ObjectIO | None:
    """obstore for ``container`` with the credentials the adlfs filesystem was given."""
    if not obstore_enabled():
        return None
    from obstore.store import AzureStore

    config: dict[str, Any] = {}
    provider: Any = None
    endpoint: str | None = None
    if options.get("connection_string"):
        fields = parse_connection_string(str(options["connection_string"]))
        account = fields.get("AccountName") or account
        endpoint = fields.get("BlobEndpoint")
        if fields.get("AccountKey"):
            config["account_key"] = fields["AccountKey"]
        elif fields.get("SharedAccessSignature"):
            config["sas_key"] = fields["SharedAccessSignature"]
        else:
            return None  # e.g. UseDevelopmentStorage=true: leave it to adlfs
    elif options.get("account_key"):
        config["account_key"] = options["account_key"]
    elif options.get("sas_token"):
        config["sas_key"] = str(options["sas_token"]).lstrip("?")
    elif options.get("anon") is True:
        config["skip_signature"] = True
    else:
        from obstore.auth.azure import AzureCredentialProvider

        provider = AzureCredentialProvider()  # DefaultAzureCredential (sync), tokens cached by it
    if not account:
        return None
    config["account_name"] = account
    if endpoint:
        config["endpoint"] = endpoint.rstrip("/")
    store = AzureStore(
        container,
        config=cast("AzureConfig", config),
        client_options=cast("ClientConfig", _client_options(endpoint)),
        credential_provider=provider,
    )
    return ObjectIO(store)


# -- GCS ------------------------------------------------------------------------------


def gcs_object_io(bucket: str, options: dict[str, Any]) -> ObjectIO | None:
    """obstore reads for ``bucket``; uploads stay on gcsfs (see ``ObjectIO``)."""
    if not obstore_enabled():
        return None
    from obstore.store import GCSStore

    endpoint = str(options.get("endpoint_url") or "")
    config: dict[str, Any] = {}
    provider: Any = None
    if endpoint and not endpoint.startswith("https://storage.googleapis.com"):
        # An emulator: no OAuth (any bearer token is accepted), its own base URL.
        config.update(base_url=endpoint.rstrip("/"), bearer_token="emulator")
    elif options.get("token") == "anon":
        config["skip_signature"] = True
    elif isinstance(options.get("token"), str) and os.path.isfile(str(options["token"])):
        config["service_account_path"] = options["token"]
    elif options.get("token") is None:
        from obstore.auth.google import GoogleCredentialProvider

        provider = GoogleCredentialProvider()  # google.auth.default(): ADC, metadata server, ...
    else:
        return None  # other gcsfs token forms: keep everything on gcsfs
    store = GCSStore(
        bucket,
        config=cast("GCSConfig", config),
        client_options=cast("ClientConfig", _client_options(endpoint)),
        credential_provider=provider,
    )
    return ObjectIO(store, writes=False)
