"""An author's upload in the admin (one .md file or a .zip of them) unpacked safely into a
temporary folder for the importer."""

import datetime
import os
import zipfile
from pathlib import Path, PurePosixPath

from .frontmatter import ImportProblem

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 5000


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


def unpack_upload(upload, folder: Path):
    """Writes the upload into `folder`; returns the paths to import. Raises ImportProblem
    for anything that is not Markdown or a sound zip archive."""
    name = PurePosixPath(upload.name.replace("\\", "/")).name or "upload.md"
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImportProblem(f"{name} is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".md", ".markdown"):
        target = folder / name
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return [target]
    if suffix != ".zip":
        raise ImportProblem(f"{name}: upload a .md or .markdown file, or a .zip of them")
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as exc:
        raise ImportProblem(f"{name} is not a readable zip archive") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise ImportProblem(f"{name} holds more than {MAX_MEMBERS} files")
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ImportProblem(f"{name} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
        for member in members:
            relative = PurePosixPath(member_name(member).replace("\\", "/"))
            # A member may not climb out of the folder ("zip slip").
            if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                raise ImportProblem(f"{name}: unsafe path in the archive: {member.filename}")
            target = folder.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as out:
                out.write(source.read(MAX_UNPACKED_BYTES + 1))
            # The file's own time from the archive: the importer dates a new undated post by
            # it, and the moment of the upload says nothing about the post.
            try:
                stamp = datetime.datetime(*member.date_time).timestamp()
                os.utime(target, (stamp, stamp))
            except (ValueError, OverflowError, OSError):
                pass
    # A zip of a folder ("my-site/…") is that folder: paths inside it, which are what a
    # post remembers as its source, are then the same as when the folder is imported.
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return [entries[0]]
    return [folder]
