"""The Sphinx roles in learntorch's docstrings (``:func:`cache_dir```) as links on the reference pages.

The docstrings name other objects the way Python's own documentation does, which reads well in
``help()``; mkdocstrings renders docstrings as Markdown, where a role showed as ":func:cache_dir".
This griffe extension (loaded by mkdocs.yml) rewrites each role, for the reference pages only,
into an autorefs cross-reference to the object it names, resolved in the docstring's scope as
Python would resolve the name there (the class, then the module and its imports). A name with
no entry on those pages (a private helper or module, a constant without a docstring) becomes
inline code. A public name that resolves to nothing fails the strict build, as a broken link
should.
"""

from __future__ import annotations

import re

from griffe import Extension

ROLE = re.compile(r":(func|meth|class|mod|attr|data|obj|exc):`(~?)([\w.]+)`")


class SphinxRoles(Extension):
    def on_package(self, *, pkg, loader, **kwargs) -> None:
        for obj in _documented(pkg):
            obj.docstring.value = ROLE.sub(lambda m: link(obj, *m.groups()), obj.docstring.value)


def _documented(obj):
    """``obj`` and everything defined under it (not imported) that has a docstring."""
    if obj.docstring is not None:
        yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _documented(member)


def link(obj, role: str, tilde: str, name: str) -> str:
    """The Markdown for ``:role:`[~]name``` written in ``obj``'s docstring."""
    title = name.rsplit(".", 1)[-1] if tilde else name
    if role in ("func", "meth"):
        title += "()"
    target = resolve(obj, name)
    if target is None or any(part.startswith("_") for part in target.split(".")):
        return f"`{title}`"
    return f"[`{title}`][{target}]"


def resolve(obj, name: str) -> str | None:
    """The full path of the object ``name`` means inside ``obj``'s docstring, or None when it
    has no entry on the reference pages (a constant without a docstring is not shown)."""
    scope = obj if obj.is_module or obj.is_class else obj.parent
    first, _, rest = name.partition(".")
    try:
        path = scope.resolve(first)
    except Exception:  # griffe's NameResolutionError: not a name in that scope
        path = first if first == obj.package.name else None
    if path is None:
        return None
    path = f"{path}.{rest}" if rest else path
    try:
        found = obj.modules_collection[path]
    except KeyError:
        return path  # left to autorefs, which fails the strict build on a wrong name
    found = found.final_target if found.is_alias else found
    return None if found.is_attribute and found.docstring is None else found.path
