"""Three classes of real-history noise, in real git repositories:

* a removed yaml.v2 ``UnmarshalYAML`` that only decoded through ``type plain T`` changes nothing the
  decoder reads (low); one that also set defaults or checked values loses those, said so: medium where
  the type that holds it sets the same defaults first and returns the same errors, high otherwise;
* a test file deleted together with the code it imports (tests/collector.py importing
  pkg/collector.py, both deleted whole): the tests went with their code, medium;
* goroutines started in a loop whose own loop only retries one piece of work are no pool of workers:
  medium, and the message says what they are.
"""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

CONFIG_HEAD = '''package config

import (
	"fmt"

	"gopkg.in/yaml.v2"
)

var _ = yaml.Unmarshal

var (
	DefaultAuth = Auth{
		Community: "public",
	}
	DefaultWalkParams = WalkParams{
		Retries: 3,
		Auth:    DefaultAuth,
	}
	DefaultModule = Module{
		WalkParams: DefaultWalkParams,
	}
)

type WalkParams struct {
	Version int  `yaml:"version,omitempty"`
	Retries int  `yaml:"retries,omitempty"`
	Auth    Auth `yaml:"auth,omitempty"`
}

type Module struct {
	Walk       []string   `yaml:"walk,omitempty"`
	WalkParams WalkParams `yaml:",inline"`
}

type Auth struct {
	Community string `yaml:"community,omitempty"`
	Username  string `yaml:"username,omitempty"`
}

type Index struct {
	Labelname string `yaml:"labelname"`
}
'''

PASS_THROUGH = '''
func (c *Index) UnmarshalYAML(unmarshal func(interface{}) error) error {
	type plain Index
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	return nil
}
'''

AUTH_DEFAULTS = '''
func (c *Auth) UnmarshalYAML(unmarshal func(interface{}) error) error {
	*c = DefaultAuth
	type plain Auth
	return unmarshal((*plain)(c))
}
'''

WALK_CHECKS = '''
func (c *WalkParams) UnmarshalYAML(unmarshal func(interface{}) error) error {
	*c = DefaultWalkParams
	type plain WalkParams
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	if c.Version < 1 || c.Version > 3 {
		return fmt.Errorf("SNMP version must be 1, 2 or 3. Got: %d", c.Version)
	}
	if c.Version == 3 {
		if c.Auth.Username == "" {
			return fmt.Errorf("Auth username is missing, required for SNMPv3")
		}
	}
	return nil
}
'''

MODULE_PLAIN = '''
func (c *Module) UnmarshalYAML(unmarshal func(interface{}) error) error {
	*c = DefaultModule
	type plain Module
	return unmarshal((*plain)(c))
}
'''

MODULE_CHECKS = '''
func (c *Module) UnmarshalYAML(unmarshal func(interface{}) error) error {
	*c = DefaultModule
	type plain Module
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	wp := c.WalkParams
	if wp.Version < 1 || wp.Version > 3 {
		return fmt.Errorf("SNMP version must be 1, 2 or 3. Got: %d", wp.Version)
	}
	if wp.Version == 3 && wp.Auth.Username == "" {
		return fmt.Errorf("Auth username is missing, required for SNMPv3")
	}
	return nil
}
'''

CONVERTING = '''
func (c *Index) UnmarshalYAML(unmarshal func(interface{}) error) error {
	type plain Index
	if err := unmarshal((*plain)(c)); err != nil {
		return err
	}
	c.Labelname = strings.ToLower(c.Labelname)
	return nil
}
'''


def _wire(repo: GitRepo, before: str, after: str) -> list[dict]:
    found = risk_findings(range_analysis(repo, {"config/config.go": before}, {"config/config.go": after}))
    return by_rule(found, "GO-WIRE-FORMAT-METHOD-REMOVED")


def test_a_removed_pass_through_decoder_is_low(git_repo: GitRepo) -> None:
    found = _wire(git_repo, CONFIG_HEAD + MODULE_PLAIN + PASS_THROUGH, CONFIG_HEAD + MODULE_PLAIN)
    assert [f["severity"] for f in found] == ["low"]
    assert "did nothing else" in found[0]["message"] and "format does not change" in found[0]["message"]


