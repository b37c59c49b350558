"""Red team: content git applies but the gate never sees (issue 17, class 2).

Found: (a) an mbox whose visible text part is an approved change and whose base64 attachment holds
another diff: ``git am`` (through ``git mailinfo``) applies both, the gate judged the first only.
(b) a traditional ``---``/``+++``/``@@`` diff after ``GIT binary patch`` data: the parser skipped to
the next ``diff --git``, so the gate saw "a PNG" while ``git am`` applied ``replicas: 0``.

Fixed twice (docs/git-parity.md): the parser refuses what it does not fully understand, and the gate
applies every patch file with git into a scratch index off the base and refuses any difference from
what it parsed. Each attack is first shown to work with the real ``git am``, then refused.
"""

from __future__ import annotations

import base64
import re
import email.message
import email.policy
import subprocess
from pathlib import Path

import pytest

from reviewer_app.core.diffparse import parse_patch
from reviewer_app.core.gitapply import check_git_parity
from reviewer_app.core.approvals.policy import AUTHOR
from reviewer_app.errors import UserError
from tests.gitrepo import GitRepo, init_repo

from .world import ADMIN, World, make_world, plain_lines

DEPLOY = "deploy/app.yaml"
DEPLOY_TEXT = "service: payments\nreplicas: 3\nimage: payments:1.4\n"
HIDDEN_DIFF = (f"--- a/{DEPLOY}\n+++ b/{DEPLOY}\n@@ -1,3 +1,3 @@\n service: payments\n-replicas: 3\n+replicas: 0\n"
               " image: payments:1.4\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A base with a deployment file; a docs change (approved by alice) and a logo change (approved by alice)."""
    made = make_world(tmp_path_factory.mktemp("parity"), people=("alice", "bob", "dana"))
    made.configure(plain_lines(made, "alice", "bob"))
    made.repo.write(DEPLOY, DEPLOY_TEXT, dedent=False)
    made.repo.write("docs/guide.md", "# Guide\n\nRun it.\n", dedent=False)
    made.repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR old logo")
    made.base = made.repo.commit("deployment, guide and logo", author=ADMIN)
    made.branch("guide-change", {"docs/guide.md": "# Guide\n\nRun it twice.\n"}, "Clarify the guide")
    made.repo.git("checkout", "-q", "-b", "logo-change", "main")
    made.repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR new logo")
    made.repo.commit("New logo", author=("Dana Dev", "dana@example.com"))
    made.repo.git("checkout", "-q", "main")
    for branch in ("guide-change", "logo-change"):
        patch = made.db_path.parent / f"{branch}.mbox"
        patch.write_bytes(made.repo.format_patch(branch))
        made.approve_all_findings("alice", made.analysis(str(patch)))
    return made


def _format_patch(world: World, branch: str) -> str:
    return world.repo.format_patch(branch).decode()


def _git_am(world: World, patch: Path, tmp_path: Path) -> dict[str, str]:
    """Apply ``patch`` with the real ``git am`` in a scratch clone of the base; the files it changed."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(world.repo.path), str(clone)], check=True)
    repo = GitRepo(clone)
    repo.git("checkout", "-q", world.base)
    repo.git("am", "-q", "--keep-cr", str(patch))
    changed = repo.git("diff", "--name-only", world.base, "HEAD").split()
    return {path: (clone / path).read_text(errors="replace") for path in changed if (clone / path).is_file()}


def _gate_refuses(world: World, patch: Path) -> str:
    """``reviewer-app gate`` exits 2 (JSON says not approved); analyze and submit refuse too. Returns gate's error."""
    code, out, err = world.cli("gate", str(patch), "--repo", str(world.repo.path), "--format", "json")
    assert code == 2, (out, err)
    assert '"approved": false' in out
    for command in ("analyze", "submit"):
        code, _, refused = world.cli(command, str(patch), "--repo", str(world.repo.path))
        assert code == 2 and refused.startswith("reviewer-app: error: "), (command, refused)
        assert "Traceback" not in refused
    return err


def test_the_approved_changes_pass_the_gate(world: World) -> None:
    """The baseline: both decoys are approved, so an attack that borrowed their approval would pass."""
    for branch in ("guide-change", "logo-change"):
        code, out, err = world.cli("gate", str(world.db_path.parent / f"{branch}.mbox"), "--repo", str(world.repo.path))
        assert code == 0, (out, err)


@pytest.mark.parametrize("form", ["git diff", "git format-patch series", "git show", "diff -ru"])
def test_patches_made_the_usual_ways_pass_the_git_check(world: World, tmp_path: Path, form: str) -> None:
    repo = world.repo
    if form == "git diff":
        data = repo.git("diff", "--binary", world.base, "logo-change").encode()
    elif form == "git format-patch series":
        data = subprocess.run(["git", "-C", str(repo.path), "format-patch", "--stdout", f"{world.base}..guide-change"],
                              capture_output=True, check=True).stdout
    elif form == "git show":
        data = repo.git("show", "--binary", "--full-index", "logo-change").encode()
    else:
        old, new = tmp_path / "old" / "docs", tmp_path / "new" / "docs"
        old.mkdir(parents=True)
        new.mkdir(parents=True)
        (old / "guide.md").write_text(repo.git("show", f"{world.base}:docs/guide.md"))
        (new / "guide.md").write_text(repo.git("show", "guide-change:docs/guide.md"))
        data = subprocess.run(["diff", "-ru", "old", "new"], cwd=tmp_path, capture_output=True).stdout
    changes = parse_patch(data, "usual.patch")
    check_git_parity(repo.path, world.base, data, "usual.patch", changes)
    patch = tmp_path / "usual.patch"
    patch.write_bytes(data)
    code, out, err = world.cli("gate", str(patch), "--repo", str(repo.path))
    assert code in (0, 1) and "APPROVED" in out, err


# --- (a) MIME: what git mailinfo decodes -----------------------------------------------------------

def _mime_mbox(world: World, attachment: bytes, encoding: str = "base64", nested: bool = False) -> bytes:
    """The docs patch as the visible text part of a multipart mail, plus an attachment holding ``attachment``."""
    visible = _format_patch(world, "guide-change")
    headers, _, body = visible.partition("\n\n")
    message = email.message.EmailMessage(policy=email.policy.SMTP.clone(linesep="\n"))
    for line in headers.splitlines()[1:]:
        name, _, value = line.partition(": ")
        if name in ("From", "Date", "Subject"):
            message[name] = value
    message.set_content(body, cte="8bit")
    message.add_attachment(attachment, maintype="text", subtype="x-patch", filename="fix.patch", cte=encoding)
    if nested:
        outer = email.message.EmailMessage(policy=message.policy)
        for name in ("From", "Date", "Subject"):
            outer[name] = message[name]
        inner = email.message.EmailMessage(policy=message.policy)
        inner.set_content("see the attachment\n")
        inner.make_mixed()
        inner.attach(message)
        outer.make_mixed()
        outer.attach(inner)
        message = outer
    return headers.splitlines()[0].encode() + b"\n" + message.as_bytes()


def test_a_base64_attachment_git_am_applies_is_refused(world: World, tmp_path: Path) -> None:
    patch = tmp_path / "attack.mbox"
    patch.write_bytes(_mime_mbox(world, f"diff --git a/{DEPLOY} b/{DEPLOY}\n{HIDDEN_DIFF}".encode()))
    applied = _git_am(world, patch, tmp_path)
    assert "replicas: 0" in applied[DEPLOY] and "twice" in applied["docs/guide.md"]  # git am applies both
    err = _gate_refuses(world, patch)
    assert "MIME multipart" in err and "attack.mbox:" in err


def test_the_gate_check_alone_catches_the_attachment(world: World, tmp_path: Path) -> None:
    """Defence in depth: were the parser to read only the visible part, the gate's own git apply finds the rest."""
    data = _mime_mbox(world, f"diff --git a/{DEPLOY} b/{DEPLOY}\n{HIDDEN_DIFF}".encode())
    shown = parse_patch(_format_patch(world, "guide-change").encode(), "attack.mbox")  # what the old parser read
    with pytest.raises(UserError) as info:
        check_git_parity(world.repo.path, world.base, data, "attack.mbox", shown)
    assert "attack.mbox: message 1: git applies content the patch shows differently" in str(info.value)
    assert DEPLOY in str(info.value)


@pytest.mark.parametrize("variant", ["quoted-printable", "nested multipart", "boundary on text/plain",
                                     "hidden header name", "repeated encoding"])
def test_other_mail_encodings_are_refused(world: World, tmp_path: Path, variant: str) -> None:
    visible = _format_patch(world, "guide-change")
    head, _, body = visible.partition("\n\n")
    evil = f"diff --git a/{DEPLOY} b/{DEPLOY}\n{HIDDEN_DIFF}"
    if variant == "quoted-printable":
        # The raw text shows "replicas: =33" (3); decoded, git applies "replicas: 0".
        tricked = body.replace("-- \n", evil.replace("replicas: 0", "replicas: =30") + "-- \n")
        data = (f"{head}\nContent-Transfer-Encoding: quoted-printable\n\n{tricked}").encode()
    elif variant == "nested multipart":
        data = _mime_mbox(world, evil.encode(), nested=True)
    elif variant == "boundary on text/plain":
        # git mailinfo splits on a boundary= in any Content-Type, whatever the type says.
        encoded = base64.b64encode(evil.encode()).decode()
        data = (f"{head}\nContent-Type: text/plain; boundary=\"XX\"\n\n--XX\n\n{body}\n--XX\n"
                f"Content-Transfer-Encoding: base64\n\n{encoded}\n--XX--\n").encode()
    elif variant == "hidden header name":
        # "X.Mailer" is a header to git mailinfo (any printable name), so the Content-Type after it counts.
        data = (f"{head}\nX.Mailer: x\nContent-Transfer-Encoding: base64\n\n"
                + base64.encodebytes(body.encode()).decode()).encode()
    else:
        data = (f"{head}\nContent-Transfer-Encoding: 8bit\nContent-Transfer-Encoding: quoted-printable\n\n{body}").encode()
    patch = tmp_path / "variant.mbox"
    patch.write_bytes(data)
    with pytest.raises(UserError) as info:
        parse_patch(data, "variant.mbox")
    assert str(info.value).startswith("variant.mbox:")
    _gate_refuses(world, patch)
    if variant == "quoted-printable":
        assert "replicas: 0" in _git_am(world, patch, tmp_path)[DEPLOY]
    if variant == "boundary on text/plain":
        assert "replicas: 0" in _git_am(world, patch, tmp_path)[DEPLOY]


# --- (b) content after binary data ----------------------------------------------------------------

def _after_binary(world: World, where: str) -> bytes:
    patch = _format_patch(world, "logo-change")
    if where == "after the literal block":
        cut = patch.index("\n-- \n")
        return (patch[:cut] + "\n" + HIDDEN_DIFF + patch[cut:]).encode()
    if where == "between the two blocks":
        start = patch.index("literal ", patch.index("GIT binary patch"))
        second = patch.index("\nliteral ", start) + 1
        return (patch[:second] + HIDDEN_DIFF + "\n" + patch[second:]).encode()
    if where == "after 'Binary files differ'":
        head = patch[:patch.index("GIT binary patch")]
        return (head + "Binary files a/assets/logo.png and b/assets/logo.png differ\n" + HIDDEN_DIFF
                + "-- \n2.39.5\n\n").encode()
    raise AssertionError(where)


def test_a_diff_after_binary_data_that_git_am_applies_is_refused(world: World, tmp_path: Path) -> None:
    patch = tmp_path / "logo.mbox"
    patch.write_bytes(_after_binary(world, "after the literal block"))
    applied = _git_am(world, patch, tmp_path)
    assert "replicas: 0" in applied[DEPLOY]  # the red team's finding, with the real git am
    err = _gate_refuses(world, patch)
    assert "unexpected line after the binary data of assets/logo.png" in err
    assert "logo.mbox:" in err


def test_the_gate_check_alone_catches_a_diff_after_binary_data(world: World) -> None:
    data = _after_binary(world, "after the literal block")
    shown = parse_patch(_format_patch(world, "logo-change").encode(), "logo.mbox")
    with pytest.raises(UserError, match=f"git changes {DEPLOY} \\(modified\\), which the patch does not show"):
        check_git_parity(world.repo.path, world.base, data, "logo.mbox", shown)


@pytest.mark.parametrize("where", ["between the two blocks", "after 'Binary files differ'"])
def test_content_elsewhere_around_binary_data_is_refused(world: World, tmp_path: Path, where: str) -> None:
    patch = tmp_path / "logo.mbox"
    patch.write_bytes(_after_binary(world, where))
    with pytest.raises(UserError, match="logo.mbox:[0-9]+: unexpected line after the binary data"):
        parse_patch(patch.read_bytes(), "logo.mbox")
    _gate_refuses(world, patch)


def test_content_after_a_delta_block_is_refused(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "delta")
    blob = bytes(range(256)) * 40
    repo.write("firmware.bin", blob)
    repo.write("deploy.yaml", "replicas: 3\n", dedent=False)
    base = repo.commit("firmware")
    repo.write("firmware.bin", blob[:5000] + b"patched" + blob[5007:])
    repo.commit("patch firmware")
    patch = repo.format_patch().decode()
    assert "\ndelta " in patch  # git sent a delta against the old firmware
    cut = patch.index("\n-- \n")
    hidden = "--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ -1 +1 @@\n-replicas: 3\n+replicas: 0\n"
    data = (patch[:cut] + "\n" + hidden + patch[cut:]).encode()
    (tmp_path / "fw.mbox").write_bytes(data)
    repo.git("checkout", "-q", "--detach", base)
    repo.git("apply", str(tmp_path / "fw.mbox"))
    assert (repo.path / "deploy.yaml").read_text() == "replicas: 0\n"  # git applies what follows the delta
    with pytest.raises(UserError, match="unexpected line after the binary data of firmware.bin"):
        parse_patch(data, "fw.mbox")


# --- (c) git headers this parser would read otherwise --------------------------------------------------

@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda p: p.replace("index ", "x-evil: yes\nindex ", 1), "unknown line"),
    (lambda p: p.replace("diff --git a/docs/guide.md b/docs/guide.md", f"diff --git a/docs/guide.md b/{DEPLOY}"),
     "names two different files"),
    (lambda p: p.replace("+++ b/docs/guide.md", f"+++ b/{DEPLOY}"), "disagree with the 'diff --git' header"),
    (lambda p: p.replace("Run it twice.\n", "Run it twice.\n+replicas: 0\n", 1), "more lines than the hunk header"),
])
def test_git_headers_read_otherwise_are_refused(world: World, tmp_path: Path, edit, fragment: str) -> None:  # type: ignore[no-untyped-def]
    data = edit(_format_patch(world, "guide-change")).encode()
    patch = tmp_path / "odd.mbox"
    patch.write_bytes(data)
    with pytest.raises(UserError, match=fragment):
        parse_patch(data, "odd.mbox")
    _gate_refuses(world, patch)


