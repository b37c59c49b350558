"""A chart's Job whose annotations are a value inserted whole, holding ``helm.sh/hook`` by default, on a real git repository.

Helm deletes a hook Job and creates it again at each upgrade, so its pod template may change. A chart often
writes the hook annotations into values.yaml (``job.annotations``) and inserts that map into the template
(``{{- with .Values.job.annotations }} {{- toYaml . | nindent 4 }}``). Helm merges a release's values into
that map key by key, so every release keeps the hook unless it nulls the key: no finding. The same template
with annotations that are no hook keeps K8S-IMMUTABLE-FIELD.

A chart's Job rendered only at install (``{{ if .Release.IsInstall }}``) is never patched by an upgrade: no finding.
A chart's Job whose old pod template already renders the image tag (or the app version) changed at every upgrade to
a new version and was refused the same way: medium, saying so.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

# The Job's spec: its pod template runs the migration with one argument (%s), the edit every test makes.
POD_TEMPLATE = """spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: migrate
          image: registry.example.org/app:1.4.0
          args: ["migrate", "%s"]
"""

TEMPLATE = """apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  labels:
    app: migrate
  annotations:
    {{- with .Values.job.annotations }}
      {{- toYaml . | nindent 4 }}
    {{- end }}
""" + POD_TEMPLATE


VALUES = """image:
  repository: registry.example.org/app
  tag: "1.4.0"
job:
  annotations:
%s
"""

HOOK = """    helm.sh/hook-weight: "1"
    helm.sh/hook: "pre-install, pre-upgrade"
    helm.sh/hook-delete-policy: "before-hook-creation"
"""

NOT_A_HOOK = """    example.org/owner: "platform"
"""

CHART = "apiVersion: v2\nname: app\nversion: 1.0.0\n"


def _immutable(git_repo: GitRepo, annotations: str) -> list[tuple[str, str]]:
    files = {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES % annotations.rstrip("\n")}
    before = dict(files, **{"chart/templates/job.yaml": TEMPLATE % "--all"})
    after = dict(files, **{"chart/templates/job.yaml": TEMPLATE % "--to-latest"})
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")]


def test_a_job_made_a_hook_by_its_default_annotations_gets_no_immutable_finding(git_repo: GitRepo) -> None:
    assert _immutable(git_repo, HOOK) == []


def test_the_same_job_with_annotations_that_are_no_hook_is_still_refused_by_helm_upgrade(git_repo: GitRepo) -> None:
    found = _immutable(git_repo, NOT_A_HOOK)
    assert found and all(severity in ("high", "critical") for severity, _ in found), found
    assert "`helm upgrade` fails" in found[0][1], found


INSTALL_ONLY = """{{- if %s }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-init-migrations
""" + POD_TEMPLATE + "{{- end }}\n"


def _guarded(git_repo: GitRepo, condition: str) -> list[tuple[str, str]]:
    files = {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES % NOT_A_HOOK.rstrip("\n")}
    before = dict(files, **{"chart/templates/migrations.yaml": INSTALL_ONLY % (condition, "--all")})
    after = dict(files, **{"chart/templates/migrations.yaml": INSTALL_ONLY % (condition, "--force")})
    found = risk_findings(range_analysis(git_repo, before, after))
    return [(f["severity"], f["message"]) for f in by_rule(found, "K8S-IMMUTABLE-FIELD")]


def test_a_job_rendered_only_at_install_is_never_updated_by_an_upgrade(git_repo: GitRepo) -> None:
    # `helm upgrade` leaves the Job out of the release (and deletes the old one): nothing is patched in place.
    assert _guarded(git_repo, ".Release.IsInstall") == []
    assert _guarded(git_repo, "and .Release.IsInstall (ne .Values.image.tag \"off\")") == []


def test_a_job_rendered_at_install_or_on_an_option_is_still_judged(git_repo: GitRepo) -> None:
    # `or`: an upgrade with the option on renders the Job and patches it.
    found = _guarded(git_repo, "or .Release.IsInstall .Values.migrations.enabled")
    assert found and all(severity in ("high", "critical") for severity, _ in found), found


def test_a_job_whose_old_template_renders_the_image_tag_is_medium(git_repo: GitRepo) -> None:
    # Each release moving image.tag already changed this Job's template: the change adds no new failure.
    tagged = TEMPLATE.replace("image: registry.example.org/app:1.4.0",
                              'image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"')
    files = {"chart/Chart.yaml": CHART, "chart/values.yaml": VALUES % NOT_A_HOOK.rstrip("\n")}
    before = dict(files, **{"chart/templates/job.yaml": tagged % "--all"})
    after = dict(files, **{"chart/templates/job.yaml": tagged % "--to-latest"})
    found = [(f["severity"], f["message"]) for f in
             by_rule(risk_findings(range_analysis(git_repo, before, after)), "K8S-IMMUTABLE-FIELD")]
    assert [severity for severity, _ in found] == ["medium"], found
    assert "already renders what each release moves" in found[0][1], found
