"""Loading Backstage descriptors from real git repositories (work tree and a past revision)."""

from __future__ import annotations

from pathlib import Path

from tests.gitrepo import GitRepo

from reviewer_app.core.services import affected, load_catalog
from reviewer_app.core.workspace import Workspace

PRICING = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pricing
  annotations:
    reviewer-app/tier: "1"
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  system: commerce
  dependsOn: [component:pricing-rules, resource:default/prices-db]
  providesApis: [pricing-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: pricing-api
spec:
  type: openapi
  lifecycle: production
  owner: payments
  definition: "openapi: 3.0.0"
"""

RULES = """\
kind: Component
metadata:
  name: pricing-rules
  tags: [python, tier-2]
spec:
  owner: payments
  lifecycle: production
"""

CHECKOUT = """\
kind: Component
metadata:
  name: checkout
spec:
  owner: user:dana
  lifecycle: production
  tier: 0
  consumesApis: [api:pricing-api]
"""

DB = """\
kind: Resource
metadata:
  name: prices-db
  annotations:
    reviewer-app/paths: ./migrations/, db/schema/*.sql
spec:
  owner: dba
  type: database
  dependencyOf: [component:reporting]
"""

REPORTING = """\
kind: Component
metadata:
  name: reporting
spec:
  owner: analytics
"""


def _commerce_repo(repo: GitRepo) -> None:
    repo.write("services/pricing/catalog-info.yaml", PRICING)
    repo.write("services/pricing/app.py", "PRICE = 1\n")
    repo.write("services/pricing/rules/catalog-info.yml", RULES)
    repo.write("services/pricing/rules/engine.py", "RULES = []\n")
    repo.write("services/checkout/catalog-info.yaml", CHECKOUT)
    repo.write("infra/prices-db/catalog-info.yaml", DB)
    repo.write("infra/prices-db/migrations/001.sql", "create table p(id int);\n")
    repo.write("db/schema/prices.sql", "-- schema\n")
    repo.write("reporting/catalog-info.yaml", REPORTING)
    repo.write("README.md", "hello\n")
    repo.commit("catalog")


def test_components_resources_and_apis_are_resolved(git_repo: GitRepo) -> None:
    _commerce_repo(git_repo)
    catalog = load_catalog(Workspace(git_repo.path))

    assert catalog.warnings == []
    assert sorted(catalog.services) == ["checkout", "prices-db", "pricing", "pricing-rules", "reporting"]
    pricing = catalog.services["pricing"]
    assert (pricing.kind, pricing.tier, pricing.owner, pricing.lifecycle, pricing.system) == (
        "component", 1, "payments", "production", "commerce")
    assert pricing.depends_on == ("prices-db", "pricing-rules")
    assert pricing.provides_apis == ("pricing-api",)
    assert pricing.paths == ("services/pricing/",)
    assert pricing.source_file == "services/pricing/catalog-info.yaml"
    assert catalog.services["pricing-rules"].tier == 2  # from the tier-2 tag
    assert catalog.services["checkout"].tier == 0  # from spec.tier
    assert catalog.services["checkout"].owner == "user:dana"
    assert catalog.services["checkout"].consumes_apis == ("pricing-api",)
    assert catalog.services["prices-db"].kind == "resource"
    assert catalog.services["prices-db"].paths == ("infra/prices-db/migrations/", "db/schema/*.sql")
    assert catalog.services["reporting"].depends_on == ("prices-db",)  # written as dependencyOf
    api = catalog.apis["pricing-api"]
    assert (api.owner, api.providers, api.consumers) == ("payments", ("pricing",), ("checkout",))
    assert {(e.source, e.target, e.kind, e.api) for e in catalog.edges} == {
        ("pricing", "pricing-rules", "dependsOn", None),
        ("pricing", "prices-db", "dependsOn", None),
        ("reporting", "prices-db", "dependsOn", None),
        ("checkout", "pricing", "consumesApi", "pricing-api"),
    }


def test_path_ownership_most_specific_wins(git_repo: GitRepo) -> None:
    _commerce_repo(git_repo)
    catalog = load_catalog(Workspace(git_repo.path))

    # The nested descriptor's folder is longer than the outer one, so it wins inside it.
    assert catalog.service_names_for_path("services/pricing/rules/engine.py") == ["pricing-rules"]
    assert catalog.service_names_for_path("services/pricing/app.py") == ["pricing"]
    # A resource owns only what its annotation lists: a ./ folder and a glob.
    assert catalog.service_names_for_path("infra/prices-db/migrations/001.sql") == ["prices-db"]
    assert catalog.service_names_for_path("infra/prices-db/catalog-info.yaml") == []
    assert catalog.service_names_for_path("db/schema/prices.sql") == ["prices-db"]
    assert catalog.service_names_for_path("db/schema/deeper/prices.sql") == []
    assert catalog.service_names_for_path("README.md") == []


def test_affected_through_dependson_apis_and_dependencyof(git_repo: GitRepo) -> None:
    _commerce_repo(git_repo)
    catalog = load_catalog(Workspace(git_repo.path))

    result = affected(catalog, ["db/schema/prices.sql"]).to_dict()
    assert [s["name"] for s in result["direct"]] == ["prices-db"]
    assert [(s["name"], s["via"]) for s in result["transitive"]] == [
        ("checkout", ["prices-db", "pricing", "checkout"]),  # tier 0 first
        ("pricing", ["prices-db", "pricing"]),
        ("reporting", ["prices-db", "reporting"]),  # no tier: last
    ]
    assert result["transitive"][0]["via_apis"] == [None, "pricing-api"]  # checkout consumes pricing's API
    assert result["max_tier"] == 0
    assert result["owners"] == ["analytics", "dba", "payments", "user:dana"]


def test_vendored_descriptors_are_skipped(git_repo: GitRepo) -> None:
    git_repo.write("web/catalog-info.yaml", "kind: Component\nmetadata: {name: web}\nspec: {owner: web}\n")
    for folder in ("web/node_modules/left-pad", "vendor/lib", "src/third_party/zlib"):
        name = folder.rsplit("/", 1)[1]
        git_repo.write(f"{folder}/catalog-info.yaml", f"kind: Component\nmetadata: {{name: {name}}}\nspec: {{owner: x}}\n")
    git_repo.commit("vendored")

    catalog = load_catalog(Workspace(git_repo.path))
    assert list(catalog.services) == ["web"]
    # Vendored code still belongs to whoever owns the folder holding it.
    assert catalog.service_names_for_path("web/node_modules/left-pad/index.js") == ["web"]


def test_gitignored_descriptors_are_not_read(git_repo: GitRepo) -> None:
    git_repo.write(".gitignore", "generated/\n")
    git_repo.write("generated/catalog-info.yaml", "kind: Component\nmetadata: {name: gen}\nspec: {owner: x}\n")
    git_repo.write("app/catalog-info.yaml", "kind: Component\nmetadata: {name: app}\nspec: {owner: x}\n")
    git_repo.commit("ignored")
    assert list(load_catalog(Workspace(git_repo.path)).services) == ["app"]


def test_catalog_is_read_from_a_revision(git_repo: GitRepo) -> None:
    _commerce_repo(git_repo)
    # The head raises checkout's tier, drops reporting and breaks a descriptor.
    git_repo.write("services/checkout/catalog-info.yaml", CHECKOUT.replace("tier: 0", "tier: 3"))
    (git_repo.path / "reporting/catalog-info.yaml").unlink()
    git_repo.write("services/pricing/rules/catalog-info.yml", "kind: Component\nmetadata: [broken\n")
    git_repo.commit("head edits the catalog")

    at_base = load_catalog(Workspace(git_repo.path, revision="HEAD~1"))
    assert at_base.warnings == []
    assert at_base.services["checkout"].tier == 0
    assert "reporting" in at_base.services

    at_head = load_catalog(Workspace(git_repo.path, revision="HEAD"))
    assert at_head.services["checkout"].tier == 3
    assert "reporting" not in at_head.services
    assert any(w.startswith("services/pricing/rules/catalog-info.yml@HEAD:3: invalid YAML") for w in at_head.warnings)
    assert "services/pricing/catalog-info.yaml@HEAD: component:default/pricing: dependsOn refers to unknown " \
           "component:default/pricing-rules" in at_head.warnings


def test_namespaces_and_refs_with_and_without_kind(git_repo: GitRepo) -> None:
    git_repo.write("a/catalog-info.yaml", """\
        kind: Component
        metadata: {name: api-gw, namespace: edge}
        spec:
          owner: group:edge/netops
          dependsOn: [auth, default/users, component:edge/auth]
        ---
        kind: Component
        metadata: {name: auth, namespace: edge}
        spec: {owner: netops}
        """)
    git_repo.write("b/catalog-info.yaml", "kind: Component\nmetadata: {name: users}\nspec: {owner: ids}\n")
    git_repo.commit("namespaces")

    catalog = load_catalog(Workspace(git_repo.path))
    assert catalog.warnings == []
    # Outside the default namespace the catalog name keeps its namespace; a bare ref defaults to
    # the referencing entity's own namespace.
    assert catalog.services["edge/api-gw"].depends_on == ("edge/auth", "users")
    assert catalog.services["edge/api-gw"].owner == "edge/netops"
    # Two components in one descriptor share its folder: a tie, both own it.
    assert catalog.service_names_for_path("a/main.go") == ["edge/api-gw", "edge/auth"]


def test_a_folder_outside_git_is_read_too(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "catalog-info.yaml").write_text("kind: Component\nmetadata: {name: svc}\nspec: {owner: t}\n")
    (tmp_path / "CODEOWNERS").write_text("* @acme/all\n")
    catalog = load_catalog(Workspace(tmp_path))

    assert list(catalog.services) == ["svc"] and catalog.warnings == []
    result = affected(catalog, ["svc/a.py", "top.txt", ""])
    assert ([s.name for s in result.direct], result.unowned_paths, result.owners) == (
        ["svc"], ["top.txt"], ["@acme/all", "t"])
