"""Round 12: scrape annotations put behind a setting whose default keeps them (K8S-MONITORING-DROPPED).

On real git repositories, analysed as `analyze --git` does: the lowered case with its reason, and the neighbours
that keep their severity.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CHART = "apiVersion: v2\nname: dns\nversion: 1.0.0\n"
DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{{{ .Release.Name }}}}-dns
spec:
  selector:
    matchLabels:
      app: dns
  template:
    metadata:
      annotations:
        {{{{- if {condition} }}}}
        prometheus.io/port: "9253"
        prometheus.io/scrape: "true"
        {{{{- end }}}}
      labels:
        app: dns
    spec:
      containers:
        - name: dns
          image: registry.k8s.io/dns/k8s-dns-node-cache:1.22.20
"""
OLD = "not .Values.serviceMonitor.enabled"
NEW = "and (not .Values.serviceMonitor.enabled) .Values.prometheusScraping.enabled"
VALUES = "serviceMonitor:\n  enabled: false\nprometheusScraping:\n  enabled: {default}\n"


def _chart(condition: str, default: str) -> dict[str, str]:
    return {"dns/Chart.yaml": CHART, "dns/values.yaml": VALUES.format(default=default),
            "dns/templates/daemonset.yaml": DAEMONSET.format(condition=condition)}


def _found(repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(repo, before, after)), "K8S-MONITORING-DROPPED")


def test_scrape_annotations_behind_a_setting_on_by_default_are_medium(git_repo: GitRepo) -> None:
    found = _found(git_repo, _chart(OLD, "true"), _chart(NEW, "true"))
    assert [f["severity"] for f in found] == ["medium"]
    assert "only when `prometheusScraping.enabled` is set to false" in found[0]["message"]
    assert "default (true in the chart's values.yaml) keeps it" in found[0]["message"]


def test_scrape_annotations_behind_a_setting_off_by_default_stay_high(git_repo: GitRepo) -> None:
    found = _found(git_repo, _chart(OLD, "true"), _chart(NEW, "false"))
    assert [f["severity"] for f in found] == ["high"]


def test_a_setting_the_old_template_already_read_keeps_the_finding(git_repo: GitRepo) -> None:
    # Installs may have set it for what the old template did with it: turning it off now also drops scraping.
    before = _chart(OLD, "true")
    before["dns/templates/service.yaml"] = ("{{- if .Values.prometheusScraping.enabled }}\napiVersion: v1\nkind: Service\n"
                                            "metadata:\n  name: metrics\nspec:\n  ports:\n    - port: 9253\n{{- end }}\n")
    after = dict(_chart(NEW, "true"), **{"dns/templates/service.yaml": before["dns/templates/service.yaml"]})
    found = _found(git_repo, before, after)
    assert [f["severity"] for f in found] == ["high"]


def test_a_setting_that_already_decided_scraping_elsewhere_is_medium(git_repo: GitRepo) -> None:
    # At the base the setting already guarded the Service's scrape annotation: turning it off meant no scraping.
    service = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: metrics\n  annotations:\n"
               "  {{- if .Values.prometheusScraping.enabled }}\n    prometheus.io/scrape: \"true\"\n  {{- end }}\n"
               "spec:\n  ports:\n    - port: 9253\n")
    before = dict(_chart(OLD, "true"), **{"dns/templates/service.yaml": service})
    after = dict(_chart(NEW, "true"), **{"dns/templates/service.yaml": service})
    found = _found(git_repo, before, after)
    assert [f["severity"] for f in found] == ["medium"]
    assert "already decided whether the chart's other templates render their scrape annotation" in found[0]["message"]
