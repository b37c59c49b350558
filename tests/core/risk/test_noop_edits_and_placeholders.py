"""Edits that change nothing that runs, and values that only stand for a secret, keep no finding;
the same rules still fire where something does change.

- a line only re-spaced (trailing blanks trimmed) is the line it was, in line rules and in the
  Actions analyser (a piped download the same job already ran is not new);
- ``try: d[k] / except KeyError`` rewritten as ``d.get(k, default)`` (``getattr`` with a default
  for AttributeError) keeps its handling;
- a timeout setting nothing read (no other line of its file, no other file of the tree) protected
  nothing;
- a typed placeholder (``xoxb-1234-abcdefgh``, ``fake``, x runs) is no secret, in test files too;
- ``rm -rf`` of the folder a script made for itself (mktemp, ``$DIR/tmp``) is its own cleanup.

Every change is written in a real git repository or as a real diff; nothing is keyed to a commit,
a repository or a file name.
"""

from __future__ import annotations

from reviewer_app.core.risk.hits import Hit, prepare
from reviewer_app.core.risk.removals import ChangeAddedLines, drop_still_present
from tests.core.risk.diffs import change_of, committed_change, file_from, fired, line_rule
from tests.gitrepo import GitRepo





# -- whitespace-only edits ---------------------------------------------------------------------------

WORKFLOW = ".github/workflows/book.yml"
BOOK = """name: book
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: install the tool
        run: |
          curl --proto '=https' --tlsv1.2 https://sh.installer.example -sSf -y | sh{trail}
          tool --version
      - name: build
        run: tool build{trail}
"""


def test_a_piped_download_only_trimmed_of_trailing_blanks_is_not_new(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {WORKFLOW: BOOK.format(trail="  ")}, {WORKFLOW: BOOK.format(trail="")})
    assert fired(change, "GHA-REMOTE-SCRIPT") == []


def test_a_new_piped_download_in_the_same_job_still_fires(git_repo: GitRepo) -> None:
    after = BOOK.format(trail="").replace("          tool --version\n",
                                          "          tool --version\n          curl -sSf https://get.other.example | bash\n")
    [finding] = fired(committed_change(git_repo, {WORKFLOW: BOOK.format(trail="")}, {WORKFLOW: after}), "GHA-REMOTE-SCRIPT")
    assert finding.severity == "high"


def test_the_same_piped_download_copied_into_another_job_still_fires(git_repo: GitRepo) -> None:
    before = BOOK.format(trail="")
    after = before + """  docs:
    runs-on: ubuntu-latest
    steps:
      - run: curl --proto '=https' --tlsv1.2 https://sh.installer.example -sSf -y | sh
"""
    [finding] = fired(committed_change(git_repo, {WORKFLOW: before}, {WORKFLOW: after}), "GHA-REMOTE-SCRIPT")
    assert "job docs" in finding.message


COMMENT_BUILD = """name: comment-build
on:
  issue_comment:
    types: [created]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: gh pr checkout{gap}${{{{ github.event.issue.number }}}}
      - run: make test
"""


def test_a_pull_request_checkout_only_re_spaced_is_not_new(git_repo: GitRepo) -> None:
    change = committed_change(git_repo, {WORKFLOW: COMMENT_BUILD.format(gap="   ")},
                              {WORKFLOW: COMMENT_BUILD.format(gap=" ")})
    assert fired(change, "GHA-PR-TARGET-CHECKOUT") == []


def test_a_new_pull_request_checkout_under_a_comment_trigger_still_fires(git_repo: GitRepo) -> None:
    before = COMMENT_BUILD.format(gap=" ").replace("      - run: gh pr checkout ${{ github.event.issue.number }}\n", "")
    change = committed_change(git_repo, {WORKFLOW: before}, {WORKFLOW: COMMENT_BUILD.format(gap=" ")})
    assert len(fired(change, "GHA-PR-TARGET-CHECKOUT")) == 1


def test_a_removed_line_re_spaced_inside_is_still_present() -> None:
    diff = file_from("app/client.py", "-    session = connect(base,   retries=3)\n+    session = connect(base, retries=3)",
                     "-    other = 1\n+    other = 2")
    view = prepare(diff)
    text = view.removed.lines[0].text
    start = text.index("retries")
    hit = Hit("old", 0, start, start + len("retries="), "retries=")
    assert drop_still_present(view, [hit], ChangeAddedLines(change_of(diff))) == []
    changed = file_from("app/client.py", "-    session = connect(base,   retries=3)\n+    session = connect(base)")
    view = prepare(changed)
    assert len(drop_still_present(view, [hit], ChangeAddedLines(change_of(changed)))) == 1


# -- a lookup whose fallback moves into the call -------------------------------------------------------

def test_try_keyerror_rewritten_as_dict_get_keeps_its_handling() -> None:
    edit = """
         instance = kwargs.get('instance')
         if instance and instance.tenant is not None:
-            try:
-                kwargs['initial']['tenant_group'] = instance.tenant.group
-            except KeyError:
-                kwargs['initial'] = {'tenant_group': instance.tenant.group}
+            initial = kwargs.get('initial', {})
+            initial['tenant_group'] = instance.tenant.group
+            kwargs['initial'] = initial
"""
    assert line_rule("ERR-HANDLING-REMOVED", "app/forms.py", edit) == []


