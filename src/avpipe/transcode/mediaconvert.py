"""The AWS Elemental MediaConvert backend: ``CreateJob`` with retries and mapped errors.

The request is the one planning built from ``job.json`` (Role, UserMetadata and, for
uploads with an ETag, a ``ClientRequestToken``); this backend adds the queue, sends it,
and returns the job id. Completion arrives later as an EventBridge "MediaConvert Job
State Change" event, handled by :func:`avpipe.pipeline.job_state_change.job_state_change`.

Throttling (``TooManyRequestsException``), server errors and dropped connections are
retried with exponential backoff and full jitter; resending is safe because the request
token makes CreateJob idempotent. Other errors are mapped to avpipe's categories:

==============================  ==========================================================
MediaConvert says               avpipe raises
==============================  ==========================================================
BadRequestException             ConfigurationError: the request comes from the operator's
                                job template; BadInputError when MediaConvert names the
                                input (``FileInput`` / input file), the upload's own fault
ForbiddenException              ConfigurationError (role, ``iam:PassRole``, permissions)
NotFoundException               ConfigurationError (queue, endpoint, template)
ConflictException               ConfigurationError (a token reused with another request)
ServiceQuotaExceededException   TransientError (later may work; no immediate retry)
throttling / 5xx, exhausted     TransientError
client-side validation failure  ConfigurationError (the template does not fit the API)
==============================  ==========================================================
"""

from __future__ import annotations

import copy
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any

from avpipe.errors import AvpipeError, BadInputError, ConfigurationError, TransientError
from avpipe.retrying import RetryPolicy

log = logging.getLogger(__name__)

RETRYABLE_CODES = frozenset({
    "TooManyRequestsException", "InternalServerErrorException", "ThrottlingException", "Throttling",
    "RequestLimitExceeded", "ServiceUnavailable", "SlowDown",
})
CONFIGURATION_CODES = frozenset({"ForbiddenException", "NotFoundException", "ConflictException",
                                 "AccessDeniedException", "UnrecognizedClientException"})
_INPUT_MENTION = re.compile(r"FileInput|input file", re.IGNORECASE)


# throttled CreateJob calls: full jitter, attempt n waits uniform(0, min(20, 0.5 * 2**n)) s
CREATE_JOB_RETRY = RetryPolicy(attempts=6, base_s=0.5, cap_s=20.0)


class MediaConvertTranscoder:
    """Submits CreateJob requests to MediaConvert through an injected boto3 client."""

    name = "mediaconvert"

    def __init__(
        self,
        client: Any,
        *,
        queue: str | None = None,
        retry: RetryPolicy = CREATE_JOB_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.queue = queue
        self.retry = retry
        self.sleep = sleep
        self.jitter = jitter

    def job_parameters(self, request: dict[str, Any]) -> dict[str, Any]:
        """The CreateJob parameters for ``request`` (a copy, with the queue when one is set)."""
        params = copy.deepcopy(request)
        if self.queue:
            params["Queue"] = self.queue
        return params

    def submit(self, request: dict[str, Any]) -> str:
        params = self.job_parameters(request)
        response = self._create_job(params)
        job_id = str(response["Job"]["Id"])
        log.info("MediaConvert job %s created for %s", job_id, params["Settings"]["Inputs"][0].get("FileInput"))
        return job_id

    def _create_job(self, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(self.retry.attempts):
            try:
                response: dict[str, Any] = self.client.create_job(**params)
                return response
            except Exception as exc:  # noqa: BLE001 - translated or re-raised just below
                error = translate_error(exc)
                if not _retryable(exc) or attempt == self.retry.attempts - 1:
                    raise error from exc
                wait = self.retry.delay(attempt, self.jitter())
                log.warning("CreateJob attempt %d failed (%s); retrying in %.2f s", attempt + 1, error, wait)
                self.sleep(wait)
        raise TransientError("MediaConvert CreateJob was never attempted.")  # attempts < 1


def translate_error(exc: BaseException) -> BaseException:
    """A botocore error from CreateJob as an avpipe error (others are returned unchanged)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

    if isinstance(exc, AvpipeError):
        return exc
    if isinstance(exc, ParamValidationError):
        return ConfigurationError(f"The job request does not fit MediaConvert's API: {exc}")
    if isinstance(exc, NoCredentialsError):
        return ConfigurationError("No AWS credentials were found for MediaConvert.")
    if isinstance(exc, BotoCoreError):
        return TransientError(f"MediaConvert could not be reached: {exc}")
    if not isinstance(exc, ClientError):
        return exc
    code, message, status = _error_parts(exc)
    if code == "BadRequestException":
        if _INPUT_MENTION.search(message):
            return BadInputError(f"MediaConvert cannot use this upload: {message}")
        return ConfigurationError(f"MediaConvert rejected the job request (check the job template): {message}")
    if code == "ServiceQuotaExceededException":
        return TransientError(f"MediaConvert quota reached; the upload can be retried later: {message}")
    if code in CONFIGURATION_CODES or (400 <= status < 500 and code not in RETRYABLE_CODES and status != 429):
        return ConfigurationError(f"MediaConvert refused the job ({code}): {message}")
    return TransientError(f"MediaConvert is unavailable ({code or status}); the upload can be retried later.")


def _retryable(exc: BaseException) -> bool:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError)):
        return True
    if isinstance(exc, ClientError):
        code, _, status = _error_parts(exc)
        return code in RETRYABLE_CODES or status == 429 or status >= 500
    return False


def _error_parts(exc: Any) -> tuple[str, str, int]:
    error = exc.response.get("Error", {})
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return str(error.get("Code", "")), str(error.get("Message", "")) or "no message", status