def test_a_diff_in_the_commit_message_is_judged_because_git_applies_it(world: World, tmp_path: Path) -> None:
    """git mailinfo ends the message at the first "--- <name>" line; so does the parser now, so the diff
    there is part of the judged change (it used to be read as message text, and approved unseen)."""
    visible = _format_patch(world, "guide-change")
    data = visible.replace("\n---\n", "\n" + HIDDEN_DIFF + "\n---\n", 1).encode()
    [change] = parse_patch(data, "msg.mbox")
    assert sorted(f.path for f in change.files) == sorted([DEPLOY, "docs/guide.md"])
    assert change.message == "Clarify the guide"
    patch = tmp_path / "msg.mbox"
    patch.write_bytes(data)
    assert "replicas: 0" in _git_am(world, patch, tmp_path)[DEPLOY]
    check_git_parity(world.repo.path, world.base, data, "msg.mbox", [change])  # judged == applied
    code, out, _ = world.cli("gate", str(patch), "--repo", str(world.repo.path))
    assert code == 1 and "NOT APPROVED" in out  # alice approved the guide change, not this one


def test_a_hunk_header_with_trailing_text_is_refused_at_the_gate(world: World, tmp_path: Path) -> None:
    """Text after the second @@ is git's hunk heading, part of the change id; git ignores what a patch
    says there, so the gate compares it with git's own heading and refuses a made-up one."""
    data = _format_patch(world, "guide-change").replace("@@ -1,3 +1,3 @@", "@@ -1,3 +1,3 @@ staging:").encode()
    [change] = parse_patch(data, "junk.mbox")  # a heading is free text: the parser keeps it
    assert change.files[0].hunks[0].section == "staging:"
    patch = tmp_path / "junk.mbox"
    patch.write_bytes(data)
    code, _, err = world.cli("gate", str(patch), "--repo", str(world.repo.path))
    assert code == 2 and "the text after @@ is not git's hunk heading" in err