def test_try_attributeerror_rewritten_as_getattr_with_a_default_keeps_its_handling() -> None:
    edit = """
     def label(obj):
-        try:
-            name = obj.display_name
-        except AttributeError:
-            name = str(obj)
+        name = getattr(obj, "display_name", str(obj))
         return name
"""
    assert line_rule("ERR-HANDLING-REMOVED", "app/labels.py", edit) == []


def test_a_lookup_handler_dropped_without_its_fallback_still_fires() -> None:
    edit = """
     def label(obj):
-        try:
-            name = mapping[obj.key]
-        except KeyError:
-            name = str(obj)
+        name = mapping[obj.key]
         return name
"""
    assert len(line_rule("ERR-HANDLING-REMOVED", "app/labels.py", edit)) == 1


def test_a_handler_catching_more_than_a_failed_lookup_still_fires() -> None:
    edit = """
     def port(conf):
-        try:
-            value = int(conf['port'])
-        except (KeyError, ValueError):
-            value = 8080
+        value = int(conf.get('port', 8080))
         return value
"""
    assert len(line_rule("ERR-HANDLING-REMOVED", "app/conf.py", edit)) == 1


# -- a timeout setting nothing read -------------------------------------------------------------------

CLIENT = """package client

import (
\t"net/http"
\t"time"
)

var defaultTimeout = 5 * time.Second

func New() *http.Client {
\treturn &http.Client{}
}
"""


def test_a_removed_timeout_nothing_read_protected_nothing(git_repo: GitRepo) -> None:
    after = CLIENT.replace("var defaultTimeout = 5 * time.Second\n\n", "").replace('\t"time"\n', "")
    change = committed_change(git_repo, {"client/client.go": CLIENT, "client/other.go": "package client\n"},
                              {"client/client.go": after})
    assert fired(change, "RESILIENCE-REMOVED") == []


def test_a_removed_timeout_another_file_of_the_package_reads_still_fires(git_repo: GitRepo) -> None:
    after = CLIENT.replace("var defaultTimeout = 5 * time.Second\n\n", "").replace('\t"time"\n', "")
    other = "package client\n\nfunc wait() { sleep(defaultTimeout) }\n"
    change = committed_change(git_repo, {"client/client.go": CLIENT, "client/other.go": other},
                              {"client/client.go": after})
    assert len(fired(change, "RESILIENCE-REMOVED")) == 1


def test_a_removed_timeout_its_own_file_read_still_fires(git_repo: GitRepo) -> None:
    before = CLIENT.replace("return &http.Client{}", "return &http.Client{Timeout: defaultTimeout}")
    after = CLIENT.replace("var defaultTimeout = 5 * time.Second\n\n", "").replace('\t"time"\n', "")
    change = committed_change(git_repo, {"client/client.go": before}, {"client/client.go": after})
    assert len(fired(change, "RESILIENCE-REMOVED")) >= 1


# -- placeholders standing for a secret ---------------------------------------------------------------

def test_placeholder_tokens_in_a_test_table_are_no_secret() -> None:
    table = """
+		{
+			name: "with app token",
+			in: `
+app_token: 'xoxb-1234-abcdefgh'
+channel: '#alerts'
+`,
+		},
"""
    assert line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "config/notifiers_test.go", table) == []
    for value in ("fake-token-9f8e7d6c5b4a3928", "xxxxxxxxxxxxxxxx12ab", "0000000000000000000001"):
        assert line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "pkg/auth_test.go", f'+\tapiKey := "{value}"') == [], value


def test_a_real_looking_key_in_a_test_file_still_fires() -> None:
    [found] = line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "pkg/auth_test.go", '+\tapiKey := "yGlDcMvSZPX4PyP0Q5bHgAYgi1iyEHv2"')
    assert found.severity in ("medium", "high", "critical")
    [found] = line_rule("SECRET-HIGH-ENTROPY-ASSIGNMENT", "app/settings.py", '+API_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"')
    assert found.severity == "medium"


# -- a script deleting the folder it made for itself ---------------------------------------------------

HOOK = "charts/app/hack/post-upgrade.sh"


def test_a_tmp_folder_under_the_scripts_own_folder_is_its_scratch_space() -> None:
    script = """
+SCRIPT_DIR=$(cd -- "$(dirname -- "${0}")" &>/dev/null && pwd)
+rm -rf "${SCRIPT_DIR}/tmp"
+mkdir "${SCRIPT_DIR}/tmp"
"""
    assert line_rule("OPS-RM-RF", HOOK, script) == []


def test_a_folder_made_with_mktemp_is_the_scripts_own_whatever_its_name() -> None:
    script = """
+WORK="$(mktemp -d)"
+trap 'rm -rf "$WORK"' EXIT
+render > "$WORK/out.yaml"
+rm -rf "${WORK}/charts"
"""
    assert line_rule("OPS-RM-RF", HOOK, script) == []


def test_other_targets_beside_a_mktemp_folder_still_fire() -> None:
    made = "+WORK=$(mktemp -d)\n"
    assert [f.severity for f in line_rule("OPS-RM-RF", HOOK, made + '+rm -rf "$WORK" "$OUTPUT_DIR"')] == ["medium"]
    assert [f.severity for f in line_rule("OPS-RM-RF", HOOK, made + '+rm -rf "$WORK"/*')] == ["critical"]
    assert [f.severity for f in line_rule("OPS-RM-RF", HOOK, '+rm -rf "$WORK"')] == ["medium"]  # not made here
    assert [f.severity for f in line_rule("OPS-RM-RF", HOOK, '+rm -rf "${SCRIPT_DIR}/data"')] == ["medium"]
