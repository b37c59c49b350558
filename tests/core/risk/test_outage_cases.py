"""The public outage cases of the reference catalogue, rebuilt as small real git diffs.

Each case is the shape of the change described in the public write-up (not the real internal
diff); the rules listed must fire on it, and the change-level verdict must be at least high.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from reviewer_app.core.provenance import Provenance
from reviewer_app.core.risk import assess, load_rules
from tests.core.risk.realdiff import git_change
from tests.gitrepo import GitRepo

RULES = load_rules(None)
HUMAN = Provenance(ai_assisted=False)
AGENT = Provenance(ai_assisted=True, tools=["claude-code"])


@dataclass
class Case:
    name: str
    before: dict[str, str]
    after: dict[str, str | None]
    must_fire: set[str]
    level: str = "high"
    ai_assisted: bool = False
    severities: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "cloudflare-2019-waf-regex",
        {"edge/waf/rules/xss.yaml": "rules:\n  - id: 100034\n    expression: \"(?:alert)\"\n"},
        {"edge/waf/rules/xss.yaml": "rules:\n  - id: 100034\n    expression: \"(?:alert)\"\n"
                                    "  - id: 100035\n    expression: \"(?:(?:\\\"|'|\\]|\\}|\\d)+[)]*;?((?:\\s|-|~|!)*.*(?:.*=.*)))\"\n"},
        {"REGEX-CATASTROPHIC-BACKTRACK", "GLOBAL-CONFIG-PLANE"},
    ),
    Case(
        "cloudflare-2025-bot-management",
        {
            "db/migrations/0107_bot_features.sql": "-- bot features\n",
            "proxy/src/bots/features.rs": (
                "pub fn load(path: &Path) -> Result<Features, Error> {\n"
                "    let raw = read_feature_file(path)?;\n"
                "    if raw.len() > MAX_FEATURES {\n"
                "        return Err(Error::TooManyFeatures);\n"
                "    }\n"
                "    Ok(Features::new(raw))\n"
                "}\n"
            ),
        },
        {
            "db/migrations/0107_bot_features.sql": "-- bot features\nGRANT SELECT ON r0.* TO default;\n",
            "proxy/src/bots/features.rs": (
                "pub fn load(path: &Path) -> Features {\n"
                "    let raw = Features::from_file(path).unwrap();\n"
                "    Features::new(raw)\n"
                "}\n"
            ),
        },
        {"DB-GRANT-CHANGE", "PANIC-ON-INPUT", "INPUT-LIMIT-OR-VALIDATION-REMOVED"},
    ),
    Case(
        "crowdstrike-2024-channel-file-291",
        {"sensor/content/channel291/template.json": '{"fields": 20}\n'},
        {"sensor/content/channel291/template.json": '{"fields": 21}\n'},
        {"GLOBAL-CONFIG-PLANE"},
    ),
    Case(
        "aws-s3-2017-runbook",
        {"runbooks/billing/remove-capacity.sh": "#!/bin/sh\nset -e\n"},
        {"runbooks/billing/remove-capacity.sh": "#!/bin/sh\nset -e\naws ec2 terminate-instances --instance-ids $SERVERS\n"},
        {"OPS-CLOUD-DELETE-CLI"},
        level="critical",
        severities={"OPS-CLOUD-DELETE-CLI": "critical"},
    ),
    Case(
        "gitlab-2017-rm-rf",
        {"runbooks/db/resync-replica.sh": "#!/bin/sh\nsudo gitlab-ctl stop postgresql\n"},
        {"runbooks/db/resync-replica.sh": "#!/bin/sh\nsudo gitlab-ctl stop postgresql\n"
                                          "sudo rm -rf /var/opt/gitlab/postgresql/data\n"},
        {"OPS-RM-RF"},
        level="critical",
        severities={"OPS-RM-RF": "critical"},
    ),
    Case(
        "google-cloud-2025-service-control",
        {"servicecontrol/quota/policy.go": (
            "func check(req *Request) (*Limits, error) {\n"
            "\tpolicy, err := readQuotaPolicy(req)\n"
            "\tif err != nil {\n"
            "\t\treturn defaultLimits, nil\n"
            "\t}\n"
            "\treturn policy.Limits, nil\n"
            "}\n")},
        {"servicecontrol/quota/policy.go": (
            "func check(req *Request) (*Limits, error) {\n"
            "\tpolicy, _ := readQuotaPolicy(req)\n"
            "\treturn policy.Fields.Limits, nil\n"
            "}\n")},
        {"ERR-HANDLING-REMOVED", "GLOBAL-CONFIG-PLANE"},
    ),
    Case(
        "atlassian-2022-bulk-delete",
        {"scripts/decommission.py": "import sys\n\nsite_ids = sys.argv[1:]\n"},
        {"scripts/decommission.py": "import sys\n\nsite_ids = sys.argv[1:]\nfor site_id in site_ids:\n"
                                    "    permanently_delete(site_id)\n"},
        {"OPS-BULK-DELETE-NO-DRYRUN"},
    ),
    Case(
        "replit-2025-delete-from",
        {"db/maintenance.sql": "-- maintenance\n"},
        {"db/maintenance.sql": "-- maintenance\nDELETE FROM executives;\n"},
        {"DB-MASS-DATA-CHANGE"},
        level="critical",
        ai_assisted=True,
    ),
    Case(
        "aws-kiro-2025-replace",
        {"ops/rebuild-env.sh": "#!/bin/sh\ncd infra\n"},
        {"ops/rebuild-env.sh": "#!/bin/sh\ncd infra\nterraform apply -replace=aws_instance.cost_explorer -auto-approve\n"},
        {"OPS-IAC-DESTRUCTIVE-COMMAND"},
        level="critical",  # a high finding in an AI-assisted change counts as critical
        ai_assisted=True,
    ),
    Case(
        "facebook-2021-backbone",
        {"netops/bgp/peers.yaml": "peers:\n  - asn: 32934\n    drain: false\n"},
        {"netops/bgp/peers.yaml": "peers:\n  - asn: 32934\n    drain: true\n"},
        {"GLOBAL-CONFIG-PLANE"},
    ),
    Case(
        "fastly-2021-vcl",
        {"edge/config/main.vcl": "sub vcl_recv {\n  return (lookup);\n}\n"},
        {"edge/config/main.vcl": "sub vcl_recv {\n  set req.http.X-Cache = \"on\";\n  return (lookup);\n}\n"},
        {"GLOBAL-CONFIG-PLANE"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_outage_case_fires_expected_rules(git_repo: GitRepo, case: Case) -> None:
    change = git_change(git_repo, case.before, case.after)
    report = assess(change, AGENT if case.ai_assisted else HUMAN, RULES)
    fired = {f.rule for f in report.findings}
    assert case.must_fire <= fired, f"missing {case.must_fire - fired}; fired {sorted(fired)}"
    assert report.level == case.level or (case.level == "high" and report.level == "critical")
    for rule_id, severity in case.severities.items():
        assert {f.severity for f in report.findings if f.rule == rule_id} == {severity}


def test_kiro_case_is_critical_because_of_the_agent(git_repo: GitRepo) -> None:
    case = next(c for c in CASES if c.name == "aws-kiro-2025-replace")
    change = git_change(git_repo, case.before, case.after)
    by_agent = assess(change, AGENT, RULES)
    assert by_agent.level == "critical"
    assert ("It is AI-assisted (claude-code), so its high findings (OPS-IAC-DESTRUCTIVE-COMMAND) count as critical."
            in by_agent.reasons)
    assert assess(change, HUMAN, RULES).level == "high"
