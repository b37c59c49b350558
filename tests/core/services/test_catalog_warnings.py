"""Every kind of bad catalog input is reported by file and entity, and the rest still loads."""

from __future__ import annotations

from tests.gitrepo import GitRepo

from reviewer_app.core.services import affected, load_catalog
from reviewer_app.core.workspace import Workspace


def _load(repo: GitRepo) -> tuple[dict, list[str]]:
    repo.commit("catalog")
    catalog = load_catalog(Workspace(repo.path))
    return catalog.services, catalog.warnings


def test_unknown_dependency_is_named_with_file_entity_and_field(git_repo: GitRepo) -> None:
    git_repo.write("services/pricing/catalog-info.yaml", """\
        kind: Component
        metadata: {name: pricing}
        spec:
          owner: payments
          dependsOn: [component:default/ledger, fx]
          consumesApis: [rates-api]
        """)
    git_repo.write("services/fx/catalog-info.yaml", "kind: Component\nmetadata: {name: fx}\nspec: {owner: fx-team}\n")
    services, warnings = _load(git_repo)

    assert warnings == [
        "services/pricing/catalog-info.yaml: component:default/pricing: dependsOn refers to unknown "
        "component:default/ledger",
        "services/pricing/catalog-info.yaml: component:default/pricing: consumesApis refers to unknown "
        "api:default/rates-api",
    ]
    assert services["pricing"].depends_on == ("fx",)  # the valid part of the list is kept


def test_broken_yaml_keeps_the_documents_before_it_and_other_files(git_repo: GitRepo) -> None:
    git_repo.write("a/catalog-info.yaml", """\
        kind: Component
        metadata: {name: first}
        spec: {owner: x}
        ---
        kind: Component
        metadata:
          name: second
            bad-indent: here
        """)
    git_repo.write("b/catalog-info.yaml", "kind: Component\nmetadata: {name: other}\nspec: {owner: y}\n")
    services, warnings = _load(git_repo)

    assert sorted(services) == ["first", "other"]
    assert len(warnings) == 1
    assert warnings[0].startswith("a/catalog-info.yaml:8: invalid YAML (")


def test_duplicate_names_keep_the_first_definition(git_repo: GitRepo) -> None:
    git_repo.write("one/catalog-info.yaml", "kind: Component\nmetadata: {name: pricing}\nspec: {owner: first}\n")
    git_repo.write("two/catalog-info.yaml", "kind: Component\nmetadata: {name: pricing}\nspec: {owner: second}\n")
    git_repo.write("three/catalog-info.yaml", "kind: Resource\nmetadata: {name: pricing}\nspec: {owner: third}\n")
    services, warnings = _load(git_repo)

    assert services["pricing"].owner == "first"
    assert warnings == [
        "three/catalog-info.yaml: resource:default/pricing: duplicate name 'pricing' (first defined in "
        "one/catalog-info.yaml as component:default/pricing); this one is ignored",
        "two/catalog-info.yaml: component:default/pricing: duplicate name 'pricing' (first defined in "
        "one/catalog-info.yaml as component:default/pricing); this one is ignored",
    ]


def test_missing_owner_is_reported_and_codeowners_speaks_for_it(git_repo: GitRepo) -> None:
    git_repo.write("orphan/catalog-info.yaml", "kind: Component\nmetadata: {name: orphan}\nspec: {type: service}\n")
    git_repo.write("CODEOWNERS", "orphan/ @acme/platform\n")
    services, warnings = _load(git_repo)

    assert warnings == ["orphan/catalog-info.yaml: component:default/orphan: missing owner (spec.owner)"]
    assert services["orphan"].owner is None
    catalog = load_catalog(Workspace(git_repo.path))
    assert affected(catalog, ["orphan/main.py"]).owners == ["@acme/platform"]


def test_cycles_are_reported_once_with_their_loop(git_repo: GitRepo) -> None:
    for name, deps in (("a", "[b]"), ("b", "[c, a]"), ("c", "[a]"), ("d", "[d]"), ("e", "[a]")):
        git_repo.write(f"{name}/catalog-info.yaml",
                       f"kind: Component\nmetadata: {{name: {name}}}\nspec: {{owner: t, dependsOn: {deps}}}\n")
    _, warnings = _load(git_repo)

    assert warnings == [
        "a/catalog-info.yaml: component:default/a: dependency cycle a -> b -> a (3 services in the cycle)",
        "d/catalog-info.yaml: component:default/d: dependency cycle d -> d",
    ]


