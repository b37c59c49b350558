"""Affected services: direct owners, transitive dependents with shortest chains, cycles, ordering."""

from __future__ import annotations

import json

from tests.gitrepo import GitRepo

from reviewer_app.core.services import affected, graph_export, load_catalog, render_text
from reviewer_app.core.services import Catalog
from reviewer_app.core.workspace import Workspace


def _component(repo: GitRepo, name: str, tier: int | None = None, depends_on: list[str] | None = None,
               provides: list[str] | None = None, consumes: list[str] | None = None, owner: str = "team") -> None:
    spec = {"owner": owner, "dependsOn": depends_on or [], "providesApis": provides or [], "consumesApis": consumes or []}
    if tier is not None:
        spec["tier"] = tier
    document = {"kind": "Component", "metadata": {"name": name}, "spec": spec}
    repo.write(f"services/{name}/catalog-info.yaml", json.dumps(document))  # JSON is YAML


def _declare_apis(repo: GitRepo, *names: str) -> None:
    documents = [json.dumps({"kind": "API", "metadata": {"name": n}, "spec": {"owner": "api-team"}}) for n in names]
    repo.write("apis/catalog-info.yaml", "\n---\n".join(documents))


def _catalog(repo: GitRepo) -> Catalog:
    repo.commit("catalog")
    return load_catalog(Workspace(repo.path))


def test_via_is_a_shortest_chain_and_cycles_terminate(git_repo: GitRepo) -> None:
    # rules <- pricing <- checkout <- storefront, and a long way round: rules <- a <- b <- c <- storefront;
    # storefront and checkout also depend on each other (a cycle).
    _component(git_repo, "pricing-rules", tier=2, owner="rules-team")
    _component(git_repo, "pricing", tier=1, depends_on=["pricing-rules"])
    _component(git_repo, "checkout", tier=0, depends_on=["pricing", "storefront"], owner="web")
    _component(git_repo, "storefront", tier=1, depends_on=["checkout", "c"], owner="web")
    _component(git_repo, "a", depends_on=["pricing-rules"])
    _component(git_repo, "b", depends_on=["a"])
    _component(git_repo, "c", depends_on=["b"])
    catalog = _catalog(git_repo)
    assert catalog.warnings == ["services/checkout/catalog-info.yaml: component:default/checkout: "
                                "dependency cycle checkout -> storefront -> checkout"]

    result = affected(catalog, ["services/pricing-rules/engine.py"])
    assert [(s.name, list(s.via)) for s in result.transitive] == [
        ("checkout", ["pricing-rules", "pricing", "checkout"]),
        ("pricing", ["pricing-rules", "pricing"]),
        ("storefront", ["pricing-rules", "pricing", "checkout", "storefront"]),
        ("a", ["pricing-rules", "a"]),
        ("b", ["pricing-rules", "a", "b"]),
        ("c", ["pricing-rules", "a", "b", "c"]),
    ]
    assert result.max_tier == 0
    assert result.owners == ["rules-team", "team", "web"]


def test_a_direct_service_is_never_also_transitive(git_repo: GitRepo) -> None:
    _component(git_repo, "lib", tier=3)
    _component(git_repo, "app", tier=2, depends_on=["lib"])
    _component(git_repo, "edge", depends_on=["app"])
    catalog = _catalog(git_repo)

    result = affected(catalog, ["services/lib/x.py", "services/app/y.py", "services/app/z.py"]).to_dict()
    assert [(s["name"], s["paths"]) for s in result["direct"]] == [
        ("app", ["services/app/y.py", "services/app/z.py"]),
        ("lib", ["services/lib/x.py"]),
    ]
    assert [(s["name"], s["via"]) for s in result["transitive"]] == [("edge", ["app", "edge"])]


def test_api_consumers_are_dependents_of_the_provider(git_repo: GitRepo) -> None:
    _declare_apis(git_repo, "rates-api", "unused-api")
    _component(git_repo, "fx", tier=1, provides=["rates-api"])
    _component(git_repo, "pricing", tier=1, consumes=["api:rates-api"])
    _component(git_repo, "treasury", tier=0, consumes=["rates-api"], provides=["unused-api"])
    catalog = _catalog(git_repo)
    assert catalog.warnings == []

    result = affected(catalog, ["services/fx/rates.go"])
    assert [(s.name, s.via, [(e.kind, e.api) for e in s.via_edges]) for s in result.transitive] == [
        ("treasury", ("fx", "treasury"), [("consumesApi", "rates-api")]),
        ("pricing", ("fx", "pricing"), [("consumesApi", "rates-api")]),
    ]
    # A consumer change does not reach the provider: dependencies point one way.
    assert affected(catalog, ["services/pricing/main.go"]).transitive == []


