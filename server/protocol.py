"""Wire protocol v1: parsing and validating every client message in one place.

The websocket handler and the REST routes both go through `decode` and the `parse_*`
functions, so a malformed request gets the same `ProtocolError(code, message)` whichever
way it came in. Nothing here touches the network, the store or the executor.
See docs/protocol.md for the messages with examples.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from dataclasses import dataclass, field

VERSION = 1
DEVICES = ("auto", "cuda", "cpu")
MAX_GPUS = 64
MAX_NAME = 200
MAX_ID = 128
MAX_DEPTH = 32          # nesting of JSON arrays/objects; ours need 3
MAX_INT = 2 ** 63 - 1   # seqs, limits and offsets are SQLite integers
MAX_FILE_NAME = 200
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string (unrolled: linear time)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_ONE_KIND = str.maketrans("{}", "[]")


class ProtocolError(Exception):
    """A request the server refuses; `code` is machine-readable, `message` is for people."""

    def __init__(self, code: str, message: str, id: str | None = None):
        super().__init__(message)
        self.code, self.message, self.id = code, message, id

    def to_message(self) -> dict:
        return error_message(self.code, self.message, self.id)


@dataclass
class Options:
    device: str = "auto"
    gpus: int = 1
    timeout_s: float | None = None

    def to_json(self) -> dict:
        return {"device": self.device, "gpus": self.gpus, "timeout_s": self.timeout_s}


@dataclass
class Auth:
    token: str
    batch: bool = False  # deliver job events as `events` messages (several per message)


@dataclass
class FileLimits:
    """How many files a job request may carry and their total size (Settings.max_input_*)."""
    count: int = 50
    bytes: int = 32 * 1024 * 1024


@dataclass
class Submit:
    code: str
    name: str
    options: Options = field(default_factory=Options)
    id: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # name -> content, for the job's working directory


@dataclass
class Cancel:
    job: str
    id: str | None = None


@dataclass
class Subscribe:
    job: str
    after_seq: int = 0
    id: str | None = None


def message(type_: str, **fields) -> dict:
    return {"v": VERSION, "type": type_, **fields}


def error_message(code: str, text: str, id: str | None = None) -> dict:
    msg = message("error", code=code, message=text)
    if id is not None:
        msg["id"] = id
    return msg


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before parsing (deep nesting overflows the parser's stack).

    Only the brackets outside strings count; each pass deletes the innermost pairs, so what is
    still paired after MAX_DEPTH passes was nested deeper. Mismatched kinds are the parser's to report.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_ONE_KIND)
    too_deep = "[" * (MAX_DEPTH + 1) in brackets
    for _ in range(MAX_DEPTH):
        if too_deep or "[]" not in brackets:
            break
        brackets = brackets.replace("[]", "")
    else:
        too_deep = "[]" in brackets
    if too_deep:
        raise ProtocolError("bad_message", f"message is nested deeper than {MAX_DEPTH} levels")


def decode(raw: str | bytes, max_bytes: int) -> object:
    """Size check, nesting check, then JSON; every failure is a ProtocolError."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise ProtocolError("too_large", f"message is {size} bytes; the limit is {max_bytes} bytes")
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError("bad_message", f"message is not valid JSON: {e}") from None
    _check_depth(text)
    try:
        return json.loads(text)
    except ValueError as e:
        raise ProtocolError("bad_message", f"message is not valid JSON: {e}") from None


def query_int(raw: str | None, name: str, default: int) -> int:
    """A non-negative integer query parameter (ASCII digits, at most MAX_INT)."""
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_INT:
        raise ProtocolError("bad_message", f"query parameter {name!r} must be an integer from 0 to {MAX_INT}")
    return int(raw)


def _get(obj: dict, key: str, kind, what: str, *, required: bool = True, default=None, id=None):
    if key not in obj or (not required and obj[key] is None):
        if required:
            raise ProtocolError("bad_message", f"missing field {key!r} ({what})", id)
        return default
    value = obj[key]
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if not ok:
        raise ProtocolError("bad_message", f"field {key!r} must be {what}, got {type(value).__name__}", id)
    return value