def test_wrong_types_cost_only_the_field(git_repo: GitRepo) -> None:
    git_repo.write("svc/catalog-info.yaml", """\
        kind: Component
        metadata:
          name: svc
          annotations:
            reviewer-app/tier: critical
            reviewer-app/paths: [not, a, string]
        spec:
          owner: {name: team}
          dependsOn: other
          providesApis: {a: 1}
        ---
        - a list, not an entity
        ---
        metadata: {name: kindless}
        ---
        kind: Component
        metadata: {annotations: {}}
        ---
        kind: Group
        metadata: {name: some-team}
        """)
    git_repo.write("other/catalog-info.yaml", "kind: Component\nmetadata: {name: other}\nspec: {owner: t}\n")
    services, warnings = _load(git_repo)

    where = "svc/catalog-info.yaml: component:default/svc"
    assert warnings == [
        f"{where}: spec.owner must be a string, got dict; ignored",
        f"{where}: annotation reviewer-app/tier 'critical' is not a tier (0, 1, 2... or tier-N); ignored",
        f"{where}: annotation reviewer-app/paths must be a comma-separated string; ignored",
        f"{where}: spec.providesApis must be a list of names, got dict; ignored",
        "svc/catalog-info.yaml: document 2 is not a mapping; skipped",
        "svc/catalog-info.yaml: document 3 has no kind; skipped",
        "svc/catalog-info.yaml: document 4 (component) has no metadata.name; skipped",
        f"{where}: missing owner (spec.owner)",
    ]
    svc = services["svc"]
    assert (svc.tier, svc.owner, svc.paths, svc.depends_on) == (None, None, ("svc/",), ("other",))
    assert sorted(services) == ["other", "svc"]  # the Group is a valid entity, not a service


def test_declared_api_without_provider_and_undeclared_provided_api(git_repo: GitRepo) -> None:
    git_repo.write("p/catalog-info.yaml", """\
        kind: Component
        metadata: {name: producer}
        spec: {owner: t, providesApis: [ghost-api]}
        ---
        kind: Component
        metadata: {name: consumer}
        spec: {owner: t, consumesApis: [ghost-api]}
        """)
    catalog_services, warnings = _load(git_repo)
    catalog = load_catalog(Workspace(git_repo.path))

    assert warnings == [
        "p/catalog-info.yaml: component:default/producer: providesApis refers to unknown api:default/ghost-api",
        "p/catalog-info.yaml: component:default/consumer: consumesApis refers to unknown api:default/ghost-api",
    ]
    # The link itself is still real knowledge: the consumer depends on the producer.
    assert [(e.source, e.target, e.kind) for e in catalog.edges] == [("consumer", "producer", "consumesApi")]


def test_unusable_path_patterns_are_reported(git_repo: GitRepo) -> None:
    git_repo.write("svc/catalog-info.yaml", """\
        kind: Component
        metadata:
          name: svc
          annotations: {reviewer-app/paths: "svc/src/, lib/[, lib/*\\\\, !negated/"}
        spec: {owner: t}
        ---
        kind: Component
        metadata:
          name: blank
          annotations: {reviewer-app/paths: " , "}
        spec: {owner: t}
        """)
    services, warnings = _load(git_repo)

    where = "svc/catalog-info.yaml: component:default"
    assert warnings == [
        f"{where}/blank: annotation reviewer-app/paths lists no paths; the descriptor's folder is used",
        f"{where}/svc: path pattern 'lib/[' is not valid; ignored",
        f"{where}/svc: path pattern 'lib/*\\' is not valid; ignored",
        f"{where}/svc: path pattern '!negated/' is not valid; ignored",
    ]
    catalog = load_catalog(Workspace(git_repo.path))
    assert catalog.service_names_for_path("svc/src/a.py") == ["svc"]
    assert catalog.service_names_for_path("svc/other.py") == ["blank"]


def test_render_text_lists_warnings_and_caps_them(git_repo: GitRepo) -> None:
    from reviewer_app.core.services import render_text

    for number in range(12):
        git_repo.write(f"s{number:02d}/catalog-info.yaml", f"kind: Component\nmetadata: {{name: s{number:02d}}}\n")
    git_repo.commit("no owners anywhere")
    catalog = load_catalog(Workspace(git_repo.path))

    text = render_text(affected(catalog, ["s00/a.py"]))
    assert "  owners to notify: nobody found\n" in text
    assert "  catalog warnings (12):\n    s00/catalog-info.yaml: component:default/s00: missing owner (spec.owner)\n" in text
    assert text.endswith("    ... and 2 more\n")
    # Even when the change touches nothing, a broken catalog is not silent.
    assert render_text(affected(catalog, [])).startswith("Services: none touched\n  catalog warnings (12):")


def test_no_repository_means_an_empty_catalog() -> None:
    catalog = load_catalog(Workspace(None))
    assert (catalog.services, catalog.warnings, catalog.codeowners) == ({}, [], None)
    assert affected(catalog, ["a.py"]).unowned_paths == ["a.py"]