def test_hunks_at_other_positions_than_git_applies_them_are_refused(world: World, tmp_path: Path) -> None:
    """git applies a hunk where its context matches, whatever its @@ numbers say; the gate wants them to agree."""
    repo = world.repo
    repo.git("checkout", "-q", "-b", "long", "main")
    repo.write("docs/long.md", "".join(f"line {i}\n" for i in range(1, 40)), dedent=False)
    base = repo.commit("long doc", author=ADMIN)
    repo.write("docs/long.md", "".join(f"line {i}\n" if i != 30 else "line thirty\n" for i in range(1, 40)), dedent=False)
    repo.commit("edit line 30")
    repo.git("checkout", "-q", "main")
    data = repo.format_patch("long").decode().replace("@@ -27,7 +27,7 @@", "@@ -7,7 +7,7 @@").encode()
    changes = parse_patch(data, "moved.mbox")
    with pytest.raises(UserError, match="at other lines than the patch says"):
        check_git_parity(repo.path, base, data, "moved.mbox", changes)


def test_a_patch_git_cannot_apply_to_the_base_is_refused(world: World, tmp_path: Path) -> None:
    data = _format_patch(world, "guide-change").replace(" # Guide", " # Handbook").encode()
    patch = tmp_path / "stale.mbox"
    patch.write_bytes(data)
    code, _, err = world.cli("gate", str(patch), "--repo", str(world.repo.path))
    assert code == 2 and "git cannot apply it to the base" in err and err.count("\n") == 1