def _text(value: str, what: str, id=None) -> int:
    """UTF-8 size of a string; lone surrogates (legal in JSON, not in UTF-8) are refused."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ProtocolError("bad_message", f"{what} is not valid Unicode text (lone surrogate)", id) from None


def _request_id(obj: dict) -> str | None:
    rid = obj.get("id")
    if not isinstance(rid, str) or len(rid) > MAX_ID:
        return None
    try:
        rid.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return rid


def parse_options(raw, max_timeout: float, id=None) -> Options:
    if raw is None:
        return Options(timeout_s=max_timeout)
    if not isinstance(raw, dict):
        raise ProtocolError("bad_message", f"field 'options' must be an object, got {type(raw).__name__}", id)
    device = _get(raw, "device", str, "one of auto, cuda, cpu", required=False, default="auto", id=id)
    if device not in DEVICES:
        raise ProtocolError("bad_message", f"options.device must be one of auto, cuda, cpu, got {device[:40]!r}", id)
    gpus = _get(raw, "gpus", int, "an integer", required=False, default=1, id=id)
    if not 1 <= gpus <= MAX_GPUS:
        raise ProtocolError("bad_message", f"options.gpus must be between 1 and {MAX_GPUS}, got {gpus}", id)
    timeout = _get(raw, "timeout_s", (int, float), "a number of seconds", required=False, default=max_timeout, id=id)
    try:
        timeout = float(timeout)
    except OverflowError:
        timeout = math.inf
    if not (math.isfinite(timeout) and timeout > 0):
        raise ProtocolError("bad_message", f"options.timeout_s must be a positive number, got {timeout}", id)
    return Options(device=device, gpus=gpus, timeout_s=float(min(timeout, max_timeout)))


def plain_file_name(name: str) -> bool:
    """A name that can only mean a file directly in the job's working directory: no folders, not
    hidden (HOME's dotfiles live there), no control characters, at most MAX_FILE_NAME characters."""
    return (0 < len(name) <= MAX_FILE_NAME and name not in (".", "..") and not name.startswith(".")
            and not any(c in "/\\" or ord(c) < 32 or ord(c) == 127 for c in name) and name.strip() == name)


def parse_files(raw, limits: FileLimits, id=None) -> dict[str, bytes]:
    """`files`: [{"name": "data.csv", "data": "<base64>"}, ...] -> {name: bytes}, within `limits`."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ProtocolError("bad_message", f"field 'files' must be a list of {{name, data}} objects, got {type(raw).__name__}", id)
    if len(raw) > limits.count:
        raise ProtocolError("too_large", f"{len(raw)} files were sent with the job; the limit is {limits.count} files", id)
    files: dict[str, bytes] = {}
    total = 0
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ProtocolError("bad_message", f"files[{i}] must be an object {{name, data}}, got {type(item).__name__}", id)
        name = _get(item, "name", str, "a file name", id=id)
        _text(name, f"files[{i}].name", id)
        if not plain_file_name(name):
            raise ProtocolError("bad_message", f"files[{i}].name {name[:80]!r} is not a plain file name (no folders, "
                                f"not hidden, no control characters, at most {MAX_FILE_NAME} characters)", id)
        if name in files:
            raise ProtocolError("bad_message", f"files: {name!r} is sent twice", id)
        data = _get(item, "data", str, "the file's bytes in base64", id=id)
        if (len(data) // 4) * 3 + total > limits.bytes + 2:  # refused before decoding
            raise ProtocolError("too_large", f"the files sent with the job come to over {limits.bytes} bytes; "
                                f"the limit is {limits.bytes} bytes in all", id)
        try:
            files[name] = binascii.a2b_base64(data.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ProtocolError("bad_message", f"files[{i}].data ({name!r}) is not valid base64", id) from None
        total += len(files[name])
        if total > limits.bytes:
            raise ProtocolError("too_large", f"the files sent with the job come to over {limits.bytes} bytes; "
                                f"the limit is {limits.bytes} bytes in all", id)
    return files


def check_job_body_size(obj, size: int, max_bytes: int) -> None:
    """A REST job request may be as big as its files need; all the rest of it is bounded like any message."""
    files = obj.get("files") if isinstance(obj, dict) else None
    data = sum(len(f["data"]) for f in files if isinstance(f, dict) and isinstance(f.get("data"), str)) \
        if isinstance(files, list) else 0
    if size - data > max_bytes:
        raise ProtocolError("too_large", f"request body is over the limit of {max_bytes} bytes (not counting the files' data)")


def parse_job_request(obj, max_code_bytes: int, max_timeout: float, id=None, files: FileLimits | None = None) -> Submit:
    """The body of `submit` (websocket) and `POST /api/jobs` (REST)."""
    if not isinstance(obj, dict):
        raise ProtocolError("bad_message", f"a job request must be a JSON object, got {type(obj).__name__}", id)
    code = _get(obj, "code", str, "the program text", id=id)
    size = _text(code, "code", id)
    if size > max_code_bytes:
        raise ProtocolError("too_large", f"code is {size} bytes; the limit is {max_code_bytes} bytes", id)
    name = _get(obj, "name", str, "a string", required=False, default="main.py", id=id)[:MAX_NAME]
    _text(name, "name", id)
    options = parse_options(obj.get("options"), max_timeout, id)
    inputs = parse_files(obj.get("files"), files or FileLimits(), id)
    return Submit(code=code, name=name or "main.py", options=options, id=id, files=inputs)


def _job_id(obj: dict, id) -> str:
    job = _get(obj, "job", str, "a job id", id=id)
    if not job or len(job) > MAX_ID or not job.isascii():
        raise ProtocolError("unknown_job", f"no job with id {job[:40]!r}", id)
    return job


def parse_client_message(obj, max_code_bytes: int, max_timeout: float, files: FileLimits | None = None):
    """One decoded websocket message -> Auth | Submit | Cancel | Subscribe, or ProtocolError."""
    if not isinstance(obj, dict):
        raise ProtocolError("bad_message", f"a message must be a JSON object, got {type(obj).__name__}")
    rid = _request_id(obj)
    v = obj.get("v")
    if v != VERSION or isinstance(v, bool):
        raise ProtocolError("bad_message", f"unsupported protocol version {v!r}; this server speaks v{VERSION}", rid)
    type_ = obj.get("type")
    if type_ == "auth":
        return Auth(token=_get(obj, "token", str, "the access token", id=rid),
                    batch=_get(obj, "batch", bool, "true or false", required=False, default=False, id=rid))
    if type_ == "submit":
        return parse_job_request(obj, max_code_bytes, max_timeout, rid, files)
    if type_ == "cancel":
        return Cancel(job=_job_id(obj, rid), id=rid)
    if type_ == "subscribe":
        after = _get(obj, "after_seq", int, "a non-negative integer", required=False, default=0, id=rid)
        if not 0 <= after <= MAX_INT:
            raise ProtocolError("bad_message", f"after_seq must be an integer from 0 to {MAX_INT}, got {after}", rid)
        return Subscribe(job=_job_id(obj, rid), after_seq=after, id=rid)
    shown = type_[:40] if isinstance(type_, str) else type_
    raise ProtocolError("bad_message", f"unknown message type {shown!r}; expected auth, submit, cancel or subscribe", rid)


def parse_share(obj, max_bytes: int) -> str:
    if not isinstance(obj, dict):
        raise ProtocolError("bad_message", "a share must be a JSON object {\"payload\": \"...\"}")
    payload = _get(obj, "payload", str, "a string")
    if _text(payload, "payload") > max_bytes:
        raise ProtocolError("too_large", f"share payload is over the limit of {max_bytes} bytes")
    return payload
