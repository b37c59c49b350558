"""Go source read with tree-sitter: packages and routes removed, exported names removed, goroutines
started, flags whose meaning changes. Real git repositories, both sides read whole."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from reviewer_app.core.risk.structure import format_of
from tests.core.risk.structure.helpers import by_rule, range_analysis, risk_findings
from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[4]

V1 = """package v1

import "github.com/prometheus/common/route"

// API serves the v1 endpoints.
type API struct{}

// New returns the API.
func New() *API { return &API{} }

// Register registers the routes.
func (api *API) Register(r *route.Router) {
\tr.Get("/status", api.status)
\tr.Post("/alerts", api.addAlerts)
}
"""
UTIL = """package util

// Trim trims.
func Trim(s string) string { return s }
"""
MAIN_BEFORE = """package api

import (
\t"github.com/prometheus/common/route"

\tapiv1 "example.com/am/api/v1"
)

type Server struct {
\tv1 *apiv1.API
}

func NewServer() *Server {
\tv1 := apiv1.New()
\treturn &Server{v1: v1}
}

func (s *Server) Register(r *route.Router) {
\ts.v1.Register(r.WithPrefix("/api/v1"))
}
"""
MAIN_AFTER = """package api

import (
\t"github.com/prometheus/common/route"
)

type Server struct{}

func NewServer() *Server {
\treturn &Server{}
}

func (s *Server) Register(r *route.Router) {
}
"""


def _found(git_repo: GitRepo, before: dict[str, str], after: dict[str, str | None], rule: str) -> list[dict]:
    return by_rule(risk_findings(range_analysis(git_repo, before, after)), rule)


def test_go_files_are_a_structured_format_and_tests_are_not() -> None:
    assert [format_of(p) for p in ("dispatch/dispatch.go", "dispatch/dispatch_test.go", "main.py")] == ["go", None, None]


def test_a_package_serving_routes_deleted_and_unwired_is_high_where_it_was_constructed(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"api/v1/api.go": V1, "api/api.go": MAIN_BEFORE},
                   {"api/v1/api.go": None, "api/api.go": MAIN_AFTER}, "GO-PACKAGE-REMOVED")
    assert [(f["path"], f["side"], f["line"], f["severity"]) for f in found] == [("api/api.go", "old", 14, "high")]
    assert "GET /status, POST /alerts" in found[0]["message"] and "api/v1/" in found[0]["message"]


def test_routes_registered_again_elsewhere_are_named_in_the_message(git_repo: GitRepo) -> None:
    router = ('package api\n\nimport "github.com/prometheus/common/route"\n\n'
              'func Deprecated(r *route.Router) {\n\tr.Get("/status", gone)\n}\n')
    found = _found(git_repo, {"api/v1/api.go": V1, "api/api.go": MAIN_BEFORE},
                   {"api/v1/api.go": None, "api/api.go": MAIN_AFTER, "api/deprecated.go": router}, "GO-PACKAGE-REMOVED")
    assert found[0]["severity"] == "high" and "registers some of the same paths again" in found[0]["message"]


def test_a_package_without_routes_is_medium_and_an_internal_one_is_nothing(git_repo: GitRepo) -> None:
    user = 'package app\n\nimport "example.com/am/{dir}"\n\nfunc F() string {{ return util.Trim("x") }}\n'
    after = 'package app\n\nfunc F() string { return "x" }\n'
    found = _found(git_repo, {"pkg/util/util.go": UTIL, "internal/util/util.go": UTIL, "app/a.go": user.format(dir="pkg/util"),
                              "app/b.go": user.format(dir="internal/util")},
                   {"pkg/util/util.go": None, "internal/util/util.go": None, "app/a.go": after, "app/b.go": after},
                   "GO-PACKAGE-REMOVED")
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [("app/a.go", 5, "medium")]


def test_a_file_deleted_from_a_package_that_keeps_other_files_is_no_package_removal(git_repo: GitRepo) -> None:
    user = 'package app\n\nimport "example.com/am/pkg/util"\n\nfunc F() string { return util.Trim("x") }\n'
    found = _found(git_repo, {"pkg/util/util.go": UTIL, "pkg/util/more.go": "package util\n\nfunc more() {}\n", "app/a.go": user},
                   {"pkg/util/util.go": None, "app/a.go": 'package app\n\nfunc F() string { return "x" }\n'},
                   "GO-PACKAGE-REMOVED")
    assert found == []


def test_a_route_dropped_is_high_moved_is_nothing_and_static_files_are_medium(git_repo: GitRepo) -> None:
    web = ('package web\n\nimport "github.com/prometheus/common/route"\n\nfunc Register(r *route.Router) {\n'
           '\tr.Get("/script.js", serve)\n\tr.Get("/api/status", status)\n\tr.Post("/api/alerts", alerts)\n}\n')
    after = ('package web\n\nimport "github.com/prometheus/common/route"\n\nfunc Register(r *route.Router) {\n'
             '\tr.Get("/assets/*path", serve)\n}\n')
    moved = 'package web\n\nfunc more(r *route.Router) {\n\tr.Post("/api/alerts", alerts)\n}\n'
    found = _found(git_repo, {"web/web.go": web}, {"web/web.go": after, "web/more.go": moved}, "GO-HTTP-ROUTE-REMOVED")
    assert [(f["line"], f["severity"]) for f in found] == [(6, "high")]
    assert "GET /api/status" in found[0]["message"] and "/api/alerts" not in found[0]["message"]


def test_only_static_file_routes_dropped_is_medium(git_repo: GitRepo) -> None:
    web = ('package web\n\nfunc Register(r *route.Router) {\n\tr.Get("/script.js", serve)\n\tr.Get("/lib/*path", serve)\n}\n')
    after = 'package web\n\nfunc Register(r *route.Router) {\n\tr.Get("/assets/*path", serve)\n}\n'
    found = _found(git_repo, {"web/web.go": web}, {"web/web.go": after}, "GO-HTTP-ROUTE-REMOVED")
    assert [(f["line"], f["severity"]) for f in found] == [(4, "medium")]


def test_exported_names_removed_from_a_public_package_not_moved_not_main(git_repo: GitRepo) -> None:
    lib = "package store\n\n// Get gets.\nfunc Get() {}\n\n// Put puts.\nfunc Put() {}\n\nfunc helper() {}\n"
    main = "package main\n\nfunc Exported() {}\n\nfunc main() {}\n"
    found = _found(git_repo, {"store/store.go": lib, "cmd/tool/main.go": main},
                   {"store/store.go": "package store\n\nfunc helper() {}\n", "store/put.go": "package store\n\n// Put puts.\nfunc Put() {}\n",
                    "cmd/tool/main.go": "package main\n\nfunc main() {}\n"}, "GO-EXPORTED-API-REMOVED")
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [("store/store.go", 4, "low")]
    assert "func Get" in found[0]["message"] and "Put" not in found[0]["message"]


DISPATCH = """package dispatch

