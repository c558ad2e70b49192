"""An author's upload in the admin (one .md file or a .zip of them) unpacked safely into a
temporary folder for the importer."""

import datetime
import lzma
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import MARKDOWN_SUFFIXES, limits
from .frontmatter import ImportProblem

READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# The end record is in the last 22 bytes, or before a comment of up to 64 KB.
EOCD_SEARCH = 22 + 65535 + 20
# Room per member in the central directory: its fixed part, a name of 255 bytes in each of a
# few folders, and extra fields.
DIRECTORY_ENTRY = 2048
# What a damaged member raises while it is inflated: a bad CRC or a stream cut short is
# BadZipFile or EOFError, a corrupt deflate, bzip2 or LZMA stream its own error.
DAMAGED = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, ValueError, RuntimeError,
           NotImplementedError)  # fmt: skip


def member_name(member):
    """A member's name as its author saw it. Without the UTF-8 flag, zipfile reads names as
    code page 437, but zip on Linux and macOS writes UTF-8 there and Windows on a Chinese
    system GBK; a name that reads as either is taken so ("分布式训练.md", not "σêå…")."""
    if member.flag_bits & 0x800:
        return member.filename
    try:
        raw = member.filename.encode("cp437")
    except UnicodeEncodeError:  # already decoded from Info-ZIP's Unicode path field
        return member.filename
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return member.filename


@dataclass
class Unpacked:
    """The paths to import, and the members refused on their own (path in the folder,
    reason): each becomes a line of the report."""

    paths: list
    refused: list = field(default_factory=list)


