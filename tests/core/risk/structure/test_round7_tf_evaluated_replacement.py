"""TF-FORCES-REPLACEMENT judged on evaluated values: the same value under the module's defaults and the
inputs a caller could set -> no finding; a value that differs -> high; an expression the evaluator cannot
compute -> medium, saying so. Each module is a real git repository with its variables declared."""

from __future__ import annotations

from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo


def _high(found: list[dict], rule: str = "TF-FORCES-REPLACEMENT") -> list[dict]:
    return [f for f in by_rule(found, rule) if f["severity"] in ("high", "critical")]


def _run(git_repo: GitRepo, before: dict[str, str], after: dict[str, str]) -> list[dict]:
    return risk_findings(range_analysis(git_repo, before, after))


INSTANCE_VARIABLES = '''variable "instance_count" {
  default = 1
}

variable "ami" {
  type    = string
  default = null
}

variable "instance_type" {
  description = "The type of instance to start"
}

variable "subnet_id" {
  type    = string
  default = ""
}

variable "ebs_block_device" {
  description = "Additional EBS block devices to attach to the instance"
  default     = []
}

variable "network_interface" {
  description = "Customize network interfaces to be attached at instance boot time"
  type        = list(map(string))
  default     = []
}
'''

INSTANCE = '''resource "aws_instance" "this" {
  count = var.instance_count

  ami              = var.ami
  instance_type    = var.instance_type
  subnet_id        = var.subnet_id
  ebs_block_device = var.ebs_block_device
}
'''


