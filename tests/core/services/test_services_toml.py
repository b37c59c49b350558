"""``.reviewer/services.toml``: the catalog of repositories without Backstage, alone and mixed."""

from __future__ import annotations

from tests.gitrepo import GitRepo

from reviewer_app.core.services import affected, load_catalog
from reviewer_app.core.workspace import Workspace

SERVICES = """\
[services.ledger]
paths = ["ledger/"]
tier = 0
owner = "@acme/finance"
lifecycle = "production"
provides_apis = ["ledger-api"]

[services.billing]
paths = ["billing/", "shared/billing_*.py"]
tier = "tier-1"
owner = "@acme/billing"
consumes_apis = ["ledger-api"]

[services.invoices]
paths = ["invoices"]
owner = "@acme/billing"
depends_on = ["billing"]

[services.ledger-db]
kind = "resource"
owner = "@acme/dba"
dependency_of = ["ledger"]
"""


def test_services_toml_alone(git_repo: GitRepo) -> None:
    git_repo.write(".reviewer/services.toml", SERVICES)
    git_repo.commit("catalog")
    catalog = load_catalog(Workspace(git_repo.path))

    assert catalog.warnings == []
    assert sorted(catalog.services) == ["billing", "invoices", "ledger", "ledger-db"]
    billing = catalog.services["billing"]
    assert (billing.tier, billing.owner, billing.paths) == (1, "@acme/billing", ("billing/", "shared/billing_*.py"))
    assert billing.source_file == ".reviewer/services.toml"
    assert catalog.services["ledger-db"].paths == ()  # no paths: owns no files
    assert catalog.services["ledger"].depends_on == ("ledger-db",)
    assert catalog.service_names_for_path("shared/billing_tax.py") == ["billing"]
    assert catalog.service_names_for_path("shared/other.py") == []

    result = affected(catalog, ["ledger/post.py"])
    assert [s.name for s in result.direct] == ["ledger"]
    assert [(s.name, s.via) for s in result.transitive] == [
        ("billing", ("ledger", "billing")),
        ("invoices", ("ledger", "billing", "invoices")),
    ]
    assert result.max_tier == 0


def test_services_toml_and_backstage_reference_each_other(git_repo: GitRepo) -> None:
    git_repo.write(".reviewer/services.toml", SERVICES)
    git_repo.write("web/catalog-info.yaml", """\
        kind: Component
        metadata: {name: web, annotations: {reviewer-app/tier: "2"}}
        spec: {owner: frontend, dependsOn: [invoices], consumesApis: [ledger-api]}
        ---
        kind: API
        metadata: {name: ledger-api}
        spec: {owner: finance}
        """)
    git_repo.commit("mixed")
    catalog = load_catalog(Workspace(git_repo.path))

    assert catalog.warnings == []
    assert catalog.apis["ledger-api"].consumers == ("billing", "web")
    result = affected(catalog, ["invoices/pdf.py"]).to_dict()
    assert [(s["name"], s["via"]) for s in result["transitive"]] == [("web", ["invoices", "web"])]
    assert result["owners"] == ["@acme/billing", "frontend"]


def test_services_toml_warnings(git_repo: GitRepo) -> None:
    git_repo.write(".reviewer/services.toml", """\
        [services.api]
        paths = ["api/"]
        tier = -1
        owner = "@acme/api"
        depends-on = ["db"]
        depends_on = ["cache"]
        consumes_apis = ["nobody-provides-this"]
        kind = "queue"

        [services.worker]
        paths = "worker/"

        [services]
        oops = 3

        [other]
        x = 1
        """)
    git_repo.commit("bad toml")
    catalog = load_catalog(Workspace(git_repo.path))

    source = ".reviewer/services.toml"
    assert catalog.warnings == [
        f"{source}: unknown top-level key(s) other; ignored",
        f"{source}: services.api: unknown key 'depends-on' (known: consumes_apis, dependency_of, depends_on, "
        "kind, lifecycle, owner, paths, provides_apis, system, tier); ignored",
        f"{source}: services.api: kind 'queue' is not one of component, resource; 'component' is used",
        f"{source}: services.api: tier '-1' is not a tier (0, 1, 2... or tier-N); ignored",
        f"{source}: services.oops: must be a table ([services.oops]); skipped",
        f"{source}: services.worker: missing owner (owner)",
        f"{source}: services.api: depends_on refers to unknown component:default/cache",
        f"{source}: services.api: consumes_apis refers to unknown api:default/nobody-provides-this",
    ]
    assert catalog.service_names_for_path("worker/job.py") == ["worker"]  # a single string is a list of one


def test_invalid_toml_names_the_line(git_repo: GitRepo) -> None:
    git_repo.write(".reviewer/services.toml", '[services.a]\npaths = ["a/"\nowner = "x"\n')
    git_repo.write("b/catalog-info.yaml", "kind: Component\nmetadata: {name: b}\nspec: {owner: t}\n")
    git_repo.commit("broken toml")
    catalog = load_catalog(Workspace(git_repo.path))

    assert len(catalog.warnings) == 1
    assert catalog.warnings[0].startswith(".reviewer/services.toml: invalid TOML: ")
    assert "line 3" in catalog.warnings[0]
    assert list(catalog.services) == ["b"]  # Backstage still loads
