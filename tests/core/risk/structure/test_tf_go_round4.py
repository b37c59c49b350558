"""A replacement-forcing argument behind a new opt-in switch (Terraform) and a custom JSON codec
replaced by tagged fields of the same names (Go): judged by what existing callers and readers get."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _high(found: list[dict], rule: str) -> list[dict]:
    return [f for f in by_rule(found, rule) if f["severity"] in ("high", "critical")]


# -- Terraform: a new input the argument reads itself keeps its default ----------------------------------
VARIABLES = '''variable "create" {
  type    = bool
  default = true
}

variable "identifier" {
  type = string
}
'''

INSTANCE = '''resource "aws_db_instance" "this" {
  count = var.create ? 1 : 0

  identifier = var.identifier
  engine     = "postgres"
}
'''

SWITCHED = '''locals {
  identifier        = var.use_identifier_prefix ? null : var.identifier
  identifier_prefix = var.use_identifier_prefix ? "${var.identifier}-" : null
}

resource "aws_db_instance" "this" {
  count = var.create ? 1 : 0

  identifier        = local.identifier
  identifier_prefix = local.identifier_prefix
  engine            = "postgres"
}
'''

SWITCH = '''
variable "use_identifier_prefix" {
  type    = bool
  default = false
}
'''


def test_a_new_switch_that_keeps_the_old_identifier_by_default_replaces_nothing(git_repo: GitRepo) -> None:
    found = risk_findings(range_analysis(git_repo, {"main.tf": INSTANCE, "variables.tf": VARIABLES},
                                         {"main.tf": SWITCHED, "variables.tf": VARIABLES + SWITCH}))
    assert _high(found, "TF-FORCES-REPLACEMENT") == []
    low = [f for f in by_rule(found, "TF-FORCES-REPLACEMENT") if f["severity"] == "low"]
    assert low and "`use_identifier_prefix` keeps its default" in low[0]["message"]
    assert "turns it on" in low[0]["message"]


def test_a_new_switch_whose_default_changes_the_identifier_stays_critical(git_repo: GitRepo) -> None:
    # Default on: every existing caller gets a prefixed identifier, so the database is replaced.
    found = risk_findings(range_analysis(git_repo, {"main.tf": INSTANCE, "variables.tf": VARIABLES},
                                         {"main.tf": SWITCHED, "variables.tf": VARIABLES + SWITCH.replace("false", "true")}))
    [finding] = [f for f in _high(found, "TF-FORCES-REPLACEMENT") if "`identifier`" in f["message"]]
    assert finding["severity"] == "critical"


def test_an_old_input_that_now_changes_the_identifier_stays_critical(git_repo: GitRepo) -> None:
    # The switch existed before (a caller may have set it): turning it on now prefixes the identifier.
    before = INSTANCE.replace("identifier = var.identifier", 'identifier = var.use_identifier_prefix ? var.identifier : var.identifier')
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": VARIABLES + SWITCH},
                                         {"main.tf": SWITCHED, "variables.tf": VARIABLES + SWITCH}))
    assert [f for f in _high(found, "TF-FORCES-REPLACEMENT") if "`identifier`" in f["message"]]


def test_a_new_input_reaching_the_argument_through_another_resource_still_varies(git_repo: GitRepo) -> None:
    # A caller adopts secondary_cidr_blocks for the association, not to move subnets: the side effect
    # (vpc_id read from the association) replaces every subnet, so it stays high.
    before = '''resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count      = length(var.private_subnets)
  vpc_id     = aws_vpc.this.id
  cidr_block = var.private_subnets[count.index]
}
'''
    after = before.replace("vpc_id     = aws_vpc.this.id", "vpc_id     = local.vpc_id") + '''
resource "aws_vpc_ipv4_cidr_block_association" "this" {
  count      = length(var.secondary_cidr_blocks)
  vpc_id     = aws_vpc.this.id
  cidr_block = var.secondary_cidr_blocks[count.index]
}

locals {
  vpc_id = element(concat(aws_vpc_ipv4_cidr_block_association.this.*.vpc_id, aws_vpc.this.*.id, [""]), 0)
}
'''
    variables = '''variable "private_subnets" {
  type    = list(string)
  default = []
}
'''
    found = risk_findings(range_analysis(git_repo, {"main.tf": before, "variables.tf": variables},
                                         {"main.tf": after, "variables.tf": variables + '''
variable "secondary_cidr_blocks" {
  type    = list(string)
  default = []
}
'''}))
    [finding] = _high(found, "TF-FORCES-REPLACEMENT")
    assert "secondary_cidr_blocks of 1 element" in finding["message"]


# -- Go: a custom JSON codec replaced by fields carrying the keys it wrote -----------------------------
SILENCE = '''package types

import (
	"encoding/json"
	"time"
)

type Silence struct {
	ID       uint64
	StartsAt time.Time
	Comment  string
}

func (s *Silence) MarshalJSON() ([]byte, error) {
	v := struct {
		ID       uint64    `json:"id"`
		StartsAt time.Time `json:"startsAt"`
		Comment  string    `json:"comment,omitempty"`
	}{ID: s.ID, StartsAt: s.StartsAt, Comment: s.Comment}
	return json.Marshal(v)
}

func (s *Silence) Mutes() bool { return s.Comment != "" }
'''

EMBEDDING = '''package types

import (
	"time"

	"example.com/lib/model"
)

type Silence struct {
	model.Silence

	Seen time.Time `json:"-"`
	at   func() time.Time
}

func (s *Silence) Mutes() bool { return s.Comment != "" }
'''


def _wire(found: list[dict]) -> list[dict]:
    return by_rule(found, "GO-WIRE-FORMAT-METHOD-REMOVED")


def test_a_codec_replaced_by_an_embedded_vendored_type_with_the_same_tags_is_low(git_repo: GitRepo) -> None:
    model = '''package model

import "time"

type Silence struct {
	ID       uint64    `json:"id"`
	StartsAt time.Time `json:"startsAt"`
	Comment  string    `json:"comment,omitempty"`
}
'''
    found = _wire(risk_findings(range_analysis(
        git_repo, {"types/types.go": SILENCE, "vendor/example.com/lib/model/silence.go": model},
        {"types/types.go": EMBEDDING})))
    assert [f["severity"] for f in found] == ["low"]
    assert "same field names" in found[0]["message"]


def test_a_codec_replaced_by_tagged_fields_of_the_same_package_is_low(git_repo: GitRepo) -> None:
    after = SILENCE[:SILENCE.index("type Silence")] + '''type Silence struct {
	ID       uint64    `json:"id"`
	StartsAt time.Time `json:"startsAt"`
	Comment  string    `json:"comment,omitempty"`
}

var _ = json.Marshal

func (s *Silence) Mutes() bool { return s.Comment != "" }
'''
    found = _wire(risk_findings(range_analysis(git_repo, {"types/types.go": SILENCE}, {"types/types.go": after})))
    assert [f["severity"] for f in found] == ["low"]


def test_a_codec_removed_for_the_field_dump_stays_high(git_repo: GitRepo) -> None:
    # Untagged fields: the default encoding writes "ID", "StartsAt", "Comment" where the codec wrote
    # "id", "startsAt", "comment": a case-sensitive reader (a browser UI) loses every key.
    after = SILENCE[:SILENCE.index("func (s *Silence) MarshalJSON")] + "var _ = json.Marshal\n\nfunc (s *Silence) Mutes() bool { return s.Comment != \"\" }\n"
    found = _wire(risk_findings(range_analysis(git_repo, {"types/types.go": SILENCE}, {"types/types.go": after})))
    assert [f["severity"] for f in found] == ["high"]


def test_a_codec_replaced_by_an_embedded_type_nobody_can_read_stays_high(git_repo: GitRepo) -> None:
    # model.Silence is not in the repository: its keys cannot be told, so the finding fails closed.
    found = _wire(risk_findings(range_analysis(git_repo, {"types/types.go": SILENCE}, {"types/types.go": EMBEDDING})))
    assert [f["severity"] for f in found] == ["high"]


def test_a_codec_whose_keys_the_new_fields_do_not_all_have_stays_high(git_repo: GitRepo) -> None:
    model = '''package model

type Silence struct {
	ID      uint64 `json:"id"`
	Comment string `json:"comment,omitempty"`
}
'''
    found = _wire(risk_findings(range_analysis(
        git_repo, {"types/types.go": SILENCE, "vendor/example.com/lib/model/silence.go": model},
        {"types/types.go": EMBEDDING})))
    assert [f["severity"] for f in found] == ["high"]


# -- Terraform: a resource swapped for an equivalent one under a switch that is off by default ----------
MONITORING = '''resource "aws_iam_role" "monitoring" {
  count = var.create_monitoring_role ? 1 : 0
  name  = "rds-monitoring"
}

resource "aws_iam_policy_attachment" "monitoring" {
  count = var.create_monitoring_role ? 1 : 0

  name       = "rds-monitoring"
  roles      = [aws_iam_role.monitoring[0].name]
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
'''

ROLE_ATTACHMENT = MONITORING.replace('''resource "aws_iam_policy_attachment" "monitoring" {
  count = var.create_monitoring_role ? 1 : 0

  name       = "rds-monitoring"
  roles      = [aws_iam_role.monitoring[0].name]''', '''resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.create_monitoring_role ? 1 : 0

  role       = aws_iam_role.monitoring[0].name''')

MONITORING_SWITCH = '''variable "create_monitoring_role" {
  type    = bool
  default = false
}
'''


def _removed(found: list[dict]) -> list[dict]:
    return by_rule(found, "INFRA-TF-RESOURCE-REMOVED")


def test_an_attachment_swapped_for_its_role_attachment_behind_an_off_switch_is_medium(git_repo: GitRepo) -> None:
    found = _removed(risk_findings(range_analysis(git_repo, {"main.tf": MONITORING, "variables.tf": MONITORING_SWITCH},
                                                  {"main.tf": ROLE_ATTACHMENT, "variables.tf": MONITORING_SWITCH})))
    assert [f["severity"] for f in found] == ["medium"]
    assert "aws_iam_role_policy_attachment.monitoring" in found[0]["message"]


def test_the_same_swap_behind_a_switch_that_is_on_by_default_stays_high(git_repo: GitRepo) -> None:
    switch = MONITORING_SWITCH.replace("false", "true")
    found = _removed(risk_findings(range_analysis(git_repo, {"main.tf": MONITORING, "variables.tf": switch},
                                                  {"main.tf": ROLE_ATTACHMENT, "variables.tf": switch})))
    assert [f["severity"] for f in found] == ["high"]


def test_a_removal_replaced_by_something_that_attaches_another_policy_stays_high(git_repo: GitRepo) -> None:
    other = ROLE_ATTACHMENT.replace("AmazonRDSEnhancedMonitoringRole", "AdministratorAccess")
    found = _removed(risk_findings(range_analysis(git_repo, {"main.tf": MONITORING, "variables.tf": MONITORING_SWITCH},
                                                  {"main.tf": other, "variables.tf": MONITORING_SWITCH})))
    assert [f["severity"] for f in found] == ["high"]


def test_a_codec_replaced_by_tagged_keys_that_differ_only_in_case_is_medium(git_repo: GitRepo) -> None:
    # The codec wrote "ID" (an untagged field of its literal); the embedded type writes "id": encoding/json
    # reads either, a case-sensitive reader of the output sees a renamed key.
    before = SILENCE.replace('ID       uint64    `json:"id"`', "ID       uint64")
    model = '''package model

import "time"

type Silence struct {
	ID       uint64    `json:"id"`
	StartsAt time.Time `json:"startsAt"`
	Comment  string    `json:"comment,omitempty"`
}
'''
    found = _wire(risk_findings(range_analysis(
        git_repo, {"types/types.go": before, "vendor/example.com/lib/model/silence.go": model},
        {"types/types.go": EMBEDDING})))
    assert [f["severity"] for f in found] == ["medium"]
    assert "letter case" in found[0]["message"]
