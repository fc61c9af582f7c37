"""The alert rules and the Grafana dashboard in deploy/: valid PromQL by Prometheus's own promtool, each alert
shown firing on synthetic series (promtool's rule unit tests), and built only on metrics and labels the services
really export."""

import importlib
import json
import re
import subprocess
from itertools import product
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from orderdesk_stack.go_tools import PROMTOOL
from orderdesk_stack.paths import repo_root
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

PROMETHEUS_DIR = repo_root() / "deploy" / "prometheus"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERT_TESTS = PROMETHEUS_DIR / "alerts.test.yml"
DASHBOARD = repo_root() / "deploy" / "grafana" / "orderdesk.json"
# Labels Prometheus adds to every series (the scrape job's and the target's, prometheus.yml) and a histogram's.
SCRAPE_LABELS = {"job", "instance", "service"}
HISTOGRAM_LABELS = {"le"}
# Series Prometheus makes itself, with their own labels.
PROMETHEUS_SERIES = {"up": set(), "ALERTS": {"alertname", "alertstate", "severity"}}
# The dashboard's variables, as Grafana would fill them in, for promtool to check its queries as PromQL.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$service": ".*"}
METRIC_NAME = re.compile(r"\borderdesk_[a-z0-9_]+")
# Label lists (by, without, on, ignoring) and label matchers in a PromQL expression.
LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
LABEL_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*\"")


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def _alerts() -> dict[str, dict]:
    return {rule["alert"]: rule for rule in _rules() if "alert" in rule}


def _dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    queries += [annotation["expr"] for annotation in dashboard["annotations"]["list"]]
    variables = dashboard["templating"]["list"]
    queries += [variable["definition"] for variable in variables if variable["type"] == "query"]
    return queries


def _as_promql(query: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    # Grafana's label_values() is no PromQL: its metric is what it reads.
    return re.sub(r"^label_values\(([^,]+),\s*\w+\)$", r"\1", query)


def _exported_metrics() -> dict[str, set[str]]:
    """Each sample name the services expose at /metrics/ (a counter's `_total`, a histogram's `_bucket`, ...)
    with its labels: every service's app imported, as its process does."""
    for service in SERVICES:
        importlib.import_module(f"{service.package}.main")
    exported: dict[str, set[str]] = {}
    # The registry names each collector's series, and a counter's or histogram's bare name, which no series
    # has; a series' label names are its collector's (none for the process and platform collectors).
    for name, collector in REGISTRY._names_to_collectors.items():
        bare = name == getattr(collector, "_name", None) and getattr(collector, "_type", None) != "gauge"
        if not bare:
            exported[name] = set(getattr(collector, "_labelnames", ()))
    return exported


def _expressions() -> list[tuple[str, str]]:
    """Every PromQL expression in deploy/: (where it is, expression)."""
    rules = [(rule.get("alert") or rule["record"], rule["expr"]) for rule in _rules()]
    return rules + [(f"dashboard query {n}", _as_promql(query)) for n, query in enumerate(_dashboard_queries())]


@pytest.fixture(scope="module")
def promtool() -> Path:
    """Prometheus's promtool, built once by `make setup` (which `make test` runs first)."""
    binary = PROMTOOL.binary_path()
    if not binary.is_file():
        pytest.fail(PROMTOOL.skipped if not PROMTOOL.can_build() else f"{binary} is missing: `make setup` builds it")
    return binary


def _run(promtool: Path, *arguments: str | Path) -> None:
    result = subprocess.run([promtool, *arguments], capture_output=True, text=True, cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules_and_the_prometheus_config(promtool):
    _run(promtool, "check", "rules", ALERTS)
    _run(promtool, "check", "config", "--syntax-only", PROMETHEUS_DIR / "prometheus.yml")


def test_each_alert_fires_on_synthetic_series_as_its_unit_tests_expect(promtool):
    _run(promtool, "test", "rules", ALERT_TESTS)


def test_the_dashboards_queries_are_valid_promql(promtool, tmp_path):
    """promtool checks any expression given as a recording rule: the dashboard's queries are written as such."""
    rules = [
        {"record": f"orderdesk:dashboard_query_{n}", "expr": _as_promql(query)}
        for n, query in enumerate(_dashboard_queries())
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    _run(promtool, "check", "rules", path)


def test_every_alert_has_a_unit_test_that_shows_it_firing():
    tests = yaml.safe_load(ALERT_TESTS.read_text())
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert set(_alerts()) - firing == set()


@pytest.mark.parametrize("name", sorted(_alerts()))
def test_every_alert_says_how_severe_it_is_what_happened_and_where_to_act(name):
    alert = _alerts()[name]
    assert alert["labels"]["severity"] in ("warning", "critical")
    annotations = alert["annotations"]
    assert {"summary", "description", "runbook"} <= set(annotations)
    assert "{{ $labels." in annotations["summary"], "the summary names what is affected"
    assert "SRE page (/sre)" in annotations["runbook"]


@pytest.mark.parametrize(("where", "expression"), _expressions(), ids=lambda value: value[:60])
def test_every_metric_and_label_in_the_rules_and_the_dashboard_is_one_the_services_export(where, expression):
    exported = _exported_metrics()
    metrics = set(METRIC_NAME.findall(expression))
    assert metrics - set(exported) == set(), f"{where} reads metrics no service exports"
    made = {name for name in PROMETHEUS_SERIES if re.search(rf"\b{name}\b", expression)}
    assert metrics | made, f"{where} reads no metric"
    labels = {label.strip() for listed in LABEL_LIST.findall(expression) for label in listed.split(",")} - {""}
    labels |= set(LABEL_MATCHER.findall(expression))
    known = SCRAPE_LABELS | HISTOGRAM_LABELS
    known |= set().union(*(exported[metric] for metric in metrics), *(PROMETHEUS_SERIES[name] for name in made))
    assert labels - known == set(), f"{where} groups or matches on labels none of its metrics has"


def test_the_unit_tests_feed_the_rules_series_shaped_as_the_services_export_them():
    exported = _exported_metrics()
    tests = yaml.safe_load(ALERT_TESTS.read_text())
    for test in tests["tests"]:
        for series in test["input_series"]:
            name, _, matchers = series["series"].partition("{")
            if name == "up":
                continue
            assert name in exported, f"{name} is no metric the services export"
            labels = set(LABEL_MATCHER.findall("{" + matchers))
            assert exported[name] <= labels <= exported[name] | SCRAPE_LABELS, series["series"]


def test_prometheus_scrapes_every_service_at_its_local_port_under_its_name():
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    [job] = config["scrape_configs"]
    targets = {static["labels"]["service"]: static["targets"] for static in job["static_configs"]}
    assert targets == {service.name: [f"localhost:{service.port(Stack.service_port_base)}"] for service in SERVICES}


def test_the_dashboard_shows_every_metric_the_alerts_watch():
    alerted = {name for rule in _rules() for name in METRIC_NAME.findall(rule["expr"])}
    shown = {name for query in _dashboard_queries() for name in METRIC_NAME.findall(query)}
    assert alerted - shown == set()


def test_the_dashboards_panels_have_their_own_ids_and_places():
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    taken: dict[tuple[int, int], str] = {}
    for panel in panels:
        place = panel["gridPos"]
        assert place["x"] + place["w"] <= 24, panel["title"]
        for cell in product(range(place["x"], place["x"] + place["w"]), range(place["y"], place["y"] + place["h"])):
            assert cell not in taken, f"{panel['title']} overlaps {taken[cell]}"
            taken[cell] = panel["title"]