def test_the_author_git_records_from_the_body_is_the_author_the_gate_judges(world: World, tmp_path: Path) -> None:
    """git mailinfo takes an in-body From: (git format-patch --from) as the author git records; so does
    the parser. Alice approved the guide change as a reviewer; sent as her own work, it is not approved."""
    visible = _format_patch(world, "guide-change")
    head, _, body = visible.partition("\n\n")
    data = f"{head}\n\nFrom: Alice <alice@example.com>\n\n{body}".encode()
    [change] = parse_patch(data, "inbody.mbox")
    assert change.author.email == "alice@example.com" and change.message == "Clarify the guide"
    check_git_parity(world.repo.path, world.base, data, "inbody.mbox", [change])
    patch = tmp_path / "inbody.mbox"
    patch.write_bytes(data)
    code, out = world.cli_gate_json(str(patch))
    assert code == 1 and out["analysis"]["author"] == "alice@example.com"
    assert [r["reason"] for r in out["rejected"]] == [AUTHOR]


def test_an_author_the_parser_misses_is_refused_by_the_gate_check(world: World) -> None:
    """Defence in depth: a parsed author that is not the one git records is refused."""
    visible = _format_patch(world, "guide-change")
    head, _, body = visible.partition("\n\n")
    data = f"{head}\n\nFrom: Alice <alice@example.com>\n\n{body}".encode()
    shown = parse_patch(visible.encode(), "inbody.mbox")  # what a reader ignoring in-body headers sees
    with pytest.raises(UserError, match="git records the author alice@example.com, this reviewer reads dana@example.com"):
        check_git_parity(world.repo.path, world.base, data, "inbody.mbox", shown)