def test_unowned_and_empty_changes(git_repo: GitRepo) -> None:
    _component(git_repo, "solo")
    catalog = _catalog(git_repo)

    empty = affected(catalog, [])
    assert empty.to_dict() == {"direct": [], "transitive": [], "owners": [], "unowned_paths": [],
                               "max_tier": None, "warnings": []}
    assert render_text(empty) == "Services: none touched\n"
    loose = affected(catalog, ["Makefile", "Makefile"])
    assert (loose.direct, loose.unowned_paths, loose.max_tier) == ([], ["Makefile"], None)


def test_render_text_shows_chains_owners_and_tier(git_repo: GitRepo) -> None:
    _declare_apis(git_repo, "prices")
    _component(git_repo, "pricing", tier=1, provides=["prices"], owner="payments")
    _component(git_repo, "checkout", tier=0, consumes=["prices"], owner="web")
    _component(git_repo, "mobile", depends_on=["checkout"], owner="apps")
    catalog = _catalog(git_repo)

    text = render_text(affected(catalog, ["services/pricing/a.py", "LICENSE"]))
    assert text == (
        "Services: 1 direct, 2 depending on them; most critical: tier 0\n"
        "  direct      pricing  (tier 1, owner payments)\n"
        "                services/pricing/a.py\n"
        "  dependent   checkout  (tier 0, owner web)  via pricing -[prices]-> checkout\n"
        "  dependent   mobile  (no tier, owner apps)  via pricing -[prices]-> checkout -> mobile\n"
        "  no service owns: LICENSE\n"
        "  owners to notify: apps, payments, web\n"
    )


def test_graph_export_marks_affected_and_limits_to_a_neighbourhood(git_repo: GitRepo) -> None:
    # chain: far -> mid -> core <- user ; unrelated island: x -> y
    _component(git_repo, "core", tier=0)
    _component(git_repo, "user", depends_on=["core"])
    _component(git_repo, "mid", depends_on=["core"])
    _component(git_repo, "far", depends_on=["mid"])
    _component(git_repo, "helper")
    _component(git_repo, "x", depends_on=["y"])
    _component(git_repo, "y")
    git_repo.write("services/core/catalog-info.yaml",
                   json.dumps({"kind": "Component", "metadata": {"name": "core"},
                               "spec": {"owner": "team", "tier": 0, "dependsOn": ["helper"]}}))
    catalog = _catalog(git_repo)
    result = affected(catalog, ["services/mid/main.py"])

    whole = graph_export(catalog, result)
    assert whole["total_nodes"] == 7 and whole["truncated"] is False
    marks = {node["id"]: node["affected"] for node in whole["nodes"]}
    assert marks == {"core": None, "far": "transitive", "helper": None, "mid": "direct",
                     "user": None, "x": None, "y": None}
    assert {"source": "far", "target": "mid", "kind": "dependsOn", "api": None} in whole["edges"]
    assert whole["affected"] == {"direct": ["mid"], "transitive": ["far"]}

    near = graph_export(catalog, result, neighbourhood=1)
    assert sorted(node["id"] for node in near["nodes"]) == ["core", "far", "mid"]
    assert near["truncated"] is True
    assert sorted((e["source"], e["target"]) for e in near["edges"]) == [("far", "mid"), ("mid", "core")]
    two = graph_export(catalog, result, neighbourhood=2)
    assert sorted(node["id"] for node in two["nodes"]) == ["core", "far", "helper", "mid", "user"]
    assert graph_export(catalog, None, neighbourhood=3)["nodes"] == []


def test_a_subcomponent_change_reaches_its_parent(git_repo: GitRepo) -> None:
    _component(git_repo, "payments", tier=0, owner="payments")
    _component(git_repo, "web", depends_on=["payments"], owner="web")
    git_repo.write("services/payments-fraud/catalog-info.yaml", """\
        kind: Component
        metadata: {name: payments-fraud}
        spec: {owner: risk, subcomponentOf: component:payments}
        """)
    catalog = _catalog(git_repo)
    assert catalog.warnings == []

    result = affected(catalog, ["services/payments-fraud/model.py"])
    assert [(s["name"], s["via"], s["via_kinds"]) for s in result.to_dict()["transitive"]] == [
        ("payments", ["payments-fraud", "payments"], ["hasPart"]),
        ("web", ["payments-fraud", "payments", "web"], ["hasPart", "dependsOn"]),
    ]
    assert "via payments-fraud -[part of]-> payments -> web" in render_text(result)
