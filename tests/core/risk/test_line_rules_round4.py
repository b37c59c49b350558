"""Line-rule classes of false alarm from an out-of-sample draw (corpus/fresh-verdicts.csv), each
beside the danger of the same rule that must still be flagged.

Every change is hand-written in the shape of the real one and committed in a real git repository;
no rule is keyed to a commit, a repository or a file name seen there.
"""

from __future__ import annotations

from tests.core.risk.diffs import committed_change, fired
from tests.gitrepo import GitRepo





# -- Go: the error still examined, or the failing call gone ------------------------------------

COLLECTOR_GO = '''package collector

func (c *edacCollector) Update(ch chan<- Metric) error {
	for _, channel := range c.channels {
		value, err := readUintFromFile(channel.path)
		if err != nil {
			return fmt.Errorf("couldn't get ue_count for %s: %w", channel.name, err)
		}
		ch <- NewConstMetric(c.desc, float64(value), channel.name)
	}
	return nil
}
'''

REWRITTEN_AS_ELSE = COLLECTOR_GO.replace('''		if err != nil {
			return fmt.Errorf("couldn't get ue_count for %s: %w", channel.name, err)
		}
		ch <- NewConstMetric(c.desc, float64(value), channel.name)
''', '''		if err == nil {
			ch <- NewConstMetric(c.desc, float64(value), channel.name)
		} else {
			c.logger.Debug("couldn't get ue_count", "channel", channel.name, "err", err)
		}
''')

SWALLOWED = COLLECTOR_GO.replace('''		if err != nil {
			return fmt.Errorf("couldn't get ue_count for %s: %w", channel.name, err)
		}
		ch <- NewConstMetric(c.desc, float64(value), channel.name)
''', '''		if err == nil {
			ch <- NewConstMetric(c.desc, float64(value), channel.name)
		}
''')


def test_an_err_check_turned_into_an_else_branch_still_handles_the_error(git_repo: GitRepo) -> None:
    assert REWRITTEN_AS_ELSE != COLLECTOR_GO
    change = committed_change(git_repo, {"collector/edac.go": COLLECTOR_GO}, {"collector/edac.go": REWRITTEN_AS_ELSE})
    assert fired(change, "ERR-HANDLING-REMOVED") == []


def test_an_err_check_turned_into_a_success_branch_alone_still_fires(git_repo: GitRepo) -> None:
    assert SWALLOWED != COLLECTOR_GO
    change = committed_change(git_repo, {"collector/edac.go": COLLECTOR_GO}, {"collector/edac.go": SWALLOWED})
    assert [f.severity for f in fired(change, "ERR-HANDLING-REMOVED")] == ["medium"]


HANDLER_GO = '''package api

func (api *API) getSilence(w http.ResponseWriter, r *http.Request) {
	sids := route.Param(r, "sid")
	sid, err := uuid.FromString(sids)
	if err != nil {
		respondError(w, errorBadData, err)
		return
	}

	sil, err := api.silences.Get(sid)
	if err != nil {
		http.Error(w, fmt.Sprint("Error getting silence: ", err), http.StatusNotFound)
		return
	}
	respond(w, sil)
}
'''

PARSE_DROPPED = HANDLER_GO.replace('''	sids := route.Param(r, "sid")
	sid, err := uuid.FromString(sids)
	if err != nil {
		respondError(w, errorBadData, err)
		return
	}
''', '''	sid := route.Param(r, "sid")
''')

CHECK_DROPPED = HANDLER_GO.replace('''	sid, err := uuid.FromString(sids)
	if err != nil {
		respondError(w, errorBadData, err)
		return
	}
''', '''	sid, err := uuid.FromString(sids)
''')


EXPIRE_GO = '''package api

func (api *API) delSilence(w http.ResponseWriter, r *http.Request) error {
	sid := route.Param(r, "sid")
	_, err := uuid.FromString(sid)
	if err != nil {
		return err
	}
	return api.silences.Expire(sid)
}
'''