def test_a_decoder_that_converts_values_keeps_the_wire_format_finding(git_repo: GitRepo) -> None:
    found = _wire(git_repo, CONFIG_HEAD + MODULE_PLAIN + CONVERTING, CONFIG_HEAD + MODULE_PLAIN)
    assert [f["severity"] for f in found] == ["high"]


def test_removed_defaults_the_holding_type_still_sets_are_medium(git_repo: GitRepo) -> None:
    found = _wire(git_repo, CONFIG_HEAD + MODULE_PLAIN + AUTH_DEFAULTS, CONFIG_HEAD + MODULE_PLAIN)
    assert [f["severity"] for f in found] == ["medium"]
    message = found[0]["message"]
    assert "decoded inside `Module`" in message and "`DefaultModule`" in message and "Medium, not high" in message


def test_removed_defaults_nothing_else_sets_are_high_and_say_so(git_repo: GitRepo) -> None:
    # The holder's decoder no longer starts from DefaultModule: Auth's defaults are set nowhere.
    holder = MODULE_PLAIN.replace("\t*c = DefaultModule\n", "")
    found = _wire(git_repo, CONFIG_HEAD + holder + AUTH_DEFAULTS, CONFIG_HEAD + holder)
    assert [f["severity"] for f in found] == ["high"]
    assert "set defaults before decoding (`*c = DefaultAuth`)" in found[0]["message"]
    assert "field dump" not in found[0]["message"]


def test_checks_moved_into_the_holding_types_decoder_are_medium(git_repo: GitRepo) -> None:
    found = _wire(git_repo, CONFIG_HEAD + MODULE_PLAIN + WALK_CHECKS, CONFIG_HEAD + MODULE_CHECKS)
    assert [f["severity"] for f in found] == ["medium"]
    assert "every error its 2 checks returned" in found[0]["message"]


def test_checks_dropped_with_the_decoder_stay_high(git_repo: GitRepo) -> None:
    found = _wire(git_repo, CONFIG_HEAD + MODULE_PLAIN + WALK_CHECKS, CONFIG_HEAD + MODULE_PLAIN)
    assert [f["severity"] for f in found] == ["high"]
    assert "documents it rejected may now load" in found[0]["message"]


# -- a test file deleted with the code it imports -----------------------------------------------------

COLLECTOR = "def parse_indexes(oids):\n    return {}\n"
HTTP = "def serve():\n    return None\n"
TESTS = ("import unittest\n\nfrom snmp_exporter.collector import parse_indexes\n\n\n"
         "class TestCollector(unittest.TestCase):\n    def test_parse_indexes(self):\n"
         "        self.assertEqual({}, parse_indexes(()))\n")


def _deleted_tests(repo: GitRepo, before: dict[str, str], after: dict[str, str | None]) -> list[dict]:
    found = risk_findings(range_analysis(repo, before, after))
    return [f for f in by_rule(found, "TEST-DISABLED-OR-DELETED") if f["path"] == "tests/collector.py"]


def test_a_test_file_deleted_with_the_module_it_imports_is_medium(git_repo: GitRepo) -> None:
    before = {"snmp_exporter/__init__.py": "", "snmp_exporter/collector.py": COLLECTOR,
              "snmp_exporter/http.py": HTTP, "tests/collector.py": TESTS, "main.go": "package main\n"}
    after = {"snmp_exporter/__init__.py": None, "snmp_exporter/collector.py": None, "snmp_exporter/http.py": None,
             "tests/collector.py": None, "main.go": "package main\n\nfunc main() {}\n"}
    found = _deleted_tests(git_repo, before, after)
    assert [f["severity"] for f in found] == ["medium"]
    assert "snmp_exporter/collector.py (what it imports; none of its definitions is added again)" in found[0]["message"]


def test_a_test_file_that_also_imports_kept_code_stays_high(git_repo: GitRepo) -> None:
    tests = TESTS.replace("import unittest\n", "import unittest\n\nfrom snmp_exporter.http import serve\n")
    before = {"snmp_exporter/__init__.py": "", "snmp_exporter/collector.py": COLLECTOR,
              "snmp_exporter/http.py": HTTP, "tests/collector.py": tests}
    after = {"snmp_exporter/collector.py": None, "tests/collector.py": None}
    found = _deleted_tests(git_repo, before, after)
    assert [f["severity"] for f in found] == ["high"]