# -- an expression the evaluator cannot compute: medium, and the message says why -----------------------
def test_an_argument_read_from_another_module_is_medium_and_says_it_could_not_be_computed(git_repo: GitRepo) -> None:
    before = INSTANCE.replace("subnet_id        = var.subnet_id", "subnet_id        = module.network.subnet_ids[0]")
    after = INSTANCE.replace("subnet_id        = var.subnet_id", "subnet_id        = module.network.subnet_ids[count.index]")
    found = _run(git_repo, {"main.tf": before, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    assert _high(found) == []
    [finding] = by_rule(found, "TF-FORCES-REPLACEMENT")
    assert finding["severity"] == "medium"
    assert "may force replacement" in finding["message"] and "could not be computed" in finding["message"]
    assert "Lowered to medium" in finding["message"] and "module.network" in finding["message"]


# -- a block moved into a dynamic block over the same variable: the same blocks ---------------------------
DYNAMIC = INSTANCE.replace("  ebs_block_device = var.ebs_block_device\n", '''
  dynamic "ebs_block_device" {
    for_each = var.ebs_block_device
    content {
      device_name = ebs_block_device.value.device_name
      volume_size = lookup(ebs_block_device.value, "volume_size", null)
    }
  }
''')


def test_blocks_moved_into_a_dynamic_block_over_the_same_variable_replace_nothing(git_repo: GitRepo) -> None:
    found = _run(git_repo, {"main.tf": INSTANCE, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": DYNAMIC, "variables.tf": INSTANCE_VARIABLES})
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_dynamic_block_over_another_variable_is_still_judged(git_repo: GitRepo) -> None:
    after = DYNAMIC.replace("for_each = var.ebs_block_device", "for_each = var.network_interface")
    found = _run(git_repo, {"main.tf": INSTANCE, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    assert [f for f in by_rule(found, "TF-FORCES-REPLACEMENT") if "ebs_block_device" in f["message"]]


# -- an expression moved into a local, through a data source and nonsensitive: the same value -------------
def test_an_ami_moved_into_a_local_with_the_same_fallback_replaces_nothing(git_repo: GitRepo) -> None:
    data = '''data "aws_ssm_parameter" "this" {
  name = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
}
'''
    before = data + INSTANCE.replace("ami              = var.ami",
                                     "ami              = try(coalesce(var.ami, nonsensitive(data.aws_ssm_parameter.this.value)), null)")
    after = data + INSTANCE.replace("ami              = var.ami", "ami              = local.ami") + '''
locals {
  ami = try(coalesce(var.ami, nonsensitive(data.aws_ssm_parameter.this.value)), null)
}
'''
    found = _run(git_repo, {"main.tf": before, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


def test_a_data_source_whose_arguments_change_gives_another_value(git_repo: GitRepo) -> None:
    data = '''data "aws_ssm_parameter" "this" {
  name = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
}
'''
    before = data + INSTANCE.replace("ami              = var.ami", "ami              = data.aws_ssm_parameter.this.value")
    after = before.replace("amzn2-ami-hvm-x86_64-gp2", "al2023-ami-kernel-default-x86_64").replace(
        "ami              = data.aws_ssm_parameter.this.value", "ami              = nonsensitive(data.aws_ssm_parameter.this.value)")
    found = _run(git_repo, {"main.tf": before, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    [finding] = _high(found)
    assert "`ami`" in finding["message"]


# -- an empty string and null read alike by the provider ----------------------------------------------------
def test_an_empty_string_argument_rewritten_as_null_replaces_nothing(git_repo: GitRepo) -> None:
    after = INSTANCE.replace("subnet_id        = var.subnet_id", 'subnet_id        = var.subnet_id == "" ? null : var.subnet_id')
    found = _run(git_repo, {"main.tf": INSTANCE, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    assert by_rule(found, "TF-FORCES-REPLACEMENT") == []


# -- an input declared before but read nowhere: no existing caller's setting did anything ---------------
# The switch gives another subnet, not null: an unset subnet_id (optional and computed) keeps the one on
# record, which replaces nothing (test_round9_tf_computed_and_deleted_module.py).
def test_an_input_declared_but_unread_before_that_now_switches_an_argument_is_low(git_repo: GitRepo) -> None:
    after = INSTANCE.replace("subnet_id        = var.subnet_id",
                             "subnet_id        = length(var.network_interface) > 0 ? \"subnet-of-the-interface\" : var.subnet_id")
    found = _run(git_repo, {"main.tf": INSTANCE, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    assert _high(found) == []
    [finding] = by_rule(found, "TF-FORCES-REPLACEMENT")
    assert finding["severity"] == "low" and "read nowhere" in finding["message"]


def test_an_input_the_old_module_read_still_counts_as_set_by_callers(git_repo: GitRepo) -> None:
    before = INSTANCE + '''
resource "aws_network_interface_attachment" "this" {
  count                = length(var.network_interface)
  instance_id          = aws_instance.this[0].id
  network_interface_id = var.network_interface[count.index]["id"]
  device_index         = 1
}
'''
    after = before.replace("subnet_id        = var.subnet_id",
                           "subnet_id        = length(var.network_interface) > 0 ? \"subnet-of-the-interface\" : var.subnet_id")
    found = _run(git_repo, {"main.tf": before, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    [finding] = _high(found)
    assert "network_interface of 1 element" in finding["message"]


# -- a count read from the instance type through regular expressions ---------------------------------------
T2 = '''resource "aws_instance" "this" {
  count         = var.instance_count * (1 - local.is_t2_instance_type)
  ami           = var.ami
  instance_type = var.instance_type
}

resource "aws_instance" "this_t2" {
  count         = var.instance_count * local.is_t2_instance_type
  ami           = var.ami
  instance_type = var.instance_type
}

locals {
  is_t2_instance_type = replace(replace(var.instance_type, "/^[^t2].*/", "0"), "/^t2.*$/", "1")
}
'''


def test_a_t2_test_rewritten_with_the_same_outcome_for_every_accepted_type_replaces_nothing(git_repo: GitRepo) -> None:
    # the old form fails the plan for types it does not turn into 0 or 1 (t3.micro): only those change
    after = T2.replace('replace(replace(var.instance_type, "/^[^t2].*/", "0"), "/^t2.*$/", "1")',
                       'replace(var.instance_type, "/^t2\\\\..*$/", "1") == "1" ? "1" : "0"')
    found = _run(git_repo, {"main.tf": T2, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    assert _high(found) == []


def test_burstable_types_moved_to_the_other_resource_stay_high(git_repo: GitRepo) -> None:
    before = T2.replace('replace(replace(var.instance_type, "/^[^t2].*/", "0"), "/^t2.*$/", "1")',
                        'replace(var.instance_type, "/^t2\\\\..*$/", "1") == "1" ? "1" : "0"')
    after = before.replace("local.is_t2_instance_type", "local.is_t_instance_type").replace(
        "is_t2_instance_type = ", "is_t_instance_type = ").replace('"/^t2\\\\..*$/"', '"/^t[23]\\\\..*$/"')
    found = _run(git_repo, {"main.tf": before, "variables.tf": INSTANCE_VARIABLES},
                 {"main.tf": after, "variables.tf": INSTANCE_VARIABLES})
    high = _high(found)
    assert high and any('instance_type = "t3.micro"' in f["message"] for f in high)


# -- values that differ stay high, with the input that shows it --------------------------------------------
SG_VARIABLES = '''variable "create" {
  default = true
}

variable "name" {
  description = "Name of security group"
}
'''

SG = '''resource "aws_security_group" "this" {
  count = var.create ? 1 : 0

  name = var.name
}
'''


def test_an_untyped_required_name_moved_to_a_prefix_stays_high_with_the_callers_value(git_repo: GitRepo) -> None:
    after = SG.replace("  name = var.name\n", '  name_prefix = "${var.name}-"\n')
    found = _run(git_repo, {"main.tf": SG, "variables.tf": SG_VARIABLES}, {"main.tf": after, "variables.tf": SG_VARIABLES})
    high = _high(found)
    assert {"`name`", "`name_prefix`"} <= {word for f in high for word in ("`name`", "`name_prefix`") if word in f["message"]}
    assert all('with name = "' in f["message"] for f in high)


def test_a_count_switched_off_by_a_new_flag_with_a_string_true_default_stays_high(git_repo: GitRepo) -> None:
    after = SG.replace("count = var.create ? 1 : 0", "count = var.create && ! var.use_name_prefix ? 1 : 0")
    variables = SG_VARIABLES + '''
variable "use_name_prefix" {
  default = "true"
}
'''
    found = _run(git_repo, {"main.tf": SG, "variables.tf": SG_VARIABLES}, {"main.tf": after, "variables.tf": variables})
    assert [f for f in _high(found) if "`count`" in f["message"] and "1 → 0" in f["message"]]


VPC_VARIABLES = '''variable "create_vpc" {
  default = true
}

variable "secondary_cidr_blocks" {
  default = []
}

variable "private_subnets" {
  default = []
}
'''

VPC = '''resource "aws_vpc" "this" {
  count      = var.create_vpc ? 1 : 0
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc_ipv4_cidr_block_association" "this" {
  count      = var.create_vpc && length(var.secondary_cidr_blocks) > 0 ? length(var.secondary_cidr_blocks) : 0
  vpc_id     = aws_vpc.this.id
  cidr_block = element(var.secondary_cidr_blocks, count.index)
}

resource "aws_subnet" "private" {
  count      = var.create_vpc ? length(var.private_subnets) : 0
  vpc_id     = aws_vpc.this.id
  cidr_block = element(var.private_subnets, count.index)
}
'''


def test_a_vpc_id_routed_through_a_secondary_cidr_association_stays_high(git_repo: GitRepo) -> None:
    after = VPC.replace('''resource "aws_subnet" "private" {
  count      = var.create_vpc ? length(var.private_subnets) : 0
  vpc_id     = aws_vpc.this.id''', '''resource "aws_subnet" "private" {
  count      = var.create_vpc ? length(var.private_subnets) : 0
  vpc_id     = local.vpc_id''') + '''
locals {
  vpc_id = element(concat(aws_vpc_ipv4_cidr_block_association.this.*.vpc_id, aws_vpc.this.*.id, list("")), 0)
}
'''
    found = _run(git_repo, {"main.tf": VPC, "variables.tf": VPC_VARIABLES}, {"main.tf": after, "variables.tf": VPC_VARIABLES})
    [finding] = _high(found)
    assert "`vpc_id`" in finding["message"] and "secondary_cidr_blocks of" in finding["message"]


BUCKET_VARIABLES = '''variable "log_bucket" {
  description = "S3 bucket for storing access logs. Setting this means the module will try to create the bucket."
  default     = ""
}
'''

BUCKET = '''resource "aws_s3_bucket" "log_bucket" {
  count  = var.log_bucket != "" ? 1 : 0
  bucket = var.log_bucket
}
'''


def test_a_bucket_whose_renamed_input_no_longer_creates_it_is_destroyed(git_repo: GitRepo) -> None:
    # log_bucket is renamed log_bucket_name; creating the bucket now also needs a new flag, off by default
    after_variables = '''variable "create_log_bucket" {
  default     = false
  description = "Create the S3 bucket (named with the log_bucket_name var)."
}

variable "log_bucket_name" {
  description = "S3 bucket for storing access logs. Setting this means the module will try to create the bucket."
  default     = ""
}
'''
    after = '''resource "aws_s3_bucket" "log_bucket" {
  count  = var.create_log_bucket ? 1 : 0
  bucket = var.log_bucket_name
}
'''
    found = _run(git_repo, {"main.tf": BUCKET, "variables.tf": BUCKET_VARIABLES},
                 {"main.tf": after, "variables.tf": after_variables})
    [finding] = [f for f in by_rule(found, "TF-FORCES-REPLACEMENT") if "`count`" in f["message"]]
    assert finding["severity"] == "critical" and 'log_bucket = "' in finding["message"]


POLICY_VARIABLES = '''variable "create" {
  type    = bool
  default = true
}

variable "attach_dns_policy" {
  type    = bool
  default = false
}
'''

POLICY = '''data "aws_iam_policy_document" "dns" {
  count = var.attach_dns_policy ? 1 : 0

  statement {
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "this" {
  count  = local.create_policy ? 1 : 0
  policy = "{}"
}

locals {
  create_policy = var.create
}
'''


def test_a_count_gated_on_data_sources_that_are_counted_themselves_stays_high(git_repo: GitRepo) -> None:
    # the data source has no instance under the defaults: its splat is empty, so the policy goes
    after = POLICY.replace("create_policy = var.create",
                           "create_policy = var.create && length(data.aws_iam_policy_document.dns[*].json) > 0")
    found = _run(git_repo, {"main.tf": POLICY, "variables.tf": POLICY_VARIABLES}, {"main.tf": after, "variables.tf": POLICY_VARIABLES})
    assert [f for f in _high(found) if "local.create_policy" in f["message"]]
