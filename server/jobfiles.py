"""Files that travel with a server job: the user's files in, the files the program wrote out.

In: the job request carries them (protocol.parse_files checks names, count and size), the store
keeps them with the job, and the runner writes them into its working directory before the
program starts (`write_inputs`), so a queued job restarted by a new server still gets them.
Out: once the job's processes have ended, whatever the outcome, the executor reads the regular
files at the top of the job's directory (`collect_outputs`): bounded in count, per file and in
all, never following a symbolic link, skipping the inputs the program left unchanged and HOME's
dotfiles. What is not kept is still listed, with a note saying why.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_LISTED = 200  # entries listed in all (kept or not): a directory of a million files is not a million notes


@dataclass
class OutputLimits:
    count: int
    file_bytes: int
    total_bytes: int

    @classmethod
    def from_settings(cls, settings) -> "OutputLimits":
        return cls(settings.max_output_files, settings.max_output_file_bytes, settings.max_output_bytes)


@dataclass
class OutputFile:
    """One entry of the job's directory: its bytes (`data`), or why they were not kept (`note`)."""
    name: str
    size: int
    data: bytes | None = None
    note: str | None = None

    def listing(self) -> dict:
        return {"name": self.name, "size": self.size, **({"note": self.note} if self.note else {})}

    def to_json(self) -> dict:
        """For a hop that only carries JSON (the Ray task's result)."""
        data = base64.b64encode(self.data).decode() if self.data is not None else None
        return {**self.listing(), "data": data}

    @classmethod
    def from_json(cls, obj: dict) -> "OutputFile":
        data = base64.b64decode(obj["data"]) if obj.get("data") is not None else None
        return cls(str(obj["name"]), int(obj["size"]), data, obj.get("note"))


def digests(files: dict[str, bytes]) -> dict[str, str]:
    """What `collect_outputs` compares against, without holding the inputs for the whole job."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def encode_inputs(files: dict[str, bytes]) -> list[dict]:
    """The inputs as the runner's job spec carries them (JSON)."""
    return [{"name": name, "data": base64.b64encode(data).decode()} for name, data in files.items()]


def write_inputs(spec_files: list[dict], directory: str = ".") -> None:
    """In the job process, before the program: each input as a new 0600 file (never through a link)."""
    for item in spec_files:
        fd = os.open(os.path.join(directory, item["name"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64decode(item["data"]))


def _read_regular(path: Path, limit: int) -> tuple[int, bytes | None]:
    """(size, bytes) of a regular file opened without following links; bytes None past `limit`."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:  # swapped since it was listed, or a hard link to elsewhere
            raise OSError(0, "not a regular file of its own (a hard link, or replaced while being read)")
        size = st.st_size
        if size > limit:
            return size, None
        data = f.read(limit + 1)
    return len(data), (data if len(data) <= limit else None)


def collect_outputs(directory: Path, given: dict[str, str], limits: OutputLimits) -> list[OutputFile]:
    """The files the program left at the top of `directory` (sorted by name), within `limits`;
    `given` (from `digests`) names the inputs, left out while their contents are unchanged."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    out: list[OutputFile] = []
    kept = total = 0
    for entry in entries:
        if entry.name.startswith("."):
            continue  # HOME's dotfiles (caches, settings), as the browser's listing leaves them out
        if len(out) >= MAX_LISTED:
            out.append(OutputFile("…", 0, note=f"more entries in the job's directory are not listed "
                                               f"(at most {MAX_LISTED} are)"))
            break
        try:
            entry.name.encode("utf-8")
        except UnicodeEncodeError:
            out.append(OutputFile(entry.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), 0,
                                  note="not kept: its name is not valid UTF-8"))
            continue
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                out.append(OutputFile(entry.name, 0, note="not kept: a symbolic link (links are not followed)"))
                continue
            if stat.S_ISDIR(mode):
                out.append(OutputFile(entry.name, 0, note="not kept: a folder (only files at the top of the "
                                                          "working directory come back)"))
                continue
            if not stat.S_ISREG(mode):
                continue  # sockets, fifos: nothing to download
            over_count = kept >= limits.count
            room = min(limits.file_bytes, limits.total_bytes - total)
            # Past the count only an input is read (to see whether it changed); the rest just get their size.
            size, data = _read_regular(Path(entry.path), -1 if over_count and entry.name not in given else room)
        except OSError as e:
            out.append(OutputFile(entry.name, 0, note=f"not kept: it could not be read ({e.strerror or e})"))
            continue
        if data is not None and entry.name in given and hashlib.sha256(data).hexdigest() == given[entry.name]:
            continue  # a file the user sent, unchanged
        if size > limits.file_bytes:
            out.append(OutputFile(entry.name, size, note=f"not kept: {size} bytes is over the limit of "
                                                         f"{limits.file_bytes} bytes per file"))
        elif over_count:
            out.append(OutputFile(entry.name, size, note=f"not kept: over the limit of {limits.count} files per job"))
        elif data is None:
            out.append(OutputFile(entry.name, size, note=f"not kept: the job's files would come to over "
                                                         f"{limits.total_bytes} bytes, the limit in all"))
        else:
            out.append(OutputFile(entry.name, size, data))
            kept, total = kept + 1, total + size
    return out