import "context"

type D struct {
\tctx  context.Context
\tin   chan int
\tdone chan struct{}
}

func (d *D) Run() {
\tfor {
\t\tselect {
\t\tcase a := <-d.in:
\t\t\td.route(a)
\t\tcase <-d.ctx.Done():
\t\t\treturn
\t\t}
\t}
}

func (d *D) route(a int) {}

func (d *D) Start() {
\tgo d.Run()
}
"""
POOL = """package dispatch

import "context"

type D struct {
\tctx  context.Context
\tin   chan int
\tdone chan struct{}
}

func (d *D) Run() {
\tfor i := 0; i < 4; i++ {
\t\tgo func(worker int) {
\t\t\tfor {
\t\t\t\tselect {
\t\t\t\tcase a := <-d.in:
\t\t\t\t\td.route(a)
\t\t\t\tcase <-d.ctx.Done():
\t\t\t\t\treturn
\t\t\t\t}
\t\t\t}
\t\t}(i)
\t}
\tgo func() {
\t\td.route(0)
\t}()
}

func (d *D) route(a int) {}

func (d *D) Start() {
\tgo d.Run()
}
"""


def test_a_worker_pool_replacing_a_loop_is_high_a_single_goroutine_medium(git_repo: GitRepo) -> None:
    found = _found(git_repo, {"dispatch/dispatch.go": DISPATCH}, {"dispatch/dispatch.go": POOL}, "GO-GOROUTINE-STARTED")
    assert [(f["line"], f["severity"]) for f in found] == [(13, "high"), (24, "medium")]
    assert "Nothing visible" in found[1]["message"]


def test_a_goroutine_whose_arguments_change_or_that_moves_is_not_new(git_repo: GitRepo) -> None:
    after = DISPATCH.replace("\tgo d.Run()\n", "\td.in = make(chan int)\n\tgo d.Run()\n").replace("func (d *D) route(a int) {}\n", "")
    after += "\nfunc (d *D) route(a int) {}\n"
    found = _found(git_repo, {"dispatch/dispatch.go": DISPATCH}, {"dispatch/dispatch.go": after}, "GO-GOROUTINE-STARTED")
    assert found == []
    in_test = _found(git_repo, {"dispatch/dispatch_test.go": "package dispatch\n"},
                     {"dispatch/dispatch_test.go": "package dispatch\n\nfunc f() {\n\tgo func() {}()\n}\n"}, "GO-GOROUTINE-STARTED")
    assert in_test == []


FLAGS = """package main

import "github.com/alecthomas/kingpin/v2"