def test_a_check_removed_with_the_call_that_could_fail_loses_no_handling(git_repo: GitRepo) -> None:
    assert PARSE_DROPPED != HANDLER_GO
    change = committed_change(git_repo, {"api/api.go": HANDLER_GO}, {"api/api.go": PARSE_DROPPED})
    assert fired(change, "ERR-HANDLING-REMOVED") == []
    # IDs become opaque strings: the parse and its check go together, Expire still returns its error.
    opaque = EXPIRE_GO.replace("\t_, err := uuid.FromString(sid)\n\tif err != nil {\n\t\treturn err\n\t}\n", "")
    assert opaque != EXPIRE_GO
    change = committed_change(git_repo, {"api/silence.go": EXPIRE_GO}, {"api/silence.go": opaque})
    assert fired(change, "ERR-HANDLING-REMOVED") == []


def test_a_check_removed_while_its_call_stays_still_fires(git_repo: GitRepo) -> None:
    assert CHECK_DROPPED != HANDLER_GO
    change = committed_change(git_repo, {"api/api.go": HANDLER_GO}, {"api/api.go": CHECK_DROPPED})
    assert [f.severity for f in fired(change, "ERR-HANDLING-REMOVED")] == ["medium"]


# -- Python: an inner try folded into an enclosing one -------------------------------------------

LOADER_PY = '''import logging
import os

import yaml

logger = logging.getLogger(__name__)


def load_contexts(path, names):
    loaded = []
    for file_name in names:
        try:
            with open(os.path.join(path, file_name)) as fd:
                try:
                    data = yaml.safe_load(fd)
                except Exception as exc:
                    raise RuntimeError(f"Error in loading data from {file_name}: {exc}")
            loaded.append(data)
        except Exception as exc:
            logger.error("Error loading %s: %s", file_name, exc)
    return loaded


def load_one(path):
    with open(path) as fd:
        try:
            return yaml.safe_load(fd)
        except Exception as exc:
            raise RuntimeError(f"Error in loading data from {path}: {exc}")
'''


def test_an_inner_try_folded_into_the_enclosing_one_loses_no_handling(git_repo: GitRepo) -> None:
    folded = LOADER_PY.replace('''                try:
                    data = yaml.safe_load(fd)
                except Exception as exc:
                    raise RuntimeError(f"Error in loading data from {file_name}: {exc}")
''', '''                data = yaml.safe_load(fd)
''')
    assert folded != LOADER_PY
    change = committed_change(git_repo, {"app/datasources.py": LOADER_PY}, {"app/datasources.py": folded})
    assert fired(change, "ERR-HANDLING-REMOVED") == []


def test_a_try_removed_with_no_enclosing_try_still_fires(git_repo: GitRepo) -> None:
    unguarded = LOADER_PY.replace('''        try:
            return yaml.safe_load(fd)
        except Exception as exc:
            raise RuntimeError(f"Error in loading data from {path}: {exc}")
''', '''        return yaml.safe_load(fd)
''')
    assert unguarded != LOADER_PY
    change = committed_change(git_repo, {"app/datasources.py": LOADER_PY}, {"app/datasources.py": unguarded})
    assert [f.severity for f in fired(change, "ERR-HANDLING-REMOVED")] == ["medium"]


# -- RESILIENCE-REMOVED: a cache lifetime, a label named timeout, a probe removed whole ------------

UTILS_PY = '''from cacheops import file_cache
import requests


@file_cache.cached(timeout=60)
def get_job_content_type():
    return ContentType.objects.get(app_label="extras", model="job")


def fetch(url):
    return requests.get(url, timeout=5)
'''