def test_a_test_file_whose_imported_code_stays_stays_high(git_repo: GitRepo) -> None:
    before = {"snmp_exporter/__init__.py": "", "snmp_exporter/collector.py": COLLECTOR,
              "snmp_exporter/http.py": HTTP, "tests/collector.py": TESTS}
    after = {"snmp_exporter/http.py": None, "tests/collector.py": None}
    found = _deleted_tests(git_repo, before, after)
    assert [f["severity"] for f in found] == ["high"]


# -- goroutines that retry one piece of work -----------------------------------------------------------

DISPATCH = '''package manager

import "time"

type Dispatcher struct{ alerts chan int }

func (d *Dispatcher) add(a int) error { return nil }

func (d *Dispatcher) Run() {
	for {
		alert := <-d.alerts
		_ = alert
	}
}
'''

RETRY = '''		go func(alert int) {
			for {
				time.Sleep(time.Second)
				if err := d.add(alert); err != nil {
					continue
				}
				return
			}
		}(alert)
'''

WORKER = '''		go func() {
			for a := range d.alerts {
				_ = d.add(a)
			}
		}()
'''


def _goroutines(repo: GitRepo, added: str) -> list[dict]:
    after = DISPATCH.replace("\t\t_ = alert\n", "\t\t_ = alert\n" + added)
    found = risk_findings(range_analysis(repo, {"manager/dispatch.go": DISPATCH}, {"manager/dispatch.go": after}))
    return by_rule(found, "GO-GOROUTINE-STARTED")


def test_goroutines_in_a_loop_that_retry_one_piece_of_work_are_medium(git_repo: GitRepo) -> None:
    found = _goroutines(git_repo, RETRY)
    assert [f["severity"] for f in found] == ["medium"]
    message = found[0]["message"]
    assert "one per pass" in message and "retrying its one piece of work" in message
    assert "pool of workers now does" not in message


def test_goroutines_in_a_loop_running_worker_loops_stay_high(git_repo: GitRepo) -> None:
    found = _goroutines(git_repo, WORKER)
    assert [f["severity"] for f in found] == ["high"]


def test_a_test_file_whose_module_moved_to_another_name_stays_high(git_repo: GitRepo) -> None:
    # The module is deleted, but its function comes back in a new file: the code moved, its tests did not.
    before = {"snmp_exporter/__init__.py": "", "snmp_exporter/collector.py": COLLECTOR, "tests/collector.py": TESTS}
    other = "".join(f"def helper_{n}(value):\n    return value + {n}\n\n\n" for n in range(12))
    after = {"snmp_exporter/collector.py": None, "snmp_exporter/snmp.py": other + COLLECTOR, "tests/collector.py": None}
    found = _deleted_tests(git_repo, before, after)
    assert [f["severity"] for f in found] == ["high"]


GO_TESTS = ('package walker\n\nimport "testing"\n\nfunc TestWalk(t *testing.T) {\n'
            '\tif Walk() != 1 {\n\t\tt.Fatal("walk")\n\t}\n}\n')


def test_a_go_test_file_deleted_with_its_whole_package_is_medium(git_repo: GitRepo) -> None:
    before = {"walker/walker.go": "package walker\n\nfunc Walk() int { return 1 }\n",
              "walker/helpers_test.go": GO_TESTS, "main.go": "package main\n\nfunc main() {}\n"}
    after = {"walker/walker.go": None, "walker/helpers_test.go": None}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), "TEST-DISABLED-OR-DELETED")
    assert [f["severity"] for f in found] == ["medium"]
    assert "its package's code (walker/walker.go), all deleted" in found[0]["message"]


def test_a_go_test_file_whose_package_keeps_code_stays_high(git_repo: GitRepo) -> None:
    before = {"walker/walker.go": "package walker\n\nfunc Walk() int { return 1 }\n",
              "walker/other.go": "package walker\n\nfunc Other() int { return 2 }\n",
              "walker/helpers_test.go": GO_TESTS}
    after = {"walker/walker.go": None, "walker/helpers_test.go": None}
    found = by_rule(risk_findings(range_analysis(git_repo, before, after)), "TEST-DISABLED-OR-DELETED")
    assert [f["severity"] for f in found] == ["high"]