func run() {
\tvar (
\t\tmaxSilences = kingpin.Flag("silences.max-silences", "Maximum number of active and pending silences, excluding expired silences.").Default("0").Int()
\t\tretention   = kingpin.Flag("data.retention", "How long to keep data for.").Default("120h").Duration()
\t)
\t_, _ = maxSilences, retention
}
"""


def test_a_flag_whose_help_changes_meaning_is_medium_rewording_and_new_defaults_are_not(git_repo: GitRepo) -> None:
    after = (FLAGS.replace("active and pending silences, excluding expired silences.", "silences, including expired silences.")
             .replace("How long to keep data for.", "How long to keep data for").replace('Default("120h")', 'Default("240h")'))
    found = _found(git_repo, {"cmd/am/main.go": FLAGS}, {"cmd/am/main.go": after}, "GO-FLAG-MEANING-CHANGED")
    assert [(f["line"], f["severity"]) for f in found] == [(7, "medium")]
    assert "silences.max-silences" in found[0]["message"]


def test_std_flag_usage_changes_too(git_repo: GitRepo) -> None:
    before = 'package main\n\nimport "flag"\n\nvar limit = flag.Int("limit", 10, "maximum requests per second")\n'
    after = 'package main\n\nimport "flag"\n\nvar limit = flag.Int("limit", 10, "maximum requests per minute")\n'
    found = _found(git_repo, {"main.go": before}, {"main.go": after}, "GO-FLAG-MEANING-CHANGED")
    assert [f["line"] for f in found] == [5]


def test_a_change_without_go_files_imports_no_tree_sitter() -> None:
    code = textwrap.dedent("""
        import sys
        from tests.core.risk.structure.helpers import added_file, findings
        findings(added_file("app/main.py", "print('hello')"))
        print(sorted(m for m in sys.modules if m.startswith("tree_sitter") or m.endswith("structure.golang")))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_client_request_with_a_path_is_no_route(git_repo: GitRepo) -> None:
    before = 'package client\n\nfunc Status(c *Client) error {\n\t_, err := c.Get("/api/v2/status")\n\treturn err\n}\n'
    after = 'package client\n\nfunc Status(c *Client) error {\n\treturn nil\n}\n'
    assert _found(git_repo, {"client/client.go": before}, {"client/client.go": after}, "GO-HTTP-ROUTE-REMOVED") == []


ROUTE_OPTS = """package dispatch

import "encoding/json"

// RouteOpts are the options of a route.
type RouteOpts struct {
\tReceiver string
}

// MarshalJSON returns a JSON representation of the options.
func (ro *RouteOpts) MarshalJSON() ([]byte, error) {
\treturn json.Marshal(struct{ Receiver string }{ro.Receiver})
}

type output struct {
\tType string
}

func (o *output) UnmarshalYAML(unmarshal func(any) error) error {
\ttype plain output
\treturn unmarshal((*plain)(o))
}
"""


def _wire_findings(git_repo: GitRepo, after: dict[str, str | None]) -> list[dict]:
    """GO-WIRE-FORMAT-METHOD-REMOVED with the line rule marked as judged by the Go analyser."""
    import dataclasses

    from reviewer_app.core.analysis import analyze
    from reviewer_app.core.ingest import load_git_range
    from reviewer_app.core.risk.rules import RuleSet
    from reviewer_app.core.workspace import Workspace
    from tests.core.risk.structure.helpers import RULES

    rules = RuleSet(tuple(dataclasses.replace(r, structured=("go",)) if r.id == "GO-WIRE-FORMAT-METHOD-REMOVED" else r
                          for r in RULES.rules), RULES.sources)
    git_repo.write_files({"dispatch/route.go": ROUTE_OPTS})
    git_repo.commit("before")
    git_repo.write_files(after)
    git_repo.commit("after")
    analysis = analyze(load_git_range(git_repo.path, "HEAD~1..HEAD"), Workspace(git_repo.path), rules=rules).to_dict()
    return by_rule(risk_findings(analysis), "GO-WIRE-FORMAT-METHOD-REMOVED")


def test_an_encoding_removed_from_a_type_that_stays_is_the_wire_format_rule(git_repo: GitRepo) -> None:
    after = ROUTE_OPTS.replace(ROUTE_OPTS[ROUTE_OPTS.index("// MarshalJSON"):ROUTE_OPTS.index("type output")], "")
    found = _wire_findings(git_repo, {"dispatch/route.go": after})
    assert [(f["line"], f["severity"]) for f in found] == [(11, "high")]
    assert "`RouteOpts` loses its custom encoding" in found[0]["message"]


def test_an_encoding_deleted_with_its_type_or_moved_is_no_wire_format_change(git_repo: GitRepo) -> None:
    body = ROUTE_OPTS[ROUTE_OPTS.index("// MarshalJSON"):ROUTE_OPTS.index("type output")]
    after = ROUTE_OPTS[:ROUTE_OPTS.index("type output")].replace(body, "")
    moved = 'package dispatch\n\nimport "encoding/json"\n\n' + body
    assert _wire_findings(git_repo, {"dispatch/route.go": after, "dispatch/json.go": moved}) == []