def test_a_cache_lifetime_removed_is_no_timeout_removed(git_repo: GitRepo) -> None:
    uncached = UTILS_PY.replace("@file_cache.cached(timeout=60)\n", "")
    change = committed_change(git_repo, {"app/utils.py": UTILS_PY}, {"app/utils.py": uncached})
    assert fired(change, "RESILIENCE-REMOVED") == []
    no_timeout = UTILS_PY.replace("requests.get(url, timeout=5)", "requests.get(url)")
    change = committed_change(git_repo, {"app/utils2.py": UTILS_PY}, {"app/utils2.py": no_timeout})
    assert [f.severity for f in fired(change, "RESILIENCE-REMOVED")] == ["medium"]


ERRORS_GO = '''package api

const (
	errorNone     errorType = ""
	errorTimeout            = "timeout"
	errorBadData            = "bad_data"
)

var client = &http.Client{Timeout: 30 * time.Second}
'''


def test_a_label_whose_value_is_the_word_timeout_is_no_setting(git_repo: GitRepo) -> None:
    unlabelled = ERRORS_GO.replace('\terrorTimeout            = "timeout"\n', "")
    change = committed_change(git_repo, {"api/errors.go": ERRORS_GO}, {"api/errors.go": unlabelled})
    assert fired(change, "RESILIENCE-REMOVED") == []
    no_timeout = ERRORS_GO.replace("&http.Client{Timeout: 30 * time.Second}", "&http.Client{}")
    change = committed_change(git_repo, {"api/errors2.go": ERRORS_GO}, {"api/errors2.go": no_timeout})
    assert [f.severity for f in fired(change, "RESILIENCE-REMOVED")] == ["medium"]


VALUES = '''querier:
  replicas: 2
  livenessProbe:
    failureThreshold: 20
    httpGet:
      path: /ready
      port: http-metrics
    periodSeconds: 30
    timeoutSeconds: 1
  readinessProbe:
    httpGet:
      path: /ready
      port: http-metrics
    timeoutSeconds: 1
  resources: {}
'''


def test_a_probe_removed_whole_takes_its_timing_with_it(git_repo: GitRepo) -> None:
    start = VALUES.index("  livenessProbe:")
    without_probe = VALUES[:start] + VALUES[VALUES.index("  readinessProbe:"):]
    change = committed_change(git_repo, {"charts/app/values.yaml": VALUES}, {"charts/app/values.yaml": without_probe})
    assert fired(change, "RESILIENCE-REMOVED") == []


def test_a_probe_that_stays_and_loses_its_timeout_still_fires(git_repo: GitRepo) -> None:
    loosened = VALUES.replace("    periodSeconds: 30\n    timeoutSeconds: 1\n", "    periodSeconds: 30\n")
    assert loosened != VALUES
    change = committed_change(git_repo, {"charts/app/values.yaml": VALUES}, {"charts/app/values.yaml": loosened})
    assert [f.severity for f in fired(change, "RESILIENCE-REMOVED")] == ["medium"]


# -- an added line that already stood, with its neighbours, in a file of the change --------------

CONFIGMAP = '''apiVersion: v1
data:
  prometheus.yaml: |
    scrape_configs:
    - job_name: kubelets
      scheme: https
      tls_config:
        ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
        # Skip verification until the kubelet certificates are fixed.
        insecure_skip_verify: true
      bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token
kind: ConfigMap
metadata:
  name: prometheus-k8s
'''

EXTRACTED = '''scrape_configs:
- job_name: kubelets
  scheme: https
  tls_config:
    ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    # Skip verification until the kubelet certificates are fixed.
    insecure_skip_verify: true
  bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token
'''


def test_a_setting_extracted_from_a_file_of_the_change_is_not_new(git_repo: GitRepo) -> None:
    regenerated = CONFIGMAP.replace("  name: prometheus-k8s\n", "  name: prometheus-k8s\n  namespace: monitoring\n")
    change = committed_change(git_repo, {"manifests/prometheus-cm.yaml": CONFIGMAP},
                              {"manifests/prometheus-cm.yaml": regenerated, "assets/prometheus.yaml": EXTRACTED})
    assert fired(change, "TLS-VERIFY-DISABLED") == []