def unpack_upload(upload, folder: Path):
    """Writes the upload into `folder`. Raises ImportProblem for anything that is not
    Markdown or a sound zip archive within the limits, before any member is inflated."""
    name = PurePosixPath(upload.name.replace("\\", "/")).name or "upload.md"
    if upload.size > limits.MAX_UPLOAD_BYTES:
        raise ImportProblem(f"{name} is larger than {limits.MAX_UPLOAD_BYTES // 2**20} MB")
    if len(name.encode()) > limits.MAX_NAME_BYTES:
        # As for a member of a zip: the file system would refuse it (ENAMETOOLONG).
        raise ImportProblem(
            f"{name[:40]}…: the file name is longer than {limits.MAX_NAME_BYTES} bytes; "
            "rename it and upload it again"
        )
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        # Written whatever its size (the upload limit holds): the importer refuses a file
        # too large by its size on disk, before reading it, in a line of the report.
        target = folder / name
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return Unpacked([target])
    if suffix != ".zip":
        raise ImportProblem(f"{name}: upload a .md or .markdown file, or a .zip of them")
    _check_directory(upload, name)
    try:
        archive = zipfile.ZipFile(upload)
    except UnicodeDecodeError as exc:  # flagged as UTF-8, and it is not
        raise ImportProblem(f"{name}: a file name in the archive is not valid UTF-8") from exc
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise ImportProblem(f"{name} is not a readable zip archive") from exc
    with archive:
        members = _checked_members(archive, name)
        refused = _extract(archive, members, folder, name)
    # A zip of a folder ("my-site/…") is that folder: paths inside it, which are what a
    # post remembers as its source, are then the same as when the folder is imported.
    entries = [entry for entry in folder.iterdir() if entry.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir():
        return Unpacked([entries[0]], refused)
    return Unpacked([folder], refused)


def _check_directory(upload, name):
    """Refuses an archive whose central directory lists too many members, read from its end
    record before zipfile builds an object per member (a 50 MB upload can list a million)."""
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    start = max(0, size - EOCD_SEARCH)
    upload.seek(start)
    tail = upload.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise ImportProblem(f"{name} is not a readable zip archive")
    entries, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        # Zip64: the counts are in the Zip64 end record its locator (just before) points to.
        locator = tail[max(0, at - 20) : at]
        if len(locator) < 20 or not locator.startswith(b"PK\x06\x07"):
            raise ImportProblem(f"{name} is not a readable zip archive")
        (record,) = struct.unpack("<Q", locator[8:16])
        upload.seek(record)
        head = upload.read(56)
        if len(head) < 56 or not head.startswith(b"PK\x06\x06"):
            raise ImportProblem(f"{name} is not a readable zip archive")
        entries, directory_size = struct.unpack("<QQ", head[32:48])
    upload.seek(0)
    if entries > limits.MAX_MEMBERS or directory_size > limits.MAX_MEMBERS * DIRECTORY_ENTRY:
        raise ImportProblem(f"{name} holds more than {limits.MAX_MEMBERS} files")


def _checked_members(archive, name):
    """(member, its relative path) for every file, once the archive as a whole is within
    the limits and every name is one the folder can hold."""
    infos = archive.infolist()
    if len(infos) > limits.MAX_MEMBERS:
        raise ImportProblem(f"{name} holds more than {limits.MAX_MEMBERS} files")
    members, files, folders = [], {}, set()
    for member in infos:
        shown = member_name(member)
        relative = _safe_path(shown, name)
        if member.is_dir():
            folders.add(relative)
            continue
        if relative in files:
            raise ImportProblem(f"{name}: {shown} is in the archive twice")
        if member.flag_bits & 0x1:
            raise ImportProblem(f"{name}: {shown} is encrypted")
        if member.compress_type not in READABLE_METHODS:
            raise ImportProblem(f"{name}: {shown} is compressed in a way zip tools rarely use")
        files[relative] = shown
        folders.update(relative.parents)
        members.append((member, relative))
    for relative, shown in files.items():
        if relative in folders:
            raise ImportProblem(f"{name}: {shown} is both a file and a folder in the archive")
    if sum(m.file_size for m, _ in members) > limits.MAX_UNPACKED_BYTES:
        raise ImportProblem(f"{name} unpacks to more than {limits.MAX_UNPACKED_BYTES // 2**20} MB")
    for member, relative in members:
        if member.file_size > max(limits.RATIO_FROM_BYTES, limits.MAX_RATIO * member.compress_size):
            raise ImportProblem(
                f"{name}: {files[relative]} is compressed more than {limits.MAX_RATIO} to 1 "
                "(a zip bomb, not a blog)"
            )
    return members


def _safe_path(shown, name):
    if any(ord(c) < 32 or ord(c) == 127 for c in shown):
        raise ImportProblem(f"{name}: a file name in the archive has control characters")
    relative = PurePosixPath(shown.replace("\\", "/"))
    # A member may not climb out of the folder ("zip slip").
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ImportProblem(f"{name}: unsafe path in the archive: {shown}")
    if (
        len(relative.parts) > limits.MAX_DEPTH
        or len(str(relative).encode()) > limits.MAX_PATH_BYTES
    ):
        raise ImportProblem(f"{name}: a path in the archive is too deep or too long: {shown[:60]}…")
    for part in relative.parts:
        if len(part.encode()) > limits.MAX_NAME_BYTES:
            raise ImportProblem(
                f"{name}: a name in the archive is longer than {limits.MAX_NAME_BYTES} bytes: "
                f"{part[:40]}…"
            )
    return relative


def _extract(archive, members, folder, name):
    budget, refused = limits.MAX_UNPACKED_BYTES, []
    for member, relative in members:
        target = folder.joinpath(*relative.parts)
        if relative.suffix.lower() in MARKDOWN_SUFFIXES:
            try:
                limits.check_markdown_file(member.file_size)
            except ImportProblem as problem:
                refused.append((target, str(problem)))
                continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # zipfile stops at the size the header declares and then checks the CRC, so a
            # header that lies gives a damaged member, never more bytes; the budget bounds
            # the whole however the headers add up.
            with archive.open(member) as source, target.open("wb") as out:
                while chunk := source.read(limits.CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise ImportProblem(
                            f"{name} unpacks to more than {limits.MAX_UNPACKED_BYTES // 2**20} MB"
                        )
                    out.write(chunk)
        except DAMAGED as exc:
            raise ImportProblem(
                f"{name}: {member_name(member)} is damaged ({exc}); zip the files again"
            ) from exc
        except OSError as exc:
            raise ImportProblem(
                f"{name}: {member_name(member)} could not be unpacked: {exc.strerror or exc}"
            ) from exc
        # The file's own time from the archive: the importer dates a new undated post by
        # it, and the moment of the upload says nothing about the post.
        try:
            stamp = datetime.datetime(*member.date_time).timestamp()
            os.utime(target, (stamp, stamp))
        except (ValueError, OverflowError, OSError):
            pass
    return refused