# --- the property: what the gate judges is what git applies ------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reviewer_app.core.gitapply import load_changes_as_git_applies  # noqa: E402
from reviewer_app.core.model import Change, FileStatus, Hunk, LineKind  # noqa: E402

_WORDS = ["alpha", "beta", "gamma", "replicas: 3", "replicas: 0", "", "  indented", "def run():", "x = 1\r"]
_PATHS = ["a.txt", "src/b.py", "deploy/c.yaml"]
_UNTOUCHED = "deploy/prod.yaml"  # in every base, never changed by the generated commit
_MUTATIONS = ["none", "move a hunk", "trailing text", "trailing diff", "duplicate a header line",
              "shift a hunk", "hunk heading", "drop a line"]


@st.composite
def _scenarios(draw):  # type: ignore[no-untyped-def]
    lines = st.lists(st.sampled_from(_WORDS), max_size=14)
    before = draw(st.dictionaries(st.sampled_from(_PATHS), lines, min_size=1, max_size=3))
    after: dict[str, list[str]] = {}
    for path, old in before.items():
        action = draw(st.sampled_from(["keep", "edit", "edit", "delete"]))
        if action == "delete":
            continue
        new = list(old)
        for _ in range(draw(st.integers(1, 4)) if action == "edit" else 0):
            op = draw(st.sampled_from(["replace", "insert", "remove"]))
            if op == "insert" or not new:
                new.insert(draw(st.integers(0, len(new))), draw(st.sampled_from(_WORDS)))
            elif op == "replace":
                new[draw(st.integers(0, len(new) - 1))] = draw(st.sampled_from(_WORDS))
            else:
                del new[draw(st.integers(0, len(new) - 1))]
        after[path] = new
    if draw(st.booleans()):
        after["new/e.txt"] = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=5))
    return before, after, draw(st.sampled_from(["git diff", "git format-patch"])), draw(st.integers(0, 2**16))