def test_a_setting_newly_written_beside_an_untouched_copy_still_fires(git_repo: GitRepo) -> None:
    # The same setting in a new place, with neighbours of its own: no copy of a block the change touches.
    fresh = EXTRACTED.replace("    # Skip verification until the kubelet certificates are fixed.\n", "")
    regenerated = CONFIGMAP.replace("  name: prometheus-k8s\n", "  name: prometheus-k8s\n  namespace: monitoring\n")
    change = committed_change(git_repo, {"manifests/prometheus-cm.yaml": CONFIGMAP},
                              {"manifests/prometheus-cm.yaml": regenerated, "assets/prometheus.yaml": fresh})
    assert [f.severity for f in fired(change, "TLS-VERIFY-DISABLED")] == ["high"]
    # Nor is a file of the repository the change does not touch a source.
    alone = committed_change(git_repo, {"manifests/other-cm.yaml": CONFIGMAP}, {"assets/other.yaml": EXTRACTED})
    assert [f.severity for f in fired(alone, "TLS-VERIFY-DISABLED")] == ["high"]


FLAGS = """flags:
  passkey-sign-in:
    enabled: true
    rollout_percentage: 5
    owner: team-identity
  remember-device:
    enabled: true
    rollout_percentage: 100
    owner: team-identity
"""


def test_a_setting_already_standing_elsewhere_in_the_same_file_is_still_new_here(git_repo: GitRepo) -> None:
    # The added line and its neighbours stand on the old side of this very file (another flag):
    # another instance of the setting, not a copy of what was in force for this one.
    raised = FLAGS.replace("rollout_percentage: 5\n", "rollout_percentage: 100\n")
    change = committed_change(git_repo, {"flags/login-flags.yaml": FLAGS}, {"flags/login-flags.yaml": raised})
    assert fired(change, "ROLLOUT-FLAG-TO-100")


# -- OPS-RM-RF: a loop's dependency folder cleared before the loop rebuilds it -------------------

PUBLISH_SH = '''#!/bin/bash
set -e
SRCROOT="$(cd "$(dirname "$0")/.." && pwd)"

for dir in $(find $SRCROOT/charts -mindepth 1 -maxdepth 1 -type d);
do
    echo "Processing $dir"
    helm package $dir
done
'''


def test_a_dependency_folder_the_loop_rebuilds_is_no_dangerous_delete(git_repo: GitRepo) -> None:
    rebuilt = PUBLISH_SH.replace('''do
    echo "Processing $dir"''', '''do
    rm -rf $dir/charts
    helm --debug dep build $dir
    echo "Processing $dir"''')
    change = committed_change(git_repo, {"scripts/publish.sh": PUBLISH_SH}, {"scripts/publish.sh": rebuilt})
    assert fired(change, "OPS-RM-RF") == []


def test_a_loop_folder_deleted_without_a_rebuild_still_fires(git_repo: GitRepo) -> None:
    wiped = PUBLISH_SH.replace('''do
    echo "Processing $dir"''', '''do
    rm -rf $dir/charts
    echo "Processing $dir"''')
    change = committed_change(git_repo, {"scripts/publish.sh": PUBLISH_SH}, {"scripts/publish.sh": wiped})
    assert [f.severity for f in fired(change, "OPS-RM-RF")] == ["medium"]
    whole = PUBLISH_SH.replace('''do
    echo "Processing $dir"''', '''do
    rm -rf $dir/
    helm dep build $dir
    echo "Processing $dir"''')
    change = committed_change(git_repo, {"scripts/publish2.sh": PUBLISH_SH}, {"scripts/publish2.sh": whole})
    assert [f.severity for f in fired(change, "OPS-RM-RF")] != []
