"""Names of org nodes (managers included: they are the tree's leaves) and channels in the reader's
language. A name that repeats in the reader's tree (every sub-branch has a "wealth team") is told apart by
its parents' names, nearest first, until it is unique: 北京人民路支行 / 人民路财富团队, never by its id."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd

from cockpit.core import i18n
from cockpit.display.units import BLANK, missing
from cockpit.state import auth
from cockpit.warehouse.layer import Scope, Warehouse

SEP = " / "


@dataclass(frozen=True)
class Names:
    """Labels of the org nodes and channels one reader may see; unknown ids read as themselves."""

    orgs: dict[str, str]
    short: dict[str, str]
    paths: dict[str, str]
    channels: dict[str, str]
    users: Mapping[str, str] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)  # each node's parent (None at the top)

    def org(self, org_id: object, full: bool = False) -> str:
        """The node's name (with its parents where the name repeats; `full`: its whole path)."""
        if missing(org_id):
            return BLANK
        key = str(org_id)
        if full:
            return self.paths.get(key, key)
        return self.orgs.get(key, key)

    def user(self, username: object) -> str:
        """A user by their display name in the reader's language; a username nobody holds reads as itself."""
        return BLANK if missing(username) else self.users.get(str(username), str(username))

    def channel(self, channel_id: object) -> str:
        return BLANK if missing(channel_id) else self.channels.get(str(channel_id), str(channel_id))


def org_labels(
    tree: pd.DataFrame, lang: str = "zh"
) -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str | None]]:
    """(label, short name, full path, parent) per org id of an org_tree frame. Worked out top-down, level
    by level, from plain lists: a bank's tree has tens of thousands of nodes and a first visit waits for
    this."""
    col = "name_zh" if lang == "zh" else "name_en"
    ids = [str(o) for o in tree.org_id.tolist()]
    name = dict(zip(ids, (str(n) for n in tree[col].tolist())))
    parent = {o: (None if missing(p) else str(p)) for o, p in zip(ids, tree.parent_id.tolist())}
    chains: dict[str, list[str]] = {}  # each node's ancestors within the frame, nearest first
    paths: dict[str, str] = {}
    for _, o in sorted(zip(tree.level.tolist(), ids)):
        up = parent[o]
        if up is not None and up in name:
            chains[o] = [up, *chains.get(up, [])]
            paths[o] = f"{paths.get(up, name[up])}{SEP}{name[o]}"
        else:
            chains[o], paths[o] = [], name[o]
    labels = dict(name)
    same: dict[str, list[str]] = {}
    for o in ids:
        same.setdefault(name[o], []).append(o)
    for clash in (group for group in same.values() if len(group) > 1):
        for depth in range(1, max(len(chains[o]) for o in clash) + 1):
            cand = {o: SEP.join([name[a] for a in reversed(chains[o][:depth])] + [name[o]]) for o in clash}
            labels.update(cand)
            if len(set(cand.values())) == len(cand):
                break
    return labels, name, paths, parent


def for_reader(wh: Warehouse, scope: Scope, lang: str = "zh") -> Names:
    """The names a reader with `scope` may see, read through the scoped warehouse layer."""
    tree = wh.run("org_tree", scope, {})
    return from_frames(tree, wh.run("channels", scope, {}), lang)


def from_frames(tree: pd.DataFrame, channels: pd.DataFrame, lang: str = "zh") -> Names:
    labels, short, paths, parents = org_labels(tree, lang)
    col = "name_zh" if lang == "zh" else "name_en"
    channel_names = dict(zip(channels.channel_id.astype(str), channels[col].astype(str)))
    return Names(labels, short, paths, channel_names, UserNames(lang), parents)


class UserNames(Mapping[str, str]):
    """Every user's display name, read from the user store when first asked (most page runs name nobody)."""

    def __init__(self, lang: str = "zh") -> None:
        self.lang = lang
        self._names: dict[str, str] | None = None

    def _read(self) -> dict[str, str]:
        if self._names is None:
            self._names = user_names(self.lang)
        return self._names

    def __getitem__(self, username: str) -> str:
        return self._read()[username]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def user_names(lang: str = "zh") -> dict[str, str]:
    """Every user's display name in the reader's language, read from the user store now."""
    # what the command line, the demo set-up and an unnamed failed sign-in record as their user
    users = {u: i18n.t(f"display.user.{u}", lang) for u in ("cli", "demo", "-")}
    users.update({u.username: person(u.name, lang) for u in auth.list_users()})
    return users


_BILINGUAL = re.compile(r"^(?P<zh>[^A-Za-z]*[\u4e00-\u9fff][^A-Za-z]*?)\s+(?P<en>[A-Za-z].*)$")


def person(name: str, lang: str = "zh") -> str:
    """A user's display name in the reader's language: a name written in both ("北京分行行长 Head of
    Beijing", Chinese first) shows the reader's half; any other name shows as written."""
    m = _BILINGUAL.match(name.strip())
    if not m:
        return name
    return m["zh"].strip() if lang == "zh" else m["en"].strip()
