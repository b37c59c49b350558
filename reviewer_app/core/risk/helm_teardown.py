"""A Makefile target that uninstalls the Helm release the same Makefile installs is the file's own teardown.

OPS-CLOUD-DELETE-CLI reads ``helm uninstall <name>`` as a delete command added to a script. In a Makefile
that also installs ``<name>`` (``helm install`` or ``helm upgrade --install``, same namespace and context)
the target removes what the file itself deploys: a developer's teardown, like a teardown script
(OPS-CLOUD-DELETE-IN-TEARDOWN, medium). Only what is read plainly counts: a name, namespace or context
from a variable, a flag helm does not have, or a release the file does not install keeps the rule's level.
"""

from __future__ import annotations

import re

from reviewer_app.core.risk.hits import FileView, Hit

_MAKEFILE = re.compile(r"(^|/)(GNUmakefile|[Mm]akefile|[^/]+\.mk)$")
_HELM_CALL = re.compile(r"\bhelm[ \t]+(?P<verb>uninstall|delete|install|upgrade)\b(?P<rest>[^;&|#\n]*)")
# helm flags that take a value (``-n prod``); any other flag is read as a switch (``--atomic``) only when
# it is one of helm's own, else the command is not read (the name could be the flag's value).
_HELM_VALUE_FLAGS = frozenset({"-n", "--namespace", "--kube-context", "--kubeconfig", "--timeout", "--cascade",
                               "--description", "-f", "--values", "--set", "--set-string", "--set-file",
                               "--set-json", "--version", "--repo", "--username", "--password", "--post-renderer",
                               "--history-max", "--ca-file", "--cert-file", "--key-file"})
_HELM_SWITCHES = frozenset({"-i", "--install", "--atomic", "--wait", "--wait-for-jobs", "--create-namespace",
                            "--force", "--reuse-values", "--reset-values", "--dry-run", "--debug", "--devel",
                            "--keep-history", "--no-hooks", "--cleanup-on-fail", "--dependency-update",
                            "--skip-crds", "--render-subchart-notes", "--disable-openapi-validation"})
_TARGET_SCOPE = ("-n", "--namespace", "--kube-context", "--kubeconfig")


def _helm_command(rest: str) -> tuple[list[str], dict[str, str]] | None:
    """The positional arguments and the scope flags (namespace, context) of a helm command's tail; None when
    a token is not read plainly (a variable, a glob, a flag helm does not have)."""
    tokens = rest.split()
    positional: list[str] = []
    scope: dict[str, str] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index].strip("\"'")
        if token == "\\":
            index += 1
            continue
        if re.search(r"[$*`(){}]", token):
            return None
        if token.startswith("-"):
            flag, _, value = token.partition("=")
            if flag in _HELM_VALUE_FLAGS:
                if not value:
                    index += 1
                    if index >= len(tokens):
                        return None
                    value = tokens[index].strip("\"'")
                if flag in _TARGET_SCOPE:
                    scope["--namespace" if flag == "-n" else flag] = value
            elif flag not in _HELM_SWITCHES:
                return None
        else:
            positional.append(token)
        index += 1
    return positional, scope


def own_release_uninstalled(view: FileView, anchor: Hit) -> str:
    """Why a ``helm uninstall <name>`` in a Makefile is the file's own teardown: every release it names is
    one the same Makefile installs (``helm install <name>`` / ``helm upgrade --install <name>``, read from
    the whole new side of the file, with the same namespace and context). "" otherwise: another file, a
    name or namespace from a variable, a release the file does not install."""
    path = view.diff.new_path or ""
    if not _MAKEFILE.search(path) or anchor.side != "new":
        return ""
    line = view.added.lines[anchor.index].text
    removal = _HELM_CALL.search(line)
    if removal is None or removal.group("verb") not in ("uninstall", "delete"):
        return ""
    uninstalled = _helm_command(removal.group("rest"))
    lines = view.whole_new_lines()
    if not uninstalled or not uninstalled[0] or lines is None:
        return ""
    installed: dict[str, int] = {}
    for number, text in enumerate(lines, 1):
        for call in _HELM_CALL.finditer(text):
            if call.group("verb") not in ("install", "upgrade"):
                continue
            read = _helm_command(call.group("rest"))
            if read is None or not read[0] or read[1] != uninstalled[1]:
                continue
            if call.group("verb") == "upgrade" and not re.search(r"(^|\s)(--install|-i)\b", call.group("rest")):
                continue
            installed.setdefault(read[0][0], number)
    names = uninstalled[0]
    if not all(name in installed for name in names):
        return ""
    shown = ", ".join(f"`{name}` (line {installed[name]})" for name in names)
    return (f"the same Makefile installs the release {shown} in the same namespace and context, so this target "
            "removes what the file itself deploys (a developer's teardown, as in a teardown script)")
