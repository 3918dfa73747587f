"""Gradescope's submission export: which students each submission folder belongs to.

"Download submissions" gives one ``submission_<id>`` folder per submission and
``submission_metadata.yml``, mapping each folder to ``:submitters:``, a list of
``:name:``, ``:email:``, ``:sid:`` (Ruby-written: keys keep their leading colon;
plain keys are read too). ``read_metadata`` reads it without building any Python
object; ``export_root`` finds it in the folder of an unpacked export zip.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

METADATA = "submission_metadata.yml"


class ExportError(Exception):
    """The export cannot be read: a malformed metadata file (the message names the file and the problem)."""


def export_root(folder: Path) -> Path:
    """``folder``, or the one folder inside it that holds Gradescope's metadata (an unpacked export zip)."""
    if (folder / METADATA).exists():
        return folder
    inner = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    if len(inner) == 1 and (inner[0] / METADATA).is_file():
        return inner[0]
    return folder



@dataclass(frozen=True)
class Student:
    name: str
    email: str = ""
    sid: str = ""

    def label(self) -> str:
        return self.name + (f" <{self.email}>" if self.email else "") + (f" [{self.sid}]" if self.sid else "")


class _MetadataLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with two changes for Gradescope's Ruby-written file: plain scalars stay
    strings (a sid ``00123`` stays ``00123``, not the octal number 83), and a Ruby tag
    (``!ruby/object:...``) builds plain data instead of failing; no Python object is ever built."""


_MetadataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in _MetadataLoader.yaml_implicit_resolvers.items()}


def _plain(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_MetadataLoader.add_multi_constructor("!", _plain)


def _field(entry: dict, name: str):
    """``entry[":name"]`` as Gradescope writes it, or ``entry["name"]``."""
    return entry.get(f":{name}", entry.get(name))


def read_metadata(path: Path) -> dict[str, list[Student]]:
    """{folder name: its submitters} from Gradescope's ``submission_metadata.yml``; ExportError naming the
    file and the problem when it is not that."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_MetadataLoader)
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        raise ExportError(f"{path} is not valid YAML"
                         + (f" (line {where.line + 1}, column {where.column + 1})" if where else "")
                         + f": {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path} should map each submission folder (submission_<id>) to its metadata; "
                         f"it holds {'nothing' if data is None else 'a ' + type(data).__name__}")
    out: dict[str, list[Student]] = {}
    for folder, entry in data.items():
        where = f"{path}: {folder}"
        submitters = _field(entry, "submitters") if isinstance(entry, dict) else None
        if not isinstance(submitters, list) or not submitters:
            raise ExportError(f"{where} has no ':submitters:' list (each submission lists its students "
                             f"as :name:, :email:, :sid:)")
        students = []
        for n, person in enumerate(submitters, 1):
            values = {k: _field(person, k) if isinstance(person, dict) else None for k in ("name", "email", "sid")}
            if not any(values.values()):
                raise ExportError(f"{where}: submitter {n} has no :name:, :email: or :sid:")
            students.append(Student(*(" ".join(str(v or "").split()) for v in values.values())))
        out[str(folder)] = students
    return out
