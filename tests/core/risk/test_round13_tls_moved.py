"""TLS-VERIFY-DISABLED on a setting or command the change moves: when the change removes, from a file
the rule reads, as many lines that turn verification off the same way towards the same hosts as it
adds, the added ones were in force before the change (low, saying where from). A removed line in a
test file, a comment, another host, or fewer removals than additions keep the finding high."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

JSON_CONFIG = '''{
  "production": {
    "dialect": "postgres",
    "dialectOptions": {
      "ssl": {
        "rejectUnauthorized": false
      }
    }
  }
}
'''
JS_CONFIG = '''module.exports = {
  production: {
    dialect: "postgres",
    dialectOptions: {
      ssl: {
        rejectUnauthorized: false,
      },
    },
  },
};
'''
CHECK = '''#!/bin/sh
if curl -XGET -s -k --fail https://{host}:9200/_cluster/health ; then
  exit 0
fi
'''
HELPER = '''#!/bin/sh
http () {{
  curl --output /dev/null -k "https://{host}:9200${{1}}"
}}
http /_cluster/health
'''


def _tls(git_repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), "TLS-VERIFY-DISABLED")


def test_a_config_moved_from_json_to_javascript_is_low(git_repo: GitRepo) -> None:
    found = _tls(git_repo, {"server/config/database.json": JSON_CONFIG},
                 {"server/config/database.json": None, "server/config/database.js": JS_CONFIG})
    assert [f["severity"] for f in found] == ["low"]
    assert "(server/config/database.json:6): it moved" in found[0]["message"]


def test_the_json_setting_alone_is_found(git_repo: GitRepo) -> None:
    found = _tls(git_repo, {"README": "x\n"}, {"README": "x\n", "server/config/database.json": JSON_CONFIG})
    assert [f["severity"] for f in found] == ["high"]


def test_a_command_moved_into_a_helper_towards_the_same_host_is_low(git_repo: GitRepo) -> None:
    found = _tls(git_repo, {"bin/check.sh": CHECK.format(host="db.internal")},
                 {"bin/check.sh": HELPER.format(host="db.internal")})
    assert [f["severity"] for f in found] == ["low"]


def test_another_host_keeps_it_high(git_repo: GitRepo) -> None:
    found = _tls(git_repo, {"bin/check.sh": CHECK.format(host="db.internal")},
                 {"bin/check.sh": HELPER.format(host="payments.example.com")})
    assert [f["severity"] for f in found] == ["high"]


def test_a_setting_removed_from_a_test_file_does_not_vouch_for_one_added_elsewhere(git_repo: GitRepo) -> None:
    found = _tls(git_repo, {"tests/fixtures/database.json": JSON_CONFIG},
                 {"tests/fixtures/database.json": None, "server/config/database.js": JS_CONFIG})
    assert [f["severity"] for f in found] == ["high"]


def test_a_removed_comment_does_not_vouch(git_repo: GitRepo) -> None:
    before = {"server/config/database.js": "// rejectUnauthorized: false\nmodule.exports = {};\n"}
    found = _tls(git_repo, before, {"server/config/database.js": JS_CONFIG})
    assert [f["severity"] for f in found] == ["high"]


def test_more_added_than_removed_keeps_them_high(git_repo: GitRepo) -> None:
    twice = JS_CONFIG + "module.exports.staging = { ssl: { rejectUnauthorized: false } };\n"
    found = _tls(git_repo, {"server/config/database.json": JSON_CONFIG},
                 {"server/config/database.json": None, "server/config/database.js": twice})
    assert sorted(f["severity"] for f in found) == ["high", "high"]