def _text(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _mutate(patch: str, mutation: str, seed: int, before: dict[str, list[str]]) -> str:
    import random

    rng = random.Random(seed)
    lines = patch.split("\n")
    hunks = [i for i, line in enumerate(lines) if line.startswith("@@ ")]
    if mutation == "move a hunk" and len(hunks) >= 2:
        i = rng.randrange(len(hunks))
        end = next((j for j in range(hunks[i] + 1, len(lines))
                    if lines[j].startswith(("@@ ", "diff --git ", "-- ")) or lines[j] == ""), len(lines))
        block = lines[hunks[i]:end]
        rest = lines[:hunks[i]] + lines[end:]
        at = rng.choice([j for j, line in enumerate(rest) if line.startswith(("@@ ", "diff --git "))] or [len(rest)])
        lines = rest[:at] + block + rest[at:]
    elif mutation == "trailing text":
        lines.append(rng.choice(["some trailing words", "+replicas: 0", "literal 5", "@@ -1 +1 @@"]))
    elif mutation == "trailing diff":  # a hand-made diff of a file the change does not touch
        lines += [f"--- a/{_UNTOUCHED}", f"+++ b/{_UNTOUCHED}", "@@ -1 +1 @@", "-replicas: 3", "+replicas: 0", ""]
    elif mutation == "duplicate a header line":
        headers = [i for i, line in enumerate(lines) if line.startswith(("diff --git ", "index ", "--- ", "+++ ", "new file"))]
        if headers:
            i = rng.choice(headers)
            lines.insert(i, lines[i])
    elif mutation == "shift a hunk" and hunks:
        i = rng.choice(hunks)
        lines[i] = re.sub(r"\+(\d+)", lambda m: f"+{int(m.group(1)) + 1}", lines[i], count=1)
    elif mutation == "hunk heading" and hunks:
        i = rng.choice(hunks)
        lines[i] = lines[i].split(" @@", 1)[0] + " @@ production:"
    elif mutation == "drop a line":
        body = [i for i, line in enumerate(lines) if line[:1] in ("+", "-", " ") and not line.startswith(("+++", "---"))]
        if body:
            del lines[rng.choice(body)]
    return "\n".join(lines)


def _splice(content: bytes, hunks: list[Hunk]) -> bytes:
    """The judged hunks applied at exactly their stated line numbers (an independent oracle, not git)."""
    old_lines = content.splitlines(keepends=True)
    out: list[bytes] = []
    pos = 0
    for hunk in hunks:
        def as_bytes(line) -> bytes:  # type: ignore[no-untyped-def]
            body = line.raw if line.raw is not None else line.text.encode("utf-8", "surrogateescape")
            return body + (b"" if line.no_newline else b"\n")
        old_side = [as_bytes(line) for line in hunk.lines if line.kind is not LineKind.ADDED]
        new_side = [as_bytes(line) for line in hunk.lines if line.kind is not LineKind.REMOVED]
        start = hunk.old_start - 1 if hunk.old_count else hunk.old_start
        assert start >= pos and old_lines[start:start + len(old_side)] == old_side, "hunk not at its stated place"
        out += old_lines[pos:start]
        assert hunk.new_start == (len(out) + 1 if hunk.new_count else len(out)), "new side at another line"
        out += new_side
        pos = start + len(old_side)
    return b"".join(out + old_lines[pos:])


def _judged_result(base: dict[str, bytes], changes: list[Change]) -> dict[str, bytes]:
    files = dict(base)
    for change in changes:
        for file in change.files:
            assert not file.binary
            new = _splice(b"" if file.old_path is None else files[file.old_path], file.hunks)
            if file.status in (FileStatus.DELETED, FileStatus.RENAMED):
                del files[file.old_path]  # type: ignore[arg-type]
            if file.new_path is not None:
                files[file.new_path] = new
    return files


def _tracked(repo: GitRepo) -> dict[str, bytes]:
    return {path: (repo.path / path).read_bytes() for path in repo.git("ls-files", "-z").split("\0") if path}


@pytest.mark.parametrize("mutation", _MUTATIONS)
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scenario=_scenarios())
def test_what_the_gate_judges_is_what_git_applies(tmp_path_factory: pytest.TempPathFactory, mutation: str,
                                                  scenario) -> None:  # type: ignore[no-untyped-def]
    """For every patch ``git apply --check`` accepts on the base (made by git, then maybe mangled): the gate
    refuses it, or the hunks it judges, applied at their stated lines, give exactly the files git writes."""
    before, after, form, seed = scenario
    repo = init_repo(tmp_path_factory.mktemp("prop") / "repo")
    repo.write_files({path: _text(lines) for path, lines in before.items()})
    repo.write(_UNTOUCHED, "replicas: 3\n", dedent=False)
    base = repo.commit("base")
    repo.write_files({path: None for path in before if path not in after})
    repo.write_files({path: _text(lines) for path, lines in after.items()})
    head = repo.commit("change")
    if base == head or not repo.git("diff", base, head):
        return
    made = repo.git("diff", "--binary", base, head) if form == "git diff" else repo.format_patch(head).decode()
    patch_file = repo.path.parent / "change.patch"
    patch_file.write_text(_mutate(made, mutation, seed, before))
    repo.git("checkout", "-q", "--detach", base)
    check = subprocess.run(["git", "-C", str(repo.path), "apply", "--check", str(patch_file)], capture_output=True)
    if check.returncode != 0:
        return  # git would not apply it: nothing to compare
    try:
        changes = load_changes_as_git_applies(str(patch_file), repo.path, base)
    except UserError:
        return  # refused (exit 2 at the gate): fail closed
    base_files = _tracked(repo)
    repo.git("apply", "--index", str(patch_file))
    applied = _tracked(repo)
    judged = _judged_result(base_files, changes)
    assert judged == applied, (mutation, patch_file.read_text())
    changed = {path for path in set(base_files) | set(applied) if base_files.get(path) != applied.get(path)}
    shown = {p for change in changes for f in change.files for p in (f.old_path, f.new_path) if p}
    assert changed <= shown
